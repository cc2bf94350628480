import { describe, expect, it } from 'vitest';
import {
  type AssignmentRule,
  brandDayStart,
  type Candidate,
  pickStaff,
  routeTargets,
  withinWorkingHours,
} from './assignment.ts';

const staff = (id: number, extra: Partial<Candidate> = {}): Candidate => ({
  staffId: id,
  userid: `u${id}`,
  backup: false,
  position: id,
  addsToday: 0,
  load: 0,
  ...extra,
});
const rule = (extra: Partial<AssignmentRule> = {}): AssignmentRule => ({
  mode: 'pool',
  strategy: 'round_robin',
  dailyCap: null,
  workingHours: null,
  ...extra,
});
// 2026-11-24 is a Tuesday; 10:00 in Shanghai is 02:00 UTC.
const tuesday10 = new Date('2026-11-24T02:00:00Z');
const tuesday22 = new Date('2026-11-24T14:00:00Z');
const hours = { days: [1, 2, 3, 4, 5], start: '09:00', end: '21:00' };

describe('routing a channel code', () => {
  it('goes round the pool in position order', () => {
    const pool = [staff(3), staff(1), staff(2)];
    const seq = [0, 1, 2, 3, 4].map((rr) => pickStaff(rule(), pool, rr, tuesday10)?.userid);
    expect(seq).toEqual(['u1', 'u2', 'u3', 'u1', 'u2']);
  });

  it('skips members at the daily cap, then hands over to backups, then overflows to the least busy', () => {
    const capped = rule({ dailyCap: 5 });
    const pool = [staff(1, { addsToday: 5 }), staff(2, { addsToday: 4 }), staff(9, { backup: true })];
    expect(pickStaff(capped, pool, 0, tuesday10)).toMatchObject({ userid: 'u2', reason: 'primary' });
    const allCapped = [
      staff(1, { addsToday: 5 }),
      staff(2, { addsToday: 6 }),
      staff(9, { backup: true, addsToday: 0 }),
    ];
    expect(pickStaff(capped, allCapped, 0, tuesday10)).toMatchObject({ userid: 'u9', reason: 'backup' });
    const everyone = [staff(1, { addsToday: 7 }), staff(2, { addsToday: 5 })];
    expect(pickStaff(capped, everyone, 0, tuesday10)).toMatchObject({ userid: 'u2', reason: 'overflow' });
  });

  it('sends customers to backups outside working hours, and to primaries when there is no backup', () => {
    const r = rule({ workingHours: hours });
    const pool = [staff(1), staff(9, { backup: true })];
    expect(pickStaff(r, pool, 0, tuesday10)?.userid).toBe('u1');
    expect(pickStaff(r, pool, 0, tuesday22)).toMatchObject({ userid: 'u9', reason: 'backup' });
    expect(pickStaff(r, [staff(1)], 0, tuesday22)).toMatchObject({ userid: 'u1', reason: 'primary' });
  });

  it('picks the least loaded member, and a single channel always its first member', () => {
    const pool = [staff(1, { load: 300 }), staff(2, { load: 120 }), staff(3, { load: 200 })];
    expect(pickStaff(rule({ strategy: 'least_loaded' }), pool, 0, tuesday10)?.userid).toBe('u2');
    expect(pickStaff(rule({ mode: 'single' }), pool, 7, tuesday10)?.userid).toBe('u1');
  });

  it('answers null only when nobody can receive', () => {
    expect(pickStaff(rule(), [], 0, tuesday10)).toBeNull();
  });
});

describe('the members a code lists', () => {
  it('lists the whole eligible pool for round robin (WeCom takes turns), one member otherwise', () => {
    const pool = [staff(2), staff(1, { addsToday: 3 }), staff(9, { backup: true })];
    expect(routeTargets(rule(), pool, tuesday10)).toEqual({ userids: ['u1', 'u2'], reason: 'primary' });
    expect(routeTargets(rule({ dailyCap: 3 }), pool, tuesday10)?.userids).toEqual(['u2']);
    expect(routeTargets(rule({ workingHours: hours }), pool, tuesday22)).toEqual({
      userids: ['u9'],
      reason: 'backup',
    });
    expect(routeTargets(rule({ strategy: 'least_loaded' }), pool, tuesday10)?.userids).toHaveLength(1);
    expect(routeTargets(rule({ mode: 'single' }), pool, tuesday10)?.userids).toEqual(['u1']);
    const capped = [staff(1, { addsToday: 4 }), staff(2, { addsToday: 3 })];
    expect(routeTargets(rule({ dailyCap: 3 }), capped, tuesday10)).toEqual({
      userids: ['u2'],
      reason: 'overflow',
    });
  });
});

describe('brand time', () => {
  it('knows working days, hours and shifts past midnight in China time', () => {
    expect(withinWorkingHours(hours, tuesday10)).toBe(true);
    expect(withinWorkingHours(hours, tuesday22)).toBe(false);
    const saturday10 = new Date('2026-11-28T02:00:00Z');
    expect(withinWorkingHours(hours, saturday10)).toBe(false);
    const night = { days: [1, 2, 3, 4, 5, 6, 7], start: '22:00', end: '06:00' };
    expect(withinWorkingHours(night, tuesday22)).toBe(true); // the start minute is in, the end minute out
    expect(withinWorkingHours(night, new Date('2026-11-24T13:59:00Z'))).toBe(false);
    expect(withinWorkingHours(night, new Date('2026-11-24T21:59:00Z'))).toBe(true);
    expect(withinWorkingHours(night, new Date('2026-11-24T22:00:00Z'))).toBe(false);
    expect(withinWorkingHours(night, tuesday10)).toBe(false);
  });

  it('starts the day at midnight in Shanghai', () => {
    expect(brandDayStart(new Date('2026-11-24T15:59:00Z')).toISOString()).toBe('2026-11-23T16:00:00.000Z');
    expect(brandDayStart(new Date('2026-11-24T16:00:00Z')).toISOString()).toBe('2026-11-24T16:00:00.000Z');
  });
});
