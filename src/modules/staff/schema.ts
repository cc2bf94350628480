import type { ColumnType, Generated } from 'kysely';
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
  /** The persona's introduction shown on the name card. */
  persona_intro: ColumnType<string | null, string | null | undefined, string | null>;
  /** How the avatar should look for this persona (for the member, not shown to customers). */
  avatar_guide: ColumnType<string | null, string | null | undefined, string | null>;
  /** The store or mall entry on the name card: its label and link (a mini-program URL link or a web page). */
  card_mall_title: ColumnType<string | null, string | null | undefined, string | null>;
  card_mall_url: ColumnType<string | null, string | null | undefined, string | null>;
  /** The member's own WeCom QR (user/get's qr_code), shown on the card. */
  qr_code: ColumnType<string | null, string | null | undefined, string | null>;
  persona_updated_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  status: Generated<'active' | 'disabled' | 'departed'>;
  created_at: DefaultTimestamp;
}

/** The tables this module owns, as Kysely sees them. */
export interface StaffTables {
  staff: StaffTable;
}
