import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.ts';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import { AppError } from '../../platform/http/errors.ts';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import type { Attachment } from '../../wecom/client.ts';
import { MSG_TEMPLATE_MAX_ATTACHMENTS, MSG_TEMPLATE_MAX_CHAT_IDS } from '../../wecom/limits.ts';
import { ADD_MSG_TEMPLATE } from '../../wecom/paths.ts';
import {
  fillTemplate,
  getContent,
  MEDIA_KEY,
  type MediaUpload,
  placeholdersOf,
  renderContent,
  type VariableName,
} from '../content/index.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import { type AudienceGroup, type GroupAudience, groupAudience } from '../groups/index.ts';
import { isRootUnit, subtreeUnitIds } from '../org/index.ts';
import type { Tables } from '../tables.ts';
import { outreachSettingsOf } from './budget.ts';
import { queueTaskCancel } from './cancel.ts';
import type { ContentKind, GuardMode } from './plan.ts';
import { brandMonth, DAY_MS, HOUR_MS, minutesOf, monthlyCapAt } from './rules.ts';
import type { GroupRecipientStatus } from './schema.ts';
import { senderProgress } from './sender-progress.ts';

type Cdb = CorpDb<Tables>;

/**
 * Group sends (客户群群发): a mass send whose target is customer groups. Each group is sent by its owner
 * (add_msg_template chat_type=group, sender = the owner, chat_id_list ≤2000 per call); it is not a touch of
 * any customer's budget, but WeCom's per-group monthly receive cap (the days of the month, or the brand's
 * setting, corp and personal sends counted together) is respected: a group that has had that many of
 * Siyu's group sends this month is left out. Coupon content goes to welfare groups only unless told.
 * A recurring send (weekdays and a time in brand time) is a series whose occurrences are ordinary group sends.
 */

export const GROUP_EXCLUSIONS = ['no_owner', 'owner_inactive', 'over_cap', 'coupon_guard'] as const;
export type GroupExclusion = (typeof GROUP_EXCLUSIONS)[number];
export const GROUP_OUTBOX_PREFIX = 'outreach:mass:';

/** Every week on these weekdays (1 Monday … 7 Sunday) at this brand time (UTC+8); until a day, if given. */
export interface Recurrence {
  weekdays: number[];
  time: string;
  until?: string | null;
}

const BRAND_OFFSET_MS = 8 * HOUR_MS;

/** The first occurrence of a rule at or after `from`; null past its end. */
export function nextOccurrence(rule: Recurrence, from: Date): Date | null {
  const minutes = minutesOf(rule.time);
  const local = new Date(from.getTime() + BRAND_OFFSET_MS);
  const midnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const until = rule.until ? Date.parse(`${rule.until}T23:59:59+08:00`) : Number.POSITIVE_INFINITY;
  for (let d = 0; d <= 7; d++) {
    const dayStart = midnight + d * DAY_MS;
    const weekday = new Date(dayStart).getUTCDay() || 7;
    if (!rule.weekdays.includes(weekday)) continue;
    const at = dayStart + minutes * 60_000 - BRAND_OFFSET_MS;
    if (at < from.getTime()) continue;
    return at > until ? null : new Date(at);
  }
  return null;
}

export interface GroupPlanInput {
  groups: GroupAudience;
  at: Date;
  contentKind?: ContentKind;
  guard?: GuardMode;
}

interface ClassifiedGroup extends AudienceGroup {
  class: 'receiving' | GroupExclusion;
}

/** Each group of the audience with its class: receiving, or why it is left out. */
async function classify(ctx: Ctx, input: GroupPlanInput) {
  const groups = await groupAudience(ctx, input.groups);
  const month = brandMonth(input.at);
  const settings = await outreachSettingsOf(ctx.cdb);
  const cap = monthlyCapAt(settings.monthlyCap, input.at);
  const received = groups.length
    ? await sql<{ group_id: number; n: string }>`
        select r.group_id, count(*) as n from mass_send_groups r
        join mass_sends m on m.corp_id = r.corp_id and m.id = r.mass_send_id
        where r.corp_id = ${ctx.cdb.corpId} and r.status in ('queued', 'sent')
          and r.group_id = any(${groups.map((g) => g.groupId)}::bigint[])
          and coalesce(r.result_at, m.dispatched_at, m.send_at, m.created_at) >= ${month.start}
          and coalesce(r.result_at, m.dispatched_at, m.send_at, m.created_at) < ${month.next}
        group by r.group_id`.execute(ctx.cdb.db)
    : { rows: [] };
  const counts = new Map(received.rows.map((r) => [Number(r.group_id), Number(r.n)]));
  const guarded = input.contentKind === 'coupon' && input.guard !== 'override';
  const out: ClassifiedGroup[] = groups.map((g) => {
    let cls: ClassifiedGroup['class'] = 'receiving';
    if (!g.ownerStaffId || !g.ownerUserid) cls = 'no_owner';
    else if (!g.ownerActive) cls = 'owner_inactive';
    else if ((counts.get(g.groupId) ?? 0) >= cap) cls = 'over_cap';
    else if (guarded && g.type !== 'welfare') cls = 'coupon_guard';
    return { ...g, class: cls };
  });
  return { groups: out, cap, guarded };
}

/**
 * Plans a group send: the groups that receive it, those left out by reason, each owner's groups (one task
 * per owner, which they confirm in WeCom), and the coupon guard: under `stop` a coupon to groups that are
 * not welfare groups is blocked; `price_sensitive_only` leaves those groups out.
 */
export async function planGroupSend(ctx: Ctx, input: GroupPlanInput) {
  const { groups, cap, guarded } = await classify(ctx, input);
  const excluded = Object.fromEntries(GROUP_EXCLUSIONS.map((e) => [e, 0])) as Record<GroupExclusion, number>;
  const owners = new Map<
    number,
    { staffId: number; name: string; unitName: string | null; groups: number }
  >();
  let receiving = 0;
  let members = 0;
  for (const g of groups) {
    if (g.class !== 'receiving') {
      excluded[g.class]++;
      continue;
    }
    receiving++;
    members += g.memberCount;
    const o = owners.get(g.ownerStaffId!) ?? {
      staffId: g.ownerStaffId!,
      name: g.ownerName ?? g.ownerUserid!,
      unitName: g.unitName,
      groups: 0,
    };
    o.groups++;
    owners.set(g.ownerStaffId!, o);
  }
  const notWelfare = excluded.coupon_guard;
  return {
    at: input.at.toISOString(),
    total: groups.length,
    receiving,
    members,
    excluded,
    monthlyCap: cap,
    owners: [...owners.values()].sort((a, b) => b.groups - a.groups),
    groups: groups.slice(0, 200).map((g) => ({
      groupId: g.groupId,
      name: g.name,
      type: g.type,
      memberCount: g.memberCount,
      ownerName: g.ownerName,
      unitName: g.unitName,
      class: g.class,
    })),
    guard: {
      applies: guarded || (input.contentKind === 'coupon' && input.guard === 'override'),
      mode: input.guard ?? ('stop' as GuardMode),
      notWelfare,
      blocked: guarded && (input.guard ?? 'stop') === 'stop' && notWelfare > 0,
    },
  };
}

export type GroupPlan = Awaited<ReturnType<typeof planGroupSend>>;

export const groupSummaryOf = (plan: GroupPlan) => ({
  total: plan.total,
  receiving: plan.receiving,
  excluded: plan.excluded as Record<string, number>,
  deferred: { quietHoursUntil: null, cappedUntil: null, monthlyCapUntil: null },
  guard: {
    applies: plan.guard.applies,
    mode: plan.guard.mode,
    threshold: 0,
    notPriceSensitive: plan.guard.notWelfare,
    blocked: plan.guard.blocked,
  },
});

/** Stores each group of a plan on the send: planned, or excluded with its reason. */
export async function insertGroupRows(tx: Cdb, ctx: Ctx, massSendId: number, input: GroupPlanInput) {
  const { groups } = await classify({ ...ctx, cdb: tx }, input);
  if (groups.length === 0) return 0;
  await tx.db
    .insertInto('mass_send_groups')
    .values(
      groups.map((g) => ({
        corp_id: tx.corpId,
        mass_send_id: massSendId,
        group_id: g.groupId,
        staff_id: g.ownerStaffId,
        status: (g.class === 'receiving' ? 'planned' : 'excluded') as GroupRecipientStatus,
        reason: g.class === 'receiving' ? null : g.class,
        task_id: null,
        result_at: null,
      })),
    )
    .execute();
  return groups.filter((g) => g.class === 'receiving').length;
}

/** The scope a series is replanned in at each occurrence: the unit it was made in and below. */
async function actorOfUnit(cdb: Cdb, unitId: number, accountId: number | null): Promise<Actor> {
  const root = await isRootUnit(cdb, unitId);
  return {
    corpId: cdb.corpId,
    accountId: accountId ?? 0,
    role: root ? 'hq_admin' : 'region_manager',
    unitId,
    seesWholeCorp: root,
    unitIds: await subtreeUnitIds(cdb, unitId),
    staffId: null,
  };
}

/**
 * A series whose time came: its occurrence is created (planned now, against this month's caps, in the
 * scope of the unit it was made in) and the series moves to its next time (missed times are skipped, never
 * sent twice). Returns the occurrences created.
 */
export async function startDueSeries(ctx: SyncCtx, now: Date): Promise<number> {
  const due = await ctx.cdb.db
    .selectFrom('mass_sends')
    .select('id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('status', '=', 'scheduled')
    .where('recurrence', 'is not', null)
    .where('send_at', '<=', now)
    .orderBy('id')
    .execute();
  let started = 0;
  for (const { id } of due) {
    await ctx.cdb.transaction(async (tx) => {
      const s = await tx.db
        .selectFrom('mass_sends')
        .selectAll()
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', id)
        .where('status', '=', 'scheduled')
        .where('send_at', '<=', now)
        .forUpdate()
        .executeTakeFirst();
      if (!s?.send_at) return;
      const rule = s.recurrence as Recurrence;
      const actor = await actorOfUnit(tx, s.unit_id, s.created_by);
      const octx: Ctx = { ...ctx, cdb: tx, actor };
      const input: GroupPlanInput = {
        groups: s.audience as GroupAudience,
        at: now,
        contentKind: s.content_kind,
        guard: s.guard === 'stop' ? 'price_sensitive_only' : s.guard,
      };
      const plan = await planGroupSend(octx, input);
      const { id: occurrence } = await tx.db
        .insertInto('mass_sends')
        .values({
          corp_id: tx.corpId,
          unit_id: s.unit_id,
          name: s.name,
          content_id: s.content_id,
          content_kind: s.content_kind,
          text: s.text,
          attachments: JSON.stringify(s.attachments),
          send_at: s.send_at,
          sender_rule: JSON.stringify(s.sender_rule),
          audience: JSON.stringify(s.audience),
          guard: s.guard,
          override_reason: s.override_reason,
          planned: JSON.stringify(groupSummaryOf(plan)),
          created_by: s.created_by,
          created_at: now,
          target: 'groups',
          series_id: s.id,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await insertGroupRows(tx, octx, occurrence, input);
      const next = nextOccurrence(rule, new Date(Math.max(now.getTime(), s.send_at.getTime()) + 60_000));
      await tx.db
        .updateTable('mass_sends')
        .set(next ? { send_at: next } : { status: 'done', dispatched_at: now })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', s.id)
        .execute();
      started++;
    });
  }
  return started;
}

/**
 * A group send's attachments: its own, then its library item's (their files uploaded as media when the call
 * is made, content's attachMedia). An item deleted since leaves the send's own.
 */
async function groupAttachments(
  ctx: SyncCtx,
  m: { attachments: unknown; content_id: number | null },
): Promise<{ attachments: Attachment[]; media: MediaUpload[] }> {
  const own = m.attachments as Attachment[];
  const item = m.content_id ? await getContent(ctx, m.content_id).catch(() => null) : null;
  if (!item || item.attachments.length === 0) return { attachments: own, media: [] };
  const rendered = renderContent({ text: '', attachments: item.attachments }, {});
  const room = Math.max(0, MSG_TEMPLATE_MAX_ATTACHMENTS - own.length);
  return {
    attachments: [...own, ...rendered.attachments.slice(0, room)],
    media: rendered.media
      .filter((u) => u.attachment < room)
      .map((u) => ({ ...u, attachment: u.attachment + own.length })),
  };
}

/** Dispatches a group send: one add_msg_template per owner (≤2000 chats each), its planned groups queued. */
export async function dispatchGroupSend(ctx: SyncCtx, massSendId: number, now: Date): Promise<number> {
  return ctx.cdb.transaction(async (tx) => {
    const m = await tx.db
      .selectFrom('mass_sends')
      .select(['id', 'status', 'text', 'attachments', 'content_id'])
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', massSendId)
      .forUpdate()
      .executeTakeFirst();
    if (!m || (m.status !== 'scheduled' && m.status !== 'sending')) return 0;
    const rows = await tx.db
      .selectFrom('mass_send_groups as r')
      .innerJoin('groups as g', (j) =>
        j.onRef('g.corp_id', '=', 'r.corp_id').onRef('g.id', '=', 'r.group_id'),
      )
      .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'r.corp_id').onRef('s.id', '=', 'r.staff_id'))
      .select(['r.group_id', 'r.staff_id', 'g.chat_id', 's.userid'])
      .where('r.corp_id', '=', tx.corpId)
      .where('r.mass_send_id', '=', massSendId)
      .where('r.status', '=', 'planned')
      .orderBy('r.group_id')
      .execute();
    // One task per owner and text: a text with variables differs between groups, so the owner confirms each.
    const texts = await groupTexts(
      tx,
      m.text,
      rows.map((r) => r.group_id),
    );
    const byOwner = new Map<string, { staffId: number; text: string; list: typeof rows }>();
    for (const r of rows) {
      const content = texts?.get(r.group_id) ?? m.text;
      const key = `${r.staff_id}\u0000${content}`;
      const entry = byOwner.get(key) ?? { staffId: r.staff_id!, text: content, list: [] };
      entry.list.push(r);
      byOwner.set(key, entry);
    }
    const { wave } = await tx.db
      .selectFrom('mass_send_tasks')
      .select((eb) => eb.fn.coalesce(eb.fn.max('wave'), eb.lit(0)).as('wave'))
      .where('corp_id', '=', tx.corpId)
      .where('mass_send_id', '=', massSendId)
      .executeTakeFirstOrThrow();
    const { attachments, media } = await groupAttachments({ ...ctx, cdb: tx }, m);
    for (const { staffId, text: content, list } of byOwner.values()) {
      const text = content ? { text: { content } } : {};
      for (let i = 0; i < list.length; i += MSG_TEMPLATE_MAX_CHAT_IDS) {
        const part = list.slice(i, i + MSG_TEMPLATE_MAX_CHAT_IDS);
        const { id: taskId } = await tx.db
          .insertInto('mass_send_tasks')
          .values({
            corp_id: tx.corpId,
            mass_send_id: massSendId,
            staff_id: staffId,
            wave: Number(wave) + 1,
            recipients: part.length,
            msgid: null,
            error: null,
            created_at: now,
            confirmed_at: null,
            polled_at: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await tx.db
          .updateTable('mass_send_groups')
          .set({ status: 'queued', task_id: taskId })
          .where('corp_id', '=', tx.corpId)
          .where('mass_send_id', '=', massSendId)
          .where(
            'group_id',
            'in',
            part.map((p) => p.group_id),
          )
          .execute();
        await enqueueOutbox(
          jobsDb(tx.db),
          tx.corpId,
          {
            idemKey: `${GROUP_OUTBOX_PREFIX}${taskId}`,
            lane: 'bulk',
            kind: ADD_MSG_TEMPLATE,
            request: {
              chat_type: 'group',
              sender: part[0]!.userid,
              chat_id_list: part.map((p) => p.chat_id),
              ...text,
              ...(attachments.length ? { attachments } : {}),
              ...(media.length ? { [MEDIA_KEY]: media } : {}),
            },
          },
          now,
        );
      }
    }
    await tx.db
      .updateTable('mass_sends')
      .set({ status: 'sending', dispatched_at: sql`coalesce(dispatched_at, ${now})` })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', massSendId)
      .execute();
    return rows.length;
  });
}

const GROUP_RESULT: Record<number, GroupRecipientStatus> = {
  0: 'unsent',
  1: 'sent',
  2: 'not_owner',
  3: 'over_cap',
};

/**
 * A confirmed group task's results: each chat WeCom lists gets its status; WeCom lists only what was sent
 * for group sends, so a queued group it does not list stays unsent.
 */
export async function recordGroupResults(
  tx: Cdb,
  taskId: number,
  results: { chat_id: string; status: number; send_time?: number }[],
  now: Date,
) {
  if (results.length) {
    const values = results.map(
      (r) =>
        sql`(${r.chat_id}::text, ${GROUP_RESULT[r.status] ?? 'unsent'}::text, ${r.send_time ? new Date(r.send_time * 1000) : now}::timestamptz)`,
    );
    await sql`update mass_send_groups r set status = v.status, result_at = v.at,
        reason = case when v.status = 'sent' then null else v.status end
      from (values ${sql.join(values)}) v(chat_id, status, at), groups g
      where r.corp_id = ${tx.corpId} and r.task_id = ${taskId} and r.status in ('queued', 'cancelled')
        and g.corp_id = r.corp_id and g.id = r.group_id and g.chat_id = v.chat_id`.execute(tx.db);
  }
  await tx.db
    .updateTable('mass_send_groups')
    .set({ status: 'unsent', reason: 'unsent', result_at: now })
    .where('corp_id', '=', tx.corpId)
    .where('task_id', '=', taskId)
    .where('status', '=', 'queued')
    .execute();
}

/** Chats WeCom refused in add_msg_template's fail_list (not the owner's, gone): failed. */
export async function failGroups(tx: Cdb, taskId: number, chatIds: string[], now: Date) {
  if (chatIds.length === 0) return;
  await sql`update mass_send_groups r set status = 'failed', reason = 'wecom_fail_list', result_at = ${now}
    from groups g
    where r.corp_id = ${tx.corpId} and r.task_id = ${taskId} and g.corp_id = r.corp_id and g.id = r.group_id
      and g.chat_id = any(${chatIds}::text[]) and r.status = 'queued'`.execute(tx.db);
}

/** A task's groups end with the task: failed (the call failed for good) or cancelled. */
export async function endTaskGroups(
  tx: Cdb,
  taskId: number,
  status: 'failed' | 'cancelled',
  reason: string,
  now: Date,
) {
  await tx.db
    .updateTable('mass_send_groups')
    .set({ status, reason, result_at: now })
    .where('corp_id', '=', tx.corpId)
    .where('task_id', '=', taskId)
    .where('status', 'in', ['queued', 'cancelled'])
    .execute();
}

export const GROUP_STATUSES: readonly GroupRecipientStatus[] = [
  'planned',
  'excluded',
  'queued',
  'sent',
  'unsent',
  'not_owner',
  'over_cap',
  'failed',
  'cancelled',
  'unconfirmed',
];

/**
 * How long an owner has to confirm a group send's task. WeCom states no deadline for an unconfirmed corp
 * task (API-FACTS-2 §11, §15: unverified), so the window is Siyu's own: a 会员日 message sent a day late is
 * wrong, and a weekly occurrence must end before the next one.
 */
export const GROUP_CONFIRM_HOURS = 24;

/**
 * Group tasks still unconfirmed a confirmation window after they were created in WeCom (their last poll just
 * done by followResults): withdrawn (cancel_groupmsg_send, so the owner cannot send a stale message later),
 * the task expired and its queued groups unconfirmed. The send then ends with what was sent. Returns the
 * tasks expired.
 */
export async function expireUnconfirmedGroupTasks(ctx: SyncCtx, now: Date): Promise<number> {
  const due = await ctx.cdb.db
    .selectFrom('mass_send_tasks as t')
    .innerJoin('mass_sends as m', (j) =>
      j.onRef('m.corp_id', '=', 't.corp_id').onRef('m.id', '=', 't.mass_send_id'),
    )
    .select(['t.id', 't.msgid'])
    .where('t.corp_id', '=', ctx.cdb.corpId)
    .where('m.target', '=', 'groups')
    .where('m.status', '=', 'sending')
    .where('t.status', '=', 'created')
    .where('t.confirmed_at', 'is', null)
    .where('t.msgid', 'is not', null)
    .where('t.created_at', '<=', new Date(now.getTime() - GROUP_CONFIRM_HOURS * HOUR_MS))
    .orderBy('t.id')
    .execute();
  for (const task of due) {
    await ctx.cdb.transaction(async (tx) => {
      const expired = await tx.db
        .updateTable('mass_send_tasks')
        .set({ status: 'expired', error: 'unconfirmed', polled_at: now })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', task.id)
        .where('status', '=', 'created')
        .returning('id')
        .executeTakeFirst();
      if (!expired) return;
      await tx.db
        .updateTable('mass_send_groups')
        .set({ status: 'unconfirmed', reason: 'unconfirmed', result_at: now })
        .where('corp_id', '=', tx.corpId)
        .where('task_id', '=', task.id)
        .where('status', '=', 'queued')
        .execute();
      if (task.msgid) await queueTaskCancel(tx, task.id, task.msgid, now);
    });
  }
  return due.length;
}

/** A group send's groups by status and reason, its owners' confirmation, and (a series) its occurrences. */
export async function groupOutcome(ctx: Ctx, id: number, isSeries: boolean) {
  const corpId = ctx.cdb.corpId;
  const [statuses, reasons, owners, occurrences] = await Promise.all([
    ctx.cdb.db
      .selectFrom('mass_send_groups')
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .where('corp_id', '=', corpId)
      .where('mass_send_id', '=', id)
      .groupBy('status')
      .execute(),
    ctx.cdb.db
      .selectFrom('mass_send_groups')
      .select(['reason', (eb) => eb.fn.countAll<string>().as('n')])
      .where('corp_id', '=', corpId)
      .where('mass_send_id', '=', id)
      .where('reason', 'is not', null)
      .groupBy('reason')
      .execute(),
    senderProgress(ctx, id, 'groups'),
    isSeries
      ? sql<{
          id: number;
          send_at: Date | null;
          status: string;
          total: string;
          sent: string;
          unconfirmed: string;
        }>`
          select m.id, m.send_at, m.status,
            (select count(*) from mass_send_groups r where r.corp_id = m.corp_id and r.mass_send_id = m.id) as total,
            (select count(*) from mass_send_groups r where r.corp_id = m.corp_id and r.mass_send_id = m.id and r.status = 'sent') as sent,
            (select count(*) from mass_send_groups r where r.corp_id = m.corp_id and r.mass_send_id = m.id and r.status = 'unconfirmed') as unconfirmed
          from mass_sends m where m.corp_id = ${corpId} and m.series_id = ${id}
          order by m.send_at desc, m.id desc limit 52`.execute(ctx.cdb.db)
      : Promise.resolve({ rows: [] }),
  ]);
  const byStatus = Object.fromEntries(
    GROUP_STATUSES.map((s) => [s, Number(statuses.find((x) => x.status === s)?.n ?? 0)]),
  ) as Record<GroupRecipientStatus, number>;
  return {
    total: Object.values(byStatus).reduce((a, b) => a + b, 0),
    byStatus,
    reasons: Object.fromEntries(reasons.map((r) => [r.reason!, Number(r.n)])),
    owners: owners.rows,
    occurrences: occurrences.rows.map((o) => ({
      id: Number(o.id),
      sendAt: o.send_at?.toISOString() ?? null,
      status: o.status as 'scheduled' | 'sending' | 'done' | 'cancelled',
      groups: Number(o.total),
      sent: Number(o.sent),
      unconfirmed: Number(o.unconfirmed),
    })),
  };
}

/** Per-group outcomes of a group send (the caller must see the send: checked by the caller). */
export async function listGroupRecipients(
  ctx: Ctx,
  id: number,
  opts: { status?: GroupRecipientStatus; cursor?: number; limit: number },
) {
  let q = ctx.cdb.db
    .selectFrom('mass_send_groups as r')
    .innerJoin('groups as g', (j) => j.onRef('g.corp_id', '=', 'r.corp_id').onRef('g.id', '=', 'r.group_id'))
    .leftJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'r.corp_id').onRef('s.id', '=', 'r.staff_id'))
    .leftJoin('org_units as u', (j) => j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'))
    .leftJoin('mass_send_tasks as t', (j) =>
      j.onRef('t.corp_id', '=', 'r.corp_id').onRef('t.id', '=', 'r.task_id'),
    )
    .select([
      't.confirmed_at',
      'r.group_id',
      'g.name',
      'g.type',
      'g.member_count',
      'r.staff_id',
      's.name as owner_name',
      'u.name as unit_name',
      'r.status',
      'r.reason',
      'r.result_at',
    ])
    .where('r.corp_id', '=', ctx.cdb.corpId)
    .where('r.mass_send_id', '=', id);
  if (opts.status) q = q.where('r.status', '=', opts.status);
  if (opts.cursor !== undefined) q = q.where('r.group_id', '>', opts.cursor);
  const rows = await q
    .orderBy('r.group_id')
    .limit(opts.limit + 1)
    .execute();
  const items = rows.slice(0, opts.limit).map((r) => ({
    id: r.group_id,
    groupId: r.group_id,
    name: r.name,
    type: r.type,
    memberCount: r.member_count,
    ownerStaffId: r.staff_id,
    ownerName: r.owner_name,
    unitName: r.unit_name,
    status: r.status,
    reason: r.reason,
    resultAt: r.result_at?.toISOString() ?? null,
    ownerConfirmedAt: r.confirmed_at?.toISOString() ?? null,
  }));
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: rows.length > opts.limit && last ? Buffer.from(`id:${last.id}`).toString('base64url') : null,
  };
}

/**
 * The variables a group send's text may hold: what is the same for everyone in one group (its name, its
 * owner's store, the owner, the brand). A customer's own values (name, member level) cannot be filled in a
 * group, and the group's name means nothing in a message to one customer.
 */
export const GROUP_VARIABLES = [
  'group_name',
  'store_name',
  'staff_name',
  'persona_name',
  'brand_name',
] as const satisfies readonly VariableName[];
const GROUP_ONLY: readonly string[] = ['group_name'];

/** Refuses a text whose `{{variables}}` the send's target cannot fill. */
export function assertVariablesFor(text: string | undefined, target: 'customers' | 'groups') {
  if (!text) return;
  const names = placeholdersOf(text).map((p) => p.name);
  const wrong =
    target === 'groups'
      ? names.filter((n) => !(GROUP_VARIABLES as readonly string[]).includes(n))
      : names.filter((n) => GROUP_ONLY.includes(n));
  if (wrong.length === 0) return;
  const list = [...new Set(wrong)].map((n) => `{{${n}}}`).join(', ');
  throw new AppError(
    'bad_request',
    target === 'groups'
      ? {
          zh: `客户群群发不能使用变量 ${list}（群里每个人看到的是同一条消息）；可用：群名称、门店名称、员工姓名、人设昵称、品牌名称`,
          en: `A group send cannot use ${list} (everyone in a group sees the same message); use group_name, store_name, staff_name, persona_name or brand_name`,
        }
      : {
          zh: `发给客户的群发不能使用变量 ${list}`,
          en: `A send to customers cannot use ${list}`,
        },
  );
}

/** Each group's text with its variables filled (null: the text has none and goes out as it is). */
async function groupTexts(tx: Cdb, text: string, groupIds: number[]): Promise<Map<number, string> | null> {
  if (!text || placeholdersOf(text).length === 0 || groupIds.length === 0) return null;
  const rows = await tx.db
    .selectFrom('groups as g')
    .leftJoin('staff as s', (j) =>
      j.onRef('s.corp_id', '=', 'g.corp_id').onRef('s.id', '=', 'g.owner_staff_id'),
    )
    .leftJoin('org_units as u', (j) => j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'))
    .select(['g.id', 'g.name', 's.name as staff_name', 's.persona_name', 'u.name as unit_name', 'u.kind'])
    .where('g.corp_id', '=', tx.corpId)
    .where('g.id', 'in', groupIds)
    .execute();
  const corp = await tx.db
    .selectFrom('corps')
    .select('name')
    .where('corp_id', '=', tx.corpId)
    .executeTakeFirst();
  return new Map(
    rows.map((g) => [
      g.id,
      fillTemplate(text, {
        group_name: g.name,
        store_name: g.kind === 'store' ? g.unit_name : null,
        staff_name: g.staff_name,
        persona_name: g.persona_name ?? g.staff_name,
        brand_name: corp?.name,
      }).text,
    ]),
  );
}

export function assertRecurrence(rule: Recurrence | null | undefined, target: string) {
  if (rule && target !== 'groups') {
    throw new AppError('bad_request', {
      zh: '只有客户群群发可以周期发送（客户的周期触达请用 SOP）',
      en: 'Only group sends recur (recurring customer touches are journeys)',
    });
  }
}
