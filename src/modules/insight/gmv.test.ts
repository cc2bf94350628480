import { describe, expect, it } from 'vitest';
import { Random } from '../../demo/random.ts';
import { FACTORS, factorsOf, logMean, product, splitChange, whatIf } from './gmv.ts';

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

describe('GMV decomposition', () => {
  it('multiplies back to GMV exactly (up to float rounding) and is 0 with no orders', () => {
    const f = factorsOf({ customers: 1200, buyers: 300, orders: 450, paidFen: 1_234_567 });
    expect(f.conversion).toBe(0.25);
    expect(f.repurchases).toBe(1.5);
    expect(product(f)).toBeCloseTo(1_234_567, 6);
    expect(product(factorsOf({ customers: 10, buyers: 0, orders: 0, paidFen: 0 }))).toBe(0);
  });

  it('splits a change additively and exactly (LMDI when every factor is positive)', () => {
    const a = factorsOf({ customers: 1000, buyers: 200, orders: 260, paidFen: 780_000 });
    const b = factorsOf({ customers: 1300, buyers: 210, orders: 300, paidFen: 840_000 });
    const s = splitChange(a, b);
    expect(s.method).toBe('lmdi');
    expect(sum(s.contributions)).toBeCloseTo(840_000 - 780_000, 6);
    expect(s.contributions.customers).toBeGreaterThan(0);
    expect(s.contributions.conversion).toBeLessThan(0);
    // one factor moving alone takes the whole change
    const c = factorsOf({ customers: 2000, buyers: 400, orders: 520, paidFen: 1_560_000 });
    const only = splitChange(a, c);
    expect(only.contributions.customers).toBeCloseTo(780_000, 6);
    expect(only.contributions.conversion).toBeCloseTo(0, 6);
  });

  it('falls back to an exact Shapley split when a factor is zero, on random data', () => {
    const rnd = new Random(16);
    for (let i = 0; i < 300; i++) {
      const part = () => {
        const customers = rnd.int(0, 50);
        const buyers = customers ? rnd.int(0, customers) : 0;
        const orders = buyers ? buyers + rnd.int(0, 30) : 0;
        return { customers, buyers, orders, paidFen: orders ? orders * rnd.int(1, 9000) : 0 };
      };
      const a = factorsOf(part());
      const b = factorsOf(part());
      const s = splitChange(a, b);
      expect(sum(s.contributions)).toBeCloseTo(b.gmvFen - a.gmvFen, 4);
      if (FACTORS.some((k) => a[k] === 0 || b[k] === 0)) expect(s.method).toBe('shapley');
    }
  });

  it('the log mean and the what-if', () => {
    expect(logMean(5, 5)).toBe(5);
    expect(logMean(Math.E, 1)).toBeCloseTo(Math.E - 1, 12);
    const f = factorsOf({ customers: 100, buyers: 40, orders: 60, paidFen: 600_000 });
    const worse = whatIf(f, { customers: -0.1, conversion: -0.1, repurchases: -0.1, orderValueFen: -0.1 });
    expect(worse / 600_000).toBeCloseTo(0.6561, 10);
  });
});
