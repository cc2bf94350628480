import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { tagOutboxEffects } from './push.ts';
import { tagRoutes } from './routes.ts';

/** Corp tag groups and tags, synced both ways with WeCom; the tag views per role. */
export const tags: ModuleManifest = {
  name: 'tags',
  dependsOn: [],
  tables: ['tag_groups', 'tags'],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: { '0004_tags': ['0001_tags'], '0020_tag_sync_rules': ['0002_sync_keys'] },
  },
  routes: tagRoutes,
  publishes: ['TagsDeleted', 'TagsReachedWecom'],
  outboxEffects: tagOutboxEffects,
};
