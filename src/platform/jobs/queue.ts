import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import { backoffMs } from './backoff.ts';
import { Batcher } from './batcher.ts';
import { JobPump } from './pump.ts';

/** What a queue table has: (corp_id, id) key, order_key, status pending | done | parked, a lease, attempts. */
export type QueueTable = 'wecom_inbox' | 'domain_event_deliveries';

export interface QueueRow {
  corp_id: string;
  id: number;
  attempts: number;
}

export interface QueueOptions<R extends QueueRow> {
  db: Kysely<unknown>;
  clock: Clock;
  table: QueueTable;
  /** The columns a claim returns besides corp_id, id and attempts (trusted SQL, never user input). */
  columns: readonly string[];
  /** Handles claimed rows; rows with the same group go in one call (default: each row alone). */
  handle(rows: R[]): Promise<void>;
  groupOf?: (row: R) => string;
  batchSize?: number;
  /** Calls of `handle` at once; never two rows of one order key. */
  concurrency?: number;
  /** The concurrency allowed now, when lower (see JobPumpOptions.limit). */
  limit?: () => number;
  /** After this many failed attempts a row is parked: kept, visible, never dropped. */
  maxAttempts?: number;
  /** A claimed row is due again after this long if its worker died mid-way. */
  leaseMs?: number;
  pollMs?: number;
  onError?: (err: unknown, rows?: R[]) => void;
}

/**
 * Hands due rows of a queue table, oldest first, to `handle`, several at once. Rows are claimed with a lease
 * (FOR UPDATE SKIP LOCKED), so several workers on one PostgreSQL server never take the same row; a row is
 * only claimed when no older row of its order key is still pending (claimed, due or backing off), so one
 * key's rows are handled in order, one at a time, while other keys' run in parallel. Handlers are
 * idempotent, so a row retried after a crash has its effect once.
 */
export class QueueDispatcher<R extends QueueRow> {
  /** Rows this dispatcher has handled to the end (done), since it was made. */
  handled = 0;
  private readonly pump: JobPump<R[]>;
  private readonly done: Batcher<{ corpId: string; id: number }, undefined>;
  private readonly o: Required<Omit<QueueOptions<R>, 'onError' | 'groupOf' | 'limit'>> &
    Pick<QueueOptions<R>, 'onError' | 'groupOf' | 'limit'>;

  constructor(opts: QueueOptions<R>) {
    this.o = { batchSize: 50, concurrency: 16, maxAttempts: 8, leaseMs: 60_000, pollMs: 1_000, ...opts };
    this.pump = new JobPump({
      claim: (limit) => this.claim(limit),
      run: (rows) => this.handleGroup(rows),
      concurrency: this.o.concurrency,
      limit: this.o.limit,
      batchSize: this.o.batchSize,
      pollMs: this.o.pollMs,
      onError: (err) => this.o.onError?.(err),
    });
    // Handled rows are marked done together: one statement for all that finished meanwhile. unnest (which
    // the planner takes for a few rows) keeps it on the primary key however large the table grows.
    this.done = new Batcher(async (rows) => {
      await sql`
        update ${sql.table(this.o.table)} q set status = 'done', done_at = ${this.o.clock.now()}, last_error = null
        from unnest(${rows.map((r) => r.corpId)}::text[], ${rows.map((r) => r.id)}::bigint[]) as r(corp_id, id)
        where q.corp_id = r.corp_id and q.id = r.id`.execute(this.o.db);
      return rows.map(() => undefined);
    });
  }

  start(): void {
    this.pump.start();
  }
  kick(): void {
    this.pump.kick();
  }
  drain(): Promise<void> {
    return this.pump.drain();
  }
  stop(): Promise<void> {
    return this.pump.stop();
  }
  /** Claims what free slots allow and starts handling it (without waiting for the handlers). */
  tick(): Promise<boolean> {
    return this.pump.tick();
  }

  /** Claims up to `limit` rows, grouped as `handle` takes them. */
  private async claim(limit: number): Promise<R[][]> {
    const { db, clock, table } = this.o;
    const now = clock.now();
    const claimed = await sql<R>`
      update ${sql.table(table)} set attempts = attempts + 1, next_attempt_at = ${new Date(now.getTime() + this.o.leaseMs)}
      where (corp_id, id) in (
        select i.corp_id, i.id from ${sql.table(table)} i
        where i.status = 'pending' and i.next_attempt_at <= ${now}
          -- the head of its order key; a scalar subquery so that the plan stays an index lookup per row
          -- whatever the statistics say (an anti-join planned on stale ones rescans every pending row)
          and i.id = (
            select min(o.id) from ${sql.table(table)} o
            where o.corp_id = i.corp_id and o.order_key = i.order_key and o.status = 'pending')
        order by i.id limit ${limit}
        for update skip locked)
      returning corp_id, id, attempts, ${sql.raw(this.o.columns.join(', '))}`.execute(db);
    const rows = claimed.rows.sort((a, b) => a.id - b.id);
    const { groupOf } = this.o;
    if (!groupOf) return rows.map((r) => [r]);
    const groups = new Map<string, R[]>();
    for (const r of rows) {
      const key = `${r.corp_id}\n${groupOf(r)}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    return [...groups.values()];
  }

  private async handleGroup(rows: R[]): Promise<void> {
    try {
      await this.o.handle(rows);
    } catch (err) {
      // One bad row must not hold the others back: a failed group is tried again row by row.
      if (rows.length > 1) {
        for (const r of rows) await this.handleGroup([r]);
        return;
      }
      this.o.onError?.(err, rows);
      const r = rows[0]!;
      await sql`
        update ${sql.table(this.o.table)} set
          status = ${r.attempts >= this.o.maxAttempts ? 'parked' : 'pending'},
          last_error = ${String((err as Error)?.message ?? err).slice(0, 2000)},
          next_attempt_at = ${new Date(this.o.clock.now().getTime() + backoffMs(r.attempts, 1_000, 300_000))}
        where corp_id = ${r.corp_id} and id = ${r.id}`.execute(this.o.db);
      return;
    }
    await Promise.all(rows.map((r) => this.done.add({ corpId: r.corp_id, id: r.id })));
    this.handled += rows.length;
  }
}
