import { enqueueOutbox, type OutboxRow } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import type { WecomClient } from '../../wecom/client.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import type { OutboxEffect } from '../manifest.ts';
import { pickSender as outreachPickSender, reserveTouch as outreachReserveTouch } from '../outreach/index.ts';
import { fillText } from './graph.ts';

/**
 * What journeys need from the modules built beside them (outreach, content, tasks), each behind one function
 * with the contract's signature (OUTREACH-PLAN.md). Outreach's budget and sender rule are wired; content and
 * tasks are the smallest that let the engine run and be tested, each saying which function replaces it.
 */

const EC = '/cgi-bin/externalcontact';
/** WeCom's 1:1 mass-send template (TODO(outreach): take the constant from wecom/paths.ts once it has it). */
export const ADD_MSG_TEMPLATE = `${EC}/add_msg_template`;

export type TouchSource = { kind: 'journey' | 'mass_send' | 'task'; id: string };
export type TouchRefusal = 'capped' | 'quiet_hours' | 'monthly_cap' | 'not_friend' | 'opted_out';
export type Reservation = { ok: true; touchId: number } | { ok: false; reason: TouchRefusal; retryAt?: Date };

/**
 * Asks the customer's touch budget for one message, in the step's transaction: outreach's `reserveTouch`
 * (the per-customer lock, the ledger, the unit's caps and quiet hours, WeCom's monthly cap); the touch is on
 * the customer's timeline under the journey's name.
 */
export function reserveTouch(
  ctx: SyncCtx,
  input: {
    customerId: number;
    staffId: number;
    source: TouchSource;
    contentId?: number;
    at: Date;
    label: string;
  },
): Promise<Reservation> {
  return outreachReserveTouch(ctx, input);
}

export type SenderRule = { prefer: 'store_staff' | 'latest_follow' };
export type SenderPick =
  | { customerId: number; staffId: number; userid: string; reason: string }
  | { customerId: number; excluded: 'not_friend' | 'no_follow_in_scope' };

/**
 * One sender per customer, among the staff of the journey's scope (`ctx`'s actor): outreach's `pickSender`
 * (the customer's home-store staff first, else store staff, else the latest follow), with the member's userid.
 */
export async function pickSender(ctx: Ctx, customerIds: number[], rule: SenderRule): Promise<SenderPick[]> {
  const picks = await outreachPickSender(ctx, customerIds, rule);
  const staffIds = [...picks.values()].flatMap((p) => ('staffId' in p ? [p.staffId] : []));
  const userids = new Map(
    (staffIds.length
      ? await ctx.cdb.db
          .selectFrom('staff')
          .select(['id', 'userid'])
          .where('corp_id', '=', ctx.cdb.corpId)
          .where('id', 'in', staffIds)
          .execute()
      : []
    ).map((s) => [s.id, s.userid]),
  );
  return customerIds.map((customerId) => {
    const p = picks.get(customerId);
    if (!p) return { customerId, excluded: 'not_friend' as const };
    if ('excluded' in p) return { customerId, excluded: p.excluded };
    return { customerId, staffId: p.staffId, userid: userids.get(p.staffId)!, reason: p.reason };
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

/**
 * The journeys' add_msg_template calls, sent once: when the worker that sent one died before WeCom's answer
 * was recorded (`outcomeLost`), WeCom may already have the message, and sending it again would put a second
 * task in the member's WeCom. So WeCom's list of the sender's messages since the row was made is read first:
 * a message with the same text for this customer is the one sent, and nothing is sent again.
 *
 * TODO(outreach): mass sends use the same kind; the outbox has one effect per kind, so when outreach
 * registers its own for add_msg_template, the two are to be one (this check applies to a mass send's
 * lost outcome as well, matching each target).
 */
export const sendOnce: OutboxEffect = {
  async send(ctx, client, row) {
    if (row.outcomeLost) {
      const found = await alreadySent(ctx, client, row);
      if (found) return { errcode: 0, errmsg: 'ok', msgid: found, recovered: true };
    }
    return (await client.post(row.kind, row.request)) as Record<string, unknown>;
  },
};

async function alreadySent(ctx: SyncCtx, client: WecomClient, row: OutboxRow): Promise<string | null> {
  const req = row.request as {
    sender?: string;
    external_userid?: string[];
    text?: { content: string };
  };
  const target = req.external_userid?.[0];
  if (!req.sender || !target) return null;
  const made = await ctx.cdb.db
    .selectFrom('wecom_outbox')
    .select('created_at')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', row.id)
    .executeTakeFirst();
  const from = Math.floor((made?.created_at ?? ctx.clock.now()).getTime() / 1000) - 60;
  const to = Math.floor(ctx.clock.now().getTime() / 1000) + 60;
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const list = await client.getGroupMsgListV2({
      chat_type: 'single',
      start_time: from,
      end_time: to,
      creator: req.sender,
      filter_type: 0,
      limit: 100,
      ...(cursor ? { cursor } : {}),
    });
    for (const m of list.group_msg_list) {
      if ((m.text?.content ?? '') !== (req.text?.content ?? '')) continue;
      const result = await client.getGroupMsgSendResult({ msgid: m.msgid, userid: req.sender });
      if (result.send_list.some((s) => s.external_userid === target)) return m.msgid;
    }
    cursor = list.next_cursor || undefined;
    if (!cursor) break;
  }
  return null;
}
