import { type ModuleManifest, migrationsOf } from '../manifest.ts';
import { REMINDER_JOB, sendDueReminders } from './reminders.ts';
import { taskRoutes } from './routes.ts';

/**
 * Staff tasks (待办): made by managers or journeys, reminded through WeCom's app messages, done or dismissed
 * by the member (a send-script task takes a touch of the customer's budget), counted per member and store.
 */
export const tasks: ModuleManifest = {
  name: 'tasks',
  dependsOn: ['org', 'staff', 'accounts', 'customers', 'outreach'],
  tables: ['tasks'],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: taskRoutes,
  publishes: [],
  jobs: [{ name: REMINDER_JOB, everyMs: 30_000, run: sendDueReminders }],
};
