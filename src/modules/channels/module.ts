import { syncCtxOf } from '../context.ts';
import { type ModuleManifest, migrationsOf, subscriber } from '../manifest.ts';
import { landingRoutes } from './landing.ts';
import { attributeChannelAdds, rerouteAfterAdds } from './on-contact-added.ts';
import { channelRoutes } from './routes.ts';
import { channelOutboxEffects, rerouteAll } from './routing.ts';
import { detachDeletedTags } from './service.ts';

/**
 * Channel codes (scene · method · bait): each a WeCom «联系我» routed to staff; attribution, the welcome,
 * tags and remark on add; the landing page and its scans; funnels; the four linkages.
 */
export const channels: ModuleManifest = {
  name: 'channels',
  dependsOn: ['org', 'staff', 'tags', 'customers', 'groups'],
  tables: [
    'channels',
    'channel_staff',
    'channel_tags',
    'channel_codes',
    'channel_adds',
    'channel_scans',
    'acquisition_settings',
  ],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: { '0011_channels': ['0001_channels'], '0013_channel_code_users': ['0002_channel_code_users'] },
  },
  routes: (deps) => channelRoutes(deps, deps.settings),
  rootRoutes: landingRoutes,
  publishes: ['ChannelAttributed'],
  subscribes: [
    // the welcome has 20 s: it commits with the add
    subscriber('channels', 'attribute-add', 'ContactAdded', 'inTransaction', attributeChannelAdds),
    subscriber('channels', 'reroute-after-add', 'ChannelAttributed', 'afterCommit', rerouteAfterAdds),
    subscriber('channels', 'detach-deleted-tags', 'TagsDeleted', 'inTransaction', detachDeletedTags),
  ],
  outboxEffects: channelOutboxEffects,
  jobs: [
    {
      // Channel codes follow working hours and daily caps: every code is re-routed once a minute.
      name: 'channels.reroute',
      everyMs: 60_000,
      run: async (deps) => {
        const corps = await deps.db.selectFrom('corps').select('corp_id').execute();
        for (const { corp_id } of corps) await rerouteAll(syncCtxOf(deps, corp_id));
        return false;
      },
    },
  ],
};
