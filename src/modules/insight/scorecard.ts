import { sql } from 'kysely';
import type { Ctx } from '../context.ts';
import { ladderPaths } from './ladder.ts';
import { addMonths, type Scope } from './service.ts';

/**
 * The four-force scorecard (组织力 × 运营力 × 商品力 × 产品力, PLAYBOOK §9) per store: each force is the
 * weighted mean of measured indicators, each indicator's score its value against a stated target (capped at
 * 1); the total is the product of the four forces, so a zero anywhere makes the whole zero, and the weakest
 * force is named. An indicator with no data ("where known") is left out and its force's weights renormalised.
 */
export const FORCES = ['organisation', 'operations', 'merchandise', 'product'] as const;
export type Force = (typeof FORCES)[number];

export interface IndicatorDef {
  key: string;
  force: Force;
  weight: number;
  /** What the value must reach for a full score; for a "lower is better" indicator the value that scores 0. */
  target: number;
  lowerIsBetter?: boolean;
  formula: { zh: string; en: string };
}

export const INDICATORS: readonly IndicatorDef[] = [
  {
    key: 'staffCoverage',
    force: 'organisation',
    weight: 0.5,
    target: 0.9,
    formula: {
      zh: '有有效好友的在职员工 ÷ 在职员工',
      en: 'active staff with at least one active follow ÷ active staff',
    },
  },
  {
    key: 'taskCompletion',
    force: 'organisation',
    weight: 0.5,
    target: 0.9,
    formula: {
      zh: '当月到期且已完成的任务 ÷ 当月到期的任务',
      en: 'tasks due in the month and done ÷ tasks due in the month',
    },
  },
  {
    key: 'touchReach',
    force: 'operations',
    weight: 0.5,
    target: 0.6,
    formula: {
      zh: '当月在触达预算内被触达的客户 ÷ 名下客户（每次触达都先经触达预算）',
      en: 'customers touched in the month within the touch budget ÷ customers owned (every touch passes the budget first)',
    },
  },
  {
    key: 'journeyConversion',
    force: 'operations',
    weight: 0.5,
    target: 0.15,
    formula: {
      zh: '当月被旅程触达后在归因窗口内下单的客户 ÷ 当月被旅程触达的客户',
      en: 'customers who ordered within the attribution window after a journey touch ÷ customers touched by journeys, in the month',
    },
  },
  {
    key: 'repurchase',
    force: 'merchandise',
    weight: 0.5,
    target: 0.4,
    formula: {
      zh: '下单 2 次及以上的客户 ÷ 下单客户',
      en: 'customers with 2+ orders ÷ customers with an order',
    },
  },
  {
    key: 'ladderProgression',
    force: 'merchandise',
    weight: 0.5,
    target: 0.3,
    formula: {
      zh: '首单之后买过更高阶梯商品的客户 ÷ 首单含阶梯商品的客户',
      en: 'customers who later bought a higher ladder role than their first order ÷ customers whose first order had a ladder role',
    },
  },
  {
    key: 'orderValue',
    force: 'product',
    weight: 0.5,
    target: 1,
    formula: {
      zh: '本店当月客单价 ÷ 全品牌当月客单价',
      en: 'the store’s order value in the month ÷ the brand’s',
    },
  },
  {
    key: 'complaintRate',
    force: 'product',
    weight: 0.5,
    target: 0.05,
    lowerIsBetter: true,
    formula: {
      zh: '带“投诉”标签的客户 ÷ 名下客户；得分 = 1 − 比率 ÷ 5%',
      en: 'customers tagged as complaining (投诉) ÷ customers owned; score = 1 − rate ÷ 5 %',
    },
  },
];

export interface IndicatorValue {
  key: string;
  value: number | null;
  score: number | null;
  numerator: number;
  denominator: number;
}

export interface ScoreRow {
  unitId: number;
  unitName: string;
  indicators: IndicatorValue[];
  forces: Record<Force, number | null>;
  /** The product of the known forces, 0–1. */
  total: number | null;
  weakest: Force | null;
}

export function scoreOf(def: IndicatorDef, value: number | null): number | null {
  if (value === null) return null;
  if (def.lowerIsBetter) return Math.max(0, Math.min(1, 1 - value / def.target));
  return Math.max(0, Math.min(1, value / def.target));
}

/** A force: the weighted mean of its known indicator scores (null when none is known). */
export function forceOf(force: Force, values: readonly IndicatorValue[]): number | null {
  let w = 0;
  let s = 0;
  for (const def of INDICATORS) {
    if (def.force !== force) continue;
    const v = values.find((x) => x.key === def.key);
    if (!v || v.score === null) continue;
    w += def.weight;
    s += def.weight * v.score;
  }
  return w === 0 ? null : s / w;
}

/** The product of the known forces and the weakest of them. */
export function combine(forces: Record<Force, number | null>): {
  total: number | null;
  weakest: Force | null;
} {
  let total: number | null = null;
  let weakest: Force | null = null;
  for (const f of FORCES) {
    const v = forces[f];
    if (v === null) continue;
    total = (total ?? 1) * v;
    if (weakest === null || v < (forces[weakest] ?? 1)) weakest = f;
  }
  return { total, weakest };
}

const n = (v: unknown) => Number(v ?? 0);
const ratio = (num: number, den: number) => (den > 0 ? num / den : null);

/** The scorecard of every store in the scope for brand month `month`. */
export async function scorecard(ctx: Ctx, scope: Scope, month: string): Promise<ScoreRow[]> {
  const corp = ctx.cdb.corpId;
  const db = ctx.cdb.db;
  const end = addMonths(month, 1);
  const from = sql`(${month}::date::timestamp - interval '8 hours') at time zone 'UTC'`;
  const to = sql`(${end}::date::timestamp - interval '8 hours') at time zone 'UTC'`;
  const stores = (
    await sql<{ id: unknown; name: string }>`
      select u.id, u.name from org_units u where u.corp_id = ${corp} and u.kind = 'store'
        ${scope.units ? sql`and u.id = any(${[...scope.units]}::bigint[])` : sql``}
      order by u.id`.execute(db)
  ).rows.map((s) => ({ id: n(s.id), name: s.name }));
  const ids = stores.map((s) => s.id);
  const by = <T extends Record<string, unknown>>(rows: T[]) => new Map(rows.map((r) => [n(r.unit_id), r]));

  const [staff, tasks, owned, touched, journey, buyers, value, brandValue, complaintTags] = await Promise.all(
    [
      sql<{ unit_id: unknown; all: unknown; covered: unknown }>`
      select s.unit_id, count(*) "all",
        count(*) filter (where exists (select 1 from insight_active a where a.corp_id = s.corp_id
          and a.staff_id = s.id and a.follows > 0)) covered
      from staff s where s.corp_id = ${corp} and s.status = 'active' and s.unit_id = any(${ids}::bigint[])
      group by 1`.execute(db),
      sql<{ unit_id: unknown; due: unknown; done: unknown }>`
      select t.unit_id, count(*) due, count(*) filter (where t.status = 'done') done from tasks t
      where t.corp_id = ${corp} and t.unit_id = any(${ids}::bigint[]) and t.due_at >= ${from} and t.due_at < ${to}
      group by 1`.execute(db),
      sql<{ unit_id: unknown; c: unknown }>`
      select r.unit_id, count(*) c from insight_customers r
      where r.corp_id = ${corp} and r.unit_id = any(${ids}::bigint[]) and r.lost_day is null group by 1`.execute(
        db,
      ),
      sql<{ unit_id: unknown; c: unknown }>`
      select r.unit_id, count(distinct t.customer_id) c from touches t
      join insight_customers r on r.corp_id = t.corp_id and r.customer_id = t.customer_id
      where t.corp_id = ${corp} and r.unit_id = any(${ids}::bigint[]) and r.lost_day is null
        and t.status <> 'released' and t.at >= ${from} and t.at < ${to}
      group by 1`.execute(db),
      sql<{ unit_id: unknown; touched: unknown; bought: unknown }>`
      select r.unit_id, count(distinct t.customer_id) touched,
        count(distinct t.customer_id) filter (where exists (select 1 from touch_attributions a
          where a.corp_id = t.corp_id and a.touch_id = t.id)) bought
      from touches t
      join insight_customers r on r.corp_id = t.corp_id and r.customer_id = t.customer_id
      where t.corp_id = ${corp} and r.unit_id = any(${ids}::bigint[]) and t.source_kind = 'journey'
        and t.status <> 'released' and t.at >= ${from} and t.at < ${to}
      group by 1`.execute(db),
      sql<{ unit_id: unknown; b: unknown; rb: unknown }>`
      select r.unit_id, count(*) filter (where r.order_count >= 1) b, count(*) filter (where r.order_count >= 2) rb
      from insight_customers r where r.corp_id = ${corp} and r.unit_id = any(${ids}::bigint[]) group by 1`.execute(
        db,
      ),
      sql<{ unit_id: unknown; o: unknown; paid: unknown }>`
      select r.unit_id, sum(r.orders) o, sum(r.paid_fen) paid from insight_monthly r
      where r.corp_id = ${corp} and r.month = ${month}::date and r.unit_id = any(${ids}::bigint[]) group by 1`.execute(
        db,
      ),
      sql<{ o: unknown; paid: unknown }>`
      select sum(r.orders) o, sum(r.paid_fen) paid from insight_monthly r
      where r.corp_id = ${corp} and r.month = ${month}::date`.execute(db),
      sql<{ id: unknown }>`
      select t.id from tags t where t.corp_id = ${corp} and (t.name like '%投诉%' or lower(t.name) like '%complain%')`.execute(
        db,
      ),
    ],
  );
  const tagIds = complaintTags.rows.map((t) => n(t.id));
  const complaints = tagIds.length
    ? by(
        (
          await sql<{ unit_id: unknown; c: unknown }>`
            select r.unit_id, count(distinct ct.customer_id) c from customer_tags ct
            join insight_customers r on r.corp_id = ct.corp_id and r.customer_id = ct.customer_id
            where ct.corp_id = ${corp} and ct.tag_id = any(${tagIds}::bigint[]) and r.unit_id = any(${ids}::bigint[])
              and r.lost_day is null
            group by 1`.execute(db)
        ).rows,
      )
    : null;
  const paths = await ladderPaths(ctx, { units: ids, staffId: null });
  const ladder = new Map<number, { first: number; up: number }>();
  for (const p of paths) {
    const l = ladder.get(p.unitId) ?? { first: 0, up: 0 };
    l.first++;
    if (p.maxRank > p.firstRank) l.up++;
    ladder.set(p.unitId, l);
  }
  const staffBy = by(staff.rows);
  const tasksBy = by(tasks.rows);
  const ownedBy = by(owned.rows);
  const touchedBy = by(touched.rows);
  const journeyBy = by(journey.rows);
  const buyersBy = by(buyers.rows);
  const valueBy = by(value.rows);
  const bv = brandValue.rows[0];
  const brandAov = bv && n(bv.o) > 0 ? n(bv.paid) / n(bv.o) : null;

  return stores.map((s) => {
    const ownedN = n(ownedBy.get(s.id)?.c);
    const v = valueBy.get(s.id);
    const aov = v && n(v.o) > 0 ? n(v.paid) / n(v.o) : null;
    const raw: Record<string, [number, number, number | null]> = {
      staffCoverage: [n(staffBy.get(s.id)?.covered), n(staffBy.get(s.id)?.all), null],
      taskCompletion: [n(tasksBy.get(s.id)?.done), n(tasksBy.get(s.id)?.due), null],
      touchReach: [n(touchedBy.get(s.id)?.c), ownedN, null],
      journeyConversion: [n(journeyBy.get(s.id)?.bought), n(journeyBy.get(s.id)?.touched), null],
      repurchase: [n(buyersBy.get(s.id)?.rb), n(buyersBy.get(s.id)?.b), null],
      ladderProgression: [ladder.get(s.id)?.up ?? 0, ladder.get(s.id)?.first ?? 0, null],
      orderValue: [aov ?? 0, brandAov ?? 0, aov !== null && brandAov ? aov / brandAov : null],
      complaintRate: complaints ? [n(complaints.get(s.id)?.c), ownedN, null] : [0, 0, null],
    };
    const indicators: IndicatorValue[] = INDICATORS.map((def) => {
      const [num, den, direct] = raw[def.key]!;
      const value = def.key === 'orderValue' ? direct : ratio(num, den);
      return { key: def.key, value, score: scoreOf(def, value), numerator: num, denominator: den };
    });
    const forces = Object.fromEntries(FORCES.map((f) => [f, forceOf(f, indicators)])) as Record<
      Force,
      number | null
    >;
    return { unitId: s.id, unitName: s.name, indicators, forces, ...combine(forces) };
  });
}
