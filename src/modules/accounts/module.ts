import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { accountRoutes } from './routes.ts';
import { resolveSession, SESSION_COOKIE } from './service.ts';

/** Console logins: passwords, sessions, the login limit. */
export const accounts: ModuleManifest = {
  name: 'accounts',
  dependsOn: ['audit', 'org', 'staff'],
  tables: ['accounts', 'sessions'],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: { '0005_accounts': ['0001_accounts'] },
  },
  routes: (deps) => accountRoutes(deps, deps.settings),
  authenticate: (deps) => (request) =>
    resolveSession(deps.db, deps.clock, request.cookies[SESSION_COOKIE], { ip: request.ip }),
  publishes: [],
};
