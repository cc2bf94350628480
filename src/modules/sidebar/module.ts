import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { sidebarPageRoutes, sidebarRoutes } from './routes.ts';

/**
 * The staff sidebar (聊天工具栏) inside WeCom: sign-in through WeCom's web OAuth, the JS-SDK signatures with
 * cached tickets, the customer or group the chat is with, recommended scripts sent as counted touches, and
 * follow-up notes on the timeline.
 */
export const sidebar: ModuleManifest = {
  name: 'sidebar',
  dependsOn: ['org', 'staff', 'accounts', 'customers', 'groups', 'orders', 'content', 'outreach'],
  tables: ['sidebar_tickets'],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: sidebarRoutes,
  rootRoutes: sidebarPageRoutes,
  publishes: [],
};
