import type { CorpState, Message } from './model.ts';

const MESSAGE_LOG_LIMIT = 100_000;

const chattedCache = new WeakMap<CorpState, Set<string>>();

/** Whether the member and the customer have chatted (then WeCom issues no WelcomeCode). */
export function haveChatted(corp: CorpState, userid: string, externalUserid: string): boolean {
  let pairs = chattedCache.get(corp);
  if (!pairs) {
    pairs = new Set(
      corp.messages.filter((m) => m.kind === 'chat').map((m) => `${m.userid}|${m.external_userid}`),
    );
    chattedCache.set(corp, pairs);
  }
  return pairs.has(`${userid}|${externalUserid}`);
}

/** The corp's message log, which the session archive serves (archive.ts): chats, welcome messages, mass sends. */
export function recordMessage(corp: CorpState, message: Message): void {
  corp.archive_seq = (corp.archive_seq ?? 0) + 1;
  message.seq = corp.archive_seq;
  if (message.kind === 'chat') chattedCache.get(corp)?.add(`${message.userid}|${message.external_userid}`);
  corp.messages.push(message);
  if (corp.messages.length > MESSAGE_LOG_LIMIT)
    corp.messages.splice(0, corp.messages.length - MESSAGE_LOG_LIMIT);
}

export function messagesOf(
  corp: CorpState,
  filter: { external_userid?: string; userid?: string; limit: number },
): Message[] {
  const matching = corp.messages.filter(
    (m) =>
      (!filter.external_userid || m.external_userid === filter.external_userid) &&
      (!filter.userid || m.userid === filter.userid),
  );
  return matching.slice(-filter.limit);
}
