import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { groupOutboxEffects } from './codes.ts';
import { groupRoutes } from './routes.ts';

/**
 * Customer groups and their members, mirrored from WeCom (joins and leaves on the customers' timelines);
 * group types and personas, group codes (群活码) that rotate as groups fill, and smart routing of new
 * friends into the right group.
 */
export const groups: ModuleManifest = {
  name: 'groups',
  dependsOn: ['org', 'staff', 'tags', 'customers'],
  tables: [
    'groups',
    'group_members',
    'group_codes',
    'group_code_groups',
    'group_routing_rules',
    'group_routing_decisions',
  ],
  migrations: { dir: migrationsOf(import.meta.url), legacy: { '0007_groups': ['0001_groups'] } },
  routes: groupRoutes,
  publishes: [],
  outboxEffects: groupOutboxEffects,
};
