import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  APP_MSG_MARKDOWN_MAX_BYTES,
  APP_MSG_MAX_PARTIES,
  APP_MSG_MAX_TAGS,
  APP_MSG_MAX_USERS,
  APP_MSG_PER_MEMBER_PER_HOUR,
  APP_MSG_PER_MEMBER_PER_MINUTE,
  APP_MSG_TEXT_MAX_BYTES,
  APP_MSG_DUPLICATE_CHECK_MAX_SECONDS as DUPLICATE_CHECK_MAX_SECONDS,
  TEXTCARD_DESCRIPTION_MAX_BYTES,
  TEXTCARD_TITLE_MAX_BYTES,
  TEXTCARD_URL_MAX_BYTES,
} from '../wecom/limits.ts';
import { int, parseApi } from './api-input.ts';
import { activeMembers, membersOfParties } from './directory.ts';
import { WecomError } from './errors.ts';
import type { AppMessage, CorpState } from './model.ts';
import type { Simulator } from './state.ts';

/**
 * 发送应用消息 (`message/send`): the corp's app writes to its members. Recipients are `touser`
 * (userids, `|`-separated, case-insensitive, `@all`), `toparty` (departments and their sub-departments)
 * and `totag` (member tags, which the simulator does not model: every tag id is invalid). Some invalid
 * recipients: sent to the others, the invalid ones answered in `invaliduser` / `invalidparty` /
 * `invalidtag` (userids lower-cased); all invalid: 81013 with the same fields. What each member received
 * is kept (`corp.app_messages`, GET /sim/corps/:corpid/app-messages).
 */

/** Message types the simulator delivers; WeCom's others (image, news, template_card …) answer 40008 here. */
export const APP_MSG_TYPES = ['text', 'textcard', 'markdown'] as const;
/** textcard.btntxt: at most 4 characters, longer is truncated; default 详情. */
export const TEXTCARD_BTNTXT_MAX_CHARS = 4;
/** Per app and day: (licensed accounts × 200) person-times; the simulator counts its active members. */
export const APP_MSG_DAILY_PER_ACCOUNT = 200;
/** enable_duplicate_check: the same message within duplicate_check_interval (default 1800 s, ≤ 4 h) is not sent again. */
export const DUPLICATE_CHECK_DEFAULT_SECONDS = 1800;

const APP_MESSAGE_LOG_LIMIT = 100_000;

const body = z.looseObject({
  agentid: int.optional(),
  msgtype: z.string().optional(),
  touser: z.string().optional(),
  toparty: z.string().optional(),
  totag: z.string().optional(),
  safe: int.optional(),
  enable_id_trans: int.optional(),
  enable_duplicate_check: int.optional(),
  duplicate_check_interval: int.optional(),
  text: z.looseObject({ content: z.string().optional() }).optional(),
  markdown: z.looseObject({ content: z.string().optional() }).optional(),
  textcard: z
    .looseObject({
      title: z.string().optional(),
      description: z.string().optional(),
      url: z.string().optional(),
      btntxt: z.string().optional(),
    })
    .optional(),
});

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** The longest prefix of `s` within `max` UTF-8 bytes, never splitting a character. */
function truncateBytes(s: string, max: number): string {
  if (bytes(s) <= max) return s;
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = bytes(ch);
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out;
}

const splitIds = (s: string | undefined) =>
  (s ?? '')
    .split('|')
    .map((x) => x.trim())
    .filter((x) => x !== '');

type Content = AppMessage['content'];

function contentOf(input: z.infer<typeof body>): { msgtype: AppMessage['msgtype']; content: Content } {
  switch (input.msgtype) {
    case 'text': {
      const content = input.text?.content;
      if (!content) throw new WecomError(44004, 'text.content is empty');
      return { msgtype: 'text', content: { content: truncateBytes(content, APP_MSG_TEXT_MAX_BYTES) } };
    }
    case 'markdown': {
      const content = input.markdown?.content;
      if (!content) throw new WecomError(44004, 'markdown.content is empty');
      if (bytes(content) > APP_MSG_MARKDOWN_MAX_BYTES)
        throw new WecomError(45002, `markdown.content exceed max length ${APP_MSG_MARKDOWN_MAX_BYTES}`);
      return { msgtype: 'markdown', content: { content } };
    }
    case 'textcard': {
      const card = input.textcard;
      if (!card?.title) throw new WecomError(40058, 'missing textcard.title');
      if (!card.description) throw new WecomError(40058, 'missing textcard.description');
      if (!card.url) throw new WecomError(40058, 'missing textcard.url');
      if (bytes(card.url) > TEXTCARD_URL_MAX_BYTES)
        throw new WecomError(40058, `textcard.url exceed max length ${TEXTCARD_URL_MAX_BYTES}`);
      const btntxt = card.btntxt ? [...card.btntxt].slice(0, TEXTCARD_BTNTXT_MAX_CHARS).join('') : '详情';
      return {
        msgtype: 'textcard',
        content: {
          title: truncateBytes(card.title, TEXTCARD_TITLE_MAX_BYTES),
          description: truncateBytes(card.description, TEXTCARD_DESCRIPTION_MAX_BYTES),
          url: card.url,
          btntxt,
        },
      };
    }
    default:
      throw new WecomError(
        40008,
        input.msgtype ? `invalid message type ${input.msgtype}` : 'missing msgtype',
      );
  }
}

/** China day (UTC+8) of a time in ms, as the key of the per-app daily count. */
const chinaDay = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);

export function apiMessageSend(sim: Simulator, corp: CorpState, raw: unknown) {
  const input = parseApi(body, raw);
  if (input.agentid === undefined) throw new WecomError(41011, 'missing agentid');
  if (input.agentid !== corp.agentid) throw new WecomError(40056, `invalid agentid ${input.agentid}`);
  const { msgtype, content } = contentOf(input);

  const users = splitIds(input.touser);
  const parties = splitIds(input.toparty);
  const tags = splitIds(input.totag);
  if (users.length > APP_MSG_MAX_USERS)
    throw new WecomError(40032, `touser exceed max count ${APP_MSG_MAX_USERS}`);
  if (parties.length > APP_MSG_MAX_PARTIES)
    throw new WecomError(40058, `toparty exceed max count ${APP_MSG_MAX_PARTIES}`);
  if (tags.length > APP_MSG_MAX_TAGS)
    throw new WecomError(40058, `totag exceed max count ${APP_MSG_MAX_TAGS}`);

  const active = activeMembers(corp);
  const byLower = new Map(active.map((m) => [m.userid.toLowerCase(), m.userid]));
  const recipients = new Set<string>();
  const invalidUser: string[] = [];
  const invalidParty: string[] = [];
  if (users.includes('@all')) {
    for (const m of active) recipients.add(m.userid);
  } else {
    for (const u of users) {
      const found = byLower.get(u.toLowerCase());
      if (found) recipients.add(found);
      else invalidUser.push(u.toLowerCase());
    }
    for (const p of parties) {
      const id = Number(p);
      if (!Number.isInteger(id) || !corp.departments.some((d) => d.id === id)) {
        invalidParty.push(p);
        continue;
      }
      for (const m of membersOfParties(corp, [id])) recipients.add(m.userid);
    }
  }
  const invalid = {
    invaliduser: [...new Set(invalidUser)].join('|'),
    invalidparty: invalidParty.join('|'),
    invalidtag: users.includes('@all') ? '' : tags.join('|'),
  };
  if (recipients.size === 0) throw new WecomError(81013, undefined, invalid);

  const now = sim.nowMs();
  const at = Math.floor(now / 1000);
  corp.app_messages ??= [];
  const log = corp.app_messages;
  const to = [...recipients].sort();

  // enable_duplicate_check: the same request within the interval is answered, not sent again
  const dedupKey = createHash('sha1')
    .update(JSON.stringify([input.agentid, msgtype, content, to]))
    .digest('hex');
  if (input.enable_duplicate_check === 1) {
    const interval = Math.min(
      input.duplicate_check_interval && input.duplicate_check_interval > 0
        ? input.duplicate_check_interval
        : DUPLICATE_CHECK_DEFAULT_SECONDS,
      DUPLICATE_CHECK_MAX_SECONDS,
    );
    for (let i = log.length - 1; i >= 0 && log[i]!.at >= at - interval; i--) {
      if (log[i]!.dedup_key === dedupKey) return { ...invalid, unlicenseduser: '', msgid: log[i]!.msgid };
    }
  }

  // limits: per member 30 a minute and 1000 an hour; per app and day, 200 person-times per member
  const minute = new Map<string, number>();
  const hour = new Map<string, number>();
  for (let i = log.length - 1; i >= 0 && log[i]!.at > at - 3600; i--) {
    for (const u of log[i]!.touser) {
      hour.set(u, (hour.get(u) ?? 0) + 1);
      if (log[i]!.at > at - 60) minute.set(u, (minute.get(u) ?? 0) + 1);
    }
  }
  for (const u of to) {
    if (
      (minute.get(u) ?? 0) >= APP_MSG_PER_MEMBER_PER_MINUTE ||
      (hour.get(u) ?? 0) >= APP_MSG_PER_MEMBER_PER_HOUR
    )
      throw new WecomError(45009, `app messages to ${u.toLowerCase()} exceed the per-member limit`);
  }
  const day = chinaDay(now);
  corp.app_messages_daily ??= {};
  const daily = corp.app_messages_daily;
  for (const key of Object.keys(daily)) if (key !== day) delete daily[key];
  if ((daily[day] ?? 0) + to.length > active.length * APP_MSG_DAILY_PER_ACCOUNT)
    throw new WecomError(45009, 'app messages exceed the daily limit of this app');
  daily[day] = (daily[day] ?? 0) + to.length;

  const msgid = sim.ids.msgId();
  log.push({ msgid, agentid: input.agentid, msgtype, content, touser: to, at, dedup_key: dedupKey });
  if (log.length > APP_MESSAGE_LOG_LIMIT) log.splice(0, log.length - APP_MESSAGE_LOG_LIMIT);
  return { ...invalid, unlicenseduser: '', msgid };
}

/** What members received, newest last: each message once, or, for one member, the messages they got. */
export function appMessagesOf(corp: CorpState, filter: { userid?: string; limit: number }) {
  const wanted = filter.userid?.toLowerCase();
  const matching = (corp.app_messages ?? []).filter(
    (m) => !wanted || m.touser.some((u) => u.toLowerCase() === wanted),
  );
  return matching
    .slice(-filter.limit)
    .map(({ dedup_key: _key, content, ...m }) => ({ ...m, [m.msgtype]: content }));
}
