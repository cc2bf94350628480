import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';

/** The queue tables whose rows are claimed with a lease (each has id, status, next_attempt_at, claimed_by). */
export type LeasedTable = 'wecom_inbox' | 'domain_event_deliveries' | 'wecom_outbox';

/**
 * How long a claimed row stays its worker's without a renewal. Short, so that a killed worker's rows are
 * free again while a welcome can still be sent (WeCom's window is 20 s from the add); its holder renews it
 * every HEARTBEAT_MS while it works on the row, however long that takes.
 */
export const LEASE_MS = 5_000;
export const HEARTBEAT_MS = 1_000;

/** A name for one process incarnation, stored with the leases it holds: host, pid and a random part. */
export function newHolder(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export interface LeasesOptions {
  db: Kysely<unknown>;
  clock: Clock;
  table: LeasedTable;
  holder: string;
  leaseMs: number;
  heartbeatMs: number;
  onError?: (err: unknown) => void;
}

/**
 * The rows of one queue table a worker holds: claimed by it (claimed_by = holder, next_attempt_at = the end
 * of the lease) and renewed every heartbeat while at least one is held. A row is renewed only while it is
 * still pending and still this holder's: a row another worker took over (this one stalled past its lease)
 * is left to it.
 */
export class Leases {
  /** id → corp_id of the rows held. */
  private readonly held = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(private readonly o: LeasesOptions) {}

  get holder(): string {
    return this.o.holder;
  }

  /** The end of a lease taken or renewed now. */
  until(now: Date): Date {
    return new Date(now.getTime() + this.o.leaseMs);
  }

  /** The rows held now (a claim skips them: never taken twice by one worker, even with a late heartbeat). */
  ids(): number[] {
    return [...this.held.keys()];
  }

  hold(rows: { corp_id: string; id: number }[]): void {
    for (const r of rows) this.held.set(r.id, r.corp_id);
    if (this.held.size > 0 && !this.timer) {
      this.timer = setInterval(() => void this.renew(), this.o.heartbeatMs);
      this.timer.unref();
    }
  }

  release(id: number): void {
    this.held.delete(id);
    if (this.held.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.held.size === 0) return;
    this.renewing = true;
    try {
      const rows = [...this.held];
      await sql`
        update ${sql.table(this.o.table)} q set next_attempt_at = ${this.until(this.o.clock.now())}
        from unnest(${rows.map((r) => r[1])}::text[], ${rows.map((r) => r[0])}::bigint[]) as r(corp_id, id)
        where q.corp_id = r.corp_id and q.id = r.id and q.status = 'pending'
          and q.claimed_by = ${this.o.holder}`.execute(this.o.db);
    } catch (err) {
      this.o.onError?.(err);
    } finally {
      this.renewing = false;
    }
  }
}
