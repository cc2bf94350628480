import type { ColumnType, Generated } from 'kysely';
import type { DefaultTimestamp } from '../../platform/db/column-types.ts';

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

/** The tables this module owns, as Kysely sees them. */
export interface OrgTables {
  org_units: OrgUnitsTable;
}
