import { type ModuleManifest, migrationsOf, subscriber } from '../manifest.ts';
import { hookRoutes } from './hooks.ts';
import { importRoutes } from './import-routes.ts';
import { IMPORT_JOB, runWaitingImport } from './import-runner.ts';
import { purgeHookSignatures } from './integrations.ts';
import { onCustomersMirrored } from './oneid.ts';
import { orderRoutes } from './routes.ts';

/**
 * Orders and members from the brand's systems: signed webhooks, integrator secrets, idempotent ingest, file
 * imports, and OneID linking them to customers (reversibly).
 */
export const orders: ModuleManifest = {
  name: 'orders',
  dependsOn: ['audit', 'org', 'accounts', 'customers'],
  tables: [
    'orders',
    'order_items',
    'customer_identities',
    'members',
    'integrations',
    'hook_signatures',
    'identity_unlinks',
    'identity_conflicts',
    'order_imports',
    'order_import_errors',
    'products',
  ],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: {
      '0014_orders': ['0001_orders'],
      '0016_integrations_oneid': ['0002_integrations_oneid'],
      '0017_order_imports': ['0003_order_imports'],
    },
  },
  routes: (deps) => async (app) => {
    await app.register(orderRoutes(deps));
    await app.register(importRoutes(deps));
  },
  rootRoutes: hookRoutes,
  publishes: ['OrdersLinked', 'OrdersUnlinked', 'MemberLinked'],
  subscribes: [
    // the orders and members waiting for a customer's identities link once the customer is mirrored
    subscriber('orders', 'link-wecom-identities', 'CustomerMirrored', 'afterCommit', onCustomersMirrored),
  ],
  jobs: [
    { name: IMPORT_JOB, everyMs: 60_000, run: runWaitingImport },
    { name: 'orders.purge-hook-signatures', everyMs: 60_000, run: purgeHookSignatures },
  ],
};
