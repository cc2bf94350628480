import type { ColumnType, Generated } from 'kysely';
import type { Timestamp } from '../../platform/db/column-types.ts';

export interface WecomSyncRunsTable {
  corp_id: string;
  id: Generated<number>;
  status: 'running' | 'done' | 'failed';
  phase: string;
  cursor: ColumnType<Record<string, unknown>, string | undefined, string>;
  counts: ColumnType<Record<string, number>, string | undefined, string>;
  error: string | null;
  started_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
  /** Held by the process working on the run (migration connector/0002). */
  lease_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** The tables this module owns, as Kysely sees them. */
export interface ConnectorTables {
  wecom_sync_runs: WecomSyncRunsTable;
}
