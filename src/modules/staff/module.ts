import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { cardRoutes } from './card-page.ts';
import { staffRoutes } from './routes.ts';

/** WeCom members as staff: their unit, persona (人设) with its name card (名片, /card/:token) and journey role. */
export const staff: ModuleManifest = {
  name: 'staff',
  dependsOn: ['org'],
  tables: ['staff'],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: { '0002_staff': ['0001_staff'] },
  },
  routes: staffRoutes,
  rootRoutes: cardRoutes,
  publishes: [],
};
