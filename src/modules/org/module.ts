import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { orgRoutes } from './routes.ts';

/** The org tree: HQ → regions → stores, any depth; every data scope is a subtree of it. */
export const org: ModuleManifest = {
  name: 'org',
  dependsOn: [],
  tables: ['org_units'],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: { '0001_org': ['0001_org_units'], '0006_org_wecom_departments': ['0002_wecom_departments'] },
  },
  routes: orgRoutes,
  publishes: [],
};
