import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { manageRoutes } from './manage-routes.ts';
import { accountRoutes } from './routes.ts';
import { resolveSession, SESSION_COOKIE } from './service.ts';

/** Console logins: passwords, sessions, the login limit; logins managed in the console (人员与权限). */
export const accounts: ModuleManifest = {
  name: 'accounts',
  dependsOn: ['audit', 'org', 'staff'],
  tables: ['accounts', 'sessions', 'password_resets'],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: { '0005_accounts': ['0001_accounts'] },
  },
  routes: (deps) => async (app) => {
    await app.register(accountRoutes(deps, deps.settings));
    await app.register(manageRoutes(deps));
  },
  authenticate: (deps) => (request) =>
    resolveSession(deps.db, deps.clock, request.cookies[SESSION_COOKIE], { ip: request.ip }),
  publishes: [],
};
