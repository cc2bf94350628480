import type { Generated } from 'kysely';
import type { Timestamp } from '../../platform/db/column-types.ts';

export const TRANSFER_STATUSES = ['queued', 'waiting', 'done', 'refused', 'over_limit', 'failed'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];
export type TransferKind = 'resigned' | 'onjob';
export type TransferRule = 'least_load' | 'successor';

export interface TransferBatchesTable {
  corp_id: string;
  id: Generated<number>;
  kind: TransferKind;
  rule: TransferRule;
  message: string | null;
  requested_by: number | null;
  requested_at: Timestamp;
}

export interface TransfersTable {
  corp_id: string;
  id: Generated<number>;
  kind: TransferKind;
  target: 'customer' | 'group';
  customer_id: number | null;
  external_userid: string | null;
  group_id: number | null;
  chat_id: string | null;
  handover_staff_id: number;
  handover_userid: string;
  takeover_staff_id: number;
  takeover_userid: string;
  status: TransferStatus;
  errcode: number | null;
  reason: string | null;
  message: string | null;
  outbox_key: string | null;
  batch_id: number;
  requested_by: number | null;
  requested_at: Timestamp;
  takeover_at: Timestamp | null;
  settled_at: Timestamp | null;
}

/** The tables this module owns, as Kysely sees them. */
export interface TransfersTables {
  transfer_batches: TransferBatchesTable;
  transfers: TransfersTable;
}
