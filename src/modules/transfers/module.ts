import { sql } from 'kysely';
import {
  GROUPCHAT_ONJOB_TRANSFER,
  GROUPCHAT_TRANSFER,
  RESIGNED_TRANSFER_CUSTOMER,
  TRANSFER_CUSTOMER,
} from '../../wecom/paths.ts';
import { syncCtxOf } from '../context.ts';
import { type ModuleManifest, migrationsOf, subscriber } from '../manifest.ts';
import { transferRoutes } from './routes.ts';
import { FOLLOW_UP_JOB, followUp, onCustomersSent, onGroupsSent, onTransferFailed } from './service.ts';

/**
 * Customers stay with the brand: 离职继承 (a departed member's customers and groups, from WeCom's unassigned
 * list, by store or rule) and 在职转接 (an active member's, with the 90-day protection checked first), sent
 * through the outbox, followed until done, refused or over the limit, and carried over in Siyu.
 */
export const transfers: ModuleManifest = {
  name: 'transfers',
  dependsOn: ['audit', 'org', 'staff', 'accounts', 'customers', 'groups'],
  tables: ['transfer_batches', 'transfers'],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: transferRoutes,
  publishes: [],
  subscribes: [
    subscriber('transfers', 'on-transfer-failed', 'TransferFailed', 'afterCommit', onTransferFailed),
  ],
  outboxEffects: {
    [TRANSFER_CUSTOMER]: { onDone: (ctx, row, result) => onCustomersSent(ctx, row.idemKey, result) },
    [RESIGNED_TRANSFER_CUSTOMER]: { onDone: (ctx, row, result) => onCustomersSent(ctx, row.idemKey, result) },
    [GROUPCHAT_TRANSFER]: { onDone: (ctx, row, result) => onGroupsSent(ctx, row.idemKey, result) },
    [GROUPCHAT_ONJOB_TRANSFER]: { onDone: (ctx, row, result) => onGroupsSent(ctx, row.idemKey, result) },
  },
  jobs: [
    {
      // Reads back due takeovers (transfer_result) and fails the rows of calls WeCom refused. Woken by
      // POST /transfers/follow-up.
      name: FOLLOW_UP_JOB,
      everyMs: 60_000,
      run: async (deps) => {
        const { rows } = await sql<{ corp_id: string }>`
          select distinct corp_id from transfers where status in ('queued', 'waiting')`.execute(deps.db);
        for (const { corp_id } of rows) {
          const link = await deps.links.get(corp_id);
          await followUp(syncCtxOf(deps, corp_id), link?.client ?? null);
        }
        return false;
      },
    },
  ],
};
