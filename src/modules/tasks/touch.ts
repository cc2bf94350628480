import type { SyncCtx } from '../context.ts';

/** What the touch budget answers (the outreach module's `reserveTouch`, OUTREACH-PLAN.md). */
export type TaskTouch =
  | { ok: true; touchId: string | null }
  | {
      ok: false;
      reason: 'capped' | 'quiet_hours' | 'monthly_cap' | 'not_friend' | 'opted_out';
      retryAt?: Date;
    };

/**
 * A done send-script task takes a touch of its customer's budget, in the caller's transaction.
 *
 * TODO(outreach): call the outreach module's
 * `reserveTouch(ctx, { customerId, staffId, source: { kind: 'task', id: String(taskId) }, contentId, at })`
 * → `{ ok: true, touchId } | { ok: false, reason, retryAt? }` here (and add 'outreach' to the manifest's
 * dependsOn) once that module is merged. Until then every touch is allowed and none is recorded.
 */
export async function reserveTaskTouch(
  _ctx: SyncCtx,
  _input: { customerId: number; staffId: number; taskId: number; contentId: string | null; at: Date },
): Promise<TaskTouch> {
  return { ok: true, touchId: null };
}
