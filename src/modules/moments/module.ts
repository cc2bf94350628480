import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { MOMENTS_JOB, momentsOutboxEffects, runMomentsJob } from './publish.ts';
import { momentsRoutes } from './routes.ts';

/**
 * 客户朋友圈 (Moments): posts planned by HQ or a store on the playbook's three axes (product, persona, user
 * story), published through add_moment_task at their time, each member's publishing, the customers who can
 * see it and its likes and comments followed for 30 days.
 */
export const moments: ModuleManifest = {
  name: 'moments',
  dependsOn: ['org', 'staff', 'accounts', 'tags', 'content'],
  tables: ['moment_media', 'moment_posts', 'moment_post_members'],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: momentsRoutes,
  publishes: [],
  outboxEffects: momentsOutboxEffects,
  jobs: [{ name: MOMENTS_JOB, everyMs: 60_000, run: runMomentsJob }],
};
