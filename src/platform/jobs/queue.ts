import { type Kysely, sql } from 'kysely';
import { storableText } from '../../wecom/text.ts';
import type { Clock } from '../clock.ts';
import { backoffMs } from './backoff.ts';
import { Batcher } from './batcher.ts';
import { HEARTBEAT_MS, LEASE_MS, Leases, newHolder } from './lease.ts';
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
  /**
   * The column (one of `columns`) whose rows of a brand go to `handle` together, up to `batchSize` of them;
   * a claim takes at most as many groups as free slots, each with all its due rows in the claim's window.
   */
  groupBy?: string;
  batchSize?: number;
  /** Calls of `handle` at once; never two rows of one order key. */
  concurrency?: number;
  /** The concurrency allowed now, when lower (see JobPumpOptions.limit). */
  limit?: () => number;
  /** After this many failed attempts a row is parked: kept, visible, never dropped. */
  maxAttempts?: number;
  /** This process's name on the leases it takes (default: a new one; see lease.ts). */
  holder?: string;
  /** A claimed row is due again after this long without a renewal: its worker died (default LEASE_MS). */
  leaseMs?: number;
  /** How often the leases of the rows being handled are renewed (default HEARTBEAT_MS). */
  heartbeatMs?: number;
  pollMs?: number;
  /** See WorkLoop: kicks within this long of the last claim wait for the rest of it (default 0). */
  gatherMs?: number;
  onError?: (err: unknown, rows?: R[]) => void;
}

/**
 * Hands due rows of a queue table, oldest first, to `handle`, several at once. Rows are claimed with a lease
 * (FOR UPDATE SKIP LOCKED) that names this worker and that it renews while it handles them (lease.ts), so
 * several workers on one PostgreSQL server never take the same row and a dead worker's rows are taken back
 * within seconds; a row is
 * only claimed when no older row of its order key is still pending (claimed, due or backing off), so one
 * key's rows are handled in order, one at a time, while other keys' run in parallel. Handlers are
 * idempotent, so a row retried after a crash has its effect once.
 */
export class QueueDispatcher<R extends QueueRow> {
  /** Rows this dispatcher has handled to the end (done), since it was made. */
  handled = 0;
  private readonly pump: JobPump<R[]>;
  private readonly done: Batcher<{ corpId: string; id: number }, undefined>;
  private readonly leases: Leases;
  private readonly o: Required<Omit<QueueOptions<R>, 'onError' | 'groupBy' | 'limit' | 'holder'>> &
    Pick<QueueOptions<R>, 'onError' | 'groupBy' | 'limit'>;

  constructor(opts: QueueOptions<R>) {
    this.o = {
      batchSize: 50,
      concurrency: 16,
      maxAttempts: 8,
      leaseMs: LEASE_MS,
      heartbeatMs: HEARTBEAT_MS,
      pollMs: 1_000,
      gatherMs: 0,
      ...opts,
    };
    this.leases = new Leases({
      db: this.o.db,
      clock: this.o.clock,
      table: this.o.table,
      holder: opts.holder ?? newHolder(),
      leaseMs: this.o.leaseMs,
      heartbeatMs: this.o.heartbeatMs,
      onError: (err) => this.o.onError?.(err),
    });
    this.pump = new JobPump({
      claim: (limit) => this.claim(limit),
      run: (rows) => this.handleGroup(rows),
      concurrency: this.o.concurrency,
      limit: this.o.limit,
      batchSize: this.o.batchSize,
      pollMs: this.o.pollMs,
      gatherMs: this.o.gatherMs,
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
  /** Calls of `handle` running now. */
  get active(): number {
    return this.pump.active;
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

  /** Claims up to `limit` calls of `handle`: rows, or groups of rows (see `groupBy`). */
  private async claim(limit: number): Promise<R[][]> {
    // A claim looks at a window of the oldest due rows, so it costs what it takes, not the backlog; only
    // when the window is full of rows waiting behind their order key's head does it look at every due row.
    const window = Math.max(500, limit * 10, this.o.groupBy ? this.o.batchSize * 2 : 0);
    let claimed = await this.claimFrom(limit, window);
    if (claimed.length === 0 && (await this.dueAtLeast(window))) claimed = await this.claimFrom(limit, null);
    const rows = claimed.sort((a, b) => a.id - b.id);
    this.leases.hold(rows);
    const { groupBy } = this.o;
    if (!groupBy) return rows.map((r) => [r]);
    const groups = new Map<string, R[]>();
    for (const r of rows) {
      const key = `${r.corp_id}\n${(r as unknown as Record<string, unknown>)[groupBy]}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    return [...groups.values()];
  }

  private async claimFrom(limit: number, window: number | null): Promise<R[]> {
    const { db, clock, table, groupBy, batchSize } = this.o;
    const now = clock.now();
    const t = sql.table(table);
    // The due rows in id order (off the pending index), each kept only if it heads its order key (a scalar
    // subquery: an index lookup per row whatever the statistics say, where an anti-join planned on missing
    // ones rescans every pending row). Ordered by the window's id, the plan stops after `limit` heads.
    // Grouped, it takes the heads of the first `limit` groups, up to `batchSize` rows in all: one claim
    // hands a backlog to a subscriber in batches rather than a row per free slot.
    const due = sql`
      select w.corp_id, w.id from ${t} w where w.status = 'pending' and w.next_attempt_at <= ${now}
        and w.id <> all(${this.leases.ids()}::bigint[])
      order by w.id ${window ? sql`limit ${sql.lit(window)}` : sql``}`;
    const heads = sql`
      join ${t} i on i.corp_id = w.corp_id and i.id = w.id
      where i.id = (
        select min(o.id) from ${t} o
        where o.corp_id = i.corp_id and o.order_key = i.order_key and o.status = 'pending')`;
    // A head stays the head until it is done (its key's later rows are newer), so the heads found without a
    // lock are the ones locked, and the update below checks them again.
    const picked = groupBy
      ? sql`
      h as materialized (
        select i.corp_id, i.id, ${sql.ref(`i.${groupBy}`)} as g from (${due}) w ${heads}
        order by w.id limit ${sql.lit(batchSize)}),
      groups as (select corp_id, g from h group by corp_id, g order by min(id) limit ${sql.lit(limit)}),
      picked as materialized (
        select i.corp_id, i.id from h join ${t} i on i.corp_id = h.corp_id and i.id = h.id
        where (h.corp_id, h.g) in (select corp_id, g from groups)
        for update of i skip locked)`
      : sql`
      picked as materialized (
        select i.corp_id, i.id from (${due}) w ${heads}
        order by w.id limit ${sql.lit(limit)}
        for update of i skip locked)`;
    const { rows } = await sql<R>`
      with ${picked}
      update ${t} q set attempts = q.attempts + 1, next_attempt_at = ${this.leases.until(now)},
        claimed_by = ${this.leases.holder}
      from picked p
      -- checked again on the row updated: one another worker claimed meanwhile is no longer due (inside
      -- the locking select the same check makes PGlite plan the window as a scan per row)
      where q.corp_id = p.corp_id and q.id = p.id and q.status = 'pending' and q.next_attempt_at <= ${now}
      returning q.corp_id, q.id, q.attempts, ${sql.raw(this.o.columns.map((c) => `q.${c}`).join(', '))}`.execute(
      db,
    );
    return rows;
  }

  private async dueAtLeast(n: number): Promise<boolean> {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from (
        select 1 from ${sql.table(this.o.table)}
        where status = 'pending' and next_attempt_at <= ${this.o.clock.now()} limit ${n}) d`.execute(
      this.o.db,
    );
    return rows[0]!.n >= n;
  }

  private async handleGroup(rows: R[]): Promise<void> {
    try {
      await this.handleHeld(rows);
    } finally {
      for (const r of rows) this.leases.release(r.id);
    }
  }

  private async handleHeld(rows: R[]): Promise<void> {
    try {
      await this.o.handle(rows);
    } catch (err) {
      // One bad row must not hold the others back: a failed group is tried again row by row.
      if (rows.length > 1) {
        for (const r of rows) await this.handleHeld([r]);
        return;
      }
      this.o.onError?.(err, rows);
      const r = rows[0]!;
      // Only while the row is still this worker's: one that stalled past its lease has lost it to another.
      await sql`
        update ${sql.table(this.o.table)} set
          status = ${r.attempts >= this.o.maxAttempts ? 'parked' : 'pending'},
          last_error = ${storableText(String((err as Error)?.message ?? err).slice(0, 2000))},
          next_attempt_at = ${new Date(this.o.clock.now().getTime() + backoffMs(r.attempts, 1_000, 300_000))},
          claimed_by = null
        where corp_id = ${r.corp_id} and id = ${r.id} and status = 'pending'
          and claimed_by = ${this.leases.holder}`.execute(this.o.db);
      return;
    }
    await Promise.all(rows.map((r) => this.done.add({ corpId: r.corp_id, id: r.id })));
    this.handled += rows.length;
  }
}
