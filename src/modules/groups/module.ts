import { type ModuleManifest, migrationsOf } from '../manifest.ts';

/** Customer groups and their members, mirrored from WeCom; joins and leaves on the customers' timelines. */
export const groups: ModuleManifest = {
  name: 'groups',
  dependsOn: ['staff', 'customers'],
  tables: ['groups', 'group_members'],
  migrations: { dir: migrationsOf(import.meta.url), legacy: { '0007_groups': ['0001_groups'] } },
  publishes: [],
};
