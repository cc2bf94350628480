import { syncCtxOf } from '../context.ts';
import { type ModuleManifest, migrationsOf, subscriber } from '../manifest.ts';
import { dropDeletedTags, markTagsInWecom } from './customer-tags.ts';
import { FACTS_JOB, refreshFacts, runFactsJob } from './facts.ts';
import { factsRoutes } from './facts-routes.ts';
import { DAY_MS } from './rfm.ts';
import { customerRoutes } from './routes.ts';
import { runWaitingTagJob, TAG_JOBS_JOB } from './tag-jobs.ts';

const refresh = (ctx: Parameters<typeof refreshFacts>[0], events: { customerId: number }[]) =>
  refreshFacts(
    ctx,
    events.map((e) => e.customerId),
  );

/**
 * Customers: one profile per person with every follow, their tags and timeline, the scope rule, derived facts
 * (RFM, lifecycle stage, LTV), lifecycle settings and super users.
 */
export const customers: ModuleManifest = {
  name: 'customers',
  dependsOn: ['audit', 'org', 'staff', 'accounts', 'tags'],
  tables: [
    'customers',
    'follows',
    'customer_events',
    'customer_tags',
    'customer_facts',
    'lifecycle_settings',
    'customer_tag_jobs',
  ],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: {
      '0003_customers': ['0001_customers'],
      '0004_tags': ['0002_customer_tags'],
      '0015_customer_facts': ['0003_customer_facts'],
      '0018_lifecycle_settings': ['0004_lifecycle_settings'],
      '0024_follows_synced_run': ['0005_follows_synced_run'],
    },
  },
  routes: (deps) => async (app) => {
    await app.register(customerRoutes(deps));
    await app.register(factsRoutes(deps));
  },
  publishes: ['CustomerMirrored', 'ContactAdded', 'FollowEnded', 'TagsChanged', 'StageChanged'],
  subscribes: [
    subscriber('customers', 'drop-deleted-tags', 'TagsDeleted', 'inTransaction', dropDeletedTags),
    subscriber('customers', 'mark-tags-in-wecom', 'TagsReachedWecom', 'afterCommit', markTagsInWecom),
    subscriber('customers', 'facts-on-orders', 'OrdersLinked', 'afterCommit', refresh),
    subscriber('customers', 'facts-on-unlink', 'OrdersUnlinked', 'afterCommit', refresh),
    subscriber('customers', 'facts-on-member', 'MemberLinked', 'afterCommit', refresh),
    subscriber('customers', 'facts-on-follow-end', 'FollowEnded', 'afterCommit', refresh),
  ],
  jobs: [
    {
      // A full recompute when a brand's thresholds changed (woken by the settings API), and once a day the
      // customers whose stage moved with time alone (dormant without any event). Hourly polls that find
      // neither are one read per brand.
      name: FACTS_JOB,
      everyMs: 3_600_000,
      run: async (deps) => {
        const corps = await deps.db.selectFrom('corps').select('corp_id').execute();
        for (const { corp_id } of corps) {
          await runFactsJob(syncCtxOf(deps, corp_id), { driftEveryMs: DAY_MS });
        }
        return false;
      },
    },
    // bulk tagging of more customers than a request does (woken when one is made; a poll resumes a job whose
    // process stopped)
    { name: TAG_JOBS_JOB, everyMs: 60_000, run: runWaitingTagJob },
  ],
};
