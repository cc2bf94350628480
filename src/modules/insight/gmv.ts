/**
 * GMV = customers × conversion × repurchases × order value, and the split of a change between two periods.
 * Pure: the service feeds it the rollups' sums.
 */
export interface GmvParts {
  /** Private-domain customers in the period. */
  customers: number;
  /** Of them, those who ordered. */
  buyers: number;
  orders: number;
  /** Paid, fen. */
  paidFen: number;
}

export interface Factors {
  customers: number;
  conversion: number;
  repurchases: number;
  orderValueFen: number;
  gmvFen: number;
}

export const FACTORS = ['customers', 'conversion', 'repurchases', 'orderValueFen'] as const;
export type FactorName = (typeof FACTORS)[number];

/** The four factors; a factor whose denominator is zero is 0 (and so is GMV, since nothing was paid). */
export function factorsOf(p: GmvParts): Factors {
  return {
    customers: p.customers,
    conversion: p.customers > 0 ? p.buyers / p.customers : 0,
    repurchases: p.buyers > 0 ? p.orders / p.buyers : 0,
    orderValueFen: p.orders > 0 ? p.paidFen / p.orders : 0,
    gmvFen: p.paidFen,
  };
}

export const product = (f: Pick<Factors, FactorName>): number =>
  f.customers * f.conversion * f.repurchases * f.orderValueFen;

/** The logarithmic mean L(a, b) = (a − b) / (ln a − ln b), L(a, a) = a. */
export function logMean(a: number, b: number): number {
  if (a === b) return a;
  return (a - b) / (Math.log(a) - Math.log(b));
}

export interface Split {
  method: 'lmdi' | 'shapley';
  /** Each factor's share of GMV₁ − GMV₀, in fen; they add up to the change. */
  contributions: Record<FactorName, number>;
  change: number;
}

/**
 * How much of GMV₁ − GMV₀ each factor made. With every factor positive in both periods, the additive LMDI-I
 * split (ΔV = Σ L(V₁, V₀)·ln(x₁/x₀), exact because the logs of the factors add up to the log of V). When a
 * factor is zero in one period logs fail, so the Shapley split (each factor's effect averaged over the 24
 * orders of changing them one at a time), also exact.
 */
export function splitChange(from: Factors, to: Factors): Split {
  const v0 = product(from);
  const v1 = product(to);
  const change = v1 - v0;
  const positive = FACTORS.every((k) => from[k] > 0 && to[k] > 0);
  const contributions = {} as Record<FactorName, number>;
  if (positive) {
    const l = logMean(v1, v0);
    for (const k of FACTORS) contributions[k] = l * Math.log(to[k] / from[k]);
    return { method: 'lmdi', contributions, change };
  }
  for (const k of FACTORS) contributions[k] = 0;
  const perms = permutations([...FACTORS]);
  for (const order of perms) {
    const cur: Record<FactorName, number> = { ...pick(from) };
    let prev = product(cur);
    for (const k of order) {
      cur[k] = to[k];
      const next = product(cur);
      contributions[k] += (next - prev) / perms.length;
      prev = next;
    }
  }
  return { method: 'shapley', contributions, change };
}

function pick(f: Factors): Record<FactorName, number> {
  return {
    customers: f.customers,
    conversion: f.conversion,
    repurchases: f.repurchases,
    orderValueFen: f.orderValueFen,
  };
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** GMV after moving each factor by a relative change (−0.1 = 10 % worse). */
export function whatIf(f: Factors, moves: Partial<Record<FactorName, number>>): number {
  return product({
    customers: f.customers * (1 + (moves.customers ?? 0)),
    conversion: f.conversion * (1 + (moves.conversion ?? 0)),
    repurchases: f.repurchases * (1 + (moves.repurchases ?? 0)),
    orderValueFen: f.orderValueFen * (1 + (moves.orderValueFen ?? 0)),
  });
}
