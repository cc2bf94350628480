import { type ModuleManifest, migrationsOf, subscriber } from '../manifest.ts';
import { applyChannelTagRules, applyOrderTagRules } from './auto-rules.ts';
import { tagRuleRoutes } from './routes.ts';

/** Auto-tag rules: on orders, on keywords, on adds through channels of a method or scene. */
export const tagRules: ModuleManifest = {
  name: 'tag-rules',
  dependsOn: ['tags', 'customers', 'channels'],
  tables: ['tag_rules', 'tag_rule_tags', 'tag_rule_hits'],
  migrations: {
    dir: migrationsOf(import.meta.url),
    legacy: { '0020_tag_sync_rules': ['0001_tag_rules'] },
  },
  routes: tagRuleRoutes,
  publishes: [],
  subscribes: [
    subscriber('tag-rules', 'order-rules', 'OrdersLinked', 'afterCommit', (ctx, events) =>
      applyOrderTagRules(
        ctx,
        events.flatMap((e) => e.orders),
      ),
    ),
    subscriber('tag-rules', 'channel-rules', 'ChannelAttributed', 'afterCommit', applyChannelTagRules),
  ],
};
