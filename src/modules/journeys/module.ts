import { type ModuleManifest, migrationsOf, subscriber } from '../manifest.ts';
import { ADD_MSG_TEMPLATE, sendOnce } from './effects.ts';
import { ADVANCE_JOB, advanceDue } from './engine.ts';
import { RESULTS_JOB, runSendResults } from './results.ts';
import { journeyRoutes } from './routes.ts';
import {
  onChannelAttributed,
  onMemberLinked,
  onOrdersLinked,
  onStageChanged,
  onTagsChanged,
  runScans,
  SCAN_JOB,
} from './triggers.ts';

/**
 * Journeys (客户旅程, customer SOPs): versioned graphs of trigger → waits, branches, splits and actions, the
 * customers enrolled in them, and the scheduler that moves each one step at a time.
 */
export const journeys: ModuleManifest = {
  name: 'journeys',
  dependsOn: [
    'org',
    'staff',
    'accounts',
    'tags',
    'customers',
    'channels',
    'orders',
    'segments',
    'outreach',
    'tasks',
    'content',
  ],
  tables: ['journeys', 'journey_versions', 'journey_enrolments', 'journey_steps'],
  migrations: { dir: migrationsOf(import.meta.url) },
  routes: journeyRoutes,
  publishes: [],
  outboxEffects: { [ADD_MSG_TEMPLATE]: sendOnce },
  subscribes: [
    subscriber('journeys', 'enrol-on-channel-add', 'ChannelAttributed', 'afterCommit', onChannelAttributed),
    subscriber('journeys', 'enrol-on-tags', 'TagsChanged', 'afterCommit', onTagsChanged),
    subscriber('journeys', 'enrol-on-orders', 'OrdersLinked', 'afterCommit', onOrdersLinked),
    subscriber('journeys', 'enrol-on-stage', 'StageChanged', 'afterCommit', onStageChanged),
    subscriber('journeys', 'enrol-on-member', 'MemberLinked', 'afterCommit', onMemberLinked),
  ],
  jobs: [
    // Due steps, in batches of one transaction each (engine.ts stepBatch); polled every 2 s (a wait's end
    // is a time, not an event).
    {
      name: ADVANCE_JOB,
      everyMs: 2_000,
      run: async (deps, signal) => (await advanceDue(deps, { maxSteps: 2_000, signal })) > 0,
    },
    // Dates, N days without an order and segment entry (hourly per journey), and broadcasts at their time.
    { name: SCAN_JOB, everyMs: 60_000, run: async (deps) => (await runScans(deps)).more },
    // What became of the 1:1 messages members were asked to send: the touch is sent, or its slot comes back.
    { name: RESULTS_JOB, everyMs: 60_000, run: runSendResults },
  ],
};
