import { describe, expect, it } from 'vitest';
import { STAFF, UNITS } from './brand.ts';
import { generateCustomers } from './generate.ts';
import { Random } from './random.ts';

const now = new Date('2025-06-01T04:00:00Z');
const DAY = 86_400_000;

describe('demo customer generator', () => {
  it('gives the same customers for the same seed, whatever the time of day', () => {
    const a = generateCustomers(500, 42, now);
    expect(generateCustomers(500, 42, now)).toEqual(a);
    const later = generateCustomers(500, 42, new Date(now.getTime() + 9.5 * 3_600_000));
    const ids = (plan: typeof a) => plan.map((c) => `${c.externalUserid} ${c.name}`).sort();
    expect(ids(later)).toEqual(ids(a));
    expect(ids(generateCustomers(500, 43, now))).not.toEqual(ids(a));
  });

  it('dates everything within ~18 months before now, staff only while they were there', () => {
    const plan = generateCustomers(1000, 1, now);
    const staff = new Map(STAFF.map((s) => [s.userid, s]));
    const units = new Map(UNITS.map((u) => [u.code, u]));
    for (const c of plan) {
      expect(c.firstAddedAt.getTime()).toBe(Math.min(...c.follows.map((f) => f.addedAt.getTime())));
      expect(new Set(c.follows.map((f) => f.staff)).size).toBe(c.follows.length);
      expect(c.tags.length).toBeLessThanOrEqual(4);
      for (const f of c.follows) {
        const s = staff.get(f.staff)!;
        const daysAgo = (now.getTime() - f.addedAt.getTime()) / DAY;
        expect(daysAgo).toBeGreaterThan(0);
        expect(daysAgo).toBeLessThan(560);
        expect(daysAgo).toBeLessThanOrEqual((s.joinedDaysAgo ?? units.get(s.unit)!.openedDaysAgo) + 1);
        if (s.departedDaysAgo !== undefined) {
          expect(f.status).toBe('deleted_by_staff');
          expect(daysAgo).toBeGreaterThan(s.departedDaysAgo);
        }
        if (f.endedAt) expect(f.endedAt.getTime()).toBeGreaterThanOrEqual(f.addedAt.getTime());
        expect(f.journeyRole).toBe(s.journeyRole);
      }
      for (const t of c.tags) {
        const by = c.follows.find((f) => f.staff === t.staff)!;
        expect(t.at.getTime()).toBeGreaterThanOrEqual(by.addedAt.getTime());
        expect(t.at.getTime()).toBeLessThanOrEqual(now.getTime());
      }
    }
    // Customers of departed staff were handed to a colleague of the same store.
    const transferred = plan.flatMap((c) => c.follows.filter((f) => f.transferredFrom));
    expect(transferred.length).toBeGreaterThan(0);
    for (const f of transferred) expect(staff.get(f.staff)!.unit).toBe(staff.get(f.transferredFrom!)!.unit);
  });

  it('Random is a stable mulberry32 stream', () => {
    const r = new Random(1);
    const first = [r.next(), r.next(), r.next()];
    const again = new Random(1);
    expect([again.next(), again.next(), again.next()]).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    const ints = Array.from({ length: 1000 }, () => r.int(1, 6));
    expect(Math.min(...ints)).toBe(1);
    expect(Math.max(...ints)).toBe(6);
  });
});
