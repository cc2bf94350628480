import { sql } from 'kysely';
import { notFound } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { LADDER_ROLES, type LadderRole } from '../orders/index.ts';
import { addMonths, inScope, type Scope } from './service.ts';

/**
 * The product ladder (PLAYBOOK §6): traffic 引流品 (rank 1) → trust 建信品 (2) → profit 利润品 (3) →
 * expansion 拓展品 (4). A customer enters the ladder at the highest role of their first order holding a
 * product with a role, and moves up when they later buy a product of a higher role. Customers are counted
 * where insight counts them: by their owner's unit and their acquisition month.
 */
export const RANK: Record<LadderRole, number> = { traffic: 1, trust: 2, profit: 3, expansion: 4 };
export const roleOfRank = (r: number): LadderRole => LADDER_ROLES[r - 1]!;

export interface LadderPath {
  customerId: number;
  unitId: number;
  acqMonth: string;
  firstRank: number;
  maxRank: number;
}

const n = (v: unknown) => Number(v ?? 0);
const rankSql = sql`case p.ladder_role when 'traffic' then 1 when 'trust' then 2 when 'profit' then 3 when 'expansion' then 4 end`;

/** Every customer in the scope with an order line of a product with a role: where they entered and how high they went. */
export async function ladderPaths(ctx: Ctx, scope: Scope): Promise<LadderPath[]> {
  const corp = ctx.cdb.corpId;
  const r = await sql<Record<string, unknown>>`
    with l as (
      select o.customer_id, o.id order_id, o.ordered_at, ${rankSql} rk
      from insight_customers r
      join orders o on o.corp_id = r.corp_id and o.customer_id = r.customer_id
      join order_items i on i.corp_id = o.corp_id and i.order_id = o.id
      join products p on p.corp_id = i.corp_id and p.code = i.product_code
      where r.corp_id = ${corp} and p.ladder_role is not null ${inScope(scope)}
    ), f as (
      select distinct on (customer_id) customer_id, order_id from l order by customer_id, ordered_at, order_id
    )
    select l.customer_id, max(l.rk) filter (where l.order_id = f.order_id) first_rank, max(l.rk) max_rank,
      min(r.unit_id) unit_id, min(date_trunc('month', r.acquired_day)::date)::text acq_month
    from l join f on f.customer_id = l.customer_id
    join insight_customers r on r.corp_id = ${corp} and r.customer_id = l.customer_id
    group by l.customer_id`.execute(ctx.cdb.db);
  return r.rows.map((x) => ({
    customerId: n(x.customer_id),
    unitId: n(x.unit_id),
    acqMonth: String(x.acq_month),
    firstRank: n(x.first_rank),
    maxRank: n(x.max_rank),
  }));
}

export interface LadderCohort {
  month: string;
  customers: number;
  /** Customers on the ladder (a first order with a role). */
  onLadder: number;
  /** By entry role: how many entered there. */
  entered: Record<LadderRole, number>;
  /** By highest role reached. */
  reached: Record<LadderRole, number>;
  /** Entered at a role and later bought a higher one. */
  movedUp: number;
}

const zeroRoles = (): Record<LadderRole, number> => ({ traffic: 0, trust: 0, profit: 0, expansion: 0 });

/** Ladder movement by acquisition month: the last `months` cohorts up to `last`. */
export async function ladderCohorts(
  ctx: Ctx,
  scope: Scope,
  last: string,
  months: number,
): Promise<LadderCohort[]> {
  const first = addMonths(last, -(months - 1));
  const [paths, sizes] = await Promise.all([
    ladderPaths(ctx, scope),
    sql<{ m: string; c: unknown }>`
      select date_trunc('month', r.acquired_day)::date::text m, count(*) c from insight_customers r
      where r.corp_id = ${ctx.cdb.corpId} and r.acquired_day >= ${first}::date
        and r.acquired_day < ${addMonths(last, 1)}::date ${inScope(scope)}
      group by 1`.execute(ctx.cdb.db),
  ]);
  const out: LadderCohort[] = [];
  for (let i = 0; i < months; i++) {
    const month = addMonths(first, i);
    const mine = paths.filter((p) => p.acqMonth === month);
    const entered = zeroRoles();
    const reached = zeroRoles();
    for (const p of mine) {
      entered[roleOfRank(p.firstRank)]++;
      reached[roleOfRank(p.maxRank)]++;
    }
    out.push({
      month,
      customers: n(sizes.rows.find((s) => s.m === month)?.c),
      onLadder: mine.length,
      entered,
      reached,
      movedUp: mine.filter((p) => p.maxRank > p.firstRank).length,
    });
  }
  return out;
}

/** The next rung by lifecycle stage (PLAYBOOK §6: recommendations by stage along the journey). */
export const NEXT_ROLE: Record<string, LadderRole> = {
  new: 'traffic',
  active: 'trust',
  repeat: 'profit',
  super: 'expansion',
  dormant: 'trust',
  churned: 'traffic',
};

export interface ProductFigures {
  code: string;
  name: string;
  role: LadderRole | null;
  buyers: number;
  orders: number;
  gmvFen: number;
  /** Buyers no longer friends, or dormant or churned by their stage. */
  churned: number;
  churnRate: number | null;
  /** Buyers tagged as complaining (a tag named 投诉 / complaint): null when the brand has no such tag. */
  complained: number | null;
  complaintRate: number | null;
  flags: ('churn' | 'complaints')[];
}

/** Two-proportion z statistic of a against b (pooled). */
export function zOf(a: number, an: number, b: number, bn: number): number {
  if (an === 0 || bn === 0) return 0;
  const p = (a + b) / (an + bn);
  const se = Math.sqrt(p * (1 - p) * (1 / an + 1 / bn));
  return se === 0 ? 0 : (a / an - b / bn) / se;
}
/** A product is flagged when its buyers churn (or complain) more than the other buyers, with z ≥ 1.96 and ≥ 20 buyers. */
export const FLAG_Z = 1.96;
export const FLAG_MIN_BUYERS = 20;

/**
 * Every product (a code on order lines of the scope's customers, or a product with a role) with its buyers,
 * their churn and complaints against the other buyers of the scope, and the flags.
 */
export async function productFigures(ctx: Ctx, scope: Scope): Promise<ProductFigures[]> {
  const corp = ctx.cdb.corpId;
  const tags = await sql<{ id: unknown }>`
    select t.id from tags t where t.corp_id = ${corp} and (t.name like '%投诉%' or lower(t.name) like '%complain%')`.execute(
    ctx.cdb.db,
  );
  const tagIds = tags.rows.map((t) => n(t.id));
  const complainedSql = tagIds.length
    ? sql`exists (select 1 from customer_tags ct where ct.corp_id = r.corp_id and ct.customer_id = r.customer_id
        and ct.tag_id = any(${tagIds}::bigint[]))`
    : sql`false`;
  const [rows, totals, catalogue] = await Promise.all([
    sql<Record<string, unknown>>`
      with b as (
        select i.product_code code, r.customer_id, count(distinct o.id) orders, sum(i.price_fen * i.quantity) gmv,
          bool_or(r.lost_day is not null or r.stage in ('dormant', 'churned')) churned, bool_or(${complainedSql}) complained
        from insight_customers r
        join orders o on o.corp_id = r.corp_id and o.customer_id = r.customer_id
        join order_items i on i.corp_id = o.corp_id and i.order_id = o.id
        where r.corp_id = ${corp} ${inScope(scope)}
        group by 1, 2
      )
      select code, count(*) buyers, sum(orders) orders, sum(gmv) gmv, count(*) filter (where churned) churned,
        count(*) filter (where complained) complained
      from b group by 1`.execute(ctx.cdb.db),
    sql<{ buyers: unknown; churned: unknown; complained: unknown }>`
      select count(*) buyers, count(*) filter (where r.lost_day is not null or r.stage in ('dormant', 'churned')) churned,
        count(*) filter (where ${complainedSql}) complained
      from insight_customers r where r.corp_id = ${corp} and r.order_count > 0 ${inScope(scope)}`.execute(
      ctx.cdb.db,
    ),
    sql<{ code: string; name: string; role: LadderRole | null }>`
      select p.code, p.name, p.ladder_role "role" from products p where p.corp_id = ${corp}
      union all
      select distinct on (i.product_code) i.product_code, i.product_name, null from order_items i
      where i.corp_id = ${corp} and not exists (select 1 from products p where p.corp_id = i.corp_id and p.code = i.product_code)
      order by 1`.execute(ctx.cdb.db),
  ]);
  const all = totals.rows[0];
  const allBuyers = n(all?.buyers);
  const allChurned = n(all?.churned);
  const allComplained = n(all?.complained);
  const known = tagIds.length > 0;
  return catalogue.rows.map((p) => {
    const x = rows.rows.find((r) => r.code === p.code);
    const buyers = n(x?.buyers);
    const churned = n(x?.churned);
    const complained = known ? n(x?.complained) : null;
    const flags: ProductFigures['flags'] = [];
    if (buyers >= FLAG_MIN_BUYERS) {
      if (zOf(churned, buyers, allChurned - churned, allBuyers - buyers) >= FLAG_Z) flags.push('churn');
      if (
        complained !== null &&
        zOf(complained, buyers, allComplained - complained, allBuyers - buyers) >= FLAG_Z
      )
        flags.push('complaints');
    }
    return {
      code: p.code,
      name: p.name,
      role: p.role,
      buyers,
      orders: n(x?.orders),
      gmvFen: n(x?.gmv),
      churned,
      churnRate: buyers > 0 ? churned / buyers : null,
      complained,
      complaintRate: complained !== null && buyers > 0 ? complained / buyers : null,
      flags,
    };
  });
}

export interface ProductPage extends ProductFigures {
  /** The other buyers of the scope: what the product's rates are compared with. */
  baseline: { buyers: number; churnRate: number | null; complaintRate: number | null };
  repeatBuyers: number;
  /** What its buyers bought next (another product, in a later order), most buyers first. */
  next: { code: string; name: string; role: LadderRole | null; buyers: number }[];
}

export async function productPage(ctx: Ctx, scope: Scope, code: string): Promise<ProductPage> {
  const figures = await productFigures(ctx, scope);
  const p = figures.find((f) => f.code === code);
  if (!p) throw notFound({ zh: '商品', en: 'Product' });
  const corp = ctx.cdb.corpId;
  const [totals, next, repeat] = await Promise.all([
    sql<{ buyers: unknown }>`
      select count(*) buyers from insight_customers r where r.corp_id = ${corp} and r.order_count > 0 ${inScope(scope)}`.execute(
      ctx.cdb.db,
    ),
    sql<{ code: string; buyers: unknown }>`
      with firsts as (
        select o.customer_id, min(o.ordered_at) at from insight_customers r
        join orders o on o.corp_id = r.corp_id and o.customer_id = r.customer_id
        join order_items i on i.corp_id = o.corp_id and i.order_id = o.id and i.product_code = ${code}
        where r.corp_id = ${corp} ${inScope(scope)} group by 1
      )
      select i.product_code code, count(distinct f.customer_id) buyers from firsts f
      join orders o on o.corp_id = ${corp} and o.customer_id = f.customer_id and o.ordered_at > f.at
      join order_items i on i.corp_id = o.corp_id and i.order_id = o.id and i.product_code <> ${code}
      group by 1 order by 2 desc, 1 limit 5`.execute(ctx.cdb.db),
    sql<{ c: unknown }>`
      select count(distinct o.customer_id) c from (
        select o.customer_id from insight_customers r
        join orders o on o.corp_id = r.corp_id and o.customer_id = r.customer_id
        join order_items i on i.corp_id = o.corp_id and i.order_id = o.id and i.product_code = ${code}
        where r.corp_id = ${corp} ${inScope(scope)} group by o.customer_id having count(distinct o.id) >= 2
      ) o`.execute(ctx.cdb.db),
  ]);
  const allBuyers = n(totals.rows[0]?.buyers);
  const otherBuyers = allBuyers - p.buyers;
  const t = await sql<{ churned: unknown }>`
    select count(*) filter (where r.lost_day is not null or r.stage in ('dormant', 'churned')) churned
    from insight_customers r where r.corp_id = ${corp} and r.order_count > 0 ${inScope(scope)}`.execute(
    ctx.cdb.db,
  );
  const otherChurned = n(t.rows[0]?.churned) - p.churned;
  const otherComplained = p.complained === null ? null : (await complainedBuyers(ctx, scope)) - p.complained;
  return {
    ...p,
    baseline: {
      buyers: otherBuyers,
      churnRate: otherBuyers > 0 ? otherChurned / otherBuyers : null,
      complaintRate: otherComplained !== null && otherBuyers > 0 ? otherComplained / otherBuyers : null,
    },
    repeatBuyers: n(repeat.rows[0]?.c),
    next: next.rows.map((x) => {
      const f = figures.find((y) => y.code === x.code);
      return { code: x.code, name: f?.name ?? x.code, role: f?.role ?? null, buyers: n(x.buyers) };
    }),
  };
}

async function complainedBuyers(ctx: Ctx, scope: Scope): Promise<number> {
  const corp = ctx.cdb.corpId;
  const r = await sql<{ c: unknown }>`
    select count(*) c from insight_customers r where r.corp_id = ${corp} and r.order_count > 0 ${inScope(scope)}
      and exists (select 1 from customer_tags ct join tags t on t.corp_id = ct.corp_id and t.id = ct.tag_id
        where ct.corp_id = r.corp_id and ct.customer_id = r.customer_id
          and (t.name like '%投诉%' or lower(t.name) like '%complain%'))`.execute(ctx.cdb.db);
  return n(r.rows[0]?.c);
}

export interface Recommendation {
  stage: string;
  customers: number;
  role: LadderRole;
  product: { code: string; name: string; buyers: number } | null;
}

/**
 * The next product by stage: the stage's next rung, and the product of that role most bought in the scope
 * (leaving out flagged products: operations cannot save a bad product).
 */
export async function recommendations(
  ctx: Ctx,
  scope: Scope,
  stages: Record<string, number>,
  figures?: ProductFigures[],
): Promise<Recommendation[]> {
  const products = figures ?? (await productFigures(ctx, scope));
  return Object.entries(NEXT_ROLE).map(([stage, role]) => {
    const best = products
      .filter((p) => p.role === role && p.flags.length === 0 && p.buyers > 0)
      .sort((a, b) => b.buyers - a.buyers || a.code.localeCompare(b.code))[0];
    return {
      stage,
      customers: stages[stage] ?? 0,
      role,
      product: best ? { code: best.code, name: best.name, buyers: best.buyers } : null,
    };
  });
}
