import type { ColumnType, Generated } from 'kysely';
import type { JobTables } from '../platform/jobs/tables.ts';

/** Kysely's view of the schema: one interface per table, matching the modules' migrations. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface CorpsTable {
  corp_id: string;
  name: string;
  wecom_corp_id: string | null;
  business_type: string | null;
  created_at: DefaultTimestamp;
}

export interface OrgUnitsTable {
  corp_id: string;
  id: Generated<number>;
  parent_id: number | null;
  wecom_dept_id: ColumnType<number | null, number | null | undefined, number | null>;
  kind: 'hq' | 'region' | 'area' | 'store' | 'team';
  name: string;
  code: string | null;
  path: string;
  created_at: DefaultTimestamp;
}

export interface StaffTable {
  corp_id: string;
  id: Generated<number>;
  userid: string;
  name: string;
  unit_id: number;
  persona: 'brand' | 'expert' | 'founder' | 'sales' | 'assistant';
  persona_name: string | null;
  journey_role: 'online_ops' | 'customer_service' | 'consultant' | 'sales' | 'doctor' | 'store_staff';
  title: string | null;
  mobile_masked: string | null;
  status: Generated<'active' | 'disabled' | 'departed'>;
  created_at: DefaultTimestamp;
}

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
  status: Generated<'active' | 'deleted_by_customer' | 'deleted_by_staff'>;
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
  summary: string;
  data: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface TagGroupsTable {
  corp_id: string;
  id: Generated<number>;
  wecom_group_id: string | null;
  name: string;
  audience: Generated<'all' | 'ops' | 'front_line'>;
  sort_order: Generated<number>;
  created_at: DefaultTimestamp;
  sync_key: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface TagsTable {
  corp_id: string;
  id: Generated<number>;
  group_id: number;
  wecom_tag_id: string | null;
  name: string;
  sort_order: Generated<number>;
  created_at: DefaultTimestamp;
  sync_key: ColumnType<string | null, string | null | undefined, string | null>;
}

export type TagRuleKind = 'order_product' | 'order_amount' | 'order_coupon' | 'keyword' | 'channel';

export interface TagRulesTable {
  corp_id: string;
  id: Generated<number>;
  name: string;
  kind: TagRuleKind;
  condition: ColumnType<Record<string, unknown>, string, string>;
  enabled: Generated<boolean>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface TagRuleTagsTable {
  corp_id: string;
  rule_id: number;
  tag_id: number;
}

export interface TagRuleHitsTable {
  corp_id: string;
  rule_id: number;
  customer_id: number;
  trigger: string;
  tags_added: number;
  at: Timestamp;
}

export interface CustomerTagsTable {
  corp_id: string;
  customer_id: number;
  tag_id: number;
  staff_id: number | null;
  tagged_at: Timestamp;
}

export interface AccountsTable {
  corp_id: string;
  id: Generated<number>;
  username: string;
  display_name: string;
  password_hash: string;
  role: 'hq_admin' | 'region_manager' | 'store_manager' | 'staff';
  unit_id: number;
  staff_id: number | null;
  disabled: Generated<boolean>;
  created_at: DefaultTimestamp;
}

export interface SessionsTable {
  corp_id: string;
  id: Generated<number>;
  token_hash: string;
  account_id: number;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_seen_at: DefaultTimestamp;
  /** the client address it was last used from */
  ip: string | null;
  user_agent: string | null;
}

export interface GroupsTable {
  corp_id: string;
  id: Generated<number>;
  chat_id: string;
  name: Generated<string>;
  owner_userid: string | null;
  owner_staff_id: number | null;
  notice: string | null;
  member_version: string | null;
  member_count: Generated<number>;
  customer_count: Generated<number>;
  status: Generated<'active' | 'dismissed'>;
  created_at_wecom: Timestamp | null;
  dismissed_at: Timestamp | null;
  synced_at: Timestamp;
}

export interface GroupMembersTable {
  corp_id: string;
  group_id: number;
  member_key: string;
  member_type: number;
  customer_id: number | null;
  staff_id: number | null;
  unionid: string | null;
  display_name: string | null;
  join_time: Timestamp | null;
  join_scene: number | null;
  invitor_userid: string | null;
  left_at: Timestamp | null;
}

export interface WecomConnectionsTable {
  corp_id: string;
  wecom_corp_id: string;
  agent_id: string | null;
  api_base_url: string;
  secret_cipher: string;
  callback_token_cipher: string;
  callback_aes_key_cipher: string;
  simulated: Generated<boolean>;
  created_at: DefaultTimestamp;
}

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
}

export type ChannelMethod =
  | 'package_card'
  | 'sms'
  | 'ai_call'
  | 'rollup_banner'
  | 'table_card'
  | 'poster'
  | 'wangwang'
  | 'livestream'
  | 'mini_program'
  | 'other';

export interface WorkingHours {
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  days: number[];
  /** HH:MM, brand time (Asia/Shanghai). */
  start: string;
  end: string;
}

export interface WelcomeTemplate {
  text?: string;
  link?: { title: string; url: string; desc?: string; picurl?: string };
  miniprogram?: { title: string; appid: string; page: string; pic_media_id?: string };
  imageUrl?: string;
}

export interface ChannelsTable {
  corp_id: string;
  id: Generated<number>;
  name: string;
  scene: string;
  method: ChannelMethod;
  bait: Generated<string>;
  unit_id: number;
  assign_mode: 'single' | 'pool' | 'store';
  pool_strategy: Generated<'round_robin' | 'least_loaded'>;
  daily_cap: number | null;
  working_hours: ColumnType<WorkingHours | null, string | null, string | null>;
  skip_verify: Generated<boolean>;
  remark_template: Generated<string>;
  welcome: ColumnType<WelcomeTemplate, string | undefined, string>;
  status: Generated<'active' | 'archived'>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface ChannelStaffTable {
  corp_id: string;
  channel_id: number;
  staff_id: number;
  backup: Generated<boolean>;
  position: Generated<number>;
}

export interface ChannelTagsTable {
  corp_id: string;
  channel_id: number;
  tag_id: number;
}

export interface ChannelCodesTable {
  corp_id: string;
  id: Generated<number>;
  channel_id: number;
  unit_id: number;
  state: string;
  config_id: string | null;
  qr_code: string | null;
  /** The members the way lists now (one for single and least-loaded routing, the eligible pool otherwise). */
  current_users: ColumnType<string[], string[] | undefined, string[]>;
  scans: Generated<number>;
  created_at: DefaultTimestamp;
}

export interface ChannelAddsTable {
  corp_id: string;
  id: Generated<number>;
  code_id: number;
  channel_id: number;
  customer_id: number;
  staff_id: number;
  added_at: Timestamp;
  welcome_key: string | null;
}

export type Linkage = 'friend_only' | 'group_only' | 'friend_then_group' | 'group_then_friend';

export interface AcquisitionSettingsTable {
  corp_id: string;
  unit_id: number;
  linkage: Linkage;
  adds_model: Generated<'central' | 'journey'>;
  updated_at: DefaultTimestamp;
}

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

export type LifecycleStage = 'new' | 'active' | 'repeat' | 'super' | 'dormant' | 'churned';

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

export interface SegmentsTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  name: string;
  description: Generated<string>;
  /** a rule tree (segments/rule.ts); written as JSON text */
  rule: ColumnType<unknown, string, string>;
  created_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LayeringsTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  name: string;
  created_by: number | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LayeringLayersTable {
  corp_id: string;
  layering_id: number;
  position: number;
  segment_id: number;
  operation: string;
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

export interface Tables extends JobTables {
  corps: CorpsTable;
  org_units: OrgUnitsTable;
  staff: StaffTable;
  customers: CustomersTable;
  follows: FollowsTable;
  customer_events: CustomerEventsTable;
  tag_groups: TagGroupsTable;
  tags: TagsTable;
  customer_tags: CustomerTagsTable;
  tag_rules: TagRulesTable;
  tag_rule_tags: TagRuleTagsTable;
  tag_rule_hits: TagRuleHitsTable;
  accounts: AccountsTable;
  sessions: SessionsTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  wecom_connections: WecomConnectionsTable;
  wecom_sync_runs: WecomSyncRunsTable;
  channels: ChannelsTable;
  channel_staff: ChannelStaffTable;
  channel_tags: ChannelTagsTable;
  channel_codes: ChannelCodesTable;
  channel_adds: ChannelAddsTable;
  acquisition_settings: AcquisitionSettingsTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  customer_identities: CustomerIdentitiesTable;
  members: MembersTable;
  integrations: IntegrationsTable;
  identity_unlinks: IdentityUnlinksTable;
  identity_conflicts: IdentityConflictsTable;
  customer_facts: CustomerFactsTable;
  lifecycle_settings: LifecycleSettingsTable;
  segments: SegmentsTable;
  layerings: LayeringsTable;
  layering_layers: LayeringLayersTable;
  order_imports: OrderImportsTable;
  order_import_errors: OrderImportErrorsTable;
}
