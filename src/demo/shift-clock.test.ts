import { describe, expect, it } from 'vitest';
import { isManualClock } from '../simulator/clock.ts';
import { ShiftableClock } from './shift-clock.ts';

describe('ShiftableClock', () => {
  it('is real time plus an offset, and keeps running wherever it is set', () => {
    let wall = Date.parse('2026-06-01T04:00:00Z');
    const clock = new ShiftableClock(() => wall);
    expect(clock.now().toISOString()).toBe('2026-06-01T04:00:00.000Z');
    clock.shiftTo(new Date('2025-01-02T03:04:05Z'));
    expect(clock.now().toISOString()).toBe('2025-01-02T03:04:05.000Z');
    wall += 1500;
    expect(clock.now().toISOString()).toBe('2025-01-02T03:04:06.500Z');
    clock.shiftBy(-500);
    expect(clock.now().toISOString()).toBe('2025-01-02T03:04:06.000Z');
    expect(clock.offsetMs).toBe(Date.parse('2025-01-02T03:04:06Z') - wall);
    clock.reset();
    expect(clock.offsetMs).toBe(0);
    expect(clock.now().getTime()).toBe(wall);
    expect(() => clock.setOffset(Number.NaN)).toThrow(RangeError);
  });

  it('is not a manual clock for the simulator (POST /sim/clock stays refused)', () => {
    expect(isManualClock(new ShiftableClock())).toBe(false);
  });
});
