import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import type { SyncCtx } from '../context.ts';
import { fillText, nextBrandTime } from './graph.ts';

/**
 * What journeys need from the modules built beside them (outreach, content, tasks), each behind one function
 * with the contract's signature (OUTREACH-PLAN.md). The implementations here are the smallest that let the
 * engine run and be tested; each says which module's function replaces it when the branches meet.
 */

const EC = '/cgi-bin/externalcontact';
/** WeCom's 1:1 mass-send template (TODO(outreach): take the constant from wecom/paths.ts once it has it). */
export const ADD_MSG_TEMPLATE = `${EC}/add_msg_template`;

export type TouchSource = { kind: 'journey' | 'mass_send' | 'task'; id: string };
export type TouchRefusal = 'capped' | 'quiet_hours' | 'monthly_cap' | 'not_friend' | 'opted_out';
export type Reservation =
  | { ok: true; touchId: string | number }
  | { ok: false; reason: TouchRefusal; retryAt?: Date };

const QUIET_FROM = '21:00';
const QUIET_UNTIL = '09:00';

/**
 * Asks the customer's touch budget for one message, in the caller's transaction.
 *
 * TODO(outreach): replace with outreach's `reserveTouch` (the per-customer budget row locked, the ledger, the
 * unit's caps and quiet hours, WeCom's monthly cap). Here only the default quiet hours (21:00–09:00 brand
 * time) are kept, deferring to their end; everything else is allowed.
 */
export async function reserveTouch(
  _ctx: SyncCtx,
  input: { customerId: number; staffId: number; source: TouchSource; contentId?: number; at: Date },
): Promise<Reservation> {
  const end = nextBrandTime(input.at, QUIET_UNTIL);
  const start = nextBrandTime(input.at, QUIET_FROM);
  // inside quiet hours: from 21:00 (included) until 09:00 (excluded)
  const at = input.at.getTime();
  if (start.getTime() === at || (end.getTime() < start.getTime() && end.getTime() !== at)) {
    return { ok: false, reason: 'quiet_hours', retryAt: end };
  }
  return { ok: true, touchId: `journey:${input.source.id}` };
}

export type SenderRule = { prefer: 'store_staff' | 'latest_follow' | 'role'; role?: string };
export type SenderPick =
  | { customerId: number; staffId: number; userid: string; reason: string }
  | { customerId: number; excluded: 'not_friend' | 'no_follow_in_scope' };

/**
 * One sender per customer. TODO(outreach): replace with outreach's `pickSender`. Here: the latest active
 * follow (the customer's store staff and roles are outreach's rule).
 */
export async function pickSender(
  ctx: SyncCtx,
  customerIds: number[],
  _rule: SenderRule,
): Promise<SenderPick[]> {
  const rows = await ctx.cdb.db
    .selectFrom('follows as f')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
    .select(['f.customer_id', 'f.staff_id', 's.userid', 'f.added_at', 'f.id'])
    .where('f.corp_id', '=', ctx.cdb.corpId)
    .where('f.customer_id', 'in', customerIds)
    .where('f.status', '=', 'active')
    .orderBy('f.added_at', 'desc')
    .orderBy('f.id', 'desc')
    .execute();
  return customerIds.map((customerId) => {
    const f = rows.find((r) => r.customer_id === customerId);
    return f
      ? { customerId, staffId: f.staff_id, userid: f.userid, reason: 'latest_follow' }
      : { customerId, excluded: 'not_friend' as const };
  });
}

export interface WecomMessage {
  text?: { content: string };
  attachments?: Record<string, unknown>[];
}

/**
 * A send step's message for one customer. TODO(content): a step naming `contentId` takes the item from
 * content's `getContent` and renders it with `renderContent(item, vars)` (and records its use with
 * `recordContentUse`); until then such a step sends its own text, or says which item it would have sent.
 */
export async function renderMessage(
  _ctx: SyncCtx,
  step: { contentId?: number; text?: string },
  vars: Record<string, string>,
): Promise<WecomMessage> {
  if (step.text) return { text: { content: fillText(step.text, vars) } };
  return { text: { content: `[素材 #${step.contentId}]` } };
}

/** The 1:1 message: one add_msg_template for that staff member and that customer, through the outbox. */
export async function enqueueSend(
  ctx: SyncCtx,
  input: { key: string; userid: string; externalUserid: string; message: WecomMessage },
  now: Date,
): Promise<number> {
  const { id } = await enqueueOutbox(
    jobsDb(ctx.cdb.db),
    ctx.cdb.corpId,
    {
      idemKey: input.key,
      lane: 'normal',
      kind: ADD_MSG_TEMPLATE,
      request: {
        chat_type: 'single',
        external_userid: [input.externalUserid],
        sender: input.userid,
        ...input.message,
      },
    },
    now,
  );
  return id;
}

export type TaskKind = 'call' | 'send_script' | 'invite_group' | 'birthday_care' | 'custom';

/**
 * A staff task (待办). TODO(tasks): replace with tasks' `createTask` (the task row, its reminder through
 * message/send). Until then the step's outcome holds the task, and no id exists.
 */
export async function createTask(
  _ctx: SyncCtx,
  _input: {
    staffId: number;
    customerId?: number;
    kind: TaskKind;
    title: string;
    contentId?: number;
    dueAt: Date;
    source: TouchSource;
  },
): Promise<number | null> {
  return null;
}

/**
 * Tells the manager of the customer's store. TODO(tasks): an app message (message/send) to the unit's
 * manager through tasks' reminders; until then the step's outcome records whom and what.
 */
export async function notifyManager(
  ctx: SyncCtx,
  input: { customerId: number; staffId: number | null; text: string },
): Promise<{ unitId: number | null }> {
  if (input.staffId === null) return { unitId: null };
  const s = await ctx.cdb.db
    .selectFrom('staff')
    .select('unit_id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', input.staffId)
    .executeTakeFirst();
  return { unitId: s?.unit_id ?? null };
}
