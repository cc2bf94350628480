import { z } from 'zod';
import { parseApi, utf8Bytes } from './api-input.ts';
import { WecomError } from './errors.ts';
import { haveChatted, recordMessage } from './messages.ts';
import type { CorpState } from './model.ts';
import type { Simulator } from './state.ts';

export const WELCOME_CODE_TTL_MS = 20_000;

const lastPurge = new WeakMap<CorpState, number>();

/**
 * A WelcomeCode for a new friendship, or none when the pair has already chatted (as WeCom). Codes are kept
 * a day after issue so that a late or repeated use answers 41051.
 */
export function issueWelcomeCode(
  sim: Simulator,
  corp: CorpState,
  userid: string,
  externalUserid: string,
): string | undefined {
  if (haveChatted(corp, userid, externalUserid)) return undefined;
  const now = sim.nowMs();
  if (now - (lastPurge.get(corp) ?? 0) > 60_000) {
    lastPurge.set(corp, now);
    for (const [code, entry] of Object.entries(corp.welcome_codes)) {
      if (entry.issued_at_ms < now - 86_400_000) delete corp.welcome_codes[code];
    }
  }
  const code = sim.ids.welcomeCode();
  corp.welcome_codes[code] = {
    code,
    userid,
    external_userid: externalUserid,
    issued_at_ms: now,
    used_at_ms: null,
  };
  return code;
}

const ATTACHMENT_TYPES = ['image', 'link', 'miniprogram', 'video', 'file'] as const;

export const attachmentsSchema = z
  .array(
    z
      .looseObject({ msgtype: z.enum(ATTACHMENT_TYPES) })
      .refine(
        (a) => typeof a[a.msgtype] === 'object' && a[a.msgtype] !== null,
        'attachments.msgtype does not match its content',
      ),
  )
  .refine((list) => list.length <= 9, 'attachments exceed max count 9');

export const textSchema = z.object({ content: utf8Bytes('text.content', 4000) });

const sendWelcomeBody = z.object({
  welcome_code: z.string().min(1),
  text: textSchema.optional(),
  attachments: attachmentsSchema.optional(),
});

/** send_welcome_msg: within 20 s of the event and once (41051 afterwards). */
export function apiSendWelcomeMsg(sim: Simulator, corp: CorpState, body: unknown) {
  const input = parseApi(sendWelcomeBody, body);
  if (!input.text?.content && !input.attachments?.length)
    throw new WecomError(40058, 'text or attachments required');
  const entry = Object.hasOwn(corp.welcome_codes, input.welcome_code)
    ? corp.welcome_codes[input.welcome_code]
    : undefined;
  if (!entry) throw new WecomError(40058, 'invalid welcome_code');
  const now = sim.nowMs();
  if (entry.used_at_ms !== null || now - entry.issued_at_ms > WELCOME_CODE_TTL_MS)
    throw new WecomError(41051);
  entry.used_at_ms = now;
  const at = Math.floor(now / 1000);
  corp.welcomes.push({
    external_userid: entry.external_userid,
    userid: entry.userid,
    welcome_code: entry.code,
    text: input.text?.content ?? null,
    attachments: input.attachments ?? [],
    at,
  });
  // Text and attachments arrive as separate messages.
  if (input.text?.content) {
    recordMessage(corp, {
      direction: 'out',
      kind: 'welcome',
      external_userid: entry.external_userid,
      userid: entry.userid,
      msgtype: 'text',
      content: input.text.content,
      at,
    });
  }
  for (const a of input.attachments ?? []) {
    recordMessage(corp, {
      direction: 'out',
      kind: 'welcome',
      external_userid: entry.external_userid,
      userid: entry.userid,
      msgtype: a.msgtype,
      content: JSON.stringify(a[a.msgtype]),
      at,
    });
  }
  return {};
}
