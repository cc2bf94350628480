import { z } from 'zod';
import { int, parseApi } from './api-input.ts';
import { badRequest, conflict, notFound, WecomError } from './errors.ts';
import { findGroupChat } from './groups.ts';
import { recordMessage } from './messages.ts';
import type { CorpState, Group } from './model.ts';
import type { Simulator } from './state.ts';

/**
 * groupchat/statistic (by owner) and groupchat/statistic_group_by_day, computed from the simulator's own
 * state: groups (created, dismissed), their members (join times), the leaves log and the messages said in
 * groups. Days are China days (00:00 UTC+8), as WeCom counts them (API-FACTS-2 §9).
 */

const DAY_S = 86_400;
const CHINA_OFFSET_S = 8 * 3600;
/** The range may reach back 180 days and cover at most 30 days. */
export const STAT_MAX_DAYS_BACK = 180;
export const STAT_MAX_SPAN_DAYS = 30;

/** 00:00 (UTC+8) of the China day holding `ts`. */
export function chinaDayStart(ts: number): number {
  return Math.floor((ts + CHINA_OFFSET_S) / DAY_S) * DAY_S - CHINA_OFFSET_S;
}

export interface GroupStatData {
  new_chat_cnt: number;
  chat_total: number;
  chat_has_msg: number;
  new_member_cnt: number;
  member_total: number;
  member_has_msg: number;
  msg_total: number;
}

const zero = (): GroupStatData => ({
  new_chat_cnt: 0,
  chat_total: 0,
  chat_has_msg: 0,
  new_member_cnt: 0,
  member_total: 0,
  member_has_msg: 0,
  msg_total: 0,
});

function alive(g: Group, at: number): boolean {
  if (g.create_time >= at) return false;
  if (!g.dismissed) return true;
  return g.dismissed_at !== undefined && g.dismissed_at >= at;
}

/**
 * The figures of one day [d0, d0 + 1 day) for the groups of these owners (their current owner). new_* and
 * msg_total count within the day (joins of anyone but the owner); *_total are as of the day's end; *_has_msg count groups and speakers with
 * a message that day.
 */
export function dayStats(corp: CorpState, owners: ReadonlySet<string>, d0: number): GroupStatData {
  const d1 = d0 + DAY_S;
  const groups = Object.values(corp.groups).filter((g) => owners.has(g.owner));
  const ids = new Set(groups.map((g) => g.chat_id));
  const out = zero();
  for (const g of groups) {
    if (g.create_time >= d0 && g.create_time < d1) out.new_chat_cnt++;
    if (alive(g, d1)) {
      out.chat_total++;
      out.member_total += g.members.filter((m) => m.join_time < d1).length;
    }
    out.new_member_cnt += g.members.filter(
      (m) => m.join_time >= d0 && m.join_time < d1 && m.userid !== g.owner,
    ).length;
  }
  for (const l of corp.group_leaves ?? []) {
    if (!ids.has(l.chat_id)) continue;
    const g = corp.groups[l.chat_id]!;
    if (l.join_time >= d0 && l.join_time < d1) out.new_member_cnt++;
    if (l.join_time < d1 && l.time >= d1 && alive(g, d1)) out.member_total++;
  }
  const chats = new Set<string>();
  const speakers = new Set<string>();
  for (const m of corp.messages) {
    if (!m.chat_id || !ids.has(m.chat_id) || m.at < d0 || m.at >= d1) continue;
    out.msg_total++;
    chats.add(m.chat_id);
    speakers.add(`${m.chat_id}|${m.speaker ?? m.userid}`);
  }
  out.chat_has_msg = chats.size;
  out.member_has_msg = speakers.size;
  return out;
}

/** Over several days: counts within the days summed, totals as of the last day, speakers counted once. */
function rangeStats(corp: CorpState, owners: ReadonlySet<string>, days: number[]): GroupStatData {
  const out = zero();
  for (const d of days) {
    const s = dayStats(corp, owners, d);
    out.new_chat_cnt += s.new_chat_cnt;
    out.new_member_cnt += s.new_member_cnt;
    out.msg_total += s.msg_total;
    out.chat_total = s.chat_total;
    out.member_total = s.member_total;
  }
  const first = days[0]!;
  const end = days[days.length - 1]! + DAY_S;
  const ids = new Set(
    Object.values(corp.groups)
      .filter((g) => owners.has(g.owner))
      .map((g) => g.chat_id),
  );
  const chats = new Set<string>();
  const speakers = new Set<string>();
  for (const m of corp.messages) {
    if (!m.chat_id || !ids.has(m.chat_id) || m.at < first || m.at >= end) continue;
    chats.add(m.chat_id);
    speakers.add(`${m.chat_id}|${m.speaker ?? m.userid}`);
  }
  out.chat_has_msg = chats.size;
  out.member_has_msg = speakers.size;
  return out;
}

const filterBody = {
  day_begin_time: int,
  day_end_time: int.optional(),
  owner_filter: z.object({
    userid_list: z
      .array(z.string())
      .min(1, 'owner_filter.userid_list is empty')
      .max(100, 'userid_list exceed max count 100'),
  }),
};

/** The days of the request, checked: within yesterday … 180 days ago, begin ≤ end, at most 30 days. */
function daysOf(sim: Simulator, input: { day_begin_time: number; day_end_time?: number }): number[] {
  const today = chinaDayStart(sim.nowS());
  const begin = chinaDayStart(input.day_begin_time);
  const end = chinaDayStart(input.day_end_time ?? input.day_begin_time);
  if (end < begin) throw new WecomError(40058, 'day_end_time is before day_begin_time');
  if (end >= today) throw new WecomError(40058, 'day_end_time must be yesterday or earlier');
  if (begin < today - STAT_MAX_DAYS_BACK * DAY_S)
    throw new WecomError(40058, `day_begin_time is more than ${STAT_MAX_DAYS_BACK} days ago`);
  const n = (end - begin) / DAY_S + 1;
  if (n > STAT_MAX_SPAN_DAYS) throw new WecomError(40058, `time range exceed ${STAT_MAX_SPAN_DAYS} days`);
  return Array.from({ length: n }, (_, i) => begin + i * DAY_S);
}

const statisticBody = z.object({
  ...filterBody,
  order_by: int.min(1).max(4).optional(),
  order_asc: int.min(0).max(1).optional(),
  offset: int.min(0).optional(),
  limit: int.min(1).max(1000).optional(),
});

const ORDER_KEY: Record<number, keyof GroupStatData> = {
  1: 'new_chat_cnt',
  2: 'chat_total',
  3: 'new_member_cnt',
  4: 'member_total',
};

/** groupchat/statistic: one item per owner over the range, ordered, paged by offset (done when next_offset == total). */
export function apiGroupchatStatistic(sim: Simulator, corp: CorpState, body: unknown) {
  const input = parseApi(statisticBody, body);
  const days = daysOf(sim, input);
  const owners = [...new Set(input.owner_filter.userid_list)];
  const items = owners
    .filter((o) => Object.values(corp.groups).some((g) => g.owner === o))
    .map((owner) => ({ owner, data: rangeStats(corp, new Set([owner]), days) }));
  const key = ORDER_KEY[input.order_by ?? 1]!;
  const sign = input.order_asc ? 1 : -1;
  items.sort((a, b) => sign * (a.data[key] - b.data[key]) || a.owner.localeCompare(b.owner));
  const offset = input.offset ?? 0;
  const limit = input.limit ?? 500;
  const slice = items.slice(offset, offset + limit);
  return { total: items.length, next_offset: Math.min(offset + limit, items.length), items: slice };
}

const byDayBody = z.object(filterBody);

/** groupchat/statistic_group_by_day: the owners' groups together, one item per day; no paging. */
export function apiGroupchatStatisticByDay(sim: Simulator, corp: CorpState, body: unknown) {
  const input = parseApi(byDayBody, body);
  const days = daysOf(sim, input);
  const owners = new Set(input.owner_filter.userid_list);
  return { items: days.map((d) => ({ stat_time: d, data: dayStats(corp, owners, d) })) };
}

/** Someone says something in a customer group (a member or a customer who is in it). */
export function groupMessage(
  sim: Simulator,
  corp: CorpState,
  input: { chat_id: string; userid?: string; external_userid?: string; content: string },
) {
  if (!input.userid === !input.external_userid)
    throw badRequest('invalid_request', 'give userid or external_userid');
  const group = findGroupChat(corp, input.chat_id);
  if (!group) throw notFound('group', input.chat_id);
  const speaker = (input.userid ?? input.external_userid)!;
  if (!group.members.some((m) => m.userid === speaker))
    throw conflict('not_member', `${speaker} is not in the group`);
  recordMessage(corp, {
    direction: input.userid ? 'out' : 'in',
    kind: 'chat',
    external_userid: '',
    chat_id: group.chat_id,
    speaker,
    userid: input.userid ?? group.owner,
    msgtype: 'text',
    content: input.content,
    at: sim.nowS(),
  });
  return { chat_id: group.chat_id, at: sim.nowS() };
}
