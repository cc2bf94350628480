/**
 * Coalesces concurrent calls into batches: while one batch is being written, new items queue and go
 * together in the next. A lone item is written at once, so batching adds no latency at low load and cuts
 * the database's work per item at high load. A batch that fails is retried item by item, so one bad item
 * fails only its own caller.
 */
export class Batcher<T, R> {
  private queue: { item: T; settle: (result: R) => void; fail: (err: unknown) => void }[] = [];
  private writing = false;

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<R> {
    return new Promise((settle, fail) => {
      this.queue.push({ item, settle, fail });
      if (!this.writing) void this.writeAll();
    });
  }

  private async writeAll(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.write(batch.map((b) => b.item));
          for (const [i, b] of batch.entries()) b.settle(results[i] as R);
        } catch (err) {
          if (batch.length === 1) {
            batch[0]?.fail(err);
            continue;
          }
          for (const b of batch) {
            await this.write([b.item]).then(([r]) => b.settle(r as R), b.fail);
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
