import type { ColumnType, Generated } from 'kysely';
import type { DefaultTimestamp, Timestamp } from '../../platform/db/column-types.ts';

/** A nullable time that inserts may leave out. */
type OptionalTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

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
  disabled_at: OptionalTimestamp;
  password_changed_at: OptionalTimestamp;
}

/** A one-time link to set a password: its token is stored hashed, used once, before it expires. */
export interface PasswordResetsTable {
  corp_id: string;
  id: Generated<number>;
  account_id: number;
  token_hash: string;
  created_by: number | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
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

/** The tables this module owns, as Kysely sees them. */
export interface AccountsTables {
  accounts: AccountsTable;
  sessions: SessionsTable;
  password_resets: PasswordResetsTable;
}
