import { type ModuleManifest, migrationsOf, subscriber } from '../manifest.ts';
import { INSIGHT_JOB, markDirty, runInsightJob } from './refresh.ts';
import { insightRoutes } from './routes.ts';
import { leverRoutes } from './routes-levers.ts';

const M = 'insight';
/** The events that change a customer's figures: each marks the customer stale, in the change's transaction. */
const mark = (
  name: string,
  event:
    | 'ContactAdded'
    | 'FollowEnded'
    | 'OrdersLinked'
    | 'OrdersUnlinked'
    | 'StageChanged'
    | 'ChannelAttributed',
) =>
  subscriber(M, name, event, 'inTransaction', (ctx, events) =>
    markDirty(
      ctx.cdb,
      events.map((e) => e.customerId),
    ),
  );

/**
 * Insight: the home page per role and the dashboards (GMV and its four factors, funnels, cohorts, staff and
 * store performance), read from rollups that the domain events keep current (insight.rollups job).
 */
export const insight: ModuleManifest = {
  name: M,
  dependsOn: [
    'audit',
    'org',
    'staff',
    'accounts',
    'customers',
    'groups',
    'channels',
    'orders',
    'segments',
    'outreach',
    'tasks',
    // ROI reads journeys and their touches' attributions (roi.ts)
    'journeys',
  ],
  tables: [
    'insight_dirty',
    'insight_follows',
    'insight_customers',
    'insight_buyer_months',
    'insight_daily',
    'insight_monthly',
    'insight_cohorts',
    'insight_stages',
    'insight_active',
    'insight_unit_daily',
    'insight_unit_monthly',
    'insight_unit_cohorts',
    'insight_unit_stages',
    'insight_unit_active',
    'insight_staff_daily',
    'insight_staff_monthly',
    'insight_staff_cohorts',
    'insight_staff_stages',
    'insight_staff_active',
    'insight_channel_daily',
    'insight_channel_monthly',
    'insight_channel_cohorts',
    'insight_channel_stages',
    'insight_channel_active',
    'insight_brand_channel_daily',
    'insight_brand_channel_monthly',
    'insight_brand_channel_cohorts',
    'insight_brand_channel_stages',
    'insight_brand_channel_active',
    'insight_spend',
    'insight_pilots',
    'insight_pilot_units',
  ],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: (deps) => async (app) => {
    await app.register(insightRoutes(deps));
    await app.register(leverRoutes(deps));
  },
  publishes: [],
  subscribes: [
    mark('on-contact-added', 'ContactAdded'),
    mark('on-follow-ended', 'FollowEnded'),
    mark('on-orders-linked', 'OrdersLinked'),
    mark('on-orders-unlinked', 'OrdersUnlinked'),
    mark('on-stage-changed', 'StageChanged'),
    mark('on-channel-attributed', 'ChannelAttributed'),
  ],
  jobs: [{ name: INSIGHT_JOB, everyMs: 60_000, run: runInsightJob }],
};
