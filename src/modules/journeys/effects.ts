import { sql } from 'kysely';
import { enqueueOutbox, type OutboxRow } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import type { WecomClient } from '../../wecom/client.ts';
import { WecomApiError } from '../../wecom/errors.ts';
import { ADD_MSG_TEMPLATE } from '../../wecom/paths.ts';
import {
  attachMedia,
  forgetMedia,
  getContent,
  MEDIA_KEY,
  recordContentUse,
  renderContent,
  type Vars,
} from '../content/index.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import type { OutboxEffect } from '../manifest.ts';
import { pickSender as outreachPickSender, reserveTouch as outreachReserveTouch } from '../outreach/index.ts';
import { createTask as tasksCreateTask } from '../tasks/index.ts';
import { fillText } from './graph.ts';
import { onJourneySendDone } from './results.ts';

/**
 * What journeys need from the modules built beside them (outreach, content, tasks), each behind one function
 * with the contract's signature (OUTREACH-PLAN.md): outreach's budget and sender rule, content's items, tasks'
 * tasks (a manager's notice is a task for them, reminded through WeCom's app message).
 */

export { ADD_MSG_TEMPLATE };

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
  /** The item's files to upload as media just before sending (content's attachMedia fills the ids). */
  [MEDIA_KEY]?: unknown[];
}

/**
 * A send step's message for one customer: a library item (content's `getContent` + `renderContent`, its
 * `{{customer_name}}`-style variables filled, its files uploaded as media when sent), or the step's own
 * text, where `{{name}}` and `{{staff}}` work too.
 */
export async function renderMessage(
  ctx: SyncCtx,
  step: { contentId?: number; text?: string },
  vars: { customer: string; staff: string; persona: string | null },
): Promise<WecomMessage> {
  const contentVars: Vars = {
    customer_name: vars.customer,
    staff_name: vars.staff,
    persona_name: vars.persona ?? vars.staff,
  };
  if (step.contentId !== undefined) {
    const item = await getContent(ctx, step.contentId);
    const rendered = renderContent(item, contentVars);
    const attachments = rendered.attachments;
    return {
      ...(rendered.text ? { text: rendered.text } : {}),
      ...(attachments.length ? { attachments: attachments as unknown as Record<string, unknown>[] } : {}),
      ...(rendered.media.length ? { [MEDIA_KEY]: rendered.media } : {}),
    };
  }
  const all = { name: vars.customer, staff: vars.persona ?? vars.staff, ...contentVars } as Record<
    string,
    string
  >;
  return { text: { content: fillText(step.text ?? '', all) } };
}

/** A library item sent: counted as used (content's usage and the orders that follow it). */
export async function recordUse(
  ctx: SyncCtx,
  use: { contentId: number; customerId: number; touchId: number; at: Date },
): Promise<void> {
  await recordContentUse(ctx, use);
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
 * A staff task (待办) through tasks' `createTask`: the member is reminded in WeCom; the step's key makes a
 * retried step create none twice.
 */
export async function createTask(
  ctx: SyncCtx,
  input: {
    staffId: number;
    customerId?: number;
    kind: TaskKind;
    title: string;
    contentId?: number;
    dueAt: Date;
    source: TouchSource;
  },
): Promise<number | null> {
  const [journeyId, stepId] = [input.source.id.split(':')[0]!, input.source.id];
  return tasksCreateTask(ctx, {
    staffId: input.staffId,
    customerId: input.customerId ?? null,
    kind: input.kind,
    title: input.title,
    contentId: input.contentId === undefined ? null : String(input.contentId),
    dueAt: input.dueAt,
    source: { kind: 'journey', journeyId, stepId },
    idempotencyKey: `journey:${input.source.id}`,
  });
}

/** How long the manager has for a notice (a task due then); they are reminded in WeCom at once. */
export const NOTICE_DUE_HOURS = 24;

/**
 * Tells the manager of the customer's store: a task (待办) for the nearest manager above the customer's
 * member (the store's manager, else the region's, else HQ's) who has a WeCom account, carrying the step's
 * text; tasks remind them at once through the WeCom app message (message/send). The step's key makes a
 * retried step notify once. With `live` false (a dry run) it only says whom it would notify.
 */
export async function notifyManager(
  ctx: SyncCtx,
  input: {
    customerId: number;
    staffId: number | null;
    text: string;
    title: string;
    source: TouchSource;
    live: boolean;
  },
): Promise<{ unitId: number | null; managerStaffId: number | null; taskId: number | null }> {
  if (input.staffId === null) return { unitId: null, managerStaffId: null, taskId: null };
  const s = await ctx.cdb.db
    .selectFrom('staff')
    .select('unit_id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', input.staffId)
    .executeTakeFirst();
  if (!s) return { unitId: null, managerStaffId: null, taskId: null };
  const manager = await ctx.cdb.db
    .selectFrom('accounts as a')
    .innerJoin('org_units as au', (j) =>
      j.onRef('au.corp_id', '=', 'a.corp_id').onRef('au.id', '=', 'a.unit_id'),
    )
    .innerJoin('org_units as su', (j) => j.onRef('su.corp_id', '=', 'a.corp_id'))
    .innerJoin('staff as ms', (j) =>
      j.onRef('ms.corp_id', '=', 'a.corp_id').onRef('ms.id', '=', 'a.staff_id'),
    )
    .select(['a.staff_id', 'a.unit_id'])
    .where('a.corp_id', '=', ctx.cdb.corpId)
    .where('su.id', '=', s.unit_id)
    .where('a.role', 'in', ['store_manager', 'region_manager', 'hq_admin'])
    .where('ms.status', '=', 'active')
    .where(sql<boolean>`su.path like '%/' || a.unit_id || '/%'`)
    .orderBy(sql`length(au.path)`, 'desc')
    .orderBy('a.id')
    .limit(1)
    .executeTakeFirst();
  if (!manager?.staff_id) return { unitId: s.unit_id, managerStaffId: null, taskId: null };
  if (!input.live) return { unitId: manager.unit_id, managerStaffId: manager.staff_id, taskId: null };
  const [journeyId, stepId] = [input.source.id.split(':')[0]!, input.source.id];
  const now = ctx.clock.now();
  const taskId = await tasksCreateTask(ctx, {
    staffId: manager.staff_id,
    customerId: input.customerId,
    kind: 'custom',
    title: input.title.slice(0, 100),
    note: input.text,
    dueAt: new Date(now.getTime() + NOTICE_DUE_HOURS * 3_600_000),
    remindAt: now,
    source: { kind: 'journey', journeyId, stepId },
    idempotencyKey: `journey:notify:${input.source.id}`,
  });
  return { unitId: manager.unit_id, managerStaffId: manager.staff_id, taskId };
}

/**
 * The journeys' add_msg_template calls, sent once: when the worker that sent one died before WeCom's answer
 * was recorded (`outcomeLost`), WeCom may already have the message, and sending it again would put a second
 * task in the member's WeCom. So WeCom's list of the sender's messages since the row was made is read first:
 * a message with the same text for this customer is the one sent, and nothing is sent again.
 * Outreach's mass sends are add_msg_template rows too: the same check applies to them (by their first
 * target), and outreach's onDone runs beside it (runtime.ts combines the effects of a kind).
 */
export const sendOnce: OutboxEffect = {
  async send(ctx, client, row) {
    if (row.outcomeLost) {
      const found = await alreadySent(ctx, client, row);
      if (found) return { errcode: 0, errmsg: 'ok', msgid: found, recovered: true };
    }
    // A library item's files are uploaded (or their kept media ids reused) just before the call: content's
    // attachMedia, for mass sends, group sends and journeys alike.
    const { request, sources } = await attachMedia(ctx, client, row.request);
    try {
      return (await client.post(row.kind, request)) as Record<string, unknown>;
    } catch (err) {
      // WeCom no longer knows a kept media id: forget them, and the retry uploads them again
      if (err instanceof WecomApiError && err.errcode === 40007 && sources.length) {
        await forgetMedia(ctx, sources);
        throw new WecomApiError(err.api, err.errcode, err.errmsg, { retryable: true });
      }
      throw err;
    }
  },
  // the msgid of a journey's message, to follow until the member sends it (results.ts)
  onDone: onJourneySendDone,
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
