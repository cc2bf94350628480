import { describe, expect, it } from 'vitest';
import {
  afterQuietHours,
  brandMonth,
  DEFAULT_BUDGET,
  decide,
  foldBudget,
  inQuietHours,
  monthlyCapAt,
  windowRetry,
} from './rules.ts';

const at = (iso: string) => new Date(iso);
const H = 3_600_000;

describe('quiet hours (brand time, UTC+8)', () => {
  it('21:00–09:00 wraps midnight', () => {
    expect(inQuietHours(DEFAULT_BUDGET, at('2026-07-01T12:59:00Z'))).toBe(false); // 20:59
    expect(inQuietHours(DEFAULT_BUDGET, at('2026-07-01T13:00:00Z'))).toBe(true); // 21:00
    expect(inQuietHours(DEFAULT_BUDGET, at('2026-07-01T18:00:00Z'))).toBe(true); // 02:00
    expect(inQuietHours(DEFAULT_BUDGET, at('2026-07-02T00:59:00Z'))).toBe(true); // 08:59
    expect(inQuietHours(DEFAULT_BUDGET, at('2026-07-02T01:00:00Z'))).toBe(false); // 09:00
  });
  it('defers to their end, and start = end means none', () => {
    expect(afterQuietHours(DEFAULT_BUDGET, at('2026-07-01T14:30:12Z'))).toEqual(at('2026-07-02T01:00:00Z'));
    expect(afterQuietHours(DEFAULT_BUDGET, at('2026-07-01T05:00:00Z'))).toEqual(at('2026-07-01T05:00:00Z'));
    const lunch = { quietStart: 12 * 60, quietEnd: 13 * 60 };
    expect(afterQuietHours(lunch, at('2026-07-01T04:10:00Z'))).toEqual(at('2026-07-01T05:00:00Z'));
    expect(inQuietHours({ quietStart: 0, quietEnd: 0 }, at('2026-07-01T04:10:00Z'))).toBe(false);
  });
});

describe('inheritance', () => {
  it("a unit's non-null values win over its ancestors', the defaults over nothing", () => {
    const none = { maxTouches: null, windowHours: null, quietStart: null, quietEnd: null };
    expect(foldBudget([])).toEqual(DEFAULT_BUDGET);
    expect(foldBudget([{ ...none, maxTouches: 3 }, undefined, { ...none, windowHours: 24 }])).toEqual({
      ...DEFAULT_BUDGET,
      maxTouches: 3,
      windowHours: 24,
    });
    expect(
      foldBudget([
        { ...none, quietStart: 60, quietEnd: 60 },
        { ...none, maxTouches: 2 },
      ]),
    ).toMatchObject({
      maxTouches: 2,
      quietStart: 60,
      quietEnd: 60,
    });
  });
});

describe('the rolling window and the month', () => {
  const budget = { ...DEFAULT_BUDGET, maxTouches: 2, windowHours: 24 };
  it('frees a slot when the oldest of the last max touches leaves the window', () => {
    const now = at('2026-07-01T04:00:00Z');
    expect(windowRetry(budget, [new Date(now.getTime() - 5 * H)], now)).toBeNull();
    const two = [new Date(now.getTime() - 5 * H), new Date(now.getTime() - 1 * H)];
    expect(windowRetry(budget, two, now)).toEqual(new Date(now.getTime() + 19 * H));
    // a touch already placed after `at` counts, conservatively
    expect(windowRetry(budget, [new Date(now.getTime() - 5 * H), new Date(now.getTime() + H)], now)).toEqual(
      new Date(now.getTime() + 25 * H),
    );
  });
  it('brand months: July 2026 has 31 days, starts at 16:00 UTC on June 30', () => {
    const m = brandMonth(at('2026-06-30T16:30:00Z'));
    expect(m).toMatchObject({ key: '2026-07', days: 31 });
    expect(m.start).toEqual(at('2026-06-30T16:00:00Z'));
    expect(m.next).toEqual(at('2026-07-31T16:00:00Z'));
    expect(monthlyCapAt(null, at('2026-02-10T00:00:00Z'))).toBe(28);
    expect(monthlyCapAt(4, at('2026-02-10T00:00:00Z'))).toBe(4);
  });
});

describe('decide', () => {
  const base = {
    budget: DEFAULT_BUDGET,
    monthlyCap: 31,
    at: at('2026-07-01T04:00:00Z'), // 12:00 brand time
    optedOut: false,
    friend: true,
    wecomMass: true,
    touches: [],
    massThisMonth: 0,
  };
  it('says why, in order, and when it would fit', () => {
    expect(decide(base)).toEqual({ ok: true });
    expect(decide({ ...base, optedOut: true, friend: false })).toEqual({ ok: false, reason: 'opted_out' });
    expect(decide({ ...base, friend: false })).toEqual({ ok: false, reason: 'not_friend' });
    expect(decide({ ...base, massThisMonth: 31 })).toEqual({
      ok: false,
      reason: 'monthly_cap',
      retryAt: at('2026-08-01T01:00:00Z'), // the month turns at midnight, inside quiet hours: 09:00
    });
    expect(decide({ ...base, massThisMonth: 31, wecomMass: false })).toEqual({ ok: true });
    expect(decide({ ...base, touches: [at('2026-06-30T06:00:00Z')] })).toEqual({
      ok: false,
      reason: 'capped',
      retryAt: at('2026-07-02T06:00:00Z'),
    });
    // the slot frees at 23:00 brand time: deferred to 09:00 the next morning
    expect(decide({ ...base, touches: [at('2026-06-30T15:00:00Z')] })).toEqual({
      ok: false,
      reason: 'capped',
      retryAt: at('2026-07-03T01:00:00Z'),
    });
    expect(decide({ ...base, at: at('2026-07-01T14:00:00Z') })).toEqual({
      ok: false,
      reason: 'quiet_hours',
      retryAt: at('2026-07-02T01:00:00Z'),
    });
  });
});
