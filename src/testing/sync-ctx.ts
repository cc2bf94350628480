import type { SyncCtx } from '../modules/context.ts';
import type { Tables } from '../modules/tables.ts';
import { ManualClock } from '../platform/clock.ts';
import type { Database } from '../platform/db/connect.ts';
import { corpDb } from '../platform/db/corp-db.ts';
import { createRuntime, type Runtime } from '../runtime.ts';
import { pii } from './fixture.ts';

/**
 * A system context for corp `acme` of the fixture, on a clock the test moves, publishing to the modules'
 * subscribers; `runtime.drain()` delivers the after-commit ones (its workers are not started).
 */
export function syncCtx(
  database: Database<Tables>,
  corpId = 'acme',
): SyncCtx & { clock: ManualClock; runtime: Runtime } {
  const clock = new ManualClock(new Date('2026-07-01T10:00:00Z'));
  const runtime = createRuntime({ db: database.db, clock, pii });
  return { cdb: corpDb(database.db, corpId), clock, pii, events: runtime.deps.events, runtime };
}
