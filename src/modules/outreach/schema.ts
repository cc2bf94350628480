import type { ColumnType, Generated } from 'kysely';
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

export type TouchSourceKind = 'journey' | 'mass_send' | 'task' | 'sidebar';

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
  /** When the customer first answered it (a message within the attribution window). */
  replied_at: Timestamp | null;
}

export interface ArchiveCursorsTable {
  corp_id: string;
  /** The seq of the last session-archive record read. */
  seq: number;
  read_at: Timestamp;
}

/** The tables this module owns, as Kysely sees them. */
/**
 * A customer's active follows by active staff, latest first, side by side (kept by triggers on follows and
 * staff: migration 0008). The sender rule picks from these (senders.ts).
 */
export interface SenderCandidatesTable {
  corp_id: string;
  customer_id: number;
  staff_ids: number[];
  unit_ids: number[];
  roles: string[];
}

export interface OutreachTables extends MassSendTables {
  archive_cursors: ArchiveCursorsTable;
  sender_candidates: SenderCandidatesTable;
  touch_budget_settings: TouchBudgetSettingsTable;
  outreach_settings: OutreachSettingsTable;
  touch_locks: TouchLocksTable;
  touch_opt_outs: TouchOptOutsTable;
  touches: TouchesTable;
}

export type MassSendStatus = 'scheduled' | 'sending' | 'done' | 'cancelled';

export interface MassSendsTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  name: string;
  content_id: number | null;
  content_kind: 'coupon' | 'product' | 'trust' | 'persona' | 'event';
  text: Generated<string>;
  attachments: ColumnType<unknown[], string | undefined, string>;
  send_at: Timestamp | null;
  sender_rule: ColumnType<unknown, string, string>;
  audience: ColumnType<unknown, string, string>;
  guard: Generated<'stop' | 'price_sensitive_only' | 'override'>;
  override_reason: string | null;
  status: Generated<MassSendStatus>;
  planned: ColumnType<unknown, string, string>;
  created_by: number | null;
  created_at: Timestamp;
  dispatched_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  target: Generated<'customers' | 'groups'>;
  /** A recurring group send (a series): its rule; send_at is its next time. */
  recurrence: ColumnType<unknown, string | null | undefined, string | null>;
  /** An occurrence of a series: the series. */
  series_id: number | null;
}

export type GroupRecipientStatus =
  | 'planned'
  | 'excluded'
  | 'queued'
  | 'sent'
  | 'unsent'
  | 'not_owner'
  | 'over_cap'
  | 'failed'
  | 'cancelled'
  /** the owner did not confirm within the confirmation window: withdrawn */
  | 'unconfirmed';

export interface MassSendGroupsTable {
  corp_id: string;
  mass_send_id: number;
  group_id: number;
  staff_id: number | null;
  status: GroupRecipientStatus;
  reason: string | null;
  task_id: number | null;
  result_at: Timestamp | null;
}

/** expired: a group task its owner did not confirm within the confirmation window (withdrawn in WeCom). */
export type TaskStatus = 'pending' | 'created' | 'sent' | 'failed' | 'cancelled' | 'expired';

export interface MassSendTasksTable {
  corp_id: string;
  id: Generated<number>;
  mass_send_id: number;
  staff_id: number;
  wave: number;
  status: Generated<TaskStatus>;
  msgid: string | null;
  recipients: number;
  error: string | null;
  created_at: Timestamp;
  confirmed_at: Timestamp | null;
  polled_at: Timestamp | null;
}

export type RecipientStatus =
  | 'planned'
  | 'deferred'
  | 'excluded'
  | 'queued'
  | 'sent'
  | 'unsent'
  | 'not_friend'
  | 'over_cap'
  | 'failed'
  | 'cancelled';

export interface MassSendRecipientsTable {
  corp_id: string;
  mass_send_id: number;
  customer_id: number;
  staff_id: number | null;
  sender_reason: string | null;
  status: RecipientStatus;
  reason: string | null;
  retry_at: Timestamp | null;
  touch_id: number | null;
  task_id: number | null;
  result_at: Timestamp | null;
}

export interface MassSendRemindsTable {
  corp_id: string;
  id: Generated<number>;
  mass_send_id: number;
  at: Timestamp;
  account_id: number | null;
}

export interface TouchAttributionsTable {
  corp_id: string;
  order_id: number;
  touch_id: number;
  customer_id: number;
  source_kind: TouchSourceKind;
  source_id: string;
  staff_id: number;
  paid_fen: number;
  ordered_at: Timestamp;
}

export interface MassSendTables {
  mass_sends: MassSendsTable;
  mass_send_tasks: MassSendTasksTable;
  mass_send_recipients: MassSendRecipientsTable;
  mass_send_reminds: MassSendRemindsTable;
  mass_send_groups: MassSendGroupsTable;
  touch_attributions: TouchAttributionsTable;
}
