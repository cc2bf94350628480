import { sql } from 'kysely';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import type { Attachment } from '../../wecom/client.ts';
import { MSG_TEMPLATE_MAX_EXTERNAL_USERIDS } from '../../wecom/limits.ts';
import { ADD_MSG_TEMPLATE, REMIND_GROUPMSG_SEND } from '../../wecom/paths.ts';
import { recordAudit } from '../audit/index.ts';
import {
  getContent,
  MEDIA_ERROR_PREFIX,
  MEDIA_KEY,
  type MediaUpload,
  recordContentUses,
  renderContent,
} from '../content/index.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import type { GroupAudience } from '../groups/index.ts';
import type { Tables } from '../tables.ts';
import type { Audience } from './audience.ts';
import { queueTaskCancel } from './cancel.ts';
import {
  assertRecurrence,
  assertVariablesFor,
  dispatchGroupSend,
  endTaskGroups,
  expireUnconfirmedGroupTasks,
  failGroups,
  groupOutcome,
  groupSummaryOf,
  insertGroupRows,
  nextOccurrence,
  planGroupSend,
  type Recurrence,
  recordGroupResults,
  startDueSeries,
} from './group-sends.ts';
import {
  assertGuardAllowed,
  type ContentKind,
  classifyCte,
  type GuardMode,
  type Plan,
  planAudience,
} from './plan.ts';
import { HOUR_MS } from './rules.ts';
import type { RecipientStatus } from './schema.ts';
import { senderProgress } from './sender-progress.ts';
import type { SenderRule } from './senders.ts';
import { loadBudgetEnv, releaseTouches, reserveWith } from './touches.ts';

type Cdb = CorpDb<Tables>;

export const MASS_SEND_JOB = 'outreach.mass-sends';
export const REMINDS_PER_DAY = 3;
/** Recipients reserved per transaction at dispatch. */
const DISPATCH_BATCH = 2000;
const OUTBOX_PREFIX = 'outreach:mass:';

export interface MassSendInput {
  name: string;
  contentKind: ContentKind;
  /** A content item of the content module, when the send uses one; the text and attachments are sent. */
  contentId?: number | null;
  text?: string;
  attachments?: Attachment[];
  /** When to send; now when absent. */
  sendAt?: string | null;
  /** Customers (the default: senderRule and audience) or customer groups (groups, each sent by its owner). */
  target?: 'customers' | 'groups';
  senderRule?: SenderRule;
  audience?: Audience;
  groups?: GroupAudience;
  /** Group sends only: repeat every week on these days at this brand time. */
  recurrence?: Recurrence | null;
  guard?: GuardMode;
  overrideReason?: string | null;
}

/** Who sees a mass send: accounts whose subtree holds the unit it was made in. */
function visible(ctx: Ctx) {
  return ctx.actor.seesWholeCorp
    ? sql<boolean>`true`
    : sql<boolean>`m.unit_id = any(${[...ctx.actor.unitIds]}::bigint[])`;
}

/**
 * Creates a mass send: plans it (the guard holds coupon content to customers who are not price-sensitive
 * unless told otherwise), stores each customer's sender and class, and lets the dispatcher take it at its
 * send time. An HQ admin's guard override is recorded with its reason.
 */
export async function createMassSend(ctx: Ctx, input: MassSendInput, wake?: () => void) {
  assertGuardAllowed(ctx, input);
  // A library item must be one the caller sees; its text is kept with the send (shown in the console) and
  // rendered for each recipient at dispatch.
  const item = input.contentId
    ? await getContent(ctx, input.contentId).catch(() => {
        throw new AppError('bad_request', {
          zh: `素材 ${input.contentId} 不存在或不在你的范围内`,
          en: `Content item ${input.contentId} does not exist or is outside your scope`,
        });
      })
    : null;
  if (item && !input.text?.trim()) input = { ...input, text: item.text };
  if (!item && !input.text?.trim() && !input.attachments?.length) {
    throw new AppError('bad_request', {
      zh: '请填写文字或添加附件',
      en: 'Give a text or at least one attachment',
    });
  }
  const now = ctx.clock.now();
  const sendAt = input.sendAt ? new Date(input.sendAt) : null;
  if (sendAt && sendAt.getTime() < now.getTime() - 60_000) {
    throw new AppError('bad_request', { zh: '发送时间已过', en: 'The send time is in the past' });
  }
  const at = sendAt && sendAt > now ? sendAt : now;
  assertRecurrence(input.recurrence, input.target ?? 'customers');
  assertVariablesFor(input.text, input.target ?? 'customers');
  if (input.target === 'groups') return createGroupSend(ctx, input, { now, sendAt, at }, wake);
  if (!input.audience || !input.senderRule) {
    throw new AppError('bad_request', {
      zh: '请选择受众和发送人规则',
      en: 'Give an audience and a sender rule',
    });
  }
  const planInput = {
    audience: input.audience,
    senderRule: input.senderRule,
    at,
    contentId: input.contentId ?? null,
    contentKind: input.contentKind,
    guard: input.guard ?? 'stop',
  };
  const plan = await planAudience(ctx, planInput);
  if (plan.guard.blocked) {
    throw new AppError('conflict', {
      zh: `优惠券内容不发给非价格敏感客户：受众中有 ${plan.guard.notPriceSensitive} 位客户的用券占比低于 ${plan.guard.threshold}。可以只发给价格敏感的客户，或由总部管理员填写原因后强制发送`,
      en: `Coupon content is not sent to customers who are not price-sensitive: ${plan.guard.notPriceSensitive} of the audience have a coupon share below ${plan.guard.threshold}. Send to the price-sensitive part only, or have an HQ admin override with a reason`,
    });
  }
  if (plan.total === 0) {
    throw new AppError('bad_request', { zh: '受众为空', en: 'The audience is empty' });
  }
  const env = await loadBudgetEnv(ctx.cdb);
  const id = await ctx.cdb.transaction(async (tx) => {
    const txCtx = { ...ctx, cdb: tx };
    const { id } = await tx.db
      .insertInto('mass_sends')
      .values({
        corp_id: tx.corpId,
        unit_id: ctx.actor.unitId,
        name: input.name,
        content_id: input.contentId ?? null,
        content_kind: input.contentKind,
        text: input.text?.trim() ?? '',
        attachments: JSON.stringify(input.attachments ?? []),
        send_at: sendAt,
        sender_rule: JSON.stringify(input.senderRule),
        audience: JSON.stringify(input.audience),
        guard: input.guard ?? 'stop',
        override_reason: input.guard === 'override' ? (input.overrideReason?.trim() ?? null) : null,
        planned: JSON.stringify(summaryOf(plan)),
        created_by: ctx.actor.accountId,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const cte = await classifyCte(txCtx, planInput, env);
    await sql`set local jit = off`.execute(tx.db);
    await sql`${cte}
      insert into mass_send_recipients (corp_id, mass_send_id, customer_id, staff_id, sender_reason, status, reason, retry_at)
      select ${tx.corpId}, ${id}, id, staff_id, sender_reason,
        case class when 'receiving' then 'planned' when 'capped' then 'deferred' when 'quiet_hours' then 'deferred'
          else 'excluded' end,
        case when class = 'receiving' then null else class end,
        case class when 'capped' then capped_until when 'quiet_hours' then quiet_until end
      from cls`.execute(tx.db);
    await recordAudit(txCtx, {
      action: 'outreach.mass_send.create',
      subject: `mass_send:${id}`,
      details: { name: input.name, audience: input.audience, total: plan.total, receiving: plan.receiving },
    });
    if (input.guard === 'override' && plan.guard.applies) {
      await recordAudit(txCtx, {
        action: 'outreach.content_guard.override',
        subject: `mass_send:${id}`,
        details: { reason: input.overrideReason?.trim(), notPriceSensitive: plan.guard.notPriceSensitive },
      });
    }
    return id;
  });
  if (wake && (!sendAt || sendAt <= now)) ctx.cdb.onCommit(wake);
  return getMassSend(ctx, id);
}

/**
 * A group send: planned now (its groups stored with their class), sent at its time by each group's owner.
 * With a recurrence it is a series: nothing is planned per group until each occurrence comes.
 */
async function createGroupSend(
  ctx: Ctx,
  input: MassSendInput,
  times: { now: Date; sendAt: Date | null; at: Date },
  wake?: () => void,
) {
  const groups = input.groups;
  if (!groups) {
    throw new AppError('bad_request', { zh: '请选择客户群', en: 'Choose the groups' });
  }
  const rule = input.recurrence ?? null;
  const first = rule ? nextOccurrence(rule, times.at) : null;
  if (rule && !first) {
    throw new AppError('bad_request', {
      zh: '周期规则在结束日期前没有任何一次发送',
      en: 'The recurrence has no occurrence before its end',
    });
  }
  const planInput = {
    groups,
    at: first ?? times.at,
    contentKind: input.contentKind,
    guard: input.guard ?? ('stop' as GuardMode),
  };
  const plan = await planGroupSend(ctx, planInput);
  if (plan.guard.blocked) {
    throw new AppError('conflict', {
      zh: `优惠券内容只发福利群：所选客户群中有 ${plan.guard.notWelfare} 个不是福利群。可以只发给福利群，或由总部管理员填写原因后强制发送`,
      en: `Coupon content goes to welfare groups only: ${plan.guard.notWelfare} of the chosen groups are not welfare groups. Send to the welfare groups only, or have an HQ admin override with a reason`,
    });
  }
  if (plan.total === 0) {
    throw new AppError('bad_request', { zh: '没有符合条件的客户群', en: 'No group matches' });
  }
  const id = await ctx.cdb.transaction(async (tx) => {
    const txCtx = { ...ctx, cdb: tx };
    const { id } = await tx.db
      .insertInto('mass_sends')
      .values({
        corp_id: tx.corpId,
        unit_id: ctx.actor.unitId,
        name: input.name,
        content_id: input.contentId ?? null,
        content_kind: input.contentKind,
        text: input.text?.trim() ?? '',
        attachments: JSON.stringify(input.attachments ?? []),
        send_at: first ?? times.sendAt,
        sender_rule: JSON.stringify({ prefer: 'group_owner' }),
        audience: JSON.stringify(groups),
        guard: input.guard ?? 'stop',
        override_reason: input.guard === 'override' ? (input.overrideReason?.trim() ?? null) : null,
        planned: JSON.stringify(groupSummaryOf(plan)),
        created_by: ctx.actor.accountId,
        created_at: times.now,
        target: 'groups',
        recurrence: rule ? JSON.stringify(rule) : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (!rule) await insertGroupRows(tx, ctx, id, planInput);
    await recordAudit(txCtx, {
      action: 'outreach.mass_send.create',
      subject: `mass_send:${id}`,
      details: { name: input.name, target: 'groups', groups, recurrence: rule, total: plan.total },
    });
    return id;
  });
  if (wake && !rule && (!times.sendAt || times.sendAt <= times.now)) ctx.cdb.onCommit(wake);
  return getMassSend(ctx, id);
}

const summaryOf = (plan: Plan) => ({
  total: plan.total,
  receiving: plan.receiving,
  excluded: plan.excluded,
  deferred: plan.deferred,
  guard: plan.guard,
});

/** The send if the caller sees it (404 otherwise). */
export const getMassSendRow = (ctx: Ctx, id: number) => visibleRow(ctx, id);

async function visibleRow(ctx: Ctx, id: number) {
  const row = await ctx.cdb.db
    .selectFrom('mass_sends as m')
    .selectAll('m')
    .where('m.corp_id', '=', ctx.cdb.corpId)
    .where('m.id', '=', id)
    .where(visible(ctx))
    .executeTakeFirst();
  if (!row) throw notFound({ zh: '群发', en: 'Mass send' });
  return row;
}

const RECIPIENT_STATUSES: readonly RecipientStatus[] = [
  'planned',
  'deferred',
  'excluded',
  'queued',
  'sent',
  'unsent',
  'not_friend',
  'over_cap',
  'failed',
  'cancelled',
];

/** A mass send with its outcome: recipients by status, exclusions, per-staff confirmation, attributed orders. */
export async function getMassSend(ctx: Ctx, id: number) {
  const m = await visibleRow(ctx, id);
  const corpId = ctx.cdb.corpId;
  const [statuses, reasons, staff, orders, reminds] = await Promise.all([
    ctx.cdb.db
      .selectFrom('mass_send_recipients')
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .where('corp_id', '=', corpId)
      .where('mass_send_id', '=', id)
      .groupBy('status')
      .execute(),
    ctx.cdb.db
      .selectFrom('mass_send_recipients')
      .select(['reason', (eb) => eb.fn.countAll<string>().as('n')])
      .where('corp_id', '=', corpId)
      .where('mass_send_id', '=', id)
      .where('status', 'in', ['excluded', 'deferred', 'failed'])
      .groupBy('reason')
      .execute(),
    senderProgress(ctx, id, 'customers'),
    sql<{
      staff_id: number;
      unit_id: number | null;
      unit_name: string | null;
      orders: string;
      customers: string;
      gmv: string;
    }>`select a.staff_id, o.unit_id, u.name as unit_name, count(*) as orders,
        count(distinct a.customer_id) as customers, coalesce(sum(a.paid_fen), 0) as gmv
      from touch_attributions a
      join orders o on o.corp_id = a.corp_id and o.id = a.order_id
      left join org_units u on u.corp_id = o.corp_id and u.id = o.unit_id
      where a.corp_id = ${corpId} and a.source_kind = 'mass_send' and a.source_id = ${String(id)}
      group by a.staff_id, o.unit_id, u.name`.execute(ctx.cdb.db),
    ctx.cdb.db
      .selectFrom('mass_send_reminds')
      .select('at')
      .where('corp_id', '=', corpId)
      .where('mass_send_id', '=', id)
      .orderBy('at')
      .execute(),
  ]);
  const count = (s: RecipientStatus) => Number(statuses.find((x) => x.status === s)?.n ?? 0);
  const byStatus = Object.fromEntries(RECIPIENT_STATUSES.map((s) => [s, count(s)])) as Record<
    RecipientStatus,
    number
  >;
  const total = RECIPIENT_STATUSES.reduce((sum, s) => sum + count(s), 0);
  const reached = count('sent');
  const convertedCustomers = new Set<number>();
  const perStaffOrders = new Map<number, { orders: number; gmvFen: number; customers: number }>();
  const perStore = new Map<
    string,
    { unitId: number | null; name: string | null; orders: number; gmvFen: number }
  >();
  let gmvFen = 0;
  let orderCount = 0;
  for (const o of orders.rows) {
    const n = Number(o.orders);
    const g = Number(o.gmv);
    gmvFen += g;
    orderCount += n;
    const st = perStaffOrders.get(Number(o.staff_id)) ?? { orders: 0, gmvFen: 0, customers: 0 };
    st.orders += n;
    st.gmvFen += g;
    st.customers += Number(o.customers);
    perStaffOrders.set(Number(o.staff_id), st);
    const key = String(o.unit_id);
    const store = perStore.get(key) ?? {
      unitId: o.unit_id === null ? null : Number(o.unit_id),
      name: o.unit_name,
      orders: 0,
      gmvFen: 0,
    };
    store.orders += n;
    store.gmvFen += g;
    perStore.set(key, store);
  }
  const buyers = await ctx.cdb.db
    .selectFrom('touch_attributions')
    .select((eb) => eb.fn.count<string>('customer_id').distinct().as('n'))
    .where('corp_id', '=', corpId)
    .where('source_kind', '=', 'mass_send')
    .where('source_id', '=', String(id))
    .executeTakeFirst();
  convertedCustomers.add(Number(buyers?.n ?? 0));
  const replies = await ctx.cdb.db
    .selectFrom('touches')
    .select((eb) => eb.fn.count<string>('customer_id').distinct().as('n'))
    .where('corp_id', '=', corpId)
    .where('source_kind', '=', 'mass_send')
    .where('source_id', '=', String(id))
    .where('replied_at', 'is not', null)
    .executeTakeFirst();
  const converted = Number(buyers?.n ?? 0);
  const isGroups = m.target === 'groups';
  const groupView = isGroups ? await groupOutcome(ctx, id, m.recurrence !== null) : null;
  const staffRows = groupView ? groupView.owners : staff.rows;
  const now = ctx.clock.now();
  const recent = reminds.filter((r) => r.at.getTime() > now.getTime() - 24 * HOUR_MS);
  return {
    id: m.id,
    name: m.name,
    unitId: m.unit_id,
    contentId: m.content_id,
    contentKind: m.content_kind,
    text: m.text,
    attachments: m.attachments as Attachment[],
    sendAt: m.send_at?.toISOString() ?? null,
    target: m.target,
    senderRule: isGroups ? null : (m.sender_rule as SenderRule),
    audience: isGroups ? null : (m.audience as Audience),
    groupAudience: isGroups ? (m.audience as GroupAudience) : null,
    recurrence: (m.recurrence as Recurrence | null) ?? null,
    seriesId: m.series_id,
    groups: groupView
      ? {
          total: groupView.total,
          byStatus: groupView.byStatus,
          reasons: groupView.reasons,
          occurrences: groupView.occurrences,
        }
      : null,
    guard: m.guard,
    overrideReason: m.override_reason,
    status: m.status,
    planned: m.planned as ReturnType<typeof summaryOf>,
    createdAt: m.created_at.toISOString(),
    dispatchedAt: m.dispatched_at?.toISOString() ?? null,
    cancelledAt: m.cancelled_at?.toISOString() ?? null,
    total,
    recipients: byStatus,
    reasons: Object.fromEntries(reasons.filter((r) => r.reason).map((r) => [r.reason!, Number(r.n)])),
    reminds: {
      used24h: recent.length,
      max: REMINDS_PER_DAY,
      nextAt:
        recent.length >= REMINDS_PER_DAY
          ? new Date(recent[recent.length - REMINDS_PER_DAY]!.at.getTime() + 24 * HOUR_MS).toISOString()
          : null,
    },
    outcome: {
      reached,
      replied: Number(replies?.n ?? 0),
      confirmedStaff: staffRows.filter(
        (s) => Number(s.confirmed) > 0 && Number(s.confirmed) === Number(s.tasks),
      ).length,
      staff: staffRows.length,
      converted,
      conversionRate: reached ? converted / reached : 0,
      orders: orderCount,
      gmvFen,
    },
    staff: staffRows.map((s) => {
      const o = perStaffOrders.get(Number(s.staff_id));
      const tasks = Number(s.tasks);
      const confirmed = Number(s.confirmed);
      return {
        staffId: Number(s.staff_id),
        name: s.name,
        unitName: s.unit_name,
        tasks,
        confirmed,
        expired: Number(s.expired),
        confirmationRate: tasks ? confirmed / tasks : 0,
        recipients: Number(s.recipients),
        sent: Number(s.sent),
        orders: o?.orders ?? 0,
        gmvFen: o?.gmvFen ?? 0,
        error: s.error,
      };
    }),
    stores: [...perStore.values()].sort((a, b) => b.gmvFen - a.gmvFen),
  };
}

export async function listMassSends(ctx: Ctx, page: { cursor?: number; limit: number }) {
  let q = ctx.cdb.db
    .selectFrom('mass_sends as m')
    .select([
      'm.id',
      'm.name',
      'm.status',
      'm.content_kind',
      'm.send_at',
      'm.created_at',
      'm.planned',
      'm.target',
      'm.recurrence',
    ])
    .select((eb) => [
      eb
        .selectFrom('mass_send_recipients as r')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('r.corp_id', '=', 'm.corp_id')
        .whereRef('r.mass_send_id', '=', 'm.id')
        .where('r.status', '=', 'sent')
        .as('sent'),
      eb
        .selectFrom('mass_send_groups as g')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('g.corp_id', '=', 'm.corp_id')
        .whereRef('g.mass_send_id', '=', 'm.id')
        .where('g.status', '=', 'sent')
        .as('groups_sent'),
    ])
    .where('m.corp_id', '=', ctx.cdb.corpId)
    .where('m.series_id', 'is', null)
    .where(visible(ctx));
  if (page.cursor !== undefined) q = q.where('m.id', '<', page.cursor);
  const rows = await q
    .orderBy('m.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit).map((r) => {
    const planned = r.planned as { total: number; receiving: number };
    return {
      id: r.id,
      name: r.name,
      status: r.status,
      contentKind: r.content_kind,
      sendAt: r.send_at?.toISOString() ?? null,
      createdAt: r.created_at.toISOString(),
      total: planned.total,
      receiving: planned.receiving,
      sent: Number(r.target === 'groups' ? (r.groups_sent ?? 0) : (r.sent ?? 0)),
      target: r.target,
      recurring: r.recurrence !== null,
    };
  });
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > page.limit && last ? Buffer.from(`id:${last.id}`).toString('base64url') : null,
  };
}

/** Per-customer outcomes, by status, newest customer first. */
export async function listRecipients(
  ctx: Ctx,
  id: number,
  opts: { status?: RecipientStatus; cursor?: number; limit: number },
) {
  await visibleRow(ctx, id);
  let q = ctx.cdb.db
    .selectFrom('mass_send_recipients as r')
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'r.corp_id').onRef('c.id', '=', 'r.customer_id'),
    )
    .leftJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'r.corp_id').onRef('s.id', '=', 'r.staff_id'))
    .select([
      'r.customer_id',
      'c.name',
      'r.staff_id',
      's.name as staff_name',
      'r.sender_reason',
      'r.status',
      'r.reason',
      'r.retry_at',
      'r.result_at',
    ])
    .where('r.corp_id', '=', ctx.cdb.corpId)
    .where('r.mass_send_id', '=', id);
  if (opts.status) q = q.where('r.status', '=', opts.status);
  if (opts.cursor !== undefined) q = q.where('r.customer_id', '<', opts.cursor);
  const rows = await q
    .orderBy('r.customer_id', 'desc')
    .limit(opts.limit + 1)
    .execute();
  const items = rows.slice(0, opts.limit).map((r) => ({
    id: r.customer_id,
    customerId: r.customer_id,
    name: r.name,
    staffId: r.staff_id,
    staffName: r.staff_name,
    senderReason: r.sender_reason,
    status: r.status,
    reason: r.reason,
    retryAt: r.retry_at?.toISOString() ?? null,
    resultAt: r.result_at?.toISOString() ?? null,
  }));
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > opts.limit && last ? Buffer.from(`id:${last.id}`).toString('base64url') : null,
  };
}

// ── dispatch ────────────────────────────────────────────────────────────────

/**
 * Sends what is due: for each mass send at or past its send time, its planned recipients and the deferred
 * ones whose time came, a batch per transaction in customer order (the lock order every dispatcher keeps):
 * each asks the budget again (reserveTouch); those it takes are queued in one task per sender, an
 * add_msg_template in the outbox; those it refuses are deferred to when they fit or excluded with the reason.
 */
export async function dispatchDue(ctx: SyncCtx): Promise<number> {
  const now = ctx.clock.now();
  await startDueSeries(ctx, now);
  const due = await ctx.cdb.db
    .selectFrom('mass_sends')
    .select(['id', 'target'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('status', 'in', ['scheduled', 'sending'])
    .where('recurrence', 'is', null)
    .where((eb) => eb.or([eb('send_at', 'is', null), eb('send_at', '<=', now)]))
    .orderBy('id')
    .execute();
  let queued = 0;
  for (const { id, target } of due) {
    if (target === 'groups') {
      queued += await dispatchGroupSend(ctx, id, now);
      continue;
    }
    for (;;) {
      const n = await dispatchBatch(ctx, id, now);
      if (n < 0) break;
      queued += n;
    }
  }
  return queued;
}

/** One batch of one mass send; -1 when nothing was due. */
async function dispatchBatch(ctx: SyncCtx, massSendId: number, now: Date): Promise<number> {
  return ctx.cdb.transaction(async (tx) => {
    const m = await tx.db
      .selectFrom('mass_sends')
      .select(['id', 'name', 'status', 'content_id', 'text', 'attachments'])
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', massSendId)
      .forUpdate()
      .executeTakeFirst();
    if (!m || (m.status !== 'scheduled' && m.status !== 'sending')) return -1;
    const batch = await tx.db
      .selectFrom('mass_send_recipients')
      .select(['customer_id', 'staff_id'])
      .where('corp_id', '=', tx.corpId)
      .where('mass_send_id', '=', massSendId)
      .where('status', 'in', ['planned', 'deferred'])
      .where((eb) => eb.or([eb('retry_at', 'is', null), eb('retry_at', '<=', now)]))
      .orderBy('customer_id')
      .limit(DISPATCH_BATCH)
      .execute();
    if (batch.length === 0) {
      if (m.status === 'scheduled') {
        // nothing due now (all deferred): it has started all the same
        await tx.db
          .updateTable('mass_sends')
          .set({ status: 'sending', dispatched_at: now })
          .where('corp_id', '=', tx.corpId)
          .where('id', '=', massSendId)
          .execute();
      }
      return -1;
    }
    const env = await loadBudgetEnv(tx);
    const taken: { customerId: number; staffId: number; touchId: number }[] = [];
    for (const r of batch) {
      const answer = await reserveWith(tx, env, {
        customerId: r.customer_id,
        staffId: r.staff_id!,
        source: { kind: 'mass_send', id: String(massSendId) },
        contentId: m.content_id,
        at: now,
        label: m.name,
      });
      if (answer.ok) {
        taken.push({ customerId: r.customer_id, staffId: r.staff_id!, touchId: answer.touchId });
        continue;
      }
      const deferred = answer.reason === 'capped' || answer.reason === 'quiet_hours';
      await tx.db
        .updateTable('mass_send_recipients')
        .set({
          status: deferred ? 'deferred' : 'excluded',
          reason: answer.reason,
          retry_at: deferred ? (answer.retryAt ?? null) : null,
        })
        .where('corp_id', '=', tx.corpId)
        .where('mass_send_id', '=', massSendId)
        .where('customer_id', '=', r.customer_id)
        .execute();
    }
    const { wave } = await tx.db
      .selectFrom('mass_send_tasks')
      .select((eb) => eb.fn.coalesce(eb.fn.max('wave'), eb.lit(0)).as('wave'))
      .where('corp_id', '=', tx.corpId)
      .where('mass_send_id', '=', massSendId)
      .executeTakeFirstOrThrow();
    // A library item is rendered for each recipient (their name, their sender's, the store's); recipients of one
    // sender whose messages come out the same share one add_msg_template (WeCom sends one text per task).
    const inline: MassMessage = {
      ...(m.text ? { text: { content: m.text } } : {}),
      attachments: m.attachments as Attachment[],
    };
    const rendered = m.content_id ? await renderPerRecipient({ ...ctx, cdb: tx }, m.content_id, taken) : null;
    const bySender = new Map<number, Map<string, { message: MassMessage; list: typeof taken }>>();
    for (const t of taken) {
      const message = rendered?.get(t.customerId) ?? inline;
      const key = JSON.stringify(message);
      const groups = bySender.get(t.staffId) ?? new Map();
      bySender.set(t.staffId, groups);
      const group = groups.get(key) ?? { message, list: [] };
      groups.set(key, group);
      group.list.push(t);
    }
    for (const [staffId, groups] of bySender) {
      for (const { message, list } of groups.values()) {
        for (let i = 0; i < list.length; i += MSG_TEMPLATE_MAX_EXTERNAL_USERIDS) {
          const part = list.slice(i, i + MSG_TEMPLATE_MAX_EXTERNAL_USERIDS);
          await queueTask(tx, massSendId, message, staffId, Number(wave) + 1, part, now);
        }
      }
    }
    if (m.content_id && rendered) {
      await recordContentUses(
        { ...ctx, cdb: tx },
        taken.map((t) => ({
          contentId: m.content_id!,
          customerId: t.customerId,
          touchId: t.touchId,
          at: now,
        })),
      );
    }
    await tx.db
      .updateTable('mass_sends')
      .set({ status: 'sending', dispatched_at: sql`coalesce(dispatched_at, ${now})` })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', massSendId)
      .execute();
    return taken.length;
  });
}

/** What one add_msg_template carries. */
interface MassMessage {
  text?: { content: string };
  attachments: Attachment[];
  /** A library item's files, uploaded as media when the call is made (content's attachMedia). */
  media?: MediaUpload[];
}

/**
 * A library item's message for each recipient, its variables filled from the customer (name, member level),
 * the sender (name, persona), the sender's store and the brand. Null when the item is gone (deleted since):
 * the send's own text goes out then. Its files (images, videos, files, mini-program covers) travel as the
 * `siyu_media` list and are uploaded, or their media ids reused, when the call is made.
 */
async function renderPerRecipient(
  ctx: SyncCtx,
  contentId: number,
  recipients: { customerId: number; staffId: number }[],
): Promise<Map<number, MassMessage> | null> {
  if (recipients.length === 0) return new Map();
  const item = await getContent(ctx, contentId).catch(() => null);
  if (!item) return null;
  const customers = await ctx.cdb.db
    .selectFrom('customers as c')
    .leftJoin('customer_facts as f', (j) =>
      j.onRef('f.corp_id', '=', 'c.corp_id').onRef('f.customer_id', '=', 'c.id'),
    )
    .select(['c.id', 'c.name', 'f.member_level'])
    .where('c.corp_id', '=', ctx.cdb.corpId)
    .where(
      'c.id',
      'in',
      recipients.map((r) => r.customerId),
    )
    .execute();
  const staffIds = [...new Set(recipients.map((r) => r.staffId))];
  const staff = await ctx.cdb.db
    .selectFrom('staff as s')
    .leftJoin('org_units as u', (j) => j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'))
    .select(['s.id', 's.name', 's.persona_name', 'u.name as unit_name', 'u.kind as unit_kind'])
    .where('s.corp_id', '=', ctx.cdb.corpId)
    .where('s.id', 'in', staffIds)
    .execute();
  const corp = await ctx.cdb.db
    .selectFrom('corps')
    .select('name')
    .where('corp_id', '=', ctx.cdb.corpId)
    .executeTakeFirst();
  const byCustomer = new Map(customers.map((c) => [c.id, c]));
  const byStaff = new Map(staff.map((s) => [s.id, s]));
  const out = new Map<number, MassMessage>();
  for (const r of recipients) {
    const c = byCustomer.get(r.customerId);
    const s = byStaff.get(r.staffId);
    const message = renderContent(item, {
      customer_name: c?.name,
      member_level: c?.member_level,
      staff_name: s?.name,
      persona_name: s?.persona_name ?? s?.name,
      store_name: s?.unit_kind === 'store' ? s.unit_name : null,
      brand_name: corp?.name,
    });
    out.set(r.customerId, {
      ...(message.text ? { text: message.text } : {}),
      attachments: message.attachments,
      ...(message.media.length ? { media: message.media } : {}),
    });
  }
  return out;
}

async function queueTask(
  tx: Cdb,
  massSendId: number,
  message: MassMessage,
  staffId: number,
  wave: number,
  part: { customerId: number; touchId: number }[],
  now: Date,
) {
  const { id: taskId } = await tx.db
    .insertInto('mass_send_tasks')
    .values({
      corp_id: tx.corpId,
      mass_send_id: massSendId,
      staff_id: staffId,
      wave,
      recipients: part.length,
      msgid: null,
      error: null,
      created_at: now,
      confirmed_at: null,
      polled_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const pairs = part.map((p) => sql`(${p.customerId}::bigint, ${p.touchId}::bigint)`);
  await sql`update mass_send_recipients r set status = 'queued', reason = null, retry_at = null,
      task_id = ${taskId}, touch_id = v.touch_id
    from (values ${sql.join(pairs)}) v(customer_id, touch_id)
    where r.corp_id = ${tx.corpId} and r.mass_send_id = ${massSendId} and r.customer_id = v.customer_id`.execute(
    tx.db,
  );
  const who = await tx.db
    .selectFrom('customers')
    .select('external_userid')
    .where('corp_id', '=', tx.corpId)
    .where(
      'id',
      'in',
      part.map((p) => p.customerId),
    )
    .orderBy('id')
    .execute();
  const sender = await tx.db
    .selectFrom('staff')
    .select('userid')
    .where('corp_id', '=', tx.corpId)
    .where('id', '=', staffId)
    .executeTakeFirstOrThrow();
  await enqueueOutbox(
    jobsDb(tx.db),
    tx.corpId,
    {
      idemKey: `${OUTBOX_PREFIX}${taskId}`,
      lane: 'bulk',
      kind: ADD_MSG_TEMPLATE,
      request: {
        chat_type: 'single',
        sender: sender.userid,
        external_userid: who.map((w) => w.external_userid),
        ...(message.text ? { text: message.text } : {}),
        ...(message.attachments.length ? { attachments: message.attachments } : {}),
        ...(message.media?.length ? { [MEDIA_KEY]: message.media } : {}),
      },
    },
    now,
  );
}

/** add_msg_template is done: keep the msgid; customers WeCom listed in fail_list failed, their slot released. */
export async function onMassTaskCreated(ctx: SyncCtx, idemKey: string, result: Record<string, unknown>) {
  if (!idemKey.startsWith(OUTBOX_PREFIX)) return;
  const taskId = Number(idemKey.slice(OUTBOX_PREFIX.length));
  const msgid = typeof result.msgid === 'string' ? result.msgid : null;
  const failList = Array.isArray(result.fail_list) ? (result.fail_list as string[]) : [];
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    const task = await tx.db
      .updateTable('mass_send_tasks')
      .set({ msgid, status: sql`case when status = 'cancelled' then 'cancelled' else 'created' end` })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', taskId)
      .returning(['status', 'mass_send_id'])
      .executeTakeFirst();
    if (!task) return;
    if (task.status === 'cancelled' && msgid) {
      await queueTaskCancel(tx, taskId, msgid, now);
    }
    await failGroups(tx, taskId, failList, now);
    if (failList.length) {
      const failed = await sql<{ touch_id: number | null }>`update mass_send_recipients r
          set status = 'failed', reason = 'wecom_fail_list', result_at = ${now}
        from customers c
        where r.corp_id = ${tx.corpId} and r.task_id = ${taskId} and c.corp_id = r.corp_id and c.id = r.customer_id
          and c.external_userid = any(${failList}::text[]) and r.status = 'queued'
        returning r.touch_id`.execute(tx.db);
      await releaseTouches(
        { cdb: tx, clock: ctx.clock },
        failed.rows.flatMap((r) => (r.touch_id ? [Number(r.touch_id)] : [])),
        'wecom_fail_list',
      );
    }
  });
}

// ── results ─────────────────────────────────────────────────────────────────

const RESULT: Record<number, RecipientStatus> = { 0: 'unsent', 1: 'sent', 2: 'not_friend', 3: 'over_cap' };

/**
 * Follows the tasks: a task whose outbox call failed for good fails with its recipients (slots released);
 * a task the member confirmed gets its per-customer results (sent keeps the touch; unsent, not a friend and
 * already received another 群发 release it); a task of a cancelled send the member never confirmed ends
 * cancelled. A send with nothing left to do is done.
 */
export async function followResults(ctx: SyncCtx, client: WecomClientLike | null): Promise<void> {
  const corpId = ctx.cdb.corpId;
  const now = ctx.clock.now();
  // calls that failed for good in the outbox
  const broken = await sql<{ id: number; last_error: string | null; status: string }>`
    select t.id, o.last_error, o.status from mass_send_tasks t
    join wecom_outbox o on o.corp_id = t.corp_id and o.idem_key = ${OUTBOX_PREFIX} || t.id::text
    where t.corp_id = ${corpId} and t.status in ('pending', 'cancelled') and t.msgid is null
      and o.status in ('failed', 'expired', 'unknown')`.execute(ctx.cdb.db);
  for (const b of broken.rows) {
    // a library file that could not be fetched or uploaded: the send did not reach WeCom, and says why
    const reason =
      b.status === 'unknown'
        ? 'outcome_unknown'
        : b.last_error?.includes(MEDIA_ERROR_PREFIX)
          ? 'media_failed'
          : 'wecom_error';
    await ctx.cdb.transaction(async (tx) => {
      await tx.db
        .updateTable('mass_send_tasks')
        .set({ status: 'failed', error: b.last_error ?? b.status })
        .where('corp_id', '=', corpId)
        .where('id', '=', b.id)
        .execute();
      const rows = await tx.db
        .updateTable('mass_send_recipients')
        .set({
          status: 'failed',
          reason,
          result_at: now,
        })
        .where('corp_id', '=', corpId)
        .where('task_id', '=', b.id)
        .where('status', 'in', ['queued', 'cancelled'])
        .returning('touch_id')
        .execute();
      await endTaskGroups(tx, b.id, 'failed', reason, now);
      // an unknown outcome may have reached WeCom: its slots stay taken
      if (b.status !== 'unknown') {
        await releaseTouches(
          { cdb: tx, clock: ctx.clock },
          rows.flatMap((r) => (r.touch_id ? [Number(r.touch_id)] : [])),
          reason,
        );
      }
    });
  }
  if (client) {
    const open = await ctx.cdb.db
      .selectFrom('mass_send_tasks as t')
      .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 't.corp_id').onRef('s.id', '=', 't.staff_id'))
      .innerJoin('mass_sends as m', (j) =>
        j.onRef('m.corp_id', '=', 't.corp_id').onRef('m.id', '=', 't.mass_send_id'),
      )
      .select(['t.id', 't.msgid', 's.userid', 'm.status as send_status', 't.status'])
      .where('t.corp_id', '=', corpId)
      .where('t.status', 'in', ['created', 'cancelled'])
      .where('t.msgid', 'is not', null)
      .where('t.confirmed_at', 'is', null)
      .where((eb) => eb.or([eb('t.status', '=', 'created'), eb('t.polled_at', 'is', null)]))
      .orderBy('t.id')
      .execute();
    for (const task of open) {
      await followTask(ctx, client, { ...task, msgid: task.msgid! });
    }
    // group tasks their owner let pass the confirmation window (just polled above): withdrawn
    await expireUnconfirmedGroupTasks(ctx, now);
  }
  // done: nothing planned or deferred, no task open
  await sql`update mass_sends m set status = 'done'
    where m.corp_id = ${corpId} and m.status = 'sending'
      and not exists (select 1 from mass_send_recipients r where r.corp_id = m.corp_id and r.mass_send_id = m.id
        and r.status in ('planned', 'deferred'))
      and not exists (select 1 from mass_send_groups r where r.corp_id = m.corp_id and r.mass_send_id = m.id
        and r.status = 'planned')
      and not exists (select 1 from mass_send_tasks t where t.corp_id = m.corp_id and t.mass_send_id = m.id
        and t.status in ('pending', 'created'))`.execute(ctx.cdb.db);
}

/** What following results needs of the WeCom client (the simulator's and WeCom's). */
export interface WecomClientLike {
  getGroupMsgTask(req: { msgid: string; limit?: number; cursor?: string }): Promise<{
    next_cursor?: string;
    task_list: { userid: string; status: number; send_time?: number }[];
  }>;
  getGroupMsgSendResult(req: { msgid: string; userid: string; limit?: number; cursor?: string }): Promise<{
    next_cursor?: string;
    send_list: {
      external_userid?: string;
      chat_id?: string;
      userid: string;
      status: number;
      send_time?: number;
    }[];
  }>;
}

async function followTask(
  ctx: SyncCtx,
  client: WecomClientLike,
  task: { id: number; msgid: string; userid: string; send_status: string; status: string },
) {
  const corpId = ctx.cdb.corpId;
  const now = ctx.clock.now();
  let cursor: string | undefined;
  let mine: { status: number; send_time?: number } | undefined;
  do {
    const page = await client.getGroupMsgTask({ msgid: task.msgid, limit: 1000, cursor });
    mine = page.task_list.find((x) => x.userid === task.userid) ?? mine;
    cursor = page.next_cursor || undefined;
  } while (cursor && !mine);
  if (mine?.status !== 2) {
    const cancelled = task.send_status === 'cancelled' || task.status === 'cancelled';
    await ctx.cdb.transaction(async (tx) => {
      await tx.db
        .updateTable('mass_send_tasks')
        .set({ polled_at: now, ...(cancelled ? { status: 'cancelled' as const } : {}) })
        .where('corp_id', '=', corpId)
        .where('id', '=', task.id)
        .execute();
      if (!cancelled) return;
      await endTaskGroups(tx, task.id, 'cancelled', 'cancelled', now);
      const rows = await tx.db
        .updateTable('mass_send_recipients')
        .set({ status: 'cancelled', result_at: now })
        .where('corp_id', '=', corpId)
        .where('task_id', '=', task.id)
        .where('status', 'in', ['queued', 'cancelled'])
        .returning('touch_id')
        .execute();
      await releaseTouches(
        { cdb: tx, clock: ctx.clock },
        rows.flatMap((r) => (r.touch_id ? [Number(r.touch_id)] : [])),
        'cancelled',
      );
    });
    return;
  }
  const results: { external_userid: string; status: number; send_time?: number }[] = [];
  const chats: { chat_id: string; status: number; send_time?: number }[] = [];
  cursor = undefined;
  do {
    const page = await client.getGroupMsgSendResult({
      msgid: task.msgid,
      userid: task.userid,
      limit: 1000,
      cursor,
    });
    for (const r of page.send_list) {
      if (r.external_userid) results.push({ ...r, external_userid: r.external_userid });
      else if (r.chat_id) chats.push({ ...r, chat_id: r.chat_id });
    }
    cursor = page.next_cursor || undefined;
  } while (cursor);
  await ctx.cdb.transaction(async (tx) => {
    const confirmedAt = mine?.send_time ? new Date(mine.send_time * 1000) : now;
    await tx.db
      .updateTable('mass_send_tasks')
      .set({ status: 'sent', confirmed_at: confirmedAt, polled_at: now })
      .where('corp_id', '=', corpId)
      .where('id', '=', task.id)
      .execute();
    await recordGroupResults(tx, task.id, chats, now);
    const values = results.map(
      (r) =>
        sql`(${r.external_userid}::text, ${RESULT[r.status] ?? 'unsent'}::text, ${r.send_time ? new Date(r.send_time * 1000) : now}::timestamptz)`,
    );
    if (values.length === 0) return;
    const updated = await sql<{ touch_id: number | null; status: RecipientStatus }>`
      update mass_send_recipients r set status = v.status, result_at = v.at,
        reason = case when v.status = 'sent' then null else v.status end
      from (values ${sql.join(values)}) v(external_userid, status, at), customers c
      where r.corp_id = ${corpId} and r.task_id = ${task.id} and r.status in ('queued', 'cancelled')
        and c.corp_id = r.corp_id and c.id = r.customer_id and c.external_userid = v.external_userid
      returning r.touch_id, r.status`.execute(tx.db);
    const touches = (s: (status: RecipientStatus) => boolean) =>
      updated.rows.filter((r) => s(r.status) && r.touch_id).map((r) => Number(r.touch_id));
    await tx.db
      .updateTable('touches')
      .set({ status: 'sent', settled_at: now })
      .where('corp_id', '=', corpId)
      .where('id', 'in', [-1, ...touches((s) => s === 'sent')])
      .where('status', '=', 'reserved')
      .execute();
    await releaseTouches(
      { cdb: tx, clock: ctx.clock },
      touches((s) => s !== 'sent'),
      'wecom_result',
    );
  });
}

// ── remind and cancel ───────────────────────────────────────────────────────

/**
 * Reminds the members who have not sent yet (remind_groupmsg_send for each open task). WeCom allows 3 per
 * 24 h; a 4th is refused here, saying when the next one is possible.
 */
export async function remindMassSend(ctx: Ctx, id: number, wake?: () => void) {
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    const m = await tx.db
      .selectFrom('mass_sends as m')
      .select(['m.id', 'm.status'])
      .where('m.corp_id', '=', tx.corpId)
      .where('m.id', '=', id)
      .where(visible(ctx))
      .forUpdate()
      .executeTakeFirst();
    if (!m) throw notFound({ zh: '群发', en: 'Mass send' });
    const open = await tx.db
      .selectFrom('mass_send_tasks')
      .select(['id', 'msgid'])
      .where('corp_id', '=', tx.corpId)
      .where('mass_send_id', '=', id)
      .where('status', '=', 'created')
      .where('msgid', 'is not', null)
      .execute();
    if (m.status !== 'sending' || open.length === 0) {
      throw new AppError('conflict', {
        zh: '没有等待员工确认的群发任务，无需提醒',
        en: 'No task is waiting for a member to confirm: nothing to remind',
      });
    }
    const recent = await tx.db
      .selectFrom('mass_send_reminds')
      .select('at')
      .where('corp_id', '=', tx.corpId)
      .where('mass_send_id', '=', id)
      .where('at', '>', new Date(now.getTime() - 24 * HOUR_MS))
      .orderBy('at')
      .execute();
    if (recent.length >= REMINDS_PER_DAY) {
      const next = new Date(recent[recent.length - REMINDS_PER_DAY]!.at.getTime() + 24 * HOUR_MS);
      throw new AppError('rate_limited', {
        zh: `企业微信每 24 小时最多提醒 3 次，下次可在 ${next.toISOString()} 之后提醒`,
        en: `WeCom allows 3 reminders per 24 hours; the next is possible after ${next.toISOString()}`,
      });
    }
    const { id: remindId } = await tx.db
      .insertInto('mass_send_reminds')
      .values({ corp_id: tx.corpId, mass_send_id: id, at: now, account_id: ctx.actor.accountId })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const t of open) {
      await enqueueOutbox(
        jobsDb(tx.db),
        tx.corpId,
        {
          idemKey: `outreach:remind:${remindId}:${t.id}`,
          lane: 'normal',
          kind: REMIND_GROUPMSG_SEND,
          request: { msgid: t.msgid },
        },
        now,
      );
    }
    await recordAudit(
      { ...ctx, cdb: tx },
      { action: 'outreach.mass_send.remind', subject: `mass_send:${id}`, details: { tasks: open.length } },
    );
  });
  if (wake) ctx.cdb.onCommit(wake);
  return getMassSend(ctx, id);
}

/**
 * Cancels a mass send: what has not gone out stays home (cancel_groupmsg_send for tasks members have not
 * confirmed; their slots are released once WeCom shows them unsent); what members already sent stays sent.
 */
export async function cancelMassSend(ctx: Ctx, id: number, wake?: () => void) {
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    const m = await tx.db
      .selectFrom('mass_sends as m')
      .select(['m.id', 'm.status'])
      .where('m.corp_id', '=', tx.corpId)
      .where('m.id', '=', id)
      .where(visible(ctx))
      .forUpdate()
      .executeTakeFirst();
    if (!m) throw notFound({ zh: '群发', en: 'Mass send' });
    if (m.status !== 'scheduled' && m.status !== 'sending') {
      throw new AppError('conflict', {
        zh: m.status === 'cancelled' ? '群发已取消' : '群发已结束，无法取消',
        en:
          m.status === 'cancelled'
            ? 'The mass send is already cancelled'
            : 'The mass send is over: nothing to cancel',
      });
    }
    await tx.db
      .updateTable('mass_sends')
      .set({ status: 'cancelled', cancelled_at: now })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    await tx.db
      .updateTable('mass_send_recipients')
      .set({ status: 'cancelled', reason: 'cancelled', result_at: now })
      .where('corp_id', '=', tx.corpId)
      .where('mass_send_id', '=', id)
      .where('status', 'in', ['planned', 'deferred'])
      .execute();
    await tx.db
      .updateTable('mass_send_groups')
      .set({ status: 'cancelled', reason: 'cancelled', result_at: now })
      .where('corp_id', '=', tx.corpId)
      .where('mass_send_id', '=', id)
      .where('status', '=', 'planned')
      .execute();
    // not yet created in WeCom: cancelled when its msgid comes back (onMassTaskCreated)
    await tx.db
      .updateTable('mass_send_tasks')
      .set({ status: 'cancelled' })
      .where('corp_id', '=', tx.corpId)
      .where('mass_send_id', '=', id)
      .where('status', '=', 'pending')
      .execute();
    const open = await tx.db
      .selectFrom('mass_send_tasks')
      .select(['id', 'msgid'])
      .where('corp_id', '=', tx.corpId)
      .where('mass_send_id', '=', id)
      .where('status', '=', 'created')
      .execute();
    for (const t of open) {
      if (t.msgid) await queueTaskCancel(tx, t.id, t.msgid, now); // created: WeCom gave it a msgid
    }
    await recordAudit(
      { ...ctx, cdb: tx },
      { action: 'outreach.mass_send.cancel', subject: `mass_send:${id}` },
    );
  });
  if (wake) ctx.cdb.onCommit(wake);
  return getMassSend(ctx, id);
}
