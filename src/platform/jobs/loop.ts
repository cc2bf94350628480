/**
 * Runs `tick` whenever kicked, and every `pollMs` as a fallback; never two ticks at once. A tick returns
 * true when it did work, and is then run again at once (draining a backlog without waiting for the poll).
 * With `gatherMs`, a kick within that long of the last run's start waits out the rest of it: kicks that
 * come one per job (an outbox row per welcome) then make one claim of several rows, not a claim each.
 */
export class WorkLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private gathering = false;
  private lastStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly tick: () => Promise<boolean>,
    private readonly pollMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly gatherMs = 0,
  ) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.gathering) return;
    const wait = this.lastStart + this.gatherMs - Date.now();
    clearTimeout(this.timer);
    if (wait > 0) {
      this.gathering = true;
      this.timer = setTimeout(() => {
        this.gathering = false;
        this.kick();
      }, wait);
      return;
    }
    this.lastStart = Date.now();
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.kick();
      } else {
        this.timer = setTimeout(() => this.kick(), this.pollMs);
      }
    });
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped && (await this.tick())) {
        // keep draining
      }
    } catch (err) {
      this.onError(err);
    }
  }

  /** Runs ticks until one finds nothing to do (tests and CLI use it instead of waiting for the poll). */
  async drain(): Promise<void> {
    while (this.running) await this.running;
    while (await this.tick()) {
      // keep draining
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.gathering = false;
    clearTimeout(this.timer);
    if (this.running) await this.running;
  }
}
