import { type Kysely, sql } from 'kysely';
import { storableText } from '../../wecom/text.ts';
import type { Clock } from '../clock.ts';
import { backoffMs } from './backoff.ts';
import { Batcher } from './batcher.ts';
import { HEARTBEAT_MS, LEASE_MS, Leases, newHolder } from './lease.ts';
import { JobPump } from './pump.ts';
import type { JobTables, OutboxLane } from './tables.ts';

export interface OutboxItem {
  /** One key per effect, e.g. `welcome:<welcome_code>`: a second enqueue of the same effect is a no-op. */
  idemKey: string;
  lane: OutboxLane;
  kind: string;
  request: Record<string, unknown>;
  /**
   * Past this moment the effect is pointless (a welcome after 20 s): a row never sent ends `expired`; one
   * whose sending worker died before recording WeCom's answer ends `unknown`.
   */
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
    .values(outboxRow(corpId, item, now))
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

/** enqueueOutbox for many effects at once: one statement per 500; a key already queued is a no-op. */
export async function enqueueOutboxMany(
  db: Kysely<JobTables>,
  corpId: string,
  items: OutboxItem[],
  now: Date,
): Promise<void> {
  for (let i = 0; i < items.length; i += 500) {
    await db
      .insertInto('wecom_outbox')
      .values(items.slice(i, i + 500).map((item) => outboxRow(corpId, item, now)))
      .onConflict((oc) => oc.columns(['corp_id', 'idem_key']).doNothing())
      .execute();
  }
}

function outboxRow(corpId: string, item: OutboxItem, now: Date) {
  return {
    corp_id: corpId,
    idem_key: item.idemKey,
    lane: item.lane,
    kind: item.kind,
    request: JSON.stringify(item.request),
    next_attempt_at: now,
    deadline_at: item.deadlineAt ?? null,
    created_at: now,
  };
}

export interface OutboxRow {
  corpId: string;
  id: number;
  idemKey: string;
  lane: OutboxLane;
  kind: string;
  request: Record<string, unknown>;
  attempts: number;
  /** An earlier attempt's worker died before recording WeCom's answer: that call may have been accepted. */
  outcomeLost: boolean;
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
  /** This process's name on the leases it takes (default: a new one; see lease.ts). */
  holder?: string;
  /** A claimed row is due again after this long without a renewal: its worker died (default LEASE_MS). */
  leaseMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  onError?: (err: unknown, row?: OutboxRow) => void;
}

/** The claim order; the index wecom_outbox_pending (migration 0022) is on this very expression. */
const LANE_ORDER = sql`case lane when 'welcome' then 0 when 'normal' then 1 else 2 end`;

/** What an `unknown` row says: the call may have been accepted, and nothing can tell now. */
const OUTCOME_LOST =
  'an attempt was sent, but its answer was never recorded (the process sending it stopped): WeCom may have accepted it';

/**
 * Sends due outbox rows, welcome lane first. Each row ends `done`, `failed` (a non-retryable error, or out
 * of attempts), `expired` (deadline passed, never sent) or `unknown` (an attempt's worker died after
 * claiming it and before recording WeCom's answer, and no later attempt succeeded: the call may have been
 * accepted); retryable errors are retried with backoff. A dead worker's row is free again once its short
 * lease lapses (lease.ts) and is sent again while its deadline allows: a welcome WeCom had accepted is then
 * refused as already sent (41051), and the row ends `unknown`.
 */
export class OutboxSender {
  /** Calls this sender has made with success, since it was made. */
  sent = 0;
  private readonly pump: JobPump<OutboxRow>;
  private readonly done: Batcher<{ row: OutboxRow; result: Record<string, unknown> }, undefined>;
  private lastExpiry = Number.NEGATIVE_INFINITY;
  private readonly leases: Leases;
  private readonly o: Required<Omit<OutboxSenderOptions, 'onError' | 'onDone' | 'holder'>> &
    Pick<OutboxSenderOptions, 'onError' | 'onDone'>;

  constructor(opts: OutboxSenderOptions) {
    this.o = {
      batchSize: 50,
      concurrency: 8,
      maxAttempts: 6,
      leaseMs: LEASE_MS,
      heartbeatMs: HEARTBEAT_MS,
      pollMs: 500,
      ...opts,
    };
    this.leases = new Leases({
      db: this.o.db as Kysely<unknown>,
      clock: this.o.clock,
      table: 'wecom_outbox',
      holder: opts.holder ?? newHolder(),
      leaseMs: this.o.leaseMs,
      heartbeatMs: this.o.heartbeatMs,
      onError: (err) => this.o.onError?.(err),
    });
    this.pump = new JobPump({
      claim: (limit) => this.claim(limit),
      run: (row) => this.sendOne(row),
      concurrency: this.o.concurrency,
      batchSize: this.o.batchSize,
      pollMs: this.o.pollMs,
      // an enqueue kicks the sender: under a stream of adds, 20 ms gathers their welcomes into one claim
      // (a welcome has 20 s)
      gatherMs: 20,
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
    // enough (a tick runs after every event). A row a live worker is sending (its lease current) is left to
    // it; one whose worker died mid-attempt (claimed_by set, lease lapsed) may have been accepted: unknown.
    const held = this.leases.ids();
    if (now.getTime() - this.lastExpiry >= 1_000) {
      this.lastExpiry = now.getTime();
      await sql`
        update wecom_outbox set
          status = case when claimed_by is not null or outcome_lost then 'unknown' else 'expired' end,
          last_error = case when claimed_by is not null or outcome_lost
            then ${`${OUTCOME_LOST}; then the deadline passed`}
            else 'deadline passed before it could be sent' end,
          done_at = ${now}, claimed_by = null
        where status = 'pending' and deadline_at < ${now}
          and (claimed_by is null or next_attempt_at <= ${now}) and id <> all(${held}::bigint[])`.execute(db);
    }
    const claimed = await sql<{
      corp_id: string;
      id: number;
      idem_key: string;
      lane: OutboxLane;
      kind: string;
      request: Record<string, unknown>;
      attempts: number;
      outcome_lost: boolean;
    }>`
      update wecom_outbox set attempts = attempts + 1, next_attempt_at = ${this.leases.until(now)},
        outcome_lost = outcome_lost or claimed_by is not null, claimed_by = ${this.leases.holder}
      where (corp_id, id) in (
        select corp_id, id from wecom_outbox
        where status = 'pending' and next_attempt_at <= ${now} and (deadline_at is null or deadline_at >= ${now})
          and id <> all(${held}::bigint[])
        order by ${LANE_ORDER}, id limit ${limit}
        for update skip locked)
      returning corp_id, id, idem_key, lane, kind, request, attempts, outcome_lost`.execute(db);
    this.leases.hold(claimed.rows);
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
        outcomeLost: r.outcome_lost,
      }))
      .sort((a, b) => rank[a.lane] - rank[b.lane] || a.id - b.id);
  }

  private async sendOne(row: OutboxRow): Promise<void> {
    try {
      await this.sendHeld(row);
    } finally {
      this.leases.release(row.id);
    }
  }

  private async sendHeld(row: OutboxRow): Promise<void> {
    const { db, clock } = this.o;
    let result: Record<string, unknown>;
    try {
      result = await this.o.send(row);
    } catch (err) {
      this.o.onError?.(err, row);
      const e = err as SendError;
      const retry = e.retryable === true && row.attempts < this.o.maxAttempts;
      const [base, cap] = row.lane === 'welcome' ? [200, 2_000] : [1_000, 300_000];
      const message = storableText(String(e.message ?? err)).slice(0, 1500);
      // Only while the row is still this worker's (a worker that stalled past its lease has lost it).
      await db
        .updateTable('wecom_outbox')
        .set({
          status: retry ? 'pending' : row.outcomeLost ? 'unknown' : 'failed',
          errcode: e.errcode ?? null,
          last_error: !retry && row.outcomeLost ? `${OUTCOME_LOST}; a later attempt: ${message}` : message,
          next_attempt_at: new Date(clock.now().getTime() + backoffMs(row.attempts, base, cap)),
          done_at: retry ? null : clock.now(),
          claimed_by: null,
        })
        .where('corp_id', '=', row.corpId)
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .where('claimed_by', '=', this.leases.holder)
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
