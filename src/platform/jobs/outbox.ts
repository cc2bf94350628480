import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import { backoffMs } from './backoff.ts';
import { Batcher } from './batcher.ts';
import { JobPump } from './pump.ts';
import type { JobTables, OutboxLane } from './tables.ts';

export interface OutboxItem {
  /** One key per effect, e.g. `welcome:<welcome_code>`: a second enqueue of the same effect is a no-op. */
  idemKey: string;
  lane: OutboxLane;
  kind: string;
  request: Record<string, unknown>;
  /** Past this moment the effect is pointless (a welcome after 20 s): it ends as `expired`, unsent. */
  deadlineAt?: Date;
}

export async function enqueueOutbox(
  db: Kysely<JobTables>,
  corpId: string,
  item: OutboxItem,
  now: Date,
): Promise<{ id: number; created: boolean }> {
  const inserted = await db
    .insertInto('wecom_outbox')
    .values({
      corp_id: corpId,
      idem_key: item.idemKey,
      lane: item.lane,
      kind: item.kind,
      request: JSON.stringify(item.request),
      next_attempt_at: now,
      deadline_at: item.deadlineAt ?? null,
      created_at: now,
    })
    .onConflict((oc) => oc.columns(['corp_id', 'idem_key']).doNothing())
    .returning('id')
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, created: true };
  const existing = await db
    .selectFrom('wecom_outbox')
    .select('id')
    .where('corp_id', '=', corpId)
    .where('idem_key', '=', item.idemKey)
    .executeTakeFirstOrThrow();
  return { id: existing.id, created: false };
}

export interface OutboxRow {
  corpId: string;
  id: number;
  idemKey: string;
  lane: OutboxLane;
  kind: string;
  request: Record<string, unknown>;
  attempts: number;
}

/** What a send may throw: WeCom errors carry errcode and whether a retry can help. */
interface SendError {
  message: string;
  errcode?: number;
  retryable?: boolean;
}

export interface OutboxSenderOptions {
  db: Kysely<JobTables>;
  clock: Clock;
  /** Performs the call; returns WeCom's answer; throws on failure. */
  send(row: OutboxRow): Promise<Record<string, unknown>>;
  /** Called after a row is done, e.g. to store a config_id that WeCom returned. */
  onDone?(row: OutboxRow, result: Record<string, unknown>): Promise<void>;
  batchSize?: number;
  concurrency?: number;
  maxAttempts?: number;
  leaseMs?: number;
  pollMs?: number;
  onError?: (err: unknown, row?: OutboxRow) => void;
}

/** The claim order; the index wecom_outbox_pending (migration 0022) is on this very expression. */
const LANE_ORDER = sql`case lane when 'welcome' then 0 when 'normal' then 1 else 2 end`;

/**
 * Sends due outbox rows, welcome lane first. Each row ends `done`, `failed` (a non-retryable error, or out
 * of attempts) or `expired` (deadline passed); retryable errors are retried with backoff.
 */
export class OutboxSender {
  /** Calls this sender has made with success, since it was made. */
  sent = 0;
  private readonly pump: JobPump<OutboxRow>;
  private readonly done: Batcher<{ row: OutboxRow; result: Record<string, unknown> }, undefined>;
  private lastExpiry = Number.NEGATIVE_INFINITY;
  private readonly o: Required<Omit<OutboxSenderOptions, 'onError' | 'onDone'>> &
    Pick<OutboxSenderOptions, 'onError' | 'onDone'>;

  constructor(opts: OutboxSenderOptions) {
    this.o = { batchSize: 50, concurrency: 8, maxAttempts: 6, leaseMs: 60_000, pollMs: 500, ...opts };
    this.pump = new JobPump({
      claim: (limit) => this.claim(limit),
      run: (row) => this.sendOne(row),
      concurrency: this.o.concurrency,
      batchSize: this.o.batchSize,
      pollMs: this.o.pollMs,
      onError: (err) => this.o.onError?.(err),
    });
    // Sent rows are marked done together: one statement for all that finished meanwhile (on the primary
    // key, as the inbox's: see there).
    this.done = new Batcher(async (items) => {
      await sql`
        update wecom_outbox o set status = 'done', done_at = ${this.o.clock.now()}, result = r.result,
          errcode = 0, last_error = null
        from unnest(${items.map((i) => i.row.corpId)}::text[], ${items.map((i) => i.row.id)}::bigint[],
          ${items.map((i) => JSON.stringify(i.result))}::jsonb[]) as r(corp_id, id, result)
        where o.corp_id = r.corp_id and o.id = r.id`.execute(this.o.db);
      return items.map(() => undefined);
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
  /** Claims what free slots allow and starts sending it (without waiting for the calls). */
  tick(): Promise<boolean> {
    return this.pump.tick();
  }

  private async claim(limit: number): Promise<OutboxRow[]> {
    const { db, clock } = this.o;
    const now = clock.now();
    // Expiring reads the pending rows with a deadline (their index: migration 0023); once a second is
    // enough (a tick runs after every event).
    if (now.getTime() - this.lastExpiry >= 1_000) {
      this.lastExpiry = now.getTime();
      await db
        .updateTable('wecom_outbox')
        .set({ status: 'expired', done_at: now, last_error: 'deadline passed before it could be sent' })
        .where('status', '=', 'pending')
        .where('deadline_at', '<', now)
        .execute();
    }
    const claimed = await sql<{
      corp_id: string;
      id: number;
      idem_key: string;
      lane: OutboxLane;
      kind: string;
      request: Record<string, unknown>;
      attempts: number;
    }>`
      update wecom_outbox set attempts = attempts + 1, next_attempt_at = ${new Date(now.getTime() + this.o.leaseMs)}
      where (corp_id, id) in (
        select corp_id, id from wecom_outbox
        where status = 'pending' and next_attempt_at <= ${now} and (deadline_at is null or deadline_at >= ${now})
        order by ${LANE_ORDER}, id limit ${limit}
        for update skip locked)
      returning corp_id, id, idem_key, lane, kind, request, attempts`.execute(db);
    const rank = { welcome: 0, normal: 1, bulk: 2 } as const;
    return claimed.rows
      .map((r) => ({
        corpId: r.corp_id,
        id: r.id,
        idemKey: r.idem_key,
        lane: r.lane,
        kind: r.kind,
        request: r.request,
        attempts: r.attempts,
      }))
      .sort((a, b) => rank[a.lane] - rank[b.lane] || a.id - b.id);
  }

  private async sendOne(row: OutboxRow): Promise<void> {
    const { db, clock } = this.o;
    let result: Record<string, unknown>;
    try {
      result = await this.o.send(row);
    } catch (err) {
      this.o.onError?.(err, row);
      const e = err as SendError;
      const retry = e.retryable === true && row.attempts < this.o.maxAttempts;
      const [base, cap] = row.lane === 'welcome' ? [200, 2_000] : [1_000, 300_000];
      await db
        .updateTable('wecom_outbox')
        .set({
          status: retry ? 'pending' : 'failed',
          errcode: e.errcode ?? null,
          last_error: String(e.message ?? err).slice(0, 2000),
          next_attempt_at: new Date(clock.now().getTime() + backoffMs(row.attempts, base, cap)),
          done_at: retry ? null : clock.now(),
        })
        .where('corp_id', '=', row.corpId)
        .where('id', '=', row.id)
        .execute();
      return;
    }
    await this.done.add({ row, result });
    this.sent++;
    try {
      await this.o.onDone?.(row, result);
    } catch (err) {
      this.o.onError?.(err, row);
    }
  }
}
