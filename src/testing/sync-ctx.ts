import type { SyncCtx } from '../modules/context.ts';
import type { Tables } from '../modules/tables.ts';
import { ManualClock } from '../platform/clock.ts';
import type { Database } from '../platform/db/connect.ts';
import { corpDb } from '../platform/db/corp-db.ts';
import { pii } from './fixture.ts';

/** A system context for corp `acme` of the fixture, on a clock the test moves. */
export function syncCtx(database: Database<Tables>, corpId = 'acme'): SyncCtx & { clock: ManualClock } {
  return { cdb: corpDb(database.db, corpId), clock: new ManualClock(new Date('2026-07-01T10:00:00Z')), pii };
}
