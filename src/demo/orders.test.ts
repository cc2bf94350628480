import { describe, expect, it } from 'vitest';
import { diffInDiff } from '../modules/insight/did.ts';
import { PILOTS, UNITS } from './brand.ts';
import { generateCustomers } from './generate.ts';
import { demoOrders } from './orders.ts';

const DAY = 86_400_000;
const brandDay = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
const addMonths = (month: string, k: number) => {
  const d = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1 + k, 1));
  return d.toISOString().slice(0, 7);
};
const STORES = UNITS.filter((u) => u.kind === 'store').map((u) => u.code);

/**
 * The pilots' effects as `npm start`'s demo brand (3,000 customers, the default seed) holds them in its orders:
 * each store's monthly private-domain GMV (orders from the day its customer came), three months before the
 * pilot's start month against the months from it, the pilot's stores against the others (the same
 * difference-in-differences the 试点 page computes from the rollups).
 */
function pilotDid(now: Date, pilot: (typeof PILOTS)[number]) {
  const plans = generateCustomers(3000, 20240601, now);
  const { orders } = demoOrders(
    plans.map((plan, i) => ({ plan, key: String(i).padStart(5, '0') })),
    20240601,
    now,
    { from: 240, live: false },
  );
  const storeOf = new Map(plans.map((p, i) => [String(i).padStart(5, '0'), p]));
  const gmv = new Map<string, number>();
  for (const { order } of orders) {
    const key = /^[PMT]\d{8}(\d{5})\d{2}$/.exec(order.sourceOrderId)![1]!;
    const plan = storeOf.get(key)!;
    const day = brandDay(Date.parse(order.orderedAt));
    if (day < brandDay(plan.firstAddedAt.getTime())) continue;
    const k = `${plan.store}:${day.slice(0, 7)}`;
    gmv.set(k, (gmv.get(k) ?? 0) + order.paidFen);
  }
  const start = brandDay(now.getTime() - pilot.startsDaysAgo * DAY).slice(0, 7);
  const thisMonth = brandDay(now.getTime()).slice(0, 7);
  const before = [1, 2, 3].map((k) => addMonths(start, -k));
  const after = [0, 1, 2].map((k) => addMonths(start, k)).filter((m) => m <= thisMonth);
  const mean = (store: string, ms: string[]) =>
    ms.reduce((s, m) => s + (gmv.get(`${store}:${m}`) ?? 0), 0) / ms.length;
  return diffInDiff(
    STORES.map((s, i) => ({
      unitId: i,
      pilot: pilot.stores.includes(s),
      before: mean(s, before),
      after: mean(s, after),
    })),
    { seed: 1 },
  )!;
}

describe("the demo brand's pilots, in its generated orders", () => {
  // a few days of the year: the months before and after the starts fall differently
  for (const day of [
    '2026-12-06T13:00:00Z',
    '2026-03-02T02:00:00Z',
    '2026-08-20T09:00:00Z',
    '2026-05-11T06:00:00Z',
    '2026-10-28T12:00:00Z',
  ]) {
    it(`the second-cup journey lifts its stores' GMV significantly, the member-day policy not yet (${day.slice(0, 10)})`, () => {
      const now = new Date(day);
      const journey = pilotDid(now, PILOTS[0]!);
      expect(journey.significant).toBe(true);
      expect(journey.estimate).toBeGreaterThan(0);
      const policy = pilotDid(now, PILOTS[1]!);
      expect(policy.significant).toBe(false);
    });
  }
});
