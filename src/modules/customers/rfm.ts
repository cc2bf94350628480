import type { LifecycleStage } from '../events.ts';

/**
 * RFM scores and lifecycle stages: the pure rules. customers/facts.ts computes the same in SQL for
 * thousands of customers at once, and facts.test.ts checks the two agree on random customers.
 *
 * Time is measured in whole 24-hour spans from the moment the facts are computed: "within N days" means
 * less than N × 24 h ago, "no order for N days" means at least N × 24 h ago.
 */

export const DAY_MS = 86_400_000;

export const STAGES: readonly LifecycleStage[] = ['new', 'active', 'repeat', 'super', 'dormant', 'churned'];

/** Four ascending cut points: a score of 1 + the number of cut points the customer passes. */
export type CutPoints = [number, number, number, number];

export interface LifecycleSettings {
  /** R: an order within the first cut's days scores 5, within the second 4 … none within the last 1. */
  recencyDays: CutPoints;
  /** F: orders in all; reaching the k-th cut adds one (1 order scores 1 unless the first cut is 1). */
  frequencyOrders: CutPoints;
  /** M: paid fen in all (LTV); reaching the k-th cut adds one. */
  monetaryFen: CutPoints;
  /** repeat: at least this many orders in all. */
  repeatOrders: number;
  /** super: every score at least its minimum. */
  superMin: { r: number; f: number; m: number };
  /** dormant: no order (or, without orders, no add) for this many days. */
  dormantDays: number;
  /** churned: no order (or add) for this many days, or no staff member follows the customer any more. */
  churnedDays: number;
}

/**
 * For a tea-drinks brand (a ¥25–45 ticket, bought weekly by its regulars): a regular orders within a week
 * (R5) and has 15+ orders (F5) and ¥1,000+ (M5); two months without an order is dormant, six churned.
 */
export const DEFAULT_SETTINGS: LifecycleSettings = {
  recencyDays: [7, 14, 30, 60],
  frequencyOrders: [2, 4, 8, 15],
  monetaryFen: [5_000, 15_000, 40_000, 100_000],
  repeatOrders: 2,
  superMin: { r: 4, f: 4, m: 4 },
  dormantDays: 60,
  churnedDays: 180,
};

/** The upper bounds the console accepts (and integer columns hold). */
export const LIMITS = { days: 3650, orders: 100_000, fen: 2_000_000_000 } as const;

export function recencyScore(lastOrderAt: Date, now: Date, cuts: CutPoints): number {
  const elapsed = now.getTime() - lastOrderAt.getTime();
  return 1 + cuts.filter((days) => elapsed < days * DAY_MS).length;
}

export function frequencyScore(orderCount: number, cuts: CutPoints): number {
  return 1 + cuts.filter((c) => orderCount >= c).length;
}

export function monetaryScore(paidFen: number, cuts: CutPoints): number {
  return 1 + cuts.filter((c) => paidFen >= c).length;
}

export interface StageInput {
  orderCount: number;
  paidFen: number;
  lastOrderAt: Date | null;
  /** When the customer first added a staff member (or reached Siyu): the clock for customers without orders. */
  addedAt: Date;
  /** At least one staff member still follows the customer. */
  followed: boolean;
}

export interface Scores {
  r: number | null;
  f: number | null;
  m: number | null;
}

/** R, F and M; all null without orders. */
export function rfmScores(input: StageInput, now: Date, s: LifecycleSettings): Scores {
  if (input.orderCount === 0 || !input.lastOrderAt) return { r: null, f: null, m: null };
  return {
    r: recencyScore(input.lastOrderAt, now, s.recencyDays),
    f: frequencyScore(input.orderCount, s.frequencyOrders),
    m: monetaryScore(input.paidFen, s.monetaryFen),
  };
}

/**
 * The first rule that holds, in this order:
 * churned — nobody follows the customer any more, or no order (add) for churnedDays;
 * dormant — no order (add) for dormantDays;
 * new — no order yet;
 * super — R, F and M each at least its minimum;
 * repeat — at least repeatOrders orders;
 * active — ordered, the last time within dormantDays.
 */
export function lifecycleStage(input: StageInput, now: Date, s: LifecycleSettings): LifecycleStage {
  const last = input.lastOrderAt ?? input.addedAt;
  const elapsed = now.getTime() - last.getTime();
  if (!input.followed || elapsed >= s.churnedDays * DAY_MS) return 'churned';
  if (elapsed >= s.dormantDays * DAY_MS) return 'dormant';
  if (input.orderCount === 0) return 'new';
  const { r, f, m } = rfmScores(input, now, s);
  if (r! >= s.superMin.r && f! >= s.superMin.f && m! >= s.superMin.m) return 'super';
  if (input.orderCount >= s.repeatOrders) return 'repeat';
  return 'active';
}

export interface Problem {
  field: string;
  zh: string;
  en: string;
}

/** What is wrong with a brand's settings (nothing: an empty list). */
export function settingsProblems(s: LifecycleSettings): Problem[] {
  const problems: Problem[] = [];
  const cuts = [
    ['recencyDays', s.recencyDays, 1, LIMITS.days, '最近消费天数', 'recency days'],
    ['frequencyOrders', s.frequencyOrders, 1, LIMITS.orders, '消费次数', 'frequency orders'],
    ['monetaryFen', s.monetaryFen, 1, LIMITS.fen, '消费金额（分）', 'monetary fen'],
  ] as const;
  for (const [field, values, min, max, zh, en] of cuts) {
    if (values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
      problems.push({
        field,
        zh: `${zh}分档须为 ${min} 到 ${max} 之间的整数`,
        en: `${en} cut points must be whole numbers from ${min} to ${max}`,
      });
    } else if (values.some((v, i) => i > 0 && v <= values[i - 1]!)) {
      problems.push({
        field,
        zh: `${zh}分档须从小到大严格递增（现为 ${values.join(' / ')}）`,
        en: `${en} cut points must strictly increase (got ${values.join(' / ')})`,
      });
    }
  }
  if (!Number.isInteger(s.repeatOrders) || s.repeatOrders < 2 || s.repeatOrders > LIMITS.orders) {
    problems.push({
      field: 'repeatOrders',
      zh: `复购客的订单数须为 2 到 ${LIMITS.orders} 之间的整数`,
      en: `repeat orders must be a whole number from 2 to ${LIMITS.orders}`,
    });
  }
  for (const k of ['r', 'f', 'm'] as const) {
    const v = s.superMin[k];
    if (!Number.isInteger(v) || v < 1 || v > 5) {
      problems.push({
        field: `superMin.${k}`,
        zh: `超级用户的 ${k.toUpperCase()} 最低分须为 1 到 5`,
        en: `super user minimum ${k.toUpperCase()} must be 1 to 5`,
      });
    }
  }
  const days = (v: number) => Number.isInteger(v) && v >= 1 && v <= LIMITS.days;
  if (!days(s.dormantDays) || !days(s.churnedDays)) {
    problems.push({
      field: 'dormantDays',
      zh: `沉睡和流失天数须为 1 到 ${LIMITS.days} 之间的整数`,
      en: `dormant and churned days must be whole numbers from 1 to ${LIMITS.days}`,
    });
  } else if (s.churnedDays <= s.dormantDays) {
    problems.push({
      field: 'churnedDays',
      zh: `流失天数（${s.churnedDays}）须大于沉睡天数（${s.dormantDays}）`,
      en: `churned days (${s.churnedDays}) must be more than dormant days (${s.dormantDays})`,
    });
  }
  return problems;
}

/**
 * The next time a yearly date (a birthday, a membership anniversary) comes round on or after `today`
 * (both 'YYYY-MM-DD'), at least `minYears` after it (1 for an anniversary: joining is not one); 29 February
 * falls on 28 February in other years. With how many days away it is and how many years it marks.
 */
export function nextYearly(
  date: string,
  today: string,
  minYears = 0,
): { date: string; inDays: number; years: number } {
  const [from, month, day] = date.split('-').map(Number) as [number, number, number];
  const [year] = today.split('-').map(Number) as [number];
  const on = (y: number) => {
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    const d = month === 2 && day === 29 && !leap ? 28 : day;
    return `${y}-${String(month).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  };
  let y = Math.max(year, from + minYears);
  if (on(y) < today) y++;
  return {
    date: on(y),
    inDays: Math.round((Date.parse(on(y)) - Date.parse(today)) / DAY_MS),
    years: y - from,
  };
}

/** The brand's calendar day (China time, UTC+8 all year) of a moment, as 'YYYY-MM-DD'. */
export function brandDay(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
}
