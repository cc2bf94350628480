import { describe, expect, it } from 'vitest';
import { diffInDiff, type UnitBeforeAfter } from './did.ts';

/** A Gaussian from a seeded uniform stream (Box–Muller), so the constructed data is the same every run. */
function gauss(seed: number) {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Units with their own level, a common trend, noise, and `effect` added to the pilots after the start. */
function construct(effect: number, seed: number, n = 12): UnitBeforeAfter[] {
  const g = gauss(seed);
  return Array.from({ length: 2 * n }, (_, i) => {
    const pilot = i < n;
    const level = 10_000 + 3_000 * g();
    const before = level + 200 * g();
    const after = level + 500 + 200 * g() + (pilot ? effect : 0);
    return { unitId: i + 1, pilot, before, after };
  });
}

describe('difference-in-differences with a bootstrap interval', () => {
  it('finds a known effect, its interval covering it and leaving out zero', () => {
    const r = diffInDiff(construct(1_000, 7), { seed: 1 })!;
    expect(r.estimate).toBeGreaterThan(800);
    expect(r.estimate).toBeLessThan(1_200);
    expect(r.low).toBeLessThan(1_000);
    expect(r.high).toBeGreaterThan(1_000);
    expect(r.low).toBeGreaterThan(0);
    expect(r.significant).toBe(true);
  });

  it('says "not significant" on noise: the interval covers zero', () => {
    for (const seed of [3, 11, 29]) {
      const r = diffInDiff(construct(0, seed), { seed })!;
      expect(r.low).toBeLessThan(0);
      expect(r.high).toBeGreaterThan(0);
      expect(r.significant).toBe(false);
    }
  });

  it('the common trend cancels: the estimate is exactly the pilots’ change less the others’', () => {
    const units: UnitBeforeAfter[] = [
      { unitId: 1, pilot: true, before: 100, after: 150 },
      { unitId: 2, pilot: true, before: 200, after: 250 },
      { unitId: 3, pilot: false, before: 100, after: 110 },
      { unitId: 4, pilot: false, before: 300, after: 310 },
    ];
    const r = diffInDiff(units, { seed: 5 })!;
    expect(r.estimate).toBe(40);
    // every resample gives 40: the interval is the point
    expect(r.low).toBe(40);
    expect(r.high).toBe(40);
    expect(r.pilotBefore).toBe(150);
    expect(r.controlAfter).toBe(210);
  });

  it('is the same for the same seed, and gives no estimate with too few units on a side', () => {
    const data = construct(300, 13);
    expect(diffInDiff(data, { seed: 9 })).toEqual(diffInDiff(data, { seed: 9 }));
    expect(diffInDiff(data.slice(0, 13), { seed: 9 })).toBeNull();
  });
});
