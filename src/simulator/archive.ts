import { CHAT_DATA_MAX_LIMIT } from '../wecom/archive.ts';
import { WecomError } from './errors.ts';
import type { CorpState, Message } from './model.ts';

/**
 * The session archive (会话存档), as the Finance SDK's GetChatData hands it over once decrypted
 * (API-FACTS-2 §13). The real SDK is a C library that pulls and decrypts (RSA PKCS#1 v1.5 for the random key,
 * an undocumented symmetric layer for the message); the facts advise emulating it at the decrypted-JSON
 * level, so this stand-in serves, over HTTP at FINANCE_GET_CHAT_DATA, each record's envelope fields (seq,
 * msgid, publickey_ver) with the decrypted message beside them instead of encrypt_random_key and
 * encrypt_chat_msg. `seq` is exclusive (records start at seq + 1; 0 the first time), limit ≤ 1000.
 */
export { FINANCE_GET_CHAT_DATA } from '../wecom/archive.ts';

export interface ArchivedMessage {
  msgid: string;
  action: 'send';
  from: string;
  tolist: string[];
  roomid: string;
  msgtime: number;
  msgtype: string;
  [payload: string]: unknown;
}

function archived(m: Message & { seq: number }): ArchivedMessage {
  const inGroup = Boolean(m.chat_id);
  const from = inGroup ? (m.speaker ?? m.userid) : m.direction === 'in' ? m.external_userid : m.userid;
  const to = inGroup ? [] : [m.direction === 'in' ? m.userid : m.external_userid];
  const msgtype = m.msgtype === 'text' || !m.msgtype ? 'text' : m.msgtype;
  return {
    msgid: `${m.seq}${String(m.at).slice(-6)}_${m.at}`,
    action: 'send',
    from,
    tolist: to,
    roomid: m.chat_id ?? '',
    msgtime: m.at * 1000,
    msgtype,
    ...(msgtype === 'text' ? { text: { content: m.content } } : { [msgtype]: { content: m.content } }),
  };
}

export function apiGetChatData(corp: CorpState, body: unknown) {
  const b = (body ?? {}) as { seq?: unknown; limit?: unknown };
  const seq = b.seq === undefined ? 0 : Number(b.seq);
  const limit = b.limit === undefined ? CHAT_DATA_MAX_LIMIT : Number(b.limit);
  if (!Number.isInteger(seq) || seq < 0) throw new WecomError(40058, 'seq');
  if (!Number.isInteger(limit) || limit < 1 || limit > CHAT_DATA_MAX_LIMIT)
    throw new WecomError(40058, 'limit');
  const chatdata = [];
  // the log is in seq order; messages recorded before the archive existed have no seq
  for (const m of corp.messages) {
    if (m.seq === undefined || m.seq <= seq) continue;
    const message = archived(m as Message & { seq: number });
    chatdata.push({ seq: m.seq, msgid: message.msgid, publickey_ver: 1, message });
    if (chatdata.length === limit) break;
  }
  return { chatdata };
}
