import type { Generated } from 'kysely';
import type { DefaultTimestamp, Timestamp } from '../../platform/db/column-types.ts';

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

/** The tables this module owns, as Kysely sees them. */
export interface AccountsTables {
  accounts: AccountsTable;
  sessions: SessionsTable;
}
