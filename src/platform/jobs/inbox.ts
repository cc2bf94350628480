import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import { backoffMs } from './backoff.ts';
import { Batcher } from './batcher.ts';
import { JobPump } from './pump.ts';
import type { JobTables } from './tables.ts';

export interface InboxEvent {
  corpId: string;
  id: number;
  eventType: string;
  event: Record<string, unknown>;
  attempts: number;
  receivedAt: Date;
}

export interface InboxRecord {
  corpId: string;
  dedupKey: string;
  /** Rows with one key are handled in id order, one at a time (default: the event type). */
  orderKey?: string;
  eventType: string;
  event: Record<string, unknown>;
  receivedAt: Date;
  notBefore?: Date;
}

/**
 * Writes callback events in one statement, before they are acknowledged. Returns, per row, true when it was
 * recorded now and false when the same event (same corp and dedup key, earlier or earlier in this batch) was
 * already there: a WeCom retry or a duplicate, to be acknowledged and otherwise ignored.
 */
export async function recordInboxBatch(db: Kysely<JobTables>, rows: InboxRecord[]): Promise<boolean[]> {
  if (rows.length === 0) return [];
  // One JSON parameter (serialised natively) rather than six arrays that pg would escape element by element.
  const json = JSON.stringify(
    rows.map((r) => ({
      corp_id: r.corpId,
      dedup_key: r.dedupKey,
      order_key: r.orderKey ?? r.eventType,
      event_type: r.eventType,
      event: r.event,
      received_at: r.receivedAt,
      next_attempt_at: r.notBefore ?? r.receivedAt,
    })),
  );
  const inserted = await sql<{ corp_id: string; dedup_key: string }>`
    insert into wecom_inbox (corp_id, dedup_key, order_key, event_type, event, received_at, next_attempt_at)
    select corp_id, dedup_key, order_key, event_type, event, received_at, next_attempt_at
    from jsonb_to_recordset(${json}::jsonb) as r(corp_id text, dedup_key text, order_key text, event_type text,
      event jsonb, received_at timestamptz, next_attempt_at timestamptz)
    on conflict (corp_id, dedup_key) do nothing
    returning corp_id, dedup_key`.execute(db);
  const fresh = new Set(inserted.rows.map((r) => `${r.corp_id}\n${r.dedup_key}`));
  // Only the first of several rows with one key in this batch was inserted; the others are duplicates.
  return rows.map((r) => fresh.delete(`${r.corpId}\n${r.dedupKey}`));
}

/** Writes one callback event; see recordInboxBatch. */
export async function recordInbox(db: Kysely<JobTables>, row: InboxRecord): Promise<boolean> {
  const [created] = await recordInboxBatch(db, [row]);
  return created === true;
}

/** Coalesces concurrent recordInbox calls into one statement per batch (see Batcher). */
export class InboxRecorder {
  private readonly batcher: Batcher<InboxRecord, boolean>;

  constructor(db: Kysely<JobTables>, maxBatch = 500) {
    this.batcher = new Batcher((rows) => recordInboxBatch(db, rows), maxBatch);
  }

  record(row: InboxRecord): Promise<boolean> {
    return this.batcher.add(row);
  }
}

export interface InboxDispatcherOptions {
  db: Kysely<JobTables>;
  clock: Clock;
  handle(event: InboxEvent): Promise<void>;
  batchSize?: number;
  /** Rows handled at once (default 16: handlers mostly wait on WeCom and the database); never two of one key. */
  concurrency?: number;
  /** After this many failed attempts a row is parked: kept, visible, never dropped. */
  maxAttempts?: number;
  /** A claimed row is due again after this long if its worker died mid-way. */
  leaseMs?: number;
  pollMs?: number;
  onError?: (err: unknown, event?: InboxEvent) => void;
}

/**
 * Hands due inbox rows, oldest first, to `handle`, several at once. Rows are claimed with a lease (FOR
 * UPDATE SKIP LOCKED), so several workers on one PostgreSQL server never take the same row; a row is only
 * claimed when no older row of its order key is still pending (claimed, due or backing off), so one
 * customer's events are handled in order, one at a time, while other customers' run in parallel. Handlers
 * are idempotent, so a row retried after a crash has its effect once.
 */
export class InboxDispatcher {
  private readonly pump: JobPump<ClaimedRow>;
  private readonly done: Batcher<{ corpId: string; id: number }, undefined>;
  private readonly o: Required<Omit<InboxDispatcherOptions, 'onError'>> &
    Pick<InboxDispatcherOptions, 'onError'>;

  constructor(opts: InboxDispatcherOptions) {
    this.o = { batchSize: 50, concurrency: 16, maxAttempts: 8, leaseMs: 60_000, pollMs: 1_000, ...opts };
    this.pump = new JobPump({
      claim: (limit) => this.claim(limit),
      run: (row) => this.handleOne(row),
      concurrency: this.o.concurrency,
      batchSize: this.o.batchSize,
      pollMs: this.o.pollMs,
      onError: (err) => this.o.onError?.(err),
    });
    // Handled rows are marked done together: one statement for all that finished meanwhile. unnest (which
    // the planner takes for a few rows) keeps it on the primary key however large the table grows.
    this.done = new Batcher(async (rows) => {
      await sql`
        update wecom_inbox i set status = 'done', done_at = ${this.o.clock.now()}, last_error = null
        from unnest(${rows.map((r) => r.corpId)}::text[], ${rows.map((r) => r.id)}::bigint[]) as r(corp_id, id)
        where i.corp_id = r.corp_id and i.id = r.id`.execute(this.o.db);
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

  private async claim(limit: number): Promise<ClaimedRow[]> {
    const { db, clock } = this.o;
    const now = clock.now();
    const claimed = await sql<ClaimedRow>`
      update wecom_inbox set attempts = attempts + 1, next_attempt_at = ${new Date(now.getTime() + this.o.leaseMs)}
      where (corp_id, id) in (
        select i.corp_id, i.id from wecom_inbox i
        where i.status = 'pending' and i.next_attempt_at <= ${now}
          and not exists (
            select 1 from wecom_inbox o
            where o.corp_id = i.corp_id and o.order_key = i.order_key and o.status = 'pending' and o.id < i.id)
        order by i.id limit ${limit}
        for update skip locked)
      returning corp_id, id, event_type, event, attempts, received_at`.execute(db);
    return claimed.rows.sort((a, b) => a.id - b.id);
  }

  private async handleOne(r: ClaimedRow): Promise<void> {
    const { db, clock } = this.o;
    const event: InboxEvent = {
      corpId: r.corp_id,
      id: r.id,
      eventType: r.event_type,
      event: r.event,
      attempts: r.attempts,
      receivedAt: r.received_at,
    };
    try {
      await this.o.handle(event);
    } catch (err) {
      this.o.onError?.(err, event);
      const parked = r.attempts >= this.o.maxAttempts;
      await db
        .updateTable('wecom_inbox')
        .set({
          status: parked ? 'parked' : 'pending',
          last_error: String((err as Error)?.message ?? err).slice(0, 2000),
          next_attempt_at: new Date(clock.now().getTime() + backoffMs(r.attempts, 1_000, 300_000)),
        })
        .where('corp_id', '=', r.corp_id)
        .where('id', '=', r.id)
        .execute();
      return;
    }
    await this.done.add({ corpId: r.corp_id, id: r.id });
  }
}

interface ClaimedRow {
  corp_id: string;
  id: number;
  event_type: string;
  event: Record<string, unknown>;
  attempts: number;
  received_at: Date;
}
