import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { auditRoutes } from './routes.ts';

/** The audit trail: who saw, searched, exported or changed what; append-only, read by HQ admins. */
export const audit: ModuleManifest = {
  name: 'audit',
  dependsOn: [],
  tables: ['audit_log'],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: auditRoutes,
  publishes: [],
};
