import type { Generated } from 'kysely';
import type { Timestamp } from '../../platform/db/column-types.ts';

export interface TouchBudgetSettingsTable {
  corp_id: string;
  unit_id: number;
  max_touches: number | null;
  window_hours: number | null;
  quiet_start: number | null;
  quiet_end: number | null;
  updated_by: number | null;
  updated_at: Timestamp;
}

export interface OutreachSettingsTable {
  corp_id: string;
  monthly_cap: number | null;
  price_sensitive_share: Generated<number>;
  attribution_days: Generated<number>;
  updated_by: number | null;
  updated_at: Timestamp;
}

export interface TouchLocksTable {
  corp_id: string;
  customer_id: number;
}

export interface TouchOptOutsTable {
  corp_id: string;
  customer_id: number;
  reason: Generated<string>;
  at: Timestamp;
}

export type TouchSourceKind = 'journey' | 'mass_send' | 'task';

export interface TouchesTable {
  corp_id: string;
  id: Generated<number>;
  customer_id: number;
  staff_id: number;
  source_kind: TouchSourceKind;
  source_id: string;
  content_id: number | null;
  at: Timestamp;
  wecom_mass: boolean;
  status: Generated<'reserved' | 'sent' | 'released'>;
  released_reason: string | null;
  settled_at: Timestamp | null;
}

/** The tables this module owns, as Kysely sees them. */
export interface OutreachTables {
  touch_budget_settings: TouchBudgetSettingsTable;
  outreach_settings: OutreachSettingsTable;
  touch_locks: TouchLocksTable;
  touch_opt_outs: TouchOptOutsTable;
  touches: TouchesTable;
}
