import { type RawBuilder, sql } from 'kysely';
import { z } from 'zod';
import type { Actor } from '../../platform/actor.ts';
import { notFound } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';

/**
 * Group persona (PLAYBOOK §3): who the current customer members of a group are — customers with orders,
 * loyalty members, high-frequency buyers, the price band of what they buy, new versus old buyers — per
 * group, and rolled up per store, region and brand (a customer in two groups of a region counts once
 * there). One SQL statement per view; `persona.test.ts` holds it to a brute-force count.
 */

/** Average paid per order, in fen: the bands' lower bounds (¥20, ¥35, ¥50). */
export const PRICE_BANDS = [2000, 3500, 5000] as const;
/** A buyer whose first order is within this many days is new. */
export const NEW_BUYER_DAYS = 90;
/** F score (1–5) from which a buyer is high-frequency. */
export const HIGH_FREQUENCY_F = 4;

export interface PersonaFigures {
  /** Customers in the group now (linked to a profile or not). */
  members: number;
  /** Of them, those Siyu knows as customers. */
  linked: number;
  withOrders: number;
  loyaltyMembers: number;
  highFrequency: number;
  /** Buyers by average ticket: <¥20, ¥20–35, ¥35–50, ≥¥50. */
  priceBands: [number, number, number, number];
  newBuyers: number;
  oldBuyers: number;
  /** Messages in the last 30 days, where WeCom's statistics are known (never the headline). */
  messages: number | null;
}

/** A group with no customer members now. */
export const EMPTY_PERSONA: Readonly<PersonaFigures> = {
  members: 0,
  linked: 0,
  withOrders: 0,
  loyaltyMembers: 0,
  highFrequency: 0,
  priceBands: [0, 0, 0, 0],
  newBuyers: 0,
  oldBuyers: 0,
  messages: null,
};

/** The persona as the API answers it (groups' pages and the sidebar's group card). */
export const personaSchema = z.object({
  members: z.number().describe('customers in the group now'),
  linked: z.number().describe('of them, customers Siyu knows'),
  withOrders: z.number(),
  loyaltyMembers: z.number().describe('members of the loyalty programme'),
  highFrequency: z.number().describe(`F score ≥ ${HIGH_FREQUENCY_F}`),
  priceBands: z.array(z.number()).describe('buyers by average ticket: <¥20, ¥20–35, ¥35–50, ≥¥50'),
  newBuyers: z.number().describe(`first order within ${NEW_BUYER_DAYS} days`),
  oldBuyers: z.number(),
  messages: z.number().nullable().describe('messages, where known: never the headline'),
});

function figures(r: Record<string, unknown>): PersonaFigures {
  const n = (k: string) => Number(r[k] ?? 0);
  return {
    members: n('members'),
    linked: n('linked'),
    withOrders: n('with_orders'),
    loyaltyMembers: n('loyalty'),
    highFrequency: n('high_frequency'),
    priceBands: [n('band0'), n('band1'), n('band2'), n('band3')],
    newBuyers: n('new_buyers'),
    oldBuyers: n('old_buyers'),
    messages: null,
  };
}

/** The group scope rule (groupVisibleTo) over `g` and its owner `os`, as SQL. */
function scopeSql(actor: Actor): RawBuilder<unknown> {
  if (actor.role === 'staff') return sql`g.owner_staff_id = ${actor.staffId ?? -1}`;
  if (actor.seesWholeCorp) return sql`true`;
  return sql`os.unit_id in (${sql.join([...actor.unitIds])})`;
}

function aggregates(corpId: string, now: Date): RawBuilder<unknown> {
  const since = new Date(now.getTime() - NEW_BUYER_DAYS * 86_400_000);
  const avg = sql`(f.paid_fen::numeric / nullif(f.order_count, 0))`;
  return sql`
    count(*) as members,
    count(x.customer_id) as linked,
    count(*) filter (where f.order_count > 0) as with_orders,
    count(*) filter (where exists (select 1 from members mb where mb.corp_id = ${corpId} and mb.customer_id = x.customer_id)) as loyalty,
    count(*) filter (where f.f_score >= ${HIGH_FREQUENCY_F}) as high_frequency,
    count(*) filter (where f.order_count > 0 and ${avg} < ${PRICE_BANDS[0]}) as band0,
    count(*) filter (where f.order_count > 0 and ${avg} >= ${PRICE_BANDS[0]} and ${avg} < ${PRICE_BANDS[1]}) as band1,
    count(*) filter (where f.order_count > 0 and ${avg} >= ${PRICE_BANDS[1]} and ${avg} < ${PRICE_BANDS[2]}) as band2,
    count(*) filter (where f.order_count > 0 and ${avg} >= ${PRICE_BANDS[2]}) as band3,
    count(*) filter (where f.order_count > 0 and f.first_order_at >= ${since}) as new_buyers,
    count(*) filter (where f.order_count > 0 and f.first_order_at < ${since}) as old_buyers`;
}

/** Current customer members of the active groups in `scope` (the caller's by default; optionally one group). */
function currentMembers(ctx: Ctx, groupId?: number, scope = scopeSql(ctx.actor)): RawBuilder<unknown> {
  return sql`
    select m.group_id, m.member_key, m.customer_id, os.unit_id
    from group_members m
    join groups g on g.corp_id = m.corp_id and g.id = m.group_id
    left join staff os on os.corp_id = g.corp_id and os.id = g.owner_staff_id
    where m.corp_id = ${ctx.cdb.corpId} and m.member_type = 2 and m.left_at is null and g.status = 'active'
      and ${scope}
      ${groupId === undefined ? sql`` : sql`and g.id = ${groupId}`}`;
}

/** Persona of every group the caller sees (or of one: 404 outside the scope). */
export async function groupPersonas(ctx: Ctx, groupId?: number): Promise<Map<number, PersonaFigures>> {
  if (groupId !== undefined) {
    const seen = await sql<{ id: number }>`
      select g.id from groups g left join staff os on os.corp_id = g.corp_id and os.id = g.owner_staff_id
      where g.corp_id = ${ctx.cdb.corpId} and g.id = ${groupId} and ${scopeSql(ctx.actor)}`.execute(
      ctx.cdb.db,
    );
    if (seen.rows.length === 0) throw notFound({ zh: '客户群', en: 'Group' });
  }
  return personasOf(ctx, currentMembers(ctx, groupId));
}

/**
 * Persona of one group whose visibility its caller has already decided by its own rule (the sidebar admits
 * a member who is in the group without owning it); the empty persona when it has no customers now.
 */
export async function personaOfAdmittedGroup(ctx: Ctx, groupId: number): Promise<PersonaFigures> {
  const personas = await personasOf(ctx, currentMembers(ctx, groupId, sql`true`));
  return personas.get(groupId) ?? EMPTY_PERSONA;
}

async function personasOf(ctx: Ctx, members: RawBuilder<unknown>): Promise<Map<number, PersonaFigures>> {
  const { rows } = await sql<Record<string, unknown> & { group_id: number }>`
    with x as (${members})
    select x.group_id, ${aggregates(ctx.cdb.corpId, ctx.clock.now())}
    from x left join customer_facts f on f.corp_id = ${ctx.cdb.corpId} and f.customer_id = x.customer_id
    group by x.group_id`.execute(ctx.cdb.db);
  return new Map(rows.map((r) => [Number(r.group_id), figures(r)]));
}

export interface RollupRow extends PersonaFigures {
  unitId: number;
  unitName: string;
  kind: string;
  groups: number;
}

/**
 * The persona rolled up to every unit in the caller's scope that has groups below it: store, region,
 * brand. A customer counts once per unit however many of its groups they are in.
 */
export async function personaRollup(ctx: Ctx): Promise<RollupRow[]> {
  const corp = ctx.cdb.corpId;
  // Members in one store's groups as one customer (nearly everyone: `single` in group_member_units, kept by
  // triggers) are counted in their store from that table and their customer's facts, and the stores' figures
  // added up the tree; the others are read with their memberships and counted once per unit exactly. A
  // front-line member's scope is their own groups, not a store: their groups' members all take the exact way.
  const staffScope = ctx.actor.role === 'staff';
  const since = new Date(ctx.clock.now().getTime() - NEW_BUYER_DAYS * 86_400_000);
  // the average ticket's band without a division: avg < bound ⇔ paid < bound × orders (orders > 0)
  const band = sql`case when f.order_count > 0 then case
    when f.paid_fen < ${PRICE_BANDS[0]}::bigint * f.order_count then 0
    when f.paid_fen < ${PRICE_BANDS[1]}::bigint * f.order_count then 1
    when f.paid_fen < ${PRICE_BANDS[2]}::bigint * f.order_count then 2 else 3 end end`;
  // A customer's facts as bits (one bit_or per member read with several memberships, not one aggregate per
  // figure), of a row `x` (its customer_id) and its facts `f`; and the figures from them.
  const bit = { linked: 1, buyer: 2, loyalty: 4, highFrequency: 8, newBuyer: 16, oldBuyer: 32 } as const;
  const flags = sql`(case when x.customer_id is not null then ${sql.lit(bit.linked)} else 0 end
    | case when f.order_count > 0 then ${sql.lit(bit.buyer)} else 0 end
    | case when x.customer_id in (
        select mb.customer_id from members mb where mb.corp_id = ${corp} and mb.customer_id is not null)
      then ${sql.lit(bit.loyalty)} else 0 end
    | case when f.f_score >= ${HIGH_FREQUENCY_F} then ${sql.lit(bit.highFrequency)} else 0 end
    | case when f.order_count > 0 and f.first_order_at >= ${since} then ${sql.lit(bit.newBuyer)} else 0 end
    | case when f.order_count > 0 and f.first_order_at < ${since} then ${sql.lit(bit.oldBuyer)} else 0 end)`;
  const has = (b: number) => sql`flags & ${sql.lit(b)} <> 0`;
  const counts = sql`count(*) as members,
      count(*) filter (where ${has(bit.linked)}) as linked,
      count(*) filter (where ${has(bit.buyer)}) as with_orders,
      count(*) filter (where ${has(bit.loyalty)}) as loyalty,
      count(*) filter (where ${has(bit.highFrequency)}) as high_frequency,
      count(*) filter (where band = 0) as band0,
      count(*) filter (where band = 1) as band1,
      count(*) filter (where band = 2) as band2,
      count(*) filter (where band = 3) as band3,
      count(*) filter (where ${has(bit.newBuyer)}) as new_buyers,
      count(*) filter (where ${has(bit.oldBuyer)}) as old_buyers`;
  const singleInScope = staffScope
    ? sql`false`
    : ctx.actor.seesWholeCorp
      ? sql`x.single`
      : sql`x.single and x.unit_id in (${sql.join([...ctx.actor.unitIds])})`;
  const others = staffScope
    ? sql`select distinct c.member_key from (${currentMembers(ctx)}) c`
    : sql`select member_key from group_member_units where corp_id = ${corp} and not single`;
  // An analytical read over every member: room to hash them in memory (this transaction only).
  const rows = await ctx.cdb.transaction(async (tx) => {
    await sql`set local work_mem = '64MB'`.execute(tx.db);
    return (
      await sql<Record<string, unknown> & { unit_id: number }>`
    with ua as (
      select u.id as unit_id, a.anc::bigint as anc
      from org_units u cross join lateral unnest(string_to_array(trim(both '/' from u.path), '/')) as a(anc)
      where u.corp_id = ${corp}
    ),
    one as (
      select y.unit_id, ${counts}
      from (
        select x.unit_id, ${band} as band, ${flags} as flags
        from group_member_units x
        left join customer_facts f on f.corp_id = ${corp} and f.customer_id = x.customer_id
        where x.corp_id = ${corp} and ${singleInScope}
      ) y group by y.unit_id
    ),
    several as (
      select ua.anc, bit_or(y.flags) as flags, max(y.band) as band
      from (
        select x.unit_id, x.member_key, ${band} as band, ${flags} as flags
        from (${others}) o
        join (${currentMembers(ctx)}) x on x.member_key = o.member_key
        left join customer_facts f on f.corp_id = ${corp} and f.customer_id = x.customer_id
      ) y join ua on ua.unit_id = y.unit_id
      group by ua.anc, y.member_key
    ),
    t as (
      select ua.anc, one.members, one.linked, one.with_orders, one.loyalty, one.high_frequency,
        one.band0, one.band1, one.band2, one.band3, one.new_buyers, one.old_buyers
      from one join ua on ua.unit_id = one.unit_id
      union all
      select several.anc, ${counts} from several group by several.anc
    )
    select t.anc as unit_id,
      sum(t.members) as members, sum(t.linked) as linked, sum(t.with_orders) as with_orders,
      sum(t.loyalty) as loyalty, sum(t.high_frequency) as high_frequency,
      sum(t.band0) as band0, sum(t.band1) as band1, sum(t.band2) as band2, sum(t.band3) as band3,
      sum(t.new_buyers) as new_buyers, sum(t.old_buyers) as old_buyers
    from t group by t.anc`.execute(tx.db)
    ).rows;
  });
  const groupCounts = await sql<{ unit_id: number; n: number }>`
    select a.anc::bigint as unit_id, count(*) as n
    from groups g
    join staff os on os.corp_id = g.corp_id and os.id = g.owner_staff_id
    join org_units u on u.corp_id = os.corp_id and u.id = os.unit_id
    cross join lateral unnest(string_to_array(trim(both '/' from u.path), '/')) as a(anc)
    where g.corp_id = ${corp} and g.status = 'active' and ${scopeSql(ctx.actor)}
    group by 1`.execute(ctx.cdb.db);
  const units = await ctx.cdb.db
    .selectFrom('org_units')
    .select(['id', 'name', 'kind', 'path'])
    .where('corp_id', '=', corp)
    .$if(!ctx.actor.seesWholeCorp, (q) => q.where('id', 'in', [...ctx.actor.unitIds]))
    .orderBy('path')
    .execute();
  const byUnit = new Map(rows.map((r) => [Number(r.unit_id), r]));
  const groupsOf = new Map(groupCounts.rows.map((r) => [Number(r.unit_id), Number(r.n)]));
  return units
    .filter((u) => groupsOf.has(u.id))
    .map((u) => ({
      unitId: u.id,
      unitName: u.name,
      kind: u.kind,
      groups: groupsOf.get(u.id) ?? 0,
      ...figures(byUnit.get(u.id) ?? {}),
    }));
}
