import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Json, Timestamp } from '../db/column-types.ts';

export interface WecomInboxTable {
  corp_id: string;
  id: Generated<number>;
  dedup_key: string;
  event_type: string;
  event: Json<Record<string, unknown>>;
  received_at: Timestamp;
  status: Generated<'pending' | 'done' | 'parked'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  done_at: Timestamp | null;
  order_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** The worker holding the row's lease (lease.ts). */
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>;
}

export type OutboxLane = 'welcome' | 'normal' | 'bulk';
export type OutboxStatus = 'pending' | 'done' | 'failed' | 'expired' | 'unknown';

export interface WecomOutboxTable {
  corp_id: string;
  id: Generated<number>;
  idem_key: string;
  lane: OutboxLane;
  kind: string;
  request: Json<Record<string, unknown>>;
  status: Generated<OutboxStatus>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  deadline_at: Timestamp | null;
  result: Json<Record<string, unknown>> | null;
  errcode: number | null;
  last_error: string | null;
  created_at: Timestamp;
  done_at: Timestamp | null;
  /** The worker holding the row's lease; still set on a pending row whose worker died mid-attempt. */
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>;
  /** An attempt's answer was lost (its worker died): the call may have been accepted. */
  outcome_lost: Generated<boolean>;
}

export interface JobTables {
  wecom_inbox: WecomInboxTable;
  wecom_outbox: WecomOutboxTable;
}

/** A database whose schema includes the job tables, seen as just those (Kysely's types are invariant). */
export function jobsDb<DB extends JobTables>(db: Kysely<DB>): Kysely<JobTables> {
  return db as unknown as Kysely<JobTables>;
}
