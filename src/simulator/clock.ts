/** Injectable time. The simulator reads `clock.now()` everywhere; tests move a ManualClock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export class ManualClock implements Clock {
  private current: number;
  constructor(at: Date | string | number = Date.now()) {
    this.current = new Date(at).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(at: Date | string | number): void {
    this.current = new Date(at).getTime();
  }
}

export function isManualClock(clock: Clock): clock is ManualClock {
  return typeof (clock as Partial<ManualClock>).advance === 'function';
}

/** WeCom is a China service: calendar months (receive caps) are counted in UTC+8. */
const CHINA_OFFSET_MS = 8 * 3600_000;

export function chinaMonth(ms: number): { key: string; days: number } {
  const d = new Date(ms + CHINA_OFFSET_MS);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const days = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return { key: `${year}-${String(month + 1).padStart(2, '0')}`, days };
}
