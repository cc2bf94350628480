import { type RawBuilder, sql } from 'kysely';
import type { Actor } from '../../platform/actor.ts';
import type { Ctx } from '../context.ts';
import type { StaffTable } from '../staff/index.ts';

export type JourneyRole = StaffTable['journey_role'];

/**
 * One sender per customer: of the customer's active follows with an active staff member in the caller's
 * scope, the one the brand prefers. `store_staff`: a member of the store the customer buys from most
 * (facts' top unit), else any store staff, else the latest follow; `latest_follow`: the most recent follow;
 * `role`: a member of that journey role, else the latest follow. The reason says which applied.
 */
export type SenderRule =
  | { prefer: 'store_staff' | 'latest_follow'; role?: undefined }
  | { prefer: 'role'; role: JourneyRole };

export type SenderReason = 'home_store' | 'store_staff' | 'role' | 'latest_follow';
export type SenderExclusion = 'not_friend' | 'no_follow_in_scope';

export type SenderPick = { staffId: number; reason: SenderReason } | { excluded: SenderExclusion };

/**
 * The sender rule over a customer's candidates `r` (sender_candidates: their active follows by active staff,
 * latest first) and facts `cf`. `at` is the position in r's arrays of the candidate picked within the
 * caller's scope, null when none is in it: the first of the lowest rank, which is the latest follow of that
 * rank. `rank(i)` is 0, 1 or 2 for the candidate at position `i` (null when `i` is), and `reasonOfRank` names
 * it. The whole brand's callers find the position with array_position, which keeps a plan for 1M customers a
 * join of one row each; a unit's caller looks through the candidates for the first in their units.
 */
export function senderPick(
  actor: Actor,
  rule: SenderRule,
): {
  at: RawBuilder<unknown>;
  rank: (i: RawBuilder<unknown>) => RawBuilder<unknown>;
  reasonOfRank: (rank: RawBuilder<unknown>) => RawBuilder<unknown>;
} {
  const rank = (i: RawBuilder<unknown>) =>
    sql`case when ${i} is null then null ${
      rule.prefer === 'store_staff'
        ? sql`when r.unit_ids[${i}] = cf.top_unit_id then 0 when r.roles[${i}] = 'store_staff' then 1`
        : rule.prefer === 'role'
          ? sql`when r.roles[${i}] = ${rule.role} then 0`
          : sql``
    } else 2 end`;
  const first = sql`case when r.customer_id is not null then 1 end`;
  const at =
    actor.role === 'staff'
      ? sql`array_position(r.staff_ids, ${actor.staffId ?? -1}::bigint)`
      : !actor.seesWholeCorp
        ? sql`(select u.i from unnest(r.unit_ids) with ordinality u(unit_id, i)
            where u.unit_id = any(${[...actor.unitIds]}::bigint[]) order by ${rank(sql`u.i`)}, u.i limit 1)`
        : rule.prefer === 'store_staff'
          ? sql`coalesce(array_position(r.unit_ids, cf.top_unit_id), array_position(r.roles, 'store_staff'), ${first})`
          : rule.prefer === 'role'
            ? sql`coalesce(array_position(r.roles, ${rule.role}::text), ${first})`
            : first;
  const primary =
    rule.prefer === 'store_staff' ? 'home_store' : rule.prefer === 'role' ? 'role' : 'latest_follow';
  const second = rule.prefer === 'store_staff' ? 'store_staff' : 'latest_follow';
  const reasonOfRank = (r: RawBuilder<unknown>) =>
    sql`case ${r} when 0 then ${primary}::text when 1 then ${second}::text when 2 then 'latest_follow' end`;
  return { at, rank, reasonOfRank };
}

/**
 * `select id, staff_id, reason` for each customer of `ids` (a select of distinct ids) that has a sender in
 * the caller's scope, set-based.
 */
export function senderSql(ctx: Ctx, ids: RawBuilder<unknown>, rule: SenderRule): RawBuilder<unknown> {
  const { at, rank, reasonOfRank } = senderPick(ctx.actor, rule);
  return sql`select r.customer_id as id, r.staff_ids[x.i] as staff_id, ${reasonOfRank(rank(sql`x.i`))} as reason
    from sender_candidates r
    join (${ids}) ids on ids.id = r.customer_id
    left join customer_facts cf on cf.corp_id = r.corp_id and cf.customer_id = r.customer_id
    cross join lateral (select ${at} as i) x
    where r.corp_id = ${ctx.cdb.corpId} and x.i is not null`;
}

/** Customers of `ids` (a select of distinct ids) with an active follow by any active member (in scope or not). */
export function friendsSql(ctx: Ctx, ids: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`select r.customer_id as id from sender_candidates r
    join (${ids}) ids on ids.id = r.customer_id
    where r.corp_id = ${ctx.cdb.corpId}`;
}

/** The sender of each customer (or why there is none), for journeys and small lists. */
export async function pickSender(
  ctx: Ctx,
  customerIds: readonly number[],
  rule: SenderRule,
): Promise<Map<number, SenderPick>> {
  const ids = [...new Set(customerIds)];
  const out = new Map<number, SenderPick>();
  if (ids.length === 0) return out;
  const list = sql`select unnest(${ids}::bigint[]) as id`;
  const [picks, friends] = await Promise.all([
    sql<{ id: number; staff_id: number; reason: SenderReason }>`${senderSql(ctx, list, rule)}`.execute(
      ctx.cdb.db,
    ),
    sql<{ id: number }>`${friendsSql(ctx, list)}`.execute(ctx.cdb.db),
  ]);
  const friend = new Set(friends.rows.map((r) => Number(r.id)));
  for (const id of ids) out.set(id, { excluded: friend.has(id) ? 'no_follow_in_scope' : 'not_friend' });
  for (const p of picks.rows) out.set(Number(p.id), { staffId: Number(p.staff_id), reason: p.reason });
  return out;
}
