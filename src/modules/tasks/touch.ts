import type { SyncCtx } from '../context.ts';
import { type ReserveTouchResult, reserveTouch } from '../outreach/index.ts';

/**
 * A done send-script task takes a touch of its customer's budget (the outreach module's reserveTouch, source
 * kind 'task'), in the caller's transaction: one small seam between the two modules.
 */
export async function reserveTaskTouch(
  ctx: SyncCtx,
  input: {
    customerId: number;
    staffId: number;
    taskId: number;
    contentId: string | null;
    title: string;
    at: Date;
  },
): Promise<ReserveTouchResult> {
  return reserveTouch(ctx, {
    customerId: input.customerId,
    staffId: input.staffId,
    source: { kind: 'task', id: String(input.taskId) },
    // the content library's ids are numbers in outreach's ledger; a task keeps its content id as text
    contentId: input.contentId && /^\d{1,15}$/.test(input.contentId) ? Number(input.contentId) : null,
    at: input.at,
    label: input.title,
  });
}
