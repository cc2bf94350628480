import type { Generated } from 'kysely';
import type { Json, Timestamp } from '../../platform/db/column-types.ts';

export interface AuditLogTable {
  corp_id: string;
  id: Generated<number>;
  at: Timestamp;
  account_id: number | null;
  role: string | null;
  unit_id: number | null;
  address: string | null;
  action: string;
  subject: string | null;
  details: Json;
}

/** The tables this module owns, as Kysely sees them. */
export interface AuditTables {
  audit_log: AuditLogTable;
}
