import type { CorpState, Message } from './model.ts';

const MESSAGE_LOG_LIMIT = 100_000;

/** The corp's message log (future session archive): chats, welcome messages, mass sends. */
export function recordMessage(corp: CorpState, message: Message): void {
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
