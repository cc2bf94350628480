import type { WecomClient, WecomResponse } from './client.ts';

/**
 * The session archive (会话存档, API-FACTS-2 §13). WeCom hands over a brand's messages only through the
 * Finance SDK, a C library (GetChatData, then RSA-decrypt each record's random key with the brand's private
 * key of `publickey_ver` and DecryptData the message). Siyu reads it through this interface: the records
 * after `seq`, decrypted. The simulator serves a stand-in at the decrypted-JSON level over HTTP
 * (`simulatedArchive`); a binding to the real SDK is not part of Siyu yet, so only simulated brands have an
 * archive to read.
 */
export const FINANCE_GET_CHAT_DATA = '/sdk/finance/getchatdata';
export const CHAT_DATA_MAX_LIMIT = 1000;

/** A decrypted archive message; `switch` records carry no from/tolist/msgtime. */
export interface ArchiveMessage {
  msgid: string;
  action: 'send' | 'recall' | 'switch';
  from?: string;
  tolist?: string[];
  /** '' for a one-to-one chat. */
  roomid?: string;
  /** ms since the epoch. */
  msgtime?: number;
  msgtype?: string;
  /** A text message's content. */
  text?: { content?: string };
}

export interface ChatRecord {
  seq: number;
  msgid: string;
  message: ArchiveMessage;
}

export interface SessionArchive {
  /** The records after `seq` (exclusive; 0 the first time), at most `limit` (≤ 1000), in seq order. */
  getChatData(seq: number, limit: number): Promise<ChatRecord[]>;
}

/** The simulator's stand-in for the SDK, reached with the brand's client (its access_token). */
export function simulatedArchive(client: Pick<WecomClient, 'post'>): SessionArchive {
  return {
    async getChatData(seq, limit) {
      const res = await client.post<WecomResponse & { chatdata: ChatRecord[] }>(FINANCE_GET_CHAT_DATA, {
        seq,
        limit: Math.min(limit, CHAT_DATA_MAX_LIMIT),
      });
      return res.chatdata ?? [];
    },
  };
}

/** Message types that are not something the sender wrote (consent records, recalls). */
const NOT_WRITTEN = new Set(['agree', 'disagree', 'revoke']);

/**
 * The one-to-one messages external contacts wrote to members: `from` is not one of the corp's members, the
 * chat is not a group, the action is `send`, the type is written content.
 */
export function customerMessages(
  records: ChatRecord[],
  isMember: (userid: string) => boolean,
): CustomerMessage[] {
  const out: CustomerMessage[] = [];
  for (const { message: m } of records) {
    if (m.action !== 'send' || m.roomid || !m.from || !m.msgtime || !m.tolist?.length) continue;
    if (!m.msgtype || NOT_WRITTEN.has(m.msgtype) || isMember(m.from)) continue;
    const text = m.msgtype === 'text' ? (m.text?.content ?? null) : null;
    for (const to of m.tolist)
      if (isMember(to)) out.push({ externalUserid: m.from, userid: to, at: new Date(m.msgtime), text });
  }
  return out;
}

export interface CustomerMessage {
  externalUserid: string;
  userid: string;
  at: Date;
  /** What a text message says (null for images, files and the like). */
  text: string | null;
}
