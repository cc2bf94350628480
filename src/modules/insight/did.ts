/**
 * Difference-in-differences of pilot units against the rest, with a seeded bootstrap over units for the
 * confidence interval. Pure: the service feeds it each unit's mean before and after the pilot's start.
 */
export interface UnitBeforeAfter {
  unitId: number;
  pilot: boolean;
  before: number;
  after: number;
}

export interface DidResult {
  /** mean(after − before) of the pilot units − the same of the other units. */
  estimate: number;
  low: number;
  high: number;
  level: number;
  /** The interval leaves out 0. */
  significant: boolean;
  pilotUnits: number;
  controlUnits: number;
  pilotBefore: number;
  pilotAfter: number;
  controlBefore: number;
  controlAfter: number;
}

/** mulberry32: the same seed, the same resamples on every machine. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** The q-quantile (0..1) of sorted numbers, linear between neighbours. */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Fewer units than this on either side and there is nothing to resample: no estimate. */
export const MIN_UNITS = 2;

export function diffInDiff(
  units: readonly UnitBeforeAfter[],
  opts: { seed: number; resamples?: number; level?: number },
): DidResult | null {
  const pilot = units.filter((u) => u.pilot);
  const control = units.filter((u) => !u.pilot);
  if (pilot.length < MIN_UNITS || control.length < MIN_UNITS) return null;
  const level = opts.level ?? 0.95;
  const resamples = opts.resamples ?? 2000;
  const dp = pilot.map((u) => u.after - u.before);
  const dc = control.map((u) => u.after - u.before);
  const estimate = mean(dp) - mean(dc);
  const next = rng(opts.seed);
  const draw = (xs: readonly number[]) => {
    let s = 0;
    for (let i = 0; i < xs.length; i++) s += xs[Math.floor(next() * xs.length)]!;
    return s / xs.length;
  };
  const boot: number[] = [];
  for (let b = 0; b < resamples; b++) boot.push(draw(dp) - draw(dc));
  boot.sort((a, c) => a - c);
  const low = quantile(boot, (1 - level) / 2);
  const high = quantile(boot, 1 - (1 - level) / 2);
  return {
    estimate,
    low,
    high,
    level,
    significant: low > 0 || high < 0,
    pilotUnits: pilot.length,
    controlUnits: control.length,
    pilotBefore: mean(pilot.map((u) => u.before)),
    pilotAfter: mean(pilot.map((u) => u.after)),
    controlBefore: mean(control.map((u) => u.before)),
    controlAfter: mean(control.map((u) => u.after)),
  };
}
