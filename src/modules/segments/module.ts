import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { segmentMemberRoutes } from './members-routes.ts';
import { segmentRoutes } from './routes.ts';

/** Segments (rule trees compiled to SQL) and layerings: who gets which operation. */
export const segments: ModuleManifest = {
  name: 'segments',
  dependsOn: ['audit', 'org', 'staff', 'accounts', 'tags', 'customers', 'channels', 'orders'],
  tables: ['segments', 'layerings', 'layering_layers'],
  migrations: { dir: migrationsOf(import.meta.url), legacy: { '0019_segments': ['0001_segments'] } },
  routes: (deps) => async (app) => {
    await app.register(segmentRoutes(deps));
    await app.register(segmentMemberRoutes(deps));
  },
  publishes: [],
};
