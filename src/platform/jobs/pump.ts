import { WorkLoop } from './loop.ts';

export interface JobPumpOptions<R> {
  /** Claims up to `limit` due jobs (with a lease), most urgent first. */
  claim(limit: number): Promise<R[]>;
  /** Runs one claimed job to its end, recording the outcome; never throws. */
  run(job: R): Promise<void>;
  concurrency: number;
  /** The concurrency allowed now, when lower (a busy foreground: see RuntimeOptions.busy). */
  limit?: () => number;
  batchSize: number;
  pollMs: number;
  /** See WorkLoop: kicks within this long of the last claim wait for the rest of it (default 0). */
  gatherMs?: number;
  onError(err: unknown): void;
}

/**
 * Keeps up to `concurrency` jobs running and claims more as they finish, rather than batch by batch: one
 * slow job (a WeCom call taking a second) holds one slot, not everything claimed with it. New jobs are
 * claimed once half the slots are free, so a busy pump makes few, larger claims.
 */
export class JobPump<R> {
  private readonly loop: WorkLoop;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly o: JobPumpOptions<R>) {
    this.loop = new WorkLoop(() => this.tick(), o.pollMs, o.onError, o.gatherMs);
  }

  start(): void {
    this.loop.start();
  }
  kick(): void {
    this.loop.kick();
  }
  /** Jobs running now. */
  get active(): number {
    return this.running.size;
  }

  /** Claims what slots allow and starts it; true when it may find more at once. */
  async tick(): Promise<boolean> {
    const concurrency = Math.min(this.o.concurrency, this.o.limit?.() ?? this.o.concurrency);
    const free = concurrency - this.running.size;
    if (free < Math.max(1, Math.floor(concurrency / 2))) return false;
    const limit = Math.min(this.o.batchSize, free);
    const jobs = await this.o.claim(limit);
    for (const job of jobs) {
      const p: Promise<void> = this.o
        .run(job)
        .catch(this.o.onError)
        .finally(() => {
          this.running.delete(p);
          this.loop.kick();
        });
      this.running.add(p);
    }
    return jobs.length === limit;
  }

  /** Runs until nothing is due and nothing runs (tests and the CLI use it instead of waiting for the poll). */
  async drain(): Promise<void> {
    for (;;) {
      await this.loop.drain();
      if (this.running.size === 0) return;
      await Promise.all([...this.running]);
    }
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all([...this.running]);
  }
}
