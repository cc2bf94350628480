import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import { Batcher } from './batcher.ts';
import { QueueDispatcher } from './queue.ts';
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
  /** Why the event cannot be handled: it is stored parked with this as its last_error, never handled. */
  parked?: string;
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
      status: r.parked === undefined ? 'pending' : 'parked',
      last_error: r.parked ?? null,
    })),
  );
  const inserted = await sql<{ corp_id: string; dedup_key: string }>`
    insert into wecom_inbox (corp_id, dedup_key, order_key, event_type, event, received_at, next_attempt_at,
      status, last_error)
    select corp_id, dedup_key, order_key, event_type, event, received_at, next_attempt_at, status, last_error
    from jsonb_to_recordset(${json}::jsonb) as r(corp_id text, dedup_key text, order_key text, event_type text,
      event jsonb, received_at timestamptz, next_attempt_at timestamptz, status text, last_error text)
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
  /** The concurrency allowed now, when lower (see JobPumpOptions.limit). */
  limit?: () => number;
  /** After this many failed attempts a row is parked: kept, visible, never dropped. */
  maxAttempts?: number;
  /** This process's name on the leases it takes (see lease.ts). */
  holder?: string;
  /** A claimed row is due again after this long without a renewal: its worker died (see lease.ts). */
  leaseMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  onError?: (err: unknown, event?: InboxEvent) => void;
}

/**
 * Hands due inbox rows, oldest first, to `handle`, several at once, one customer's (one group's, the tag
 * list's) in order: see QueueDispatcher.
 */
export class InboxDispatcher extends QueueDispatcher<ClaimedRow> {
  constructor(opts: InboxDispatcherOptions) {
    const { handle, onError, ...rest } = opts;
    super({
      ...rest,
      db: opts.db as Kysely<unknown>,
      table: 'wecom_inbox',
      columns: ['event_type', 'event', 'received_at'],
      handle: ([r]) => handle(toEvent(r!)),
      onError: (err, rows) => onError?.(err, rows?.[0] && toEvent(rows[0])),
    });
  }
}

function toEvent(r: ClaimedRow): InboxEvent {
  return {
    corpId: r.corp_id,
    id: r.id,
    eventType: r.event_type,
    event: r.event,
    attempts: r.attempts,
    receivedAt: r.received_at,
  };
}

interface ClaimedRow {
  corp_id: string;
  id: number;
  event_type: string;
  event: Record<string, unknown>;
  attempts: number;
  received_at: Date;
}
