import type { Generated } from 'kysely';
import type { Timestamp } from '../../platform/db/column-types.ts';

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

/** The tables this module owns, as Kysely sees them. */
export interface GroupsTables {
  groups: GroupsTable;
  group_members: GroupMembersTable;
}
