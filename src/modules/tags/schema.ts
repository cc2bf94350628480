import type { ColumnType, Generated } from 'kysely';
import type { DefaultTimestamp } from '../../platform/db/column-types.ts';

export interface TagGroupsTable {
  corp_id: string;
  id: Generated<number>;
  wecom_group_id: string | null;
  name: string;
  audience: Generated<'all' | 'ops' | 'front_line' | 'hq'>;
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

/** The tables this module owns, as Kysely sees them. */
export interface TagsTables {
  tag_groups: TagGroupsTable;
  tags: TagsTable;
}
