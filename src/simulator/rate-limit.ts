/** Fixed one-minute windows per key (corp + API path), on the simulator's clock. */
export class RateLimiter {
  private readonly windows = new Map<string, { minute: number; count: number }>();

  /** Counts one call; false when the key already used `limit` calls this minute. */
  take(key: string, limit: number, nowMs: number): boolean {
    const minute = Math.floor(nowMs / 60_000);
    const window = this.windows.get(key);
    if (!window || window.minute !== minute) {
      if (this.windows.size > 50_000) this.prune(minute);
      this.windows.set(key, { minute, count: 1 });
      return limit >= 1;
    }
    if (window.count >= limit) return false;
    window.count++;
    return true;
  }

  private prune(minute: number): void {
    for (const [key, window] of this.windows) if (window.minute !== minute) this.windows.delete(key);
  }
}
