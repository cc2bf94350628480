import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { callbackRoutes } from './callback-routes.ts';
import { handleWecomEvent } from './events/index.ts';
import { runRequestedSyncs, SYNC_JOB } from './full-sync.ts';
import { connectorRoutes } from './routes.ts';

/**
 * A brand's WeCom, inward: the callback endpoint, one handler per WeCom event turning it into the owning
 * modules' changes, the full sync, and the status page's API.
 */
export const connector: ModuleManifest = {
  name: 'connector',
  dependsOn: ['org', 'staff', 'tags', 'customers', 'groups'],
  tables: ['wecom_sync_runs'],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: { '0008_wecom_connections': ['0001_sync_runs'] },
  },
  routes: connectorRoutes,
  rootRoutes: callbackRoutes,
  publishes: ['TransferFailed'],
  inbox: handleWecomEvent,
  jobs: [{ name: SYNC_JOB, everyMs: 60_000, run: (deps) => runRequestedSyncs(deps) }],
};
