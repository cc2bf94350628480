import type { Clock } from '../platform/clock.ts';

/**
 * Real time plus an offset that can be changed at any moment: the clock the demo starts the WeCom simulator
 * with, so that the demo brand's history can be played in the past (each step at its planned moment) and the
 * simulator then goes on in real time. It never stands still: between two reads the time moves on as the
 * wall clock does. (It is deliberately not a simulator ManualClock: `POST /sim/clock` keeps refusing it.)
 */
export class ShiftableClock implements Clock {
  private offset = 0;

  constructor(private readonly wall: () => number = Date.now) {}

  now(): Date {
    return new Date(this.wall() + this.offset);
  }

  /** How far this clock is from real time, in ms (negative: in the past). */
  get offsetMs(): number {
    return this.offset;
  }

  setOffset(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`clock offset must be a finite number, got ${ms}`);
    this.offset = Math.round(ms);
  }

  /** From now on the clock reads `at`, and runs on from there. */
  shiftTo(at: Date | number): void {
    this.setOffset(new Date(at).getTime() - this.wall());
  }

  shiftBy(ms: number): void {
    this.setOffset(this.offset + ms);
  }

  /** Back to real time (offset 0). */
  reset(): void {
    this.offset = 0;
  }
}
