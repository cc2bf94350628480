import { fileURLToPath } from 'node:url';
import type { MigrationSource } from './db/migrate.ts';

/** The platform's own tables (tenants, WeCom links, inbox, outbox, domain events), migrated before any module's. */
export const platformMigrations: MigrationSource = {
  name: 'platform',
  dir: fileURLToPath(new URL('./migrations', import.meta.url)),
  legacy: {
    '0001_org': ['0001_corps'],
    '0008_wecom_connections': ['0002_wecom_connections'],
    '0009_wecom_inbox_outbox': ['0003_wecom_inbox_outbox'],
    '0012_inbox_order_key': ['0004_inbox_order_key'],
    '0021_inbox_pending_by_id': ['0005_inbox_pending_by_id'],
    '0022_outbox_pending_by_lane': ['0006_outbox_pending_by_lane'],
    '0023_outbox_pending_deadlines': ['0007_outbox_pending_deadlines'],
  },
};
