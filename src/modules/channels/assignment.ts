import type { WorkingHours } from './schema.ts';

/**
 * Who a channel code routes customers to. WeCom chooses per scan only among the members a «联系我» lists
 * (taking turns), so Siyu decides the list: the eligible pool for round robin, or the one member for single
 * and least-loaded routing; and changes it when a member reaches the daily cap, when working hours begin or
 * end (backups take over), or, for least-loaded, after each add.
 */

export interface Candidate {
  staffId: number;
  userid: string;
  backup: boolean;
  position: number;
  /** Customers this member added through the channel today (brand time). */
  addsToday: number;
  /** Active follows: the member's load, for least-loaded routing. */
  load: number;
}

export interface AssignmentRule {
  mode: 'single' | 'pool' | 'store';
  strategy: 'round_robin' | 'least_loaded';
  dailyCap: number | null;
  workingHours: WorkingHours | null;
}

export interface StaffPick {
  staffId: number;
  userid: string;
  /** primary: in hours and under the cap; backup: out of hours or every primary capped; overflow: all capped. */
  reason: 'primary' | 'backup' | 'overflow';
}

/** The brand's clock: Siyu's brands run on China time (UTC+8, no daylight saving). */
const BRAND_OFFSET_MS = 8 * 3600_000;

export function brandDayStart(now: Date): Date {
  const local = now.getTime() + BRAND_OFFSET_MS;
  return new Date(local - (local % 86_400_000) - BRAND_OFFSET_MS);
}

export function withinWorkingHours(hours: WorkingHours | null, now: Date): boolean {
  if (!hours) return true;
  const local = new Date(now.getTime() + BRAND_OFFSET_MS);
  const isoDay = local.getUTCDay() === 0 ? 7 : local.getUTCDay();
  if (!hours.days.includes(isoDay)) return false;
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes();
  const [start, end] = [hours.start, hours.end].map((t) => {
    const [h, m] = t.split(':').map(Number);
    return (h ?? 0) * 60 + (m ?? 0);
  }) as [number, number];
  // A shift past midnight (22:00–06:00) wraps.
  return start <= end ? minute >= start && minute < end : minute >= start || minute < end;
}

export function pickStaff(
  rule: AssignmentRule,
  candidates: Candidate[],
  rrPosition: number,
  now: Date,
): StaffPick | null {
  const byPosition = [...candidates].sort((a, b) => a.position - b.position || a.staffId - b.staffId);
  let primaries = byPosition.filter((c) => !c.backup);
  if (rule.mode === 'single') primaries = primaries.slice(0, 1);
  const backups = byPosition.filter((c) => c.backup);
  const underCap = (c: Candidate) => rule.dailyCap === null || c.addsToday < rule.dailyCap;
  const inHours = withinWorkingHours(rule.workingHours, now);

  const tiers: [Candidate[], StaffPick['reason']][] = inHours
    ? [
        [primaries.filter(underCap), 'primary'],
        [backups.filter(underCap), 'backup'],
      ]
    : [
        [backups.filter(underCap), 'backup'],
        [primaries.filter(underCap), 'primary'],
      ];
  for (const [pool, reason] of tiers) {
    const chosen = choose(rule.strategy, pool, rrPosition);
    if (chosen) return { staffId: chosen.staffId, userid: chosen.userid, reason };
  }
  // Everyone is capped: a customer who scans must still reach someone; the least busy today takes them.
  const all = [...primaries, ...backups].sort((a, b) => a.addsToday - b.addsToday || a.position - b.position);
  const first = all[0];
  return first ? { staffId: first.staffId, userid: first.userid, reason: 'overflow' } : null;
}

function choose(strategy: AssignmentRule['strategy'], pool: Candidate[], rrPosition: number) {
  if (pool.length === 0) return undefined;
  if (strategy === 'least_loaded') {
    return [...pool].sort(
      (a, b) => a.load - b.load || a.addsToday - b.addsToday || a.position - b.position,
    )[0];
  }
  return pool[((rrPosition % pool.length) + pool.length) % pool.length];
}

/** Whether the code's «联系我» lists several members and lets WeCom take turns (type 2), or one (type 1). */
export function takesTurnsInWecom(rule: Pick<AssignmentRule, 'mode' | 'strategy'>): boolean {
  return rule.mode !== 'single' && rule.strategy === 'round_robin';
}

/** The members the code's «联系我» should list now, in position order; null when nobody can receive. */
export function routeTargets(
  rule: AssignmentRule,
  candidates: Candidate[],
  now: Date,
): { userids: string[]; reason: StaffPick['reason'] } | null {
  const first = pickStaff(rule, candidates, 0, now);
  if (!first) return null;
  if (!takesTurnsInWecom(rule) || first.reason === 'overflow')
    return { userids: [first.userid], reason: first.reason };
  // Everyone of the tier the first pick came from, under the cap, takes turns.
  const underCap = (c: Candidate) => rule.dailyCap === null || c.addsToday < rule.dailyCap;
  const backup = candidates.find((c) => c.staffId === first.staffId)?.backup ?? false;
  const tier = candidates
    .filter((c) => c.backup === backup && underCap(c))
    .sort((a, b) => a.position - b.position || a.staffId - b.staffId);
  return { userids: tier.map((c) => c.userid), reason: first.reason };
}
