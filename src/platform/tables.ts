import type { Generated, Kysely } from 'kysely';
import type { DefaultTimestamp, Json, Timestamp } from './db/column-types.ts';
import type { JobTables } from './jobs/tables.ts';

export interface CorpsTable {
  corp_id: string;
  name: string;
  wecom_corp_id: string | null;
  business_type: string | null;
  created_at: DefaultTimestamp;
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

export interface DomainEventsTable {
  corp_id: string;
  id: Generated<number>;
  type: string;
  customer_id: number | null;
  payload: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface DomainEventDeliveriesTable {
  corp_id: string;
  id: Generated<number>;
  event_id: number;
  /** `on:<event type>`: every after-commit subscriber of the type; or one subscriber's id (older rows). */
  subscriber: string;
  /** The subscribers that have handled it (a retry runs the others). */
  done_by: Generated<string[]>;
  order_key: string;
  status: Generated<'pending' | 'done' | 'parked'>;
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  last_error: string | null;
  done_at: Timestamp | null;
}

/** The tables the platform owns (tenants, WeCom links, inbox, outbox, domain events), as Kysely sees them. */
export interface PlatformTables extends JobTables {
  corps: CorpsTable;
  wecom_connections: WecomConnectionsTable;
  domain_events: DomainEventsTable;
  domain_event_deliveries: DomainEventDeliveriesTable;
}

/** A database whose schema includes the platform's tables, seen as just those (Kysely's types are invariant). */
export function platformDb<DB extends PlatformTables>(db: Kysely<DB>): Kysely<PlatformTables> {
  return db as unknown as Kysely<PlatformTables>;
}
