import { expressionBuilder, type RawBuilder, sql } from 'kysely';
import { AD_HOC } from '../../platform/db/prepared.ts';
import type { Ctx } from '../context.ts';
import { tagsInView, visibleTo } from '../customers/index.ts';
import type { LifecycleStage } from '../events.ts';
import type { Tables } from '../tables.ts';
import { type Condition, FIELD_BY_KEY, type FieldKind, type Rule } from './rule.ts';

/**
 * The reference implementation of segments: one rule tree → one SQL statement, every value a bound parameter.
 *
 * The tree compiles to set algebra over customer ids: each condition is a select of ids that an index can
 * serve (customer_tags by tag, customer_facts by stage, orders by customer…), `and` is INTERSECT, `or` is
 * UNION and `not` is EXCEPT from the caller's scope (the customers service's scope rule, as the CTE `scope`).
 * A compiled node is either a set or the complement of one within the scope (`neg`), so that `not`, `none`,
 * and conditions that hold for customers without any row ("fewer than 2 orders") cost an EXCEPT, not a scan
 * of every customer.
 */
interface Compiled {
  /** true: the node's customers are the scope minus `sql`'s ids. */
  neg: boolean;
  sql: RawBuilder<unknown>;
}

const DAY_MS = 86_400_000;
const EMPTY = sql`select null::bigint as id where false`;
const SCOPE = sql`select id from scope`;

const list = (values: readonly unknown[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );
const intersect = (sets: RawBuilder<unknown>[]) =>
  sets.length === 1
    ? sets[0]!
    : sql.join(
        sets.map((s) => sql`(${s})`),
        sql` intersect `,
      );
const union = (sets: RawBuilder<unknown>[]) =>
  sets.length === 1
    ? sets[0]!
    : sql.join(
        sets.map((s) => sql`(${s})`),
        sql` union `,
      );
const minus = (a: RawBuilder<unknown>, b: RawBuilder<unknown>) => sql`(${a}) except (${b})`;

/** Whether `x` satisfies a numeric comparison, for the value customers without a row have. */
function holds(cmp: string, value: unknown, x: number): boolean {
  const v = value as number;
  switch (cmp) {
    case 'eq':
      return x === v;
    case 'ne':
      return x !== v;
    case 'gt':
      return x > v;
    case 'gte':
      return x >= v;
    case 'lt':
      return x < v;
    case 'lte':
      return x <= v;
    case 'between': {
      const [a, b] = value as [number, number];
      return x >= a && x <= b;
    }
    default:
      throw new Error(`not a numeric comparison: ${cmp}`);
  }
}

/** `expr <cmp> value` in SQL; `param` casts the value to the column's type where needed. */
function compare(expr: RawBuilder<unknown>, cmp: string, value: unknown, param = (v: unknown) => sql`${v}`) {
  switch (cmp) {
    case 'eq':
      return sql`${expr} = ${param(value)}`;
    case 'ne':
      return sql`${expr} <> ${param(value)}`;
    case 'gt':
      return sql`${expr} > ${param(value)}`;
    case 'gte':
      return sql`${expr} >= ${param(value)}`;
    case 'lt':
      return sql`${expr} < ${param(value)}`;
    case 'lte':
      return sql`${expr} <= ${param(value)}`;
    case 'between': {
      const [a, b] = value as [unknown, unknown];
      return sql`${expr} between ${param(a)} and ${param(b)}`;
    }
    default:
      throw new Error(`not a numeric comparison: ${cmp}`);
  }
}

/** `cmp` on whole days since `t`, as bounds on `t` (so an index on the timestamp serves it). */
function daysSince(t: RawBuilder<unknown>, cmp: string, value: unknown, now: Date) {
  // floor((now − t) / day) ≥ n  ⇔  t ≤ now − n days;   floor(…) ≤ n  ⇔  t > now − (n + 1) days
  const at = (n: number) => new Date(now.getTime() - n * DAY_MS);
  const atLeast = (n: number) => sql`${t} <= ${at(n)}`;
  const atMost = (n: number) => sql`${t} > ${at(n + 1)}`;
  const n = value as number;
  switch (cmp) {
    case 'gte':
      return atLeast(n);
    case 'gt':
      return atLeast(n + 1);
    case 'lte':
      return atMost(n);
    case 'lt':
      return atMost(n - 1);
    case 'eq':
      return sql`${atLeast(n)} and ${atMost(n)}`;
    case 'ne':
      return sql`${t} is not null and not (${atLeast(n)} and ${atMost(n)})`;
    case 'between': {
      const [a, b] = value as [number, number];
      return sql`${atLeast(a)} and ${atMost(b)}`;
    }
    default:
      throw new Error(`not a numeric comparison: ${cmp}`);
  }
}

type SetOf = Extract<FieldKind, { kind: 'set' }>['of'];

/** The brand day (UTC+8, as insight counts days) of a timestamptz, whatever the session's time zone. */
const brandDay = (t: RawBuilder<unknown>) => sql`((${t} at time zone 'UTC') + interval '8 hours')::date`;
/** The instant a brand month (YYYY-MM, UTC+8) starts, `k` months on. */
function monthStart(month: string, k = 0): Date {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m - 1 + k, 1) - 8 * 3_600_000);
}

/** `cmp` on the brand month of the instant `t`, as bounds on `t`. */
function inMonths(t: RawBuilder<unknown>, cmp: string, value: unknown) {
  const [lo, hi] = cmp === 'between' ? (value as [string, string]) : [value as string, value as string];
  const from = sql`${t} >= ${monthStart(lo)}`;
  const until = sql`${t} < ${monthStart(hi, 1)}`;
  switch (cmp) {
    case 'eq':
    case 'between':
      return sql`${from} and ${until}`;
    case 'gte':
      return from;
    case 'lte':
      return until;
    default:
      throw new Error(`not a month comparison: ${cmp}`);
  }
}

/**
 * Each followed customer's first follow (earliest added, then id; ended or not) as insight's mirror reads it:
 * when, by whom (their unit and persona now), through which channel (null: none).
 */
function firstFollows(corpId: string) {
  return sql`select distinct on (f.customer_id) f.customer_id as id, f.added_at, f.staff_id, s.unit_id,
      s.persona, ca.channel_id, ch.method
    from follows f
    join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
    left join channel_adds ca on ca.corp_id = f.corp_id and ca.customer_id = f.customer_id
      and ca.staff_id = f.staff_id and ca.added_at = f.added_at
    left join channels ch on ch.corp_id = ca.corp_id and ch.id = ca.channel_id
    where f.corp_id = ${corpId}
    order by f.customer_id, f.added_at, f.id`;
}

/**
 * Each followed customer's acquisition day and, once no follow is active, the day they were lost (the last
 * follow's end), both brand days.
 */
function friendship(corpId: string) {
  return sql`select f.customer_id as id, ${brandDay(sql`min(f.added_at)`)} as acquired,
      case when not bool_or(f.status = 'active')
        then max(${brandDay(sql`coalesce(f.ended_at, f.added_at)`)}) end as lost
    from follows f where f.corp_id = ${corpId} group by f.customer_id`;
}

const ACQUIRED_COLUMN = {
  month: 'added_at',
  staff: 'staff_id',
  unit: 'unit_id',
  persona: 'persona',
  channel: 'channel_id',
  method: 'method',
} as const;

/**
 * (id, v) pairs of a set field, restricted to `values` when given. Tags are those of the caller's tag view
 * only: the service refuses a rule naming others, and "has any tag" / "has none" must not count them either.
 */
function pairs(ctx: Ctx, of: SetOf, values?: readonly unknown[]) {
  const corpId = ctx.cdb.corpId;
  const only = (column: RawBuilder<unknown>) => (values ? sql`and ${column} in (${list(values)})` : sql``);
  switch (of) {
    case 'tag': {
      const view = tagsInView(ctx);
      return sql`select ct.customer_id as id, ct.tag_id as v from customer_tags ct
        where ct.corp_id = ${corpId} ${only(sql`ct.tag_id`)} ${view ? sql`and ct.tag_id in (${view})` : sql``}`;
    }
    case 'staff':
      return sql`select f.customer_id as id, f.staff_id as v from follows f
        where f.corp_id = ${corpId} and f.status = 'active' ${only(sql`f.staff_id`)}`;
    case 'follow_unit':
      if (!values) {
        return sql`select f.customer_id as id, f.staff_id as v from follows f
          where f.corp_id = ${corpId} and f.status = 'active'`;
      }
      return sql`select f.customer_id as id, r.id as v from follows f
        join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
        join org_units su on su.corp_id = s.corp_id and su.id = s.unit_id
        join org_units r on r.corp_id = su.corp_id and su.path like r.path || '%'
        where f.corp_id = ${corpId} and f.status = 'active' ${only(sql`r.id`)}`;
    case 'channel':
      return sql`select a.customer_id as id, a.channel_id as v from channel_adds a
        where a.corp_id = ${corpId} ${only(sql`a.channel_id`)}`;
    case 'method':
      return sql`select a.customer_id as id, ch.method as v from channel_adds a
        join channels ch on ch.corp_id = a.corp_id and ch.id = a.channel_id
        where a.corp_id = ${corpId} ${only(sql`ch.method`)}`;
    case 'product':
      return sql`select o.customer_id as id, i.product_code as v from order_items i
        join orders o on o.corp_id = i.corp_id and o.id = i.order_id
        where i.corp_id = ${corpId} and o.customer_id is not null ${only(sql`i.product_code`)}`;
    case 'mass_send':
      // an order credited to the send (outreach's attribution); mass sends' source ids are their ids
      return sql`select a.customer_id as id, a.source_id::bigint as v from touch_attributions a
        where a.corp_id = ${corpId} and a.source_kind = 'mass_send' ${only(sql`a.source_id::bigint`)}`;
    case 'journey': {
      // a journey's touches' source ids are `journey:node:enrolment:seq`
      const journey = sql`split_part(a.source_id, ':', 1)::bigint`;
      return sql`select a.customer_id as id, ${journey} as v from touch_attributions a
        where a.corp_id = ${corpId} and a.source_kind = 'journey' ${only(journey)}`;
    }
    case 'group':
      return sql`select gm.customer_id as id, gm.group_id as v from group_members gm
        where gm.corp_id = ${corpId} and gm.customer_id is not null and gm.left_at is null
        ${only(sql`gm.group_id`)}`;
  }
}

function condition(ctx: Ctx, c: Condition): Compiled {
  const field = FIELD_BY_KEY.get(c.field);
  if (!field) throw new Error(`unknown field ${c.field}`);
  const corpId = ctx.cdb.corpId;
  const store = field.store;
  const facts = (where: RawBuilder<unknown>) =>
    sql`select f.customer_id as id from customer_facts f where f.corp_id = ${corpId} and ${where}`;
  const pos = (s: RawBuilder<unknown>): Compiled => ({ neg: false, sql: s });
  const neg = (s: RawBuilder<unknown>): Compiled => ({ neg: true, sql: s });

  switch (store.kind) {
    case 'acquired': {
      const column = sql.ref(`a.${ACQUIRED_COLUMN[store.of]}`);
      const known = sql`select a.id from (${firstFollows(corpId)}) a where ${column} is not null`;
      if (c.cmp === 'is_null') return neg(known);
      if (c.cmp === 'not_null') return pos(known);
      if (store.of === 'month') return pos(sql`${known} and ${inMonths(column, c.cmp, c.value)}`);
      const values = c.value as unknown[];
      const hit =
        store.of === 'unit'
          ? sql`exists (select 1 from org_units su
              join org_units r on r.corp_id = su.corp_id and su.path like r.path || '%'
              where su.corp_id = ${corpId} and su.id = a.unit_id and r.id in (${list(values)}))`
          : sql`${column} in (${list(values)})`;
      return pos(sql`${known} and ${c.cmp === 'in' ? hit : sql`not ${hit}`}`);
    }
    case 'flag': {
      const yes =
        store.of === 'joined_group'
          ? sql`select gm.customer_id as id from group_members gm
              where gm.corp_id = ${corpId} and gm.customer_id is not null`
          : // a follow still active, or the last to end ended 7 brand days or more after the first was added
            sql`select a.id from (${friendship(corpId)}) a where a.lost is null or a.lost >= a.acquired + 7`;
      return c.cmp === 'is_true' ? pos(yes) : neg(yes);
    }
    case 'private_orders': {
      // orders from the acquisition day on, and of brand months up to the one lost in
      const day = brandDay(sql`o.ordered_at`);
      const grouped = (having: RawBuilder<unknown>) =>
        sql`select o.customer_id as id from orders o
          join (${friendship(corpId)}) a on a.id = o.customer_id
          where o.corp_id = ${corpId} and ${day} >= a.acquired
            and (a.lost is null or date_trunc('month', ${day}) <= date_trunc('month', a.lost))
          group by o.customer_id having ${having}`;
      // customers without such orders have 0
      return holds(c.cmp, c.value, 0)
        ? neg(grouped(sql`not (${compare(sql`count(*)`, c.cmp, c.value)})`))
        : pos(grouped(compare(sql`count(*)`, c.cmp, c.value)));
    }
    case 'fact': {
      // Customers without facts have 0: when 0 satisfies the comparison, the answer is "all but those whose
      // facts do not".
      const column = sql.ref(`f.${store.column}`);
      return holds(c.cmp, c.value, 0)
        ? neg(facts(sql`not (${compare(column, c.cmp, c.value)})`))
        : pos(facts(compare(column, c.cmp, c.value)));
    }
    case 'nullable_fact': {
      const column = sql.ref(`f.${store.column}`);
      if (c.cmp === 'is_null') return neg(facts(sql`${column} is not null`));
      if (c.cmp === 'not_null') return pos(facts(sql`${column} is not null`));
      // coupon_share is a real: compare with the value as a real, as it was stored
      const param = store.column === 'coupon_share' ? (v: unknown) => sql`${v}::real` : undefined;
      return pos(facts(compare(column, c.cmp, c.value, param)));
    }
    case 'days_since': {
      const column = sql.ref(`f.${store.column}`);
      if (c.cmp === 'is_null') return neg(facts(sql`${column} is not null`));
      if (c.cmp === 'not_null') return pos(facts(sql`${column} is not null`));
      return pos(facts(daysSince(column, c.cmp, c.value, ctx.clock.now())));
    }
    case 'stage': {
      const values = c.value as string[];
      // customers without facts are 'new'
      const hit = values.includes('new') !== (c.cmp === 'not_in');
      return hit
        ? neg(facts(sql`f.stage ${c.cmp === 'in' ? sql`not in` : sql`in`} (${list(values)})`))
        : pos(facts(sql`f.stage ${c.cmp === 'in' ? sql`in` : sql`not in`} (${list(values)})`));
    }
    case 'top_unit': {
      const known = facts(sql`f.top_unit_id is not null`);
      if (c.cmp === 'is_null') return neg(known);
      if (c.cmp === 'not_null') return pos(known);
      const inUnits = sql`select f.customer_id as id from customer_facts f
        join org_units su on su.corp_id = f.corp_id and su.id = f.top_unit_id
        join org_units r on r.corp_id = su.corp_id and su.path like r.path || '%'
        where f.corp_id = ${corpId} and r.id in (${list(c.value as number[])})`;
      return pos(c.cmp === 'in' ? inUnits : minus(known, inUnits));
    }
    case 'window': {
      const since = new Date(ctx.clock.now().getTime() - store.days * DAY_MS);
      const measure = store.measure === 'count' ? sql`count(*)` : sql`sum(o.paid_fen)`;
      const grouped = (having: RawBuilder<unknown>) =>
        sql`select o.customer_id as id from orders o
          where o.corp_id = ${corpId} and o.customer_id is not null and o.ordered_at >= ${since}
          group by o.customer_id having ${having}`;
      // A customer without orders in the window has 0 of both.
      return holds(c.cmp, c.value, 0)
        ? neg(grouped(sql`not (${compare(measure, c.cmp, c.value)})`))
        : pos(grouped(compare(measure, c.cmp, c.value)));
    }
    case 'set': {
      if (c.cmp === 'any') return pos(sql`select id from (${pairs(ctx, store.of)}) p`);
      if (c.cmp === 'none') return neg(sql`select id from (${pairs(ctx, store.of)}) p`);
      const values = [...new Set(c.value as unknown[])];
      const matching = sql`select id from (${pairs(ctx, store.of, values)}) p`;
      if (c.cmp === 'in') return pos(matching);
      if (c.cmp === 'not_in') return neg(matching);
      return pos(sql`${matching} group by id having count(distinct v) = ${values.length}`);
    }
  }
}

function node(ctx: Ctx, rule: Rule): Compiled {
  if ('field' in rule) return condition(ctx, rule);
  if (rule.op === 'not') {
    const inner = node(ctx, rule.rule);
    return { neg: !inner.neg, sql: inner.sql };
  }
  const children = rule.rules.map((r) => node(ctx, r));
  const plain = children.filter((c) => !c.neg).map((c) => c.sql);
  const negated = children.filter((c) => c.neg).map((c) => c.sql);
  if (rule.op === 'and') {
    // A ∩ B ∩ (S∖X) ∩ (S∖Y) = (A ∩ B) ∖ (X ∪ Y);  (S∖X) ∩ (S∖Y) = S ∖ (X ∪ Y)
    if (plain.length)
      return { neg: false, sql: negated.length ? minus(intersect(plain), union(negated)) : intersect(plain) };
    return { neg: true, sql: negated.length ? union(negated) : EMPTY };
  }
  // or is and's dual: A ∪ (S∖X) ∪ (S∖Y) = S ∖ ((X ∩ Y) ∖ A)
  if (negated.length)
    return { neg: true, sql: plain.length ? minus(intersect(negated), union(plain)) : intersect(negated) };
  return { neg: false, sql: plain.length ? union(plain) : EMPTY };
}

/** The customers the caller may see (the customers service's rule), as `select c.id from customers c where …`. */
function visibleCustomers(ctx: Ctx) {
  return ctx.cdb.db
    .selectFrom('customers as c')
    .select('c.id')
    .where('c.corp_id', '=', ctx.cdb.corpId)
    .where(visibleTo(ctx));
}

/**
 * `with scope as (…)`: the caller's customers, for complements (not X = scope except X). Starts every segment
 * statement, so it also marks them ad hoc: planned for their values each time, never prepared.
 */
export function scopeCte(ctx: Ctx) {
  return sql`${sql.raw(AD_HOC)} with scope as (${visibleCustomers(ctx)})`;
}

/**
 * How a complement (not X) is taken from the scope. `except` hashes or sorts each side once, whatever the
 * planner knows. `anti_join` lets PostgreSQL hash it in parallel workers inside a larger statement (for 1M
 * customers 0.2 s against 0.9 s, and the statement around it can then run in parallel too), but only a
 * planner with statistics may be given it: without them (PGlite never analyzes on its own) it can loop over
 * the whole complement once per customer (the oracle test took 20 times as long).
 */
export type Complement = 'except' | 'anti_join';

/**
 * `anti_join` once the planner knows how many customers there are (a VACUUM or ANALYZE, autovacuum's or an
 * import's, has counted them: reltuples is -1 until then), else `except`. (pg_stats would say more, but it
 * hides the tables under row-level security from the brand-bound role.)
 */
export async function complementFor(ctx: Ctx): Promise<Complement> {
  const { rows } = await sql<{ counted: boolean }>`select reltuples >= 0 as counted from pg_class
    where oid = 'customers'::regclass`.execute(ctx.cdb.db);
  return rows[0]?.counted ? 'anti_join' : 'except';
}

/** The ids of the rule's customers within the caller's scope, as a select; needs `scopeCte` before it. */
export function audienceIds(ctx: Ctx, rule: Rule, complement: Complement = 'except'): RawBuilder<unknown> {
  const compiled = node(ctx, rule);
  // Only a complement needs the whole scope; the tree's inner nodes never do (see node()).
  if (compiled.neg) {
    return complement === 'anti_join'
      ? sql`select s.id from scope s where not exists (select from (${compiled.sql}) x where x.id = s.id)`
      : minus(SCOPE, compiled.sql);
  }
  // Every row the conditions read belongs to a customer of the corp, so the whole corp needs no filter;
  // a lone condition can still name a customer twice (two of the tags asked for).
  if (ctx.actor.seesWholeCorp) return sql`select distinct id from (${compiled.sql}) d`;
  // Otherwise the scope rule is checked on the candidates only, not computed for every customer. `= true`
  // keeps it a per-candidate (or hashed) subplan: pulled up into a join, a planner without statistics (PGlite
  // never analyzes on its own) can nest the whole scope inside a loop over the candidates.
  const visible = visibleTo(ctx)(expressionBuilder<Tables & { c: Tables['customers'] }, 'c'>());
  return sql`select c.id
    from (select distinct id, ${ctx.cdb.corpId}::text as corp_id from (${compiled.sql}) x) c
    where (${visible}) = true`;
}

export async function countAudience(ctx: Ctx, rule: Rule): Promise<number> {
  const { rows } = await sql<{ n: number }>`${scopeCte(ctx)}
    select count(*) as n from (${audienceIds(ctx, rule)}) m`.execute(ctx.cdb.db);
  return Number(rows[0]?.n ?? 0);
}

export interface AudienceMember {
  id: number;
  name: string;
  avatar: string | null;
  stage: LifecycleStage;
  ltvFen: number;
  lastOrderAt: string | null;
}

/** The first `limit` members, newest customer first (the customer list's order), after id `after` if given. */
export async function sampleAudience(
  ctx: Ctx,
  rule: Rule,
  limit = 20,
  after?: number,
): Promise<AudienceMember[]> {
  const { rows } = await sql<{
    id: number;
    name: string;
    avatar: string | null;
    stage: LifecycleStage;
    ltv_fen: number;
    last_order_at: Date | null;
  }>`${scopeCte(ctx)},
    -- the audience first, whole, then its top ids: the planner must not walk customers by id probing it
    audience as materialized (${audienceIds(ctx, rule)}),
    page as (select id from audience ${after === undefined ? sql`` : sql`where id < ${after}`}
      order by id desc limit ${limit})
    select c.id, c.name, c.avatar, coalesce(f.stage, 'new') as stage, coalesce(f.paid_fen, 0) as ltv_fen,
      f.last_order_at
    from page
    join customers c on c.corp_id = ${ctx.cdb.corpId} and c.id = page.id
    left join customer_facts f on f.corp_id = c.corp_id and f.customer_id = c.id
    order by c.id desc`.execute(ctx.cdb.db);
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    avatar: r.avatar,
    stage: r.stage,
    ltvFen: Number(r.ltv_fen),
    lastOrderAt: r.last_order_at ? new Date(r.last_order_at).toISOString() : null,
  }));
}

/** The newest `limit` member ids, newest first (an export's rows). */
export async function newestAudienceIds(ctx: Ctx, rule: Rule, limit: number): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`${scopeCte(ctx)}
    select id from (${audienceIds(ctx, rule)}) m order by id desc limit ${limit}`.execute(ctx.cdb.db);
  return rows.map((r) => Number(r.id));
}

/** Every member id, ascending (tests and small audiences only). */
export async function listAudience(ctx: Ctx, rule: Rule): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`${scopeCte(ctx)}
    select id from (${audienceIds(ctx, rule)}) m order by id`.execute(ctx.cdb.db);
  return rows.map((r) => Number(r.id));
}
