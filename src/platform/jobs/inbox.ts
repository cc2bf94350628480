import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import { backoffMs } from './backoff.ts';
import { WorkLoop } from './loop.ts';
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

/**
 * Coalesces concurrent recordInbox calls into batches: while one batch is being written, new calls queue
 * and go together in the next. A lone call is written at once, so batching adds no latency at low load
 * and cuts the database's work per event at high load. A batch that fails is retried row by row, so one
 * bad row fails only its own request.
 */
export class InboxRecorder {
  private queue: { row: InboxRecord; settle: (created: boolean) => void; fail: (err: unknown) => void }[] =
    [];
  private writing = false;

  constructor(
    private readonly db: Kysely<JobTables>,
    private readonly maxBatch = 500,
  ) {}

  record(row: InboxRecord): Promise<boolean> {
    return new Promise((settle, fail) => {
      this.queue.push({ row, settle, fail });
      if (!this.writing) void this.writeAll();
    });
  }

  private async writeAll(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const created = await recordInboxBatch(
            this.db,
            batch.map((b) => b.row),
          );
          for (const [i, b] of batch.entries()) b.settle(created[i] === true);
        } catch (err) {
          if (batch.length === 1) {
            batch[0]?.fail(err);
            continue;
          }
          for (const b of batch) {
            await recordInbox(this.db, b.row).then(b.settle, b.fail);
          }
        }
      }
    } finally {
      this.writing = false;
    }
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
  private readonly loop: WorkLoop;
  private readonly o: Required<Omit<InboxDispatcherOptions, 'onError'>> &
    Pick<InboxDispatcherOptions, 'onError'>;

  constructor(opts: InboxDispatcherOptions) {
    this.o = { batchSize: 50, concurrency: 16, maxAttempts: 8, leaseMs: 60_000, pollMs: 1_000, ...opts };
    this.loop = new WorkLoop(
      () => this.tick(),
      this.o.pollMs,
      (err) => this.o.onError?.(err),
    );
  }

  start(): void {
    this.loop.start();
  }
  kick(): void {
    this.loop.kick();
  }
  drain(): Promise<void> {
    return this.loop.drain();
  }
  stop(): Promise<void> {
    return this.loop.stop();
  }

  async tick(): Promise<boolean> {
    const { db, clock } = this.o;
    const now = clock.now();
    const claimed = await sql<{
      corp_id: string;
      id: number;
      event_type: string;
      event: Record<string, unknown>;
      attempts: number;
      received_at: Date;
    }>`
      update wecom_inbox set attempts = attempts + 1, next_attempt_at = ${new Date(now.getTime() + this.o.leaseMs)}
      where (corp_id, id) in (
        select i.corp_id, i.id from wecom_inbox i
        where i.status = 'pending' and i.next_attempt_at <= ${now}
          and not exists (
            select 1 from wecom_inbox o
            where o.corp_id = i.corp_id and o.order_key = i.order_key and o.status = 'pending' and o.id < i.id)
        order by i.id limit ${this.o.batchSize}
        for update skip locked)
      returning corp_id, id, event_type, event, attempts, received_at`.execute(db);
    if (claimed.rows.length === 0) return false;
    const rows = claimed.rows.sort((a, b) => a.id - b.id);
    let next = 0;
    const worker = async () => {
      while (next < rows.length) await this.handleOne(rows[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, rows.length) }, worker));
    return true;
  }

  private async handleOne(r: {
    corp_id: string;
    id: number;
    event_type: string;
    event: Record<string, unknown>;
    attempts: number;
    received_at: Date;
  }): Promise<void> {
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
      await db
        .updateTable('wecom_inbox')
        .set({ status: 'done', done_at: clock.now(), last_error: null })
        .where('corp_id', '=', r.corp_id)
        .where('id', '=', r.id)
        .execute();
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
    }
  }
}
