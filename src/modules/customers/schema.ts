import type { ColumnType, Generated } from 'kysely';
import type { DefaultTimestamp, Json, Timestamp } from '../../platform/db/column-types.ts';
import type { LifecycleStage } from '../events.ts';

export interface CustomersTable {
  corp_id: string;
  id: Generated<number>;
  external_userid: string;
  unionid: string | null;
  name: string;
  name_pinyin: Generated<string>;
  gender: Generated<number>;
  avatar: string | null;
  customer_type: Generated<number>;
  phone_cipher: string | null;
  phone_hash: string | null;
  phone_masked: string | null;
  search_text: Generated<string>;
  first_added_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface FollowsTable {
  corp_id: string;
  id: Generated<number>;
  customer_id: number;
  staff_id: number;
  remark: string | null;
  description: string | null;
  add_way: Generated<number>;
  state: string | null;
  journey_role: string;
  status: Generated<'active' | 'deleted_by_customer' | 'deleted_by_staff' | 'transferred'>;
  added_at: Timestamp;
  ended_at: Timestamp | null;
  /** The full sync run that last listed this follow in WeCom (migration 0024). */
  synced_run: Generated<number | null>;
}

export interface CustomerEventsTable {
  corp_id: string;
  id: Generated<number>;
  customer_id: number;
  at: Timestamp;
  kind: string;
  staff_id: number | null;
  /** The account that acted, for changes made in Siyu. */
  account_id: Generated<number | null>;
  summary: string;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface CustomerTagsTable {
  corp_id: string;
  customer_id: number;
  tag_id: number;
  staff_id: number | null;
  tagged_at: Timestamp;
}

export type { LifecycleStage };

export interface CustomerFactsTable {
  corp_id: string;
  customer_id: number;
  order_count: Generated<number>;
  paid_fen: Generated<number>;
  first_order_at: Timestamp | null;
  last_order_at: Timestamp | null;
  coupon_orders: Generated<number>;
  coupon_share: number | null;
  top_unit_id: number | null;
  r_score: number | null;
  f_score: number | null;
  m_score: number | null;
  stage: Generated<LifecycleStage>;
  member_level: string | null;
  member_since: string | null;
  birthday: string | null;
  computed_at: Timestamp;
}

export interface CustomerTagJobsTable {
  corp_id: string;
  id: Generated<number>;
  account_id: number;
  by_name: string;
  staff_id: number | null;
  unit_id: number;
  add_tags: Json<number[]>;
  remove_tags: Json<number[]>;
  customer_ids: Json<number[]>;
  total: number;
  done: Generated<number>;
  changed: Generated<number>;
  status: 'running' | 'done' | 'failed';
  error: string | null;
  lease_until: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LifecycleSettingsTable {
  corp_id: string;
  recency_days: number[];
  frequency_orders: number[];
  monetary_fen: number[];
  repeat_orders: number;
  super_min_r: number;
  super_min_f: number;
  super_min_m: number;
  dormant_days: number;
  churned_days: number;
  settings_version: Generated<number>;
  settings_at: Timestamp | null;
  updated_by: number | null;
  recompute_version: Generated<number>;
  recompute_started_at: Timestamp | null;
  recompute_finished_at: Timestamp | null;
  recompute_done: Generated<number>;
  recompute_total: Generated<number>;
  drift_checked_at: Timestamp | null;
}

/** The tables this module owns, as Kysely sees them. */
export interface CustomersTables {
  customers: CustomersTable;
  follows: FollowsTable;
  customer_events: CustomerEventsTable;
  customer_tags: CustomerTagsTable;
  customer_facts: CustomerFactsTable;
  lifecycle_settings: LifecycleSettingsTable;
  customer_tag_jobs: CustomerTagJobsTable;
}
