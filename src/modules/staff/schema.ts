import type { Generated } from 'kysely';
import type { DefaultTimestamp } from '../../platform/db/column-types.ts';

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

/** The tables this module owns, as Kysely sees them. */
export interface StaffTables {
  staff: StaffTable;
}
