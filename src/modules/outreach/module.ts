import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { outreachRoutes } from './routes.ts';

/**
 * Outreach: the touch budget every send asks first (per org unit, inherited; the touch ledger; WeCom's
 * monthly receive cap), the sender rule, audience planning with exclusions by reason, mass sends (群发)
 * and the orders they are credited with.
 */
export const outreach: ModuleManifest = {
  name: 'outreach',
  dependsOn: ['audit', 'org', 'staff', 'accounts', 'customers', 'segments'],
  tables: ['touch_budget_settings', 'outreach_settings', 'touch_locks', 'touch_opt_outs', 'touches'],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: outreachRoutes,
  publishes: [],
};
