import { sql } from 'kysely';
import { syncCtxOf } from '../context.ts';
import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { groupOutboxEffects } from './codes.ts';
import { groupRoutes } from './routes.ts';
import { pullGroupStats, STATS_JOB } from './stats.ts';

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
    'group_code_heads',
    'group_member_units',
    'group_routing_rules',
    'group_routing_decisions',
    'group_stats_daily',
    'group_stats_pulls',
  ],
  migrations: { dir: migrationsOf(import.meta.url), legacy: { '0007_groups': ['0001_groups'] } },
  routes: groupRoutes,
  publishes: [],
  outboxEffects: groupOutboxEffects,
  jobs: [
    {
      // Daily figures per owner (groupchat/statistic) into the rollup; hourly, it pulls only days not pulled yet.
      name: STATS_JOB,
      everyMs: 3_600_000,
      run: async (deps) => {
        const { rows } = await sql<{ corp_id: string }>`select distinct corp_id from groups`.execute(deps.db);
        for (const { corp_id } of rows) {
          const link = await deps.links.get(corp_id);
          if (link?.client) await pullGroupStats(syncCtxOf(deps, corp_id), link.client);
        }
        return false;
      },
    },
  ],
};
