import type { WorkingHours } from '../tables.ts';

/**
 * Who a channel code routes the next customer to. WeCom cannot choose per scan, so Siyu keeps each code's
 * «联系我» pointed at one member and moves it on after every add (round robin), when a member reaches the
 * daily cap, and when working hours begin or end (backups take over).
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

export interface Pick {
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
): Pick | null {
  const byPosition = [...candidates].sort((a, b) => a.position - b.position || a.staffId - b.staffId);
  let primaries = byPosition.filter((c) => !c.backup);
  if (rule.mode === 'single') primaries = primaries.slice(0, 1);
  const backups = byPosition.filter((c) => c.backup);
  const underCap = (c: Candidate) => rule.dailyCap === null || c.addsToday < rule.dailyCap;
  const inHours = withinWorkingHours(rule.workingHours, now);

  const tiers: [Candidate[], Pick['reason']][] = inHours
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
