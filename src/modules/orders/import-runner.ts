import { type Deps, syncCtxOf } from '../context.ts';
import { runImport } from './import-service.ts';

/** The background job that runs imports (module.ts); POST /order-imports wakes it. */
export const IMPORT_JOB = 'orders.imports';

/**
 * Runs the oldest import waiting for a process: a new one, or one left by a stopped or crashed process once
 * its lease has run out. Between batches it stops when the process stops, leaving the import resumable.
 * True when it ran one (the job then looks for the next at once).
 */
export async function runWaitingImport(deps: Deps, signal?: AbortSignal): Promise<boolean> {
  const open = await deps.db
    .selectFrom('order_imports')
    .select(['corp_id', 'id'])
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', deps.clock.now())]))
    .orderBy('started_at')
    .limit(1)
    .executeTakeFirst();
  if (!open) return false;
  await runImport(syncCtxOf(deps, open.corp_id), open.id, { shouldStop: () => signal?.aborted === true });
  return true;
}
