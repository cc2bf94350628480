import { describe, expect, it } from 'vitest';
import {
  brandDay,
  DAY_MS,
  DEFAULT_SETTINGS,
  frequencyScore,
  type LifecycleSettings,
  lifecycleStage,
  monetaryScore,
  nextYearly,
  recencyScore,
  rfmScores,
  type StageInput,
  settingsProblems,
} from './rfm.ts';

const now = new Date('2026-07-01T10:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY_MS);
const s: LifecycleSettings = DEFAULT_SETTINGS; // R cuts 7/14/30/60 days, F 2/4/8/15, M ¥50/150/400/1000

function customer(over: Partial<StageInput>): StageInput {
  return { orderCount: 0, paidFen: 0, lastOrderAt: null, addedAt: daysAgo(3), followed: true, ...over };
}

describe('RFM scores', () => {
  it('scores recency by whole 24-hour spans since the last order', () => {
    const cuts = s.recencyDays;
    expect(recencyScore(daysAgo(0), now, cuts)).toBe(5);
    expect(recencyScore(new Date(daysAgo(7).getTime() + 1), now, cuts)).toBe(5);
    expect(recencyScore(daysAgo(7), now, cuts)).toBe(4); // exactly 7 days: no longer "within 7 days"
    expect(recencyScore(daysAgo(13.9), now, cuts)).toBe(4);
    expect(recencyScore(daysAgo(29), now, cuts)).toBe(3);
    expect(recencyScore(daysAgo(59), now, cuts)).toBe(2);
    expect(recencyScore(daysAgo(60), now, cuts)).toBe(1);
    expect(recencyScore(daysAgo(900), now, cuts)).toBe(1);
    // an order stamped a little in the future (a till's clock) is as recent as it gets
    expect(recencyScore(new Date(now.getTime() + 60_000), now, cuts)).toBe(5);
  });

  it('scores frequency and monetary by the cut points reached', () => {
    expect([1, 2, 3, 4, 7, 8, 14, 15, 99].map((n) => frequencyScore(n, s.frequencyOrders))).toEqual([
      1, 2, 2, 3, 3, 4, 4, 5, 5,
    ]);
    expect(
      [0, 4_999, 5_000, 15_000, 39_999, 40_000, 100_000].map((f) => monetaryScore(f, s.monetaryFen)),
    ).toEqual([1, 1, 2, 3, 3, 4, 5]);
  });

  it('has no scores without orders', () => {
    expect(rfmScores(customer({}), now, s)).toEqual({ r: null, f: null, m: null });
    expect(rfmScores(customer({ orderCount: 3, paidFen: 9_000, lastOrderAt: daysAgo(10) }), now, s)).toEqual({
      r: 4,
      f: 2,
      m: 2,
    });
  });
});

describe('lifecycle stage', () => {
  it('walks new → active → repeat → super as orders come', () => {
    expect(lifecycleStage(customer({}), now, s)).toBe('new');
    expect(lifecycleStage(customer({ orderCount: 1, paidFen: 2_500, lastOrderAt: daysAgo(2) }), now, s)).toBe(
      'active',
    );
    expect(lifecycleStage(customer({ orderCount: 2, paidFen: 5_000, lastOrderAt: daysAgo(2) }), now, s)).toBe(
      'repeat',
    );
    const regular = customer({ orderCount: 8, paidFen: 40_000, lastOrderAt: daysAgo(8) });
    expect(rfmScores(regular, now, s)).toEqual({ r: 4, f: 4, m: 4 });
    expect(lifecycleStage(regular, now, s)).toBe('super');
    // one score short of the minimum: a repeat buyer, not a super user
    expect(lifecycleStage({ ...regular, paidFen: 39_999 }, now, s)).toBe('repeat');
    expect(lifecycleStage({ ...regular, lastOrderAt: daysAgo(14) }, now, s)).toBe('repeat');
  });

  it('turns dormant, then churned, as time passes without an order', () => {
    const regular = customer({ orderCount: 20, paidFen: 200_000, lastOrderAt: daysAgo(59) });
    expect(lifecycleStage(regular, now, s)).toBe('repeat');
    expect(lifecycleStage({ ...regular, lastOrderAt: daysAgo(60) }, now, s)).toBe('dormant');
    expect(lifecycleStage({ ...regular, lastOrderAt: daysAgo(179) }, now, s)).toBe('dormant');
    expect(lifecycleStage({ ...regular, lastOrderAt: daysAgo(180) }, now, s)).toBe('churned');
  });

  it('counts from the add for a customer who never ordered', () => {
    expect(lifecycleStage(customer({ addedAt: daysAgo(59) }), now, s)).toBe('new');
    expect(lifecycleStage(customer({ addedAt: daysAgo(60) }), now, s)).toBe('dormant');
    expect(lifecycleStage(customer({ addedAt: daysAgo(400) }), now, s)).toBe('churned');
  });

  it('is churned once nobody follows the customer, whatever they bought', () => {
    const lost = customer({ orderCount: 20, paidFen: 200_000, lastOrderAt: daysAgo(1), followed: false });
    expect(lifecycleStage(lost, now, s)).toBe('churned');
  });

  it('follows the brand’s thresholds', () => {
    const strict: LifecycleSettings = {
      ...s,
      repeatOrders: 3,
      superMin: { r: 5, f: 5, m: 5 },
      dormantDays: 30,
      churnedDays: 90,
    };
    const c = customer({ orderCount: 2, paidFen: 5_000, lastOrderAt: daysAgo(31) });
    expect(lifecycleStage(c, now, s)).toBe('repeat');
    expect(lifecycleStage(c, now, strict)).toBe('dormant');
    expect(lifecycleStage({ ...c, lastOrderAt: daysAgo(1) }, now, strict)).toBe('active');
  });
});

describe('settings validation', () => {
  it('accepts the defaults', () => {
    expect(settingsProblems(DEFAULT_SETTINGS)).toEqual([]);
  });

  it('names each problem, in both languages', () => {
    const bad: LifecycleSettings = {
      recencyDays: [7, 30, 14, 60],
      frequencyOrders: [0, 2, 3, 4],
      monetaryFen: [100, 200, 300, 300],
      repeatOrders: 1,
      superMin: { r: 6, f: 4, m: 4 },
      dormantDays: 90,
      churnedDays: 90,
    };
    const problems = settingsProblems(bad);
    expect(problems.map((p) => p.field)).toEqual([
      'recencyDays',
      'frequencyOrders',
      'monetaryFen',
      'repeatOrders',
      'superMin.r',
      'churnedDays',
    ]);
    expect(problems[0]!.en).toContain('7 / 30 / 14 / 60');
    expect(problems[5]!.zh).toContain('须大于沉睡天数');
    for (const p of problems) expect(p.zh).not.toBe(p.en);
  });
});

describe('key dates', () => {
  it('finds the next occurrence of a yearly date', () => {
    expect(nextYearly('1990-07-01', '2026-07-01')).toEqual({ date: '2026-07-01', inDays: 0, years: 36 });
    expect(nextYearly('1990-07-15', '2026-07-01')).toEqual({ date: '2026-07-15', inDays: 14, years: 36 });
    expect(nextYearly('1990-06-30', '2026-07-01')).toEqual({ date: '2027-06-30', inDays: 364, years: 37 });
    expect(nextYearly('1992-01-02', '2026-12-31')).toEqual({ date: '2027-01-02', inDays: 2, years: 35 });
    // 29 February: the 28th in other years, the 29th in leap years
    expect(nextYearly('1996-02-29', '2026-02-01')).toEqual({ date: '2026-02-28', inDays: 27, years: 30 });
    expect(nextYearly('1996-02-29', '2027-03-01')).toEqual({ date: '2028-02-29', inDays: 365, years: 32 });
  });

  it('counts an anniversary from one year after the date', () => {
    expect(nextYearly('2026-06-20', '2026-07-01', 1)).toEqual({ date: '2027-06-20', inDays: 354, years: 1 });
    expect(nextYearly('2026-07-10', '2026-07-01', 1)).toEqual({ date: '2027-07-10', inDays: 374, years: 1 });
    expect(nextYearly('2026-07-10', '2026-07-01')).toMatchObject({ date: '2026-07-10', years: 0 });
    expect(nextYearly('2024-07-01', '2026-07-01', 1)).toEqual({ date: '2026-07-01', inDays: 0, years: 2 });
  });

  it('reads the brand’s day in China time', () => {
    expect(brandDay(new Date('2026-06-30T15:59:59Z'))).toBe('2026-06-30');
    expect(brandDay(new Date('2026-06-30T16:00:00Z'))).toBe('2026-07-01');
  });
});
