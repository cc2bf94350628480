import type { ColumnType, Generated } from 'kysely';
import type { Json, Timestamp } from '../../platform/db/column-types.ts';

export const GROUP_TYPES = ['store', 'welfare', 'interest', 'vip', 'new_customer'] as const;
export type GroupType = (typeof GROUP_TYPES)[number];
export const RULE_KINDS = [
  'top_store',
  'interest_tag',
  'high_frequency',
  'first_visit',
  'coupon_heavy',
  'default',
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

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
  /** Set by the brand; null: not set (the console suggests one from the name). */
  type: GroupType | null;
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
  /** The join way's state: which group code brought the member. */
  state: string | null;
}

export interface GroupCodesTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  name: string;
  state: string;
  auto_create: Generated<boolean>;
  room_base_name: string;
  room_base_id: Generated<number>;
  welcome_text: Generated<string>;
  welcome_template_id: string | null;
  config_id: string | null;
  qr_code: string | null;
  status: Generated<'active' | 'archived'>;
  created_by: number | null;
  created_at: Timestamp;
}

export interface GroupCodeGroupsTable {
  corp_id: string;
  code_id: number;
  group_id: number;
  position: number;
  retired_at: Timestamp | null;
}

/** Kept by triggers (migration 0004): per unit, the first code of each group type and retired state. */
export interface GroupCodeHeadsTable {
  corp_id: string;
  unit_id: number;
  group_type: GroupType | null;
  retired: boolean;
  code_id: number;
  group_id: number;
  position: number;
}

/** Per current member: the lowest store of their active groups' owners, their customer, and whether that is all. */
export interface GroupMemberUnitsTable {
  corp_id: string;
  member_key: string;
  unit_id: number;
  customer_id: number | null;
  single: boolean;
}

export interface GroupRoutingRulesTable {
  corp_id: string;
  id: Generated<number>;
  unit_id: number;
  position: number;
  kind: RuleKind;
  tag_id: number | null;
  group_type: GroupType | null;
}

export interface RoutingReason {
  zh: string;
  en: string;
}

export interface GroupRoutingDecisionsTable {
  corp_id: string;
  id: Generated<number>;
  customer_id: number;
  staff_id: number | null;
  scan_unit_id: number | null;
  group_id: number | null;
  code_id: number | null;
  rule_kind: RuleKind | null;
  reason: Json<RoutingReason>;
  decided_at: Timestamp;
}

export interface GroupStatsDailyTable {
  corp_id: string;
  /** China day, 'YYYY-MM-DD'. */
  day: ColumnType<string, string, string>;
  owner_userid: string;
  new_chat_cnt: number;
  chat_total: number;
  chat_has_msg: number;
  new_member_cnt: number;
  member_total: number;
  member_has_msg: number;
  msg_total: number;
  pulled_at: Timestamp;
}

export interface GroupStatsPullsTable {
  corp_id: string;
  day: ColumnType<string, string, string>;
  owners: number;
  pulled_at: Timestamp;
}

/** The tables this module owns, as Kysely sees them. */
export interface GroupsTables {
  group_stats_daily: GroupStatsDailyTable;
  group_stats_pulls: GroupStatsPullsTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  group_codes: GroupCodesTable;
  group_code_groups: GroupCodeGroupsTable;
  group_code_heads: GroupCodeHeadsTable;
  group_member_units: GroupMemberUnitsTable;
  group_routing_rules: GroupRoutingRulesTable;
  group_routing_decisions: GroupRoutingDecisionsTable;
}
