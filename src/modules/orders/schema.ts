import type { Generated } from 'kysely';
import type { DefaultTimestamp, Timestamp } from '../../platform/db/column-types.ts';

export type IdentityKind = 'external_userid' | 'unionid' | 'openid' | 'phone';

export interface OrdersTable {
  corp_id: string;
  id: Generated<number>;
  source: string;
  source_order_id: string;
  channel: 'miniprogram' | 'ecommerce' | 'pos';
  unit_id: number | null;
  customer_id: number | null;
  external_userid: string | null;
  unionid: string | null;
  openid: string | null;
  phone_hash: string | null;
  /** Money is integer fen (bigint, parsed as a number on both engines). */
  total_fen: number;
  paid_fen: number;
  coupon_code: string | null;
  coupon_fen: Generated<number>;
  ordered_at: Timestamp;
  linked_by: IdentityKind | null;
  /** A manager's import: only customers of this unit's subtree may be linked (null: any). */
  link_scope_unit_id: number | null;
  created_at: DefaultTimestamp;
}

export interface OrderItemsTable {
  corp_id: string;
  order_id: number;
  line: number;
  product_code: string;
  product_name: string;
  quantity: number;
  price_fen: number;
}

export interface CustomerIdentitiesTable {
  corp_id: string;
  id: Generated<number>;
  customer_id: number;
  kind: IdentityKind;
  value: string;
  source: string;
  created_at: DefaultTimestamp;
}

export interface MembersTable {
  corp_id: string;
  id: Generated<number>;
  source: string;
  member_no: string;
  customer_id: number | null;
  level: string | null;
  joined_at: string | null;
  birthday: string | null;
  points: number | null;
  external_userid: string | null;
  unionid: string | null;
  openid: string | null;
  phone_hash: string | null;
  linked_by: IdentityKind | null;
  updated_at: DefaultTimestamp;
}

export interface IntegrationsTable {
  corp_id: string;
  id: Generated<number>;
  source: string;
  secret_cipher: string;
  created_by: number | null;
  created_at: DefaultTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

/** A signed /hooks request seen within the timestamp window (replays are refused). */
export interface HookSignaturesTable {
  corp_id: string;
  signature: string;
  source: string;
  signed_at: Timestamp;
}

export interface IdentityUnlinksTable {
  corp_id: string;
  kind: IdentityKind;
  value: string;
  customer_id: number;
  source: string;
  linked_at: Timestamp;
  undone_by: number | null;
  undone_at: Timestamp;
}

export interface IdentityConflictsTable {
  corp_id: string;
  id: Generated<number>;
  kind: IdentityKind;
  value: string;
  owner_customer_id: number;
  claimant_customer_id: number;
  source: string;
  seen_at: Timestamp;
}

export interface OrderImportsTable {
  corp_id: string;
  id: Generated<number>;
  file_name: string;
  source: string;
  status: 'running' | 'done' | 'failed';
  scope_unit_id: number | null;
  created_by: number | null;
  created_by_name: string;
  file: Uint8Array | null;
  total_lines: number;
  total_orders: number;
  valid_orders: number;
  cursor: Generated<number>;
  created: Generated<number>;
  duplicates: Generated<number>;
  invalid: Generated<number>;
  error_count: Generated<number>;
  failure: string | null;
  lease_until: Timestamp | null;
  started_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface OrderImportErrorsTable {
  corp_id: string;
  import_id: number;
  seq: number;
  row_no: number;
  column_name: string;
  field: string;
  order_no: string | null;
  message_zh: string;
  message_en: string;
}

export const LADDER_ROLES = ['traffic', 'trust', 'profit', 'expansion'] as const;
export type LadderRole = (typeof LADDER_ROLES)[number];

/** A product code with its role on the product ladder (PLAYBOOK §6). */
export interface ProductsTable {
  corp_id: string;
  code: string;
  name: Generated<string>;
  ladder_role: LadderRole | null;
  updated_by: number | null;
  updated_at: Timestamp;
}

/** The tables this module owns, as Kysely sees them. */
export interface OrdersTables {
  orders: OrdersTable;
  order_items: OrderItemsTable;
  customer_identities: CustomerIdentitiesTable;
  members: MembersTable;
  integrations: IntegrationsTable;
  hook_signatures: HookSignaturesTable;
  identity_unlinks: IdentityUnlinksTable;
  identity_conflicts: IdentityConflictsTable;
  order_imports: OrderImportsTable;
  order_import_errors: OrderImportErrorsTable;
  products: ProductsTable;
}
