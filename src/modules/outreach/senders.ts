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

/** The staff condition of the caller's scope on alias `s`: their subtree's staff, a front-line member themself. */
export function staffInScope(actor: Actor): RawBuilder<unknown> {
  if (actor.role === 'staff') return sql`s.id = ${actor.staffId ?? -1}`;
  if (actor.seesWholeCorp) return sql`true`;
  return sql`s.unit_id = any(${[...actor.unitIds]}::bigint[])`;
}

/**
 * The sender rule as SQL over a follow's staff `s` and the customer's facts `cf`: `rank` orders a customer's
 * follows (lowest first, then the latest follow), `reason` says why the first one was picked, and
 * `reasonOfRank` says the same from the rank.
 */
export function senderOrder(rule: SenderRule): {
  rank: RawBuilder<unknown>;
  reason: RawBuilder<unknown>;
  reasonOfRank: (rank: RawBuilder<unknown>) => RawBuilder<unknown>;
} {
  const rank =
    rule.prefer === 'store_staff'
      ? sql`case when s.unit_id = cf.top_unit_id then 0 when s.journey_role = 'store_staff' then 1 else 2 end`
      : rule.prefer === 'role'
        ? sql`case when s.journey_role = ${rule.role} then 0 else 2 end`
        : sql`2`;
  const reason =
    rule.prefer === 'store_staff'
      ? sql`case when s.unit_id = cf.top_unit_id then 'home_store' when s.journey_role = 'store_staff' then 'store_staff' else 'latest_follow' end`
      : rule.prefer === 'role'
        ? sql`case when s.journey_role = ${rule.role} then 'role' else 'latest_follow' end`
        : sql`'latest_follow'`;
  // the reason from the rank alone (0, 1 or 2), for a rank carried through a sort as a number
  const first =
    rule.prefer === 'store_staff' ? 'home_store' : rule.prefer === 'role' ? 'role' : 'latest_follow';
  const second = rule.prefer === 'store_staff' ? 'store_staff' : 'latest_follow';
  const reasonOfRank = (r: RawBuilder<unknown>) =>
    sql`case ${r} when 0 then ${first}::text when 1 then ${second}::text when 2 then 'latest_follow' end`;
  return { rank, reason, reasonOfRank };
}

/**
 * `select id, staff_id, reason` for each customer of `ids` (a select of distinct ids) that has a sender,
 * set-based: one DISTINCT ON over their active follows. The ids are joined, not `in (…)`: the planner cannot
 * know how many distinct ids a CTE holds (it guesses 200), and for a whole brand it then probed the follows
 * index once per customer (about 6 s for 1M customers) instead of hashing.
 */
export function senderSql(ctx: Ctx, ids: RawBuilder<unknown>, rule: SenderRule): RawBuilder<unknown> {
  const corpId = ctx.cdb.corpId;
  const { rank, reason } = senderOrder(rule);
  return sql`select distinct on (f.customer_id) f.customer_id as id, f.staff_id, ${reason} as reason
    from follows f
    join (${ids}) ids on ids.id = f.customer_id
    join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
    left join customer_facts cf on cf.corp_id = f.corp_id and cf.customer_id = f.customer_id
    where f.corp_id = ${corpId} and f.status = 'active' and s.status = 'active'
      and ${staffInScope(ctx.actor)}
    order by f.customer_id, ${rank}, f.added_at desc, f.staff_id`;
}

/** Customers of `ids` (a select of distinct ids) with an active follow by any active member (in scope or not). */
export function friendsSql(ctx: Ctx, ids: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`select distinct f.customer_id as id from follows f
    join (${ids}) ids on ids.id = f.customer_id
    join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
    where f.corp_id = ${ctx.cdb.corpId} and f.status = 'active' and s.status = 'active'`;
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
