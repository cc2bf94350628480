import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { sampleRoutes } from './media.ts';
import { contentRoutes } from './routes.ts';

/** The content library (素材库) and script library (话术库): what journeys, mass sends and staff send. */
export const content: ModuleManifest = {
  name: 'content',
  dependsOn: ['org', 'accounts', 'staff', 'customers', 'orders'],
  tables: ['content_items', 'content_uses', 'content_media'],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: (deps) => contentRoutes(deps),
  // the demo library's sample files, drawn here, for the console's preview
  rootRoutes: () => sampleRoutes,
  publishes: [],
};
