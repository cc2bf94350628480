import { sql } from 'kysely';
import { ADD_MSG_TEMPLATE } from '../../wecom/paths.ts';
import { syncCtxOf } from '../context.ts';
import { type ModuleManifest, migrationsOf, subscriber } from '../manifest.ts';
import { attributeOrders, unattributeOrders } from './attribution.ts';
import { dispatchDue, followResults, MASS_SEND_JOB, onMassTaskCreated } from './mass-sends.ts';
import { ARCHIVE_JOB, runArchive } from './replies.ts';
import { outreachRoutes } from './routes.ts';

/**
 * Outreach: the touch budget every send asks first (per org unit, inherited; the touch ledger; WeCom's
 * monthly receive cap), the sender rule, audience planning with exclusions by reason, mass sends (群发)
 * and the orders they are credited with.
 */
export const outreach: ModuleManifest = {
  name: 'outreach',
  dependsOn: [
    'audit',
    'org',
    'staff',
    'accounts',
    'customers',
    'orders',
    'segments',
    'content',
    'groups',
    'tag-rules',
  ],
  tables: [
    'touch_budget_settings',
    'outreach_settings',
    'touch_locks',
    'touch_opt_outs',
    'touches',
    'mass_sends',
    'mass_send_tasks',
    'mass_send_recipients',
    'mass_send_reminds',
    'mass_send_groups',
    'touch_attributions',
    'archive_cursors',
    'sender_candidates',
  ],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: outreachRoutes,
  publishes: [],
  subscribes: [
    subscriber('outreach', 'attribute-orders', 'OrdersLinked', 'afterCommit', attributeOrders),
    subscriber('outreach', 'unattribute-orders', 'OrdersUnlinked', 'afterCommit', unattributeOrders),
  ],
  outboxEffects: {
    // Only rows this module queued (their key says so); other modules' add_msg_template rows are left alone.
    [ADD_MSG_TEMPLATE]: { onDone: (ctx, row, result) => onMassTaskCreated(ctx, row.idemKey, result) },
  },
  jobs: [
    {
      // Dispatches what is due (send times, deferred customers whose slot came), then follows WeCom's tasks
      // and results. Woken when a mass send is created, reminded or cancelled.
      name: MASS_SEND_JOB,
      everyMs: 60_000,
      run: async (deps) => {
        const { rows: corps } = await sql<{ corp_id: string }>`
          select corp_id from mass_sends where status in ('scheduled', 'sending')
          union
          select corp_id from mass_send_tasks
          where status in ('pending', 'created') or (status = 'cancelled' and msgid is not null and polled_at is null)`.execute(
          deps.db,
        );
        for (const { corp_id } of corps) {
          const ctx = syncCtxOf(deps, corp_id);
          if ((await dispatchDue(ctx)) > 0) deps.wake.outbox();
          const link = await deps.links.get(corp_id);
          await followResults(ctx, link?.client ?? null);
        }
        return false;
      },
    },
    {
      // Customers' messages from the session archive mark the touches they answer (replies.ts).
      name: ARCHIVE_JOB,
      everyMs: 60_000,
      run: runArchive,
    },
  ],
};
