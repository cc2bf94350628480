/**
 * The touch budget's pure rules: brand time (UTC+8, no daylight saving), quiet hours, inheritance of settings
 * down the org tree, the rolling window and WeCom's monthly receive cap. No I/O; unit-tested.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Siyu's brands run on China time. */
const BRAND_OFFSET_MS = 8 * HOUR_MS;

/** What a unit sets; null inherits its parent's value. */
export interface BudgetSettings {
  maxTouches: number | null;
  windowHours: number | null;
  /** Minutes of the brand day; both null inherits, start = end means no quiet hours. */
  quietStart: number | null;
  quietEnd: number | null;
}

export interface Budget {
  maxTouches: number;
  windowHours: number;
  quietStart: number;
  quietEnd: number;
}

/** The root's values when nobody set them: 1 message per customer per 2 days, quiet 21:00–09:00. */
export const DEFAULT_BUDGET: Budget = {
  maxTouches: 1,
  windowHours: 48,
  quietStart: 21 * 60,
  quietEnd: 9 * 60,
};

/** Settings from the root down to a unit, folded: each unit's non-null values win over its ancestors'. */
export function foldBudget(chain: readonly (BudgetSettings | undefined)[]): Budget {
  const out = { ...DEFAULT_BUDGET };
  for (const s of chain) {
    if (!s) continue;
    if (s.maxTouches !== null) out.maxTouches = s.maxTouches;
    if (s.windowHours !== null) out.windowHours = s.windowHours;
    if (s.quietStart !== null && s.quietEnd !== null) {
      out.quietStart = s.quietStart;
      out.quietEnd = s.quietEnd;
    }
  }
  return out;
}

/** The unit ids of a materialised path, root first: '/1/4/9/' → [1, 4, 9]. */
export const pathIds = (path: string): number[] => path.split('/').filter(Boolean).map(Number);

export const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

export function minutesOf(text: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!m) throw new Error(`not HH:MM: ${text}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Minute of the brand day at `at`. */
export function brandMinute(at: Date): number {
  const local = at.getTime() + BRAND_OFFSET_MS;
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
}

export function inQuietHours(budget: Pick<Budget, 'quietStart' | 'quietEnd'>, at: Date): boolean {
  const { quietStart: s, quietEnd: e } = budget;
  if (s === e) return false;
  const m = brandMinute(at);
  // 21:00–09:00 wraps midnight
  return s < e ? m >= s && m < e : m >= s || m < e;
}

/** The first moment at or after `at` outside quiet hours (the end of the quiet hours `at` falls in). */
export function afterQuietHours(budget: Pick<Budget, 'quietStart' | 'quietEnd'>, at: Date): Date {
  if (!inQuietHours(budget, at)) return at;
  const m = brandMinute(at);
  const wait = (budget.quietEnd - m + 1440) % 1440;
  const t = new Date(at.getTime() + wait * 60_000);
  return new Date(t.getTime() - (t.getTime() % 60_000));
}

/** The brand month `at` is in: its key, first moment, first moment of the next, and its number of days. */
export function brandMonth(at: Date): { key: string; start: Date; next: Date; days: number } {
  const d = new Date(at.getTime() + BRAND_OFFSET_MS);
  const y = d.getUTCFullYear();
  const mo = d.getUTCMonth();
  return {
    key: `${y}-${String(mo + 1).padStart(2, '0')}`,
    start: new Date(Date.UTC(y, mo, 1) - BRAND_OFFSET_MS),
    next: new Date(Date.UTC(y, mo + 1, 1) - BRAND_OFFSET_MS),
    days: new Date(Date.UTC(y, mo + 1, 0)).getUTCDate(),
  };
}

/** WeCom's per-customer monthly receive cap: the brand's setting, or the days of the month (API-FACTS-2 §11). */
export const monthlyCapAt = (setting: number | null, at: Date) => setting ?? brandMonth(at).days;

export type Refusal = 'capped' | 'quiet_hours' | 'monthly_cap' | 'not_friend' | 'opted_out';

export interface BudgetQuestion {
  budget: Budget;
  monthlyCap: number;
  at: Date;
  optedOut: boolean;
  friend: boolean;
  /** Whether this send goes through add_msg_template (counted by WeCom's monthly cap). */
  wecomMass: boolean;
  /** Times of the customer's live touches (reserved or sent), any order. */
  touches: readonly Date[];
  /** Of those, the ones of the brand month of `at` that count against WeCom's cap. */
  massThisMonth: number;
}

export type BudgetAnswer = { ok: true } | { ok: false; reason: Refusal; retryAt?: Date };

/**
 * Whether one more touch fits, and when it would if not. Reasons in order: opted out, not a friend (never
 * retried), WeCom's monthly cap (the next month), the rolling window (when the oldest touch in it leaves),
 * quiet hours (their end). A retry time is moved out of quiet hours.
 */
export function decide(q: BudgetQuestion): BudgetAnswer {
  if (q.optedOut) return { ok: false, reason: 'opted_out' };
  if (!q.friend) return { ok: false, reason: 'not_friend' };
  const later = (t: Date) => afterQuietHours(q.budget, t);
  if (q.wecomMass && q.massThisMonth >= q.monthlyCap) {
    return { ok: false, reason: 'monthly_cap', retryAt: later(brandMonth(q.at).next) };
  }
  const retry = windowRetry(q.budget, q.touches, q.at);
  if (retry) return { ok: false, reason: 'capped', retryAt: later(retry) };
  if (inQuietHours(q.budget, q.at)) return { ok: false, reason: 'quiet_hours', retryAt: later(q.at) };
  return { ok: true };
}

/**
 * null when one more touch at `at` keeps every window of `windowHours` at most `maxTouches`; else the moment it
 * would. Conservative: touches within one window length on either side of `at` count (callers reserve at
 * "now", so those after it are rare: a clock moved back, a caller reserving ahead).
 */
export function windowRetry(budget: Budget, touches: readonly Date[], at: Date): Date | null {
  const windowMs = budget.windowHours * HOUR_MS;
  const t = at.getTime();
  const near = touches
    .map((x) => x.getTime())
    .filter((x) => x > t - windowMs && x < t + windowMs)
    .sort((a, b) => a - b);
  if (near.length < budget.maxTouches) return null;
  const last = near[near.length - 1]!;
  if (last > t) return new Date(last + windowMs);
  // the slot frees when the oldest of the last `maxTouches` leaves the window
  return new Date(near[near.length - budget.maxTouches]! + windowMs);
}
