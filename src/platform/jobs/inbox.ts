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

/**
 * Writes one callback event before it is acknowledged. Returns false when the same event (same dedup key)
 * was already recorded: a WeCom retry or a duplicate, to be acknowledged and otherwise ignored.
 */
export async function recordInbox(
  db: Kysely<JobTables>,
  row: {
    corpId: string;
    dedupKey: string;
    eventType: string;
    event: Record<string, unknown>;
    receivedAt: Date;
    notBefore?: Date;
  },
): Promise<boolean> {
  const inserted = await db
    .insertInto('wecom_inbox')
    .values({
      corp_id: row.corpId,
      dedup_key: row.dedupKey,
      event_type: row.eventType,
      event: JSON.stringify(row.event),
      received_at: row.receivedAt,
      next_attempt_at: row.notBefore ?? row.receivedAt,
    })
    .onConflict((oc) => oc.columns(['corp_id', 'dedup_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export interface InboxDispatcherOptions {
  db: Kysely<JobTables>;
  clock: Clock;
  handle(event: InboxEvent): Promise<void>;
  batchSize?: number;
  /** After this many failed attempts a row is parked: kept, visible, never dropped. */
  maxAttempts?: number;
  /** A claimed row is due again after this long if its worker died mid-way. */
  leaseMs?: number;
  pollMs?: number;
  onError?: (err: unknown, event?: InboxEvent) => void;
}

/**
 * Hands due inbox rows, oldest first, to `handle`. Rows are claimed with a lease (FOR UPDATE SKIP LOCKED),
 * so several workers on one PostgreSQL server never take the same row; handlers are idempotent, so a row
 * retried after a crash has its effect once.
 */
export class InboxDispatcher {
  private readonly loop: WorkLoop;
  private readonly o: Required<Omit<InboxDispatcherOptions, 'onError'>> &
    Pick<InboxDispatcherOptions, 'onError'>;

  constructor(opts: InboxDispatcherOptions) {
    this.o = { batchSize: 50, maxAttempts: 8, leaseMs: 60_000, pollMs: 1_000, ...opts };
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
        select corp_id, id from wecom_inbox
        where status = 'pending' and next_attempt_at <= ${now}
        order by id limit ${this.o.batchSize}
        for update skip locked)
      returning corp_id, id, event_type, event, attempts, received_at`.execute(db);
    if (claimed.rows.length === 0) return false;
    const rows = claimed.rows.sort((a, b) => a.id - b.id);
    for (const r of rows) {
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
    return true;
  }
}
