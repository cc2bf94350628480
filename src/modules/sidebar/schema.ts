import type { Timestamp } from '../../platform/db/column-types.ts';

export type TicketKind = 'jsapi' | 'agent_config';

export interface SidebarTicketsTable {
  corp_id: string;
  kind: TicketKind;
  ticket_cipher: string;
  expires_at: Timestamp;
  fetched_at: Timestamp;
}

/** The tables this module owns, as Kysely sees them. */
export interface SidebarTables {
  sidebar_tickets: SidebarTicketsTable;
}
