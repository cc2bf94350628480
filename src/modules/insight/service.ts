import { type RawBuilder, sql } from 'kysely';
import { AppError } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { subtreeUnitIds } from '../org/index.ts';
import type { Rule } from '../segments/index.ts';
import { type Factors, factorsOf, type GmvParts, type Split, splitChange } from './gmv.ts';
import { type Level, NEVER, type Rollup, rollupTable } from './refresh.ts';

/** Whose numbers: a set of units (null: the whole brand) and/or one member. */
export interface Scope {
  units: readonly number[] | null;
  staffId: number | null;
}

export const DIMENSIONS = ['total', 'channel', 'method', 'store', 'staff', 'persona'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * The caller's scope, narrowed by a unit or member filter inside it (403 outside): a front-line member sees
 * only their own numbers, a manager their subtree's, an HQ admin at the root the whole brand.
 */
export async function scopeOf(ctx: Ctx, filter: { unitId?: number; staffId?: number }): Promise<Scope> {
  const a = ctx.actor;
  const refuse = () => {
    throw new AppError('forbidden', { zh: '筛选超出你的权限范围', en: 'The filter is outside your scope' });
  };
  if (a.role === 'staff') {
    if (filter.staffId !== undefined && filter.staffId !== a.staffId) refuse();
    if (filter.unitId !== undefined && !a.unitIds.includes(filter.unitId)) refuse();
    return { units: null, staffId: a.staffId ?? -1 };
  }
  let units: readonly number[] | null = a.seesWholeCorp ? null : a.unitIds;
  if (filter.unitId !== undefined) {
    if (!a.unitIds.includes(filter.unitId)) refuse();
    units = await subtreeUnitIds(ctx.cdb, filter.unitId);
  }
  let staffId: number | null = null;
  if (filter.staffId !== undefined) {
    const s = await ctx.cdb.db
      .selectFrom('staff')
      .select('unit_id')
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', '=', filter.staffId)
      .executeTakeFirst();
    if (!s || !a.unitIds.includes(s.unit_id)) refuse();
    staffId = filter.staffId;
  }
  return { units, staffId };
}

/** `and …` narrowing a rollup (alias r) to a scope. */
export function inScope(scope: Scope, alias = 'r'): RawBuilder<unknown> {
  const parts = [];
  if (scope.units) parts.push(sql`and ${sql.ref(`${alias}.unit_id`)} = any(${[...scope.units]}::bigint[])`);
  if (scope.staffId !== null) parts.push(sql`and ${sql.ref(`${alias}.staff_id`)} = ${scope.staffId}`);
  return parts.length ? sql.join(parts, sql` `) : sql``;
}

/**
 * The rollup a read sums: the one with the fewest key columns that still holds the scope and the split — per
 * unit for a manager's totals and stores, per unit and member by member, per unit and channel by channel or
 * method (per channel alone when the scope is the whole brand); a member's own numbers from the per-key one.
 */
export function rollup(scope: Scope, by: Dimension, name: Rollup) {
  const level: Level =
    scope.staffId !== null
      ? 'key'
      : by === 'total' || by === 'store'
        ? 'unit'
        : by === 'staff' || by === 'persona'
          ? 'staff'
          : scope.units === null
            ? 'brand_channel'
            : 'channel';
  return sql.table(rollupTable(level, name));
}

const keyOf = (by: Dimension, alias = 'r') =>
  by === 'total'
    ? sql`'all'`
    : by === 'channel'
      ? sql`${sql.ref(`${alias}.channel_id`)}::text`
      : by === 'method'
        ? sql.ref(`${alias}.method`)
        : by === 'store'
          ? sql`${sql.ref(`${alias}.unit_id`)}::text`
          : by === 'persona'
            ? sql`(select s.persona from staff s where s.corp_id = ${sql.ref(`${alias}.corp_id`)}
                and s.id = ${sql.ref(`${alias}.staff_id`)})`
            : sql`${sql.ref(`${alias}.staff_id`)}::text`;

/**
 * Rows per member summed per persona (the members' persona now): a persona is a set of members, so the
 * per-member rollup is read and its rows added up, rather than the persona looked up for every rollup row.
 */
async function byPersona<R extends { key: string }>(
  ctx: Ctx,
  perMember: R[],
  add: (into: R, row: R) => void,
): Promise<R[]> {
  const ids = perMember.map((r) => Number(r.key));
  const staff = ids.length
    ? await ctx.cdb.db
        .selectFrom('staff')
        .select(['id', 'persona'])
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', 'in', ids)
        .execute()
    : [];
  const personaOf = new Map(staff.map((s) => [String(s.id), s.persona as string]));
  const out = new Map<string, R>();
  for (const r of perMember) {
    const key = personaOf.get(r.key) ?? 'none';
    const into = out.get(key);
    if (into) add(into, r);
    else out.set(key, { ...r, key });
  }
  return [...out.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

const n = (v: unknown) => Number(v ?? 0);

/** Brand day (UTC+8) of an instant, as YYYY-MM-DD. */
export function brandDay(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}
export function addDays(day: string, k: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + k * 86_400_000).toISOString().slice(0, 10);
}
export function monthOf(day: string): string {
  return `${day.slice(0, 7)}-01`;
}
export function addMonths(month: string, k: number): string {
  const y = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7)) - 1 + k;
  const d = new Date(Date.UTC(y + Math.floor(m / 12), ((m % 12) + 12) % 12, 1));
  return d.toISOString().slice(0, 10);
}

export interface Activity {
  adds: number;
  deletions: number;
  staffDeletions: number;
  netGrowth: number;
  welcomed: number;
  newCustomers: number;
  lostCustomers: number;
  firstBuyers: number;
}

/** Follows added and ended, welcomes, customers gained and lost, first orders, over brand days [from, to). */
export async function activity(ctx: Ctx, scope: Scope, from: string, to: string): Promise<Activity> {
  const r = await sql<Record<string, unknown>>`
    select sum(adds) adds, sum(deletions) del, sum(staff_deletions) sd, sum(welcomed) w, sum(new_customers) nc,
      sum(lost_customers) lc, sum(first_buyers) fb
    from ${rollup(scope, 'total', 'daily')} r
    where r.corp_id = ${ctx.cdb.corpId} and r.day >= ${from}::date and r.day < ${to}::date ${inScope(scope)}`.execute(
    ctx.cdb.db,
  );
  const x = r.rows[0] ?? {};
  return {
    adds: n(x.adds),
    deletions: n(x.del),
    staffDeletions: n(x.sd),
    netGrowth: n(x.adds) - n(x.del) - n(x.sd),
    welcomed: n(x.w),
    newCustomers: n(x.nc),
    lostCustomers: n(x.lc),
    firstBuyers: n(x.fb),
  };
}

export interface GmvRow extends GmvParts {
  key: string;
}

/**
 * One brand month's GMV parts per key: customers = acquired by the month's end and not lost before it;
 * buyers, orders and paid = their private-domain orders in the month.
 */
export async function gmvParts(ctx: Ctx, scope: Scope, month: string, by: Dimension): Promise<GmvRow[]> {
  if (by === 'persona')
    return byPersona(ctx, await gmvParts(ctx, scope, month, 'staff'), (into, r) => {
      into.customers += r.customers;
      into.buyers += r.buyers;
      into.orders += r.orders;
      into.paidFen += r.paidFen;
    });
  const corp = ctx.cdb.corpId;
  const r = await sql<{ key: string; customers: unknown; buyers: unknown; orders: unknown; paid: unknown }>`
    select key, sum(customers) customers, sum(buyers) buyers, sum(orders) orders, sum(paid) paid from (
      select ${keyOf(by)} as key, r.customers, 0 as buyers, 0 as orders, 0 as paid
      from ${rollup(scope, by, 'cohorts')} r
      where r.corp_id = ${corp} and r.acq_month <= ${month}::date and r.lost_month >= ${month}::date ${inScope(scope)}
      union all
      select ${keyOf(by)}, 0, r.buyers, r.orders, r.paid_fen
      from ${rollup(scope, by, 'monthly')} r where r.corp_id = ${corp} and r.month = ${month}::date ${inScope(scope)}
    ) x group by key order by key`.execute(ctx.cdb.db);
  return r.rows.map((x) => ({
    key: String(x.key),
    customers: n(x.customers),
    buyers: n(x.buyers),
    orders: n(x.orders),
    paidFen: n(x.paid),
  }));
}

export interface GmvCompare {
  key: string;
  current: Factors;
  previous: Factors;
  split: Split;
}

export async function gmvCompare(
  ctx: Ctx,
  scope: Scope,
  month: string,
  previousMonth: string,
  by: Dimension,
): Promise<GmvCompare[]> {
  const [cur, prev] = await Promise.all([
    gmvParts(ctx, scope, month, by),
    gmvParts(ctx, scope, previousMonth, by),
  ]);
  const zero: GmvParts = { customers: 0, buyers: 0, orders: 0, paidFen: 0 };
  const keys = [...new Set([...cur.map((r) => r.key), ...prev.map((r) => r.key)])].sort();
  if (by === 'total' && keys.length === 0) keys.push('all');
  return keys.map((key) => {
    const current = factorsOf(cur.find((r) => r.key === key) ?? zero);
    const previous = factorsOf(prev.find((r) => r.key === key) ?? zero);
    return { key, current, previous, split: splitChange(previous, current) };
  });
}

export interface FunnelRow {
  key: string;
  scans: number | null;
  customers: number;
  retained7d: number;
  joinedGroup: number;
  firstOrder: number;
  repurchase: number;
}

/** The funnel of the customers acquired in brand months [from, to] (scans over the same days), per key. */
export async function funnel(
  ctx: Ctx,
  scope: Scope,
  from: string,
  to: string,
  by: Dimension,
): Promise<FunnelRow[]> {
  if (by === 'persona')
    return byPersona(ctx, await funnel(ctx, scope, from, to, 'staff'), (into, r) => {
      into.customers += r.customers;
      into.retained7d += r.retained7d;
      into.joinedGroup += r.joinedGroup;
      into.firstOrder += r.firstOrder;
      into.repurchase += r.repurchase;
    });
  const corp = ctx.cdb.corpId;
  const r = await sql<Record<string, unknown>>`
    select ${keyOf(by)} as key, sum(r.customers) c, sum(r.retained_7d) r7, sum(r.in_group) g, sum(r.buyers) b,
      sum(r.repeat_buyers) rb
    from ${rollup(scope, by, 'cohorts')} r
    where r.corp_id = ${corp} and r.acq_month >= ${from}::date and r.acq_month <= ${to}::date ${inScope(scope)}
    group by 1 order by 1`.execute(ctx.cdb.db);
  // Scans are a code's (its channel, method and unit), not a member's: none for a member or per member.
  const scans = new Map<string, number>();
  if (scope.staffId === null && by !== 'staff') {
    const s = await sql<{ key: string; n: unknown }>`
      select ${by === 'store' ? sql`r.unit_id::text` : by === 'channel' ? sql`r.channel_id::text` : by === 'method' ? sql`ch.method` : sql`'all'`} as key,
        count(*) n
      from channel_scans sc
      join channel_codes r on r.corp_id = sc.corp_id and r.id = sc.code_id
      join channels ch on ch.corp_id = r.corp_id and ch.id = r.channel_id
      where sc.corp_id = ${corp} and sc.day >= (${from}::date - interval '8 hours')
        and sc.day < (${addMonths(to, 1)}::date - interval '8 hours') ${scope.units ? sql`and r.unit_id = any(${[...scope.units]}::bigint[])` : sql``}
      group by 1`.execute(ctx.cdb.db);
    for (const x of s.rows) scans.set(String(x.key), n(x.n));
  }
  const rows: FunnelRow[] = r.rows.map((x) => ({
    key: String(x.key),
    scans: scope.staffId === null && by !== 'staff' ? (scans.get(String(x.key)) ?? 0) : null,
    customers: n(x.c),
    retained7d: n(x.r7),
    joinedGroup: n(x.g),
    firstOrder: n(x.b),
    repurchase: n(x.rb),
  }));
  return rows;
}

export interface CohortRow {
  month: string;
  customers: number;
  /** Index k: still friends at the end of month k after acquisition (k = 0 is the month itself). */
  friends: number[];
  /** Index k: customers who ordered in month k. */
  buyers: number[];
}

/** Retention by acquisition month: the last `months` cohorts up to `last`, each followed until `last`. */
export async function cohorts(ctx: Ctx, scope: Scope, last: string, months: number): Promise<CohortRow[]> {
  const corp = ctx.cdb.corpId;
  const first = addMonths(last, -(months - 1));
  const [c, m] = await Promise.all([
    sql<{ acq: string; lost: string; n: unknown }>`
      select r.acq_month::text acq, r.lost_month::text lost, sum(r.customers) n from ${rollup(scope, 'total', 'cohorts')} r
      where r.corp_id = ${corp} and r.acq_month >= ${first}::date and r.acq_month <= ${last}::date ${inScope(scope)}
      group by 1, 2`.execute(ctx.cdb.db),
    sql<{ acq: string; month: string; n: unknown }>`
      select r.acq_month::text acq, r.month::text "month", sum(r.buyers) n from ${rollup(scope, 'total', 'monthly')} r
      where r.corp_id = ${corp} and r.acq_month >= ${first}::date and r.acq_month <= ${last}::date
        and r.month <= ${last}::date ${inScope(scope)}
      group by 1, 2`.execute(ctx.cdb.db),
  ]);
  const out: CohortRow[] = [];
  for (let i = 0; i < months; i++) {
    const acq = addMonths(first, i);
    const span = months - i;
    const friends: number[] = [];
    const buyers: number[] = [];
    let size = 0;
    for (const x of c.rows) if (x.acq === acq) size += n(x.n);
    for (let k = 0; k < span; k++) {
      const at = addMonths(acq, k);
      let f = 0;
      for (const x of c.rows) if (x.acq === acq && x.lost > at) f += n(x.n);
      friends.push(f);
      let b = 0;
      for (const x of m.rows) if (x.acq === acq && x.month === at) b += n(x.n);
      buyers.push(b);
    }
    out.push({ month: acq, customers: size, friends, buyers });
  }
  return out;
}

/** Customers now per lifecycle stage. */
export async function stages(ctx: Ctx, scope: Scope): Promise<Record<string, number>> {
  const r = await sql<{ stage: string; n: unknown }>`
    select r.stage, sum(r.customers) n from ${rollup(scope, 'total', 'stages')} r
    where r.corp_id = ${ctx.cdb.corpId} ${inScope(scope)} group by 1`.execute(ctx.cdb.db);
  const out: Record<string, number> = {};
  for (const x of r.rows) if (n(x.n) !== 0) out[x.stage] = n(x.n);
  return out;
}

export interface PerformanceRow {
  key: string;
  adds: number;
  deletions: number;
  activeFollows: number;
  customers: number;
  newCustomers: number;
  firstOrderRate: number | null;
  repurchaseRate: number | null;
}

/**
 * Per member or store: follows added and deleted by customers over brand months [from, to]; active follows
 * and customers owned now; of the customers acquired in those months, the share who ordered and who ordered
 * again.
 */
export async function performance(
  ctx: Ctx,
  scope: Scope,
  from: string,
  to: string,
  by: 'staff' | 'store',
): Promise<PerformanceRow[]> {
  const corp = ctx.cdb.corpId;
  const end = addMonths(to, 1);
  const r = await sql<Record<string, unknown>>`
    select key, sum(adds) adds, sum(del) del, sum(active) active, sum(owned) owned, sum(nc) nc, sum(b) b,
      sum(rb) rb from (
      select ${keyOf(by)} as key, r.adds, r.deletions del, 0 active, 0 owned, 0 nc, 0 b, 0 rb
      from ${rollup(scope, by, 'daily')} r
      where r.corp_id = ${corp} and r.day >= ${from}::date and r.day < ${end}::date ${inScope(scope)}
      union all
      select ${keyOf(by)}, 0, 0, r.follows, 0, 0, 0, 0
      from ${rollup(scope, by, 'active')} r where r.corp_id = ${corp} ${inScope(scope)}
      union all
      select ${keyOf(by)}, 0, 0, 0, case when r.lost_month = ${NEVER}::date then r.customers else 0 end,
        case when r.acq_month >= ${from}::date and r.acq_month <= ${to}::date then r.customers else 0 end,
        case when r.acq_month >= ${from}::date and r.acq_month <= ${to}::date then r.buyers else 0 end,
        case when r.acq_month >= ${from}::date and r.acq_month <= ${to}::date then r.repeat_buyers else 0 end
      from ${rollup(scope, by, 'cohorts')} r where r.corp_id = ${corp} ${inScope(scope)}
        and (r.lost_month = ${NEVER}::date or (r.acq_month >= ${from}::date and r.acq_month <= ${to}::date))
    ) x group by key order by key`.execute(ctx.cdb.db);
  return r.rows.map((x) => ({
    key: String(x.key),
    adds: n(x.adds),
    deletions: n(x.del),
    activeFollows: n(x.active),
    customers: n(x.owned),
    newCustomers: n(x.nc),
    firstOrderRate: n(x.nc) > 0 ? n(x.b) / n(x.nc) : null,
    repurchaseRate: n(x.b) > 0 ? n(x.rb) / n(x.b) : null,
  }));
}

export { NEVER };

export const DRILL_STEPS = ['customers', 'retained7d', 'joinedGroup', 'firstOrder', 'repurchase'] as const;
export type DrillStep = (typeof DRILL_STEPS)[number];

/** A drill-down: the figure's narrowings (see drillCustomers). */
export interface DrillQuery {
  step: DrillStep;
  stage?: string;
  /** brand months, YYYY-MM-01 */
  from?: string;
  to?: string;
  by: Dimension;
  key?: string;
  product?: string;
  massSend?: number;
  journey?: number;
}

type Condition = Extract<Rule, { field: string }>;

/**
 * The segment rule of a drill-down: in the caller's segment scope, its members are drillCustomers' customers
 * (as of the mirror's last refresh). Insight keys a customer by their acquisition (the first follow), so the
 * scope, the dimension and the steps become the segments' acquisition fields: the scope's units (by subtree)
 * or member, the months, the channel, method, store, member or persona; retention, joining a group, and
 * orders placed while a friend. A stage is of current friends (a follow still active).
 */
export async function drillRule(ctx: Ctx, scope: Scope, q: DrillQuery): Promise<Rule> {
  const rules: Condition[] = [];
  // whether a condition already holds followed customers only (insight's customers), else one says so
  let followed = false;
  const acquired = (c: Condition) => {
    rules.push(c);
    if (c.cmp !== 'is_null' && c.cmp !== 'not_in') followed = true;
  };
  if (scope.units?.length) {
    // a subtree's unit stands for it: the units of the scope whose parent is not
    const inScope = new Set(scope.units);
    const roots = (
      await ctx.cdb.db
        .selectFrom('org_units')
        .select(['id', 'parent_id'])
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', 'in', [...scope.units])
        .orderBy('id')
        .execute()
    ).filter((u) => u.parent_id === null || !inScope.has(u.parent_id));
    // the brand's root unit is the whole brand: nothing to say (a caller of no unit sees no one anyway)
    if (!roots.some((u) => u.parent_id === null))
      acquired({ field: 'acquired_unit', cmp: 'in', value: roots.map((u) => u.id) });
  }
  if (scope.staffId !== null) acquired({ field: 'acquired_staff', cmp: 'in', value: [scope.staffId] });
  const month = (m: string) => m.slice(0, 7);
  if (q.from && q.to)
    acquired(
      q.from === q.to
        ? { field: 'acquired_month', cmp: 'eq', value: month(q.from) }
        : { field: 'acquired_month', cmp: 'between', value: [month(q.from), month(q.to)] },
    );
  else if (q.from) acquired({ field: 'acquired_month', cmp: 'gte', value: month(q.from) });
  else if (q.to) acquired({ field: 'acquired_month', cmp: 'lte', value: month(q.to) });
  if (q.by !== 'total' && q.key !== undefined) {
    const key = q.key;
    switch (q.by) {
      case 'channel':
        // channel 0: came through none
        acquired(
          key === '0'
            ? { field: 'acquired_channel', cmp: 'is_null' }
            : { field: 'acquired_channel', cmp: 'in', value: [Number(key)] },
        );
        break;
      case 'method':
        acquired(
          key === 'none'
            ? { field: 'acquired_method', cmp: 'is_null' }
            : { field: 'acquired_method', cmp: 'in', value: [key] },
        );
        break;
      case 'store': {
        // the store is the member's own unit, not its subtree: less the units under it
        const unit = Number(key);
        acquired({ field: 'acquired_unit', cmp: 'in', value: [unit] });
        const children = await ctx.cdb.db
          .selectFrom('org_units')
          .select('id')
          .where('corp_id', '=', ctx.cdb.corpId)
          .where('parent_id', '=', unit)
          .orderBy('id')
          .execute();
        if (children.length)
          acquired({ field: 'acquired_unit', cmp: 'not_in', value: children.map((c) => c.id) });
        break;
      }
      case 'staff':
        acquired({ field: 'acquired_staff', cmp: 'in', value: [Number(key)] });
        break;
      case 'persona':
        acquired({ field: 'acquired_persona', cmp: 'in', value: [key] });
        break;
    }
  }
  if (q.stage) {
    // the drill shows current friends only
    rules.push({ field: 'stage', cmp: 'in', value: [q.stage] }, { field: 'staff', cmp: 'any' });
    followed = true;
  }
  if (q.product) rules.push({ field: 'product', cmp: 'in', value: [q.product] });
  if (q.massSend !== undefined) rules.push({ field: 'mass_send', cmp: 'in', value: [q.massSend] });
  if (q.journey !== undefined) rules.push({ field: 'journey', cmp: 'in', value: [q.journey] });
  const step: Record<DrillStep, Condition | null> = {
    customers: null,
    retained7d: { field: 'retained_7d', cmp: 'is_true' },
    joinedGroup: { field: 'joined_group', cmp: 'is_true' },
    firstOrder: { field: 'private_orders', cmp: 'gte', value: 1 },
    repurchase: { field: 'private_orders', cmp: 'gte', value: 2 },
  };
  const narrowing = step[q.step];
  if (narrowing) {
    rules.push(narrowing);
    if (q.step !== 'joinedGroup') followed = true;
  }
  if (!followed) rules.unshift({ field: 'acquired_month', cmp: 'not_null' });
  return { op: 'and', rules };
}

/**
 * The customers behind a funnel or cohort figure, a stage, or a campaign (those with an order credited to a
 * mass send or to a journey's touches): owned in the scope, acquired in brand
 * months [from, to], of one key of a dimension, up to a step; newest first, `limit` after `offset`.
 */
export async function drillCustomers(
  ctx: Ctx,
  scope: Scope,
  q: DrillQuery & { offset: number; limit: number },
) {
  const corp = ctx.cdb.corpId;
  const step = {
    customers: sql``,
    retained7d: sql`and r.retained_7d`,
    joinedGroup: sql`and r.in_group`,
    firstOrder: sql`and r.order_count >= 1`,
    repurchase: sql`and r.order_count >= 2`,
  }[q.step];
  const where = sql`r.corp_id = ${corp} ${inScope(scope)} ${step}
    ${q.stage ? sql`and r.stage = ${q.stage} and r.lost_day is null` : sql``}
    ${q.from ? sql`and r.acquired_day >= ${q.from}::date` : sql``}
    ${q.to ? sql`and r.acquired_day < ${addMonths(q.to, 1)}::date` : sql``}
    ${q.by !== 'total' && q.key !== undefined ? sql`and ${keyOf(q.by)} = ${q.key}` : sql``}
    ${
      q.product
        ? sql`and exists (select 1 from orders o join order_items i on i.corp_id = o.corp_id and i.order_id = o.id
            where o.corp_id = r.corp_id and o.customer_id = r.customer_id and i.product_code = ${q.product})`
        : sql``
    }
    ${
      q.massSend !== undefined
        ? sql`and exists (select 1 from touch_attributions a where a.corp_id = r.corp_id
            and a.customer_id = r.customer_id and a.source_kind = 'mass_send' and a.source_id = ${String(q.massSend)})`
        : sql``
    }
    ${
      q.journey !== undefined
        ? sql`and exists (select 1 from touch_attributions a where a.corp_id = r.corp_id
            and a.customer_id = r.customer_id and a.source_kind = 'journey'
            and split_part(a.source_id, ':', 1) = ${String(q.journey)})`
        : sql``
    }`;
  const [items, total] = await Promise.all([
    sql<{
      id: unknown;
      name: string;
      avatar: string | null;
      staff: string;
      unit: string;
      acquired: string;
      orders: unknown;
      stage: string;
    }>`
      select r.customer_id id, c.name, c.avatar, s.name staff, u.name unit, r.acquired_day::text acquired,
        r.order_count orders, r.stage
      from insight_customers r
      join customers c on c.corp_id = r.corp_id and c.id = r.customer_id
      join staff s on s.corp_id = r.corp_id and s.id = r.staff_id
      join org_units u on u.corp_id = r.corp_id and u.id = r.unit_id
      where ${where}
      order by r.acquired_day desc, r.customer_id desc limit ${q.limit} offset ${q.offset}`.execute(
      ctx.cdb.db,
    ),
    sql<{ n: unknown }>`select count(*) n from insight_customers r where ${where}`.execute(ctx.cdb.db),
  ]);
  return {
    total: n(total.rows[0]?.n),
    items: items.rows.map((x) => ({
      id: n(x.id),
      name: x.name,
      avatar: x.avatar,
      staffName: x.staff,
      unitName: x.unit,
      acquiredDay: x.acquired,
      orderCount: n(x.orders),
      stage: x.stage,
    })),
  };
}
