import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import { addTimeline, assertCustomerVisible } from '../customers/index.ts';
import { assertUnitInScope, subtreeUnitIds } from '../org/index.ts';
import type { Refusal } from '../outreach/index.ts';
import type { TaskKind, TaskStatus } from './schema.ts';
import { reserveTaskTouch } from './touch.ts';

/** Where a task came from: a manager in the console, or a journey's step. */
export type TaskSource = { kind: 'manual' } | { kind: 'journey'; journeyId: string; stepId: string };

export interface NewTask {
  staffId: number;
  customerId?: number | null;
  kind: TaskKind;
  title: string;
  note?: string;
  /** An item of the content library (its numeric id, or as text). */
  contentId?: string | number | null;
  dueAt: Date;
  /** When the member is reminded through WeCom; default REMIND_BEFORE_MS before due (not before now); null: never. */
  remindAt?: Date | null;
  source: TaskSource;
  /** The same key again makes no second task and answers the first one's id (a journey step retried). */
  idempotencyKey?: string;
}

/** By default the member is reminded two hours before the task is due (at once when that has passed). */
export const REMIND_BEFORE_MS = 2 * 3600_000;

const KIND_TEXT: Record<TaskKind, { zh: string; en: string }> = {
  call: { zh: '电话回访', en: 'Call' },
  send_script: { zh: '发送话术', en: 'Send a script' },
  invite_group: { zh: '邀请入群', en: 'Invite to a group' },
  birthday_care: { zh: '生日关怀', en: 'Birthday care' },
  custom: { zh: '自定义', en: 'Custom' },
};
export const kindText = (kind: TaskKind) => KIND_TEXT[kind];

const REFUSAL: Record<Refusal, { zh: string; en: string }> = {
  capped: { zh: '触达频次已达上限', en: 'their touch budget is used up' },
  quiet_hours: { zh: '处于免打扰时段', en: 'it is within quiet hours' },
  monthly_cap: { zh: '本月企业微信接收次数已满', en: 'WeCom’s monthly receive cap is reached' },
  not_friend: { zh: '该员工已不是客户的好友', en: 'the member is no longer their friend' },
  opted_out: { zh: '客户已退订', en: 'they opted out' },
};

/** Brand time (UTC+8), e.g. 2026-12-06 09:00. */
const brandTime = (d: Date) =>
  new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');

const accountOf = (ctx: SyncCtx): number | null => (ctx as Partial<Ctx>).actor?.accountId || null;

/**
 * A task for a member, by code (a journey) or for a manager (createTaskFor checks the caller's scope first):
 * the member must be active; the customer, when named, must exist. Lands on the customer's timeline. Returns
 * its id; with an idempotencyKey already used, the id of that task and nothing new.
 */
export async function createTask(ctx: SyncCtx, input: NewTask): Promise<number> {
  const { cdb } = ctx;
  return cdb.transaction(async (tx) => {
    if (input.idempotencyKey !== undefined) {
      const existing = await tx.db
        .selectFrom('tasks')
        .select('id')
        .where('corp_id', '=', tx.corpId)
        .where('source_key', '=', input.idempotencyKey)
        .executeTakeFirst();
      if (existing) return existing.id;
    }
    const staff = await tx.db
      .selectFrom('staff')
      .select(['id', 'unit_id', 'name', 'status'])
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', input.staffId)
      .executeTakeFirst();
    if (!staff) throw notFound({ zh: '员工', en: 'Staff member' });
    if (staff.status !== 'active')
      throw new AppError('bad_request', {
        zh: `员工「${staff.name}」已停用或离职，不能分配待办`,
        en: `${staff.name} is disabled or has left: no task can be given to them`,
      });
    if (input.customerId != null) {
      const customer = await tx.db
        .selectFrom('customers')
        .select('id')
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', input.customerId)
        .executeTakeFirst();
      if (!customer) throw notFound({ zh: '客户', en: 'Customer' });
    }
    const now = ctx.clock.now();
    const remindAt =
      input.remindAt === null
        ? null
        : (input.remindAt ?? new Date(Math.max(now.getTime(), input.dueAt.getTime() - REMIND_BEFORE_MS)));
    const source = input.source;
    const inserted = await tx.db
      .insertInto('tasks')
      .values({
        corp_id: tx.corpId,
        staff_id: staff.id,
        unit_id: staff.unit_id,
        customer_id: input.customerId ?? null,
        kind: input.kind,
        title: input.title,
        note: input.note ?? '',
        content_id: input.contentId == null ? null : String(input.contentId),
        due_at: input.dueAt,
        remind_at: remindAt,
        source_kind: source.kind,
        source_journey_id: source.kind === 'journey' ? source.journeyId : null,
        source_step_id: source.kind === 'journey' ? source.stepId : null,
        source_key: input.idempotencyKey ?? null,
        created_by: accountOf(ctx),
        created_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['corp_id', 'source_key']).where('source_key', 'is not', null).doNothing(),
      )
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      // the same key, committed by another caller meanwhile
      const row = await tx.db
        .selectFrom('tasks')
        .select('id')
        .where('corp_id', '=', tx.corpId)
        .where('source_key', '=', input.idempotencyKey ?? '')
        .executeTakeFirstOrThrow();
      return row.id;
    }
    if (input.customerId != null) {
      await addTimeline(tx, [
        {
          customerId: input.customerId,
          kind: 'task_created',
          at: now,
          staffId: staff.id,
          accountId: accountOf(ctx),
          summary: `给 ${staff.name} 的待办：${input.title}`,
          data: {
            taskId: inserted.id,
            taskKind: input.kind,
            title: input.title,
            dueAt: input.dueAt.toISOString(),
          },
        },
      ]);
    }
    return inserted.id;
  });
}

export interface TaskInput {
  staffId: number;
  customerId?: number | null;
  kind: TaskKind;
  title: string;
  note?: string;
  contentId?: string | null;
  dueAt: Date;
  remindAt?: Date | null;
}

/**
 * A manager's task: the member must be in the caller's subtree, the customer visible to the caller and
 * followed by that member now (a member cannot call or message someone who is not their customer).
 */
export async function createTaskFor(ctx: Ctx, input: TaskInput) {
  const { cdb, actor } = ctx;
  const staff = await cdb.db
    .selectFrom('staff')
    .select(['id', 'unit_id', 'name'])
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', input.staffId)
    .executeTakeFirst();
  if (!staff || !actor.unitIds.includes(staff.unit_id))
    throw new AppError('forbidden', {
      zh: `员工 ${input.staffId} 不在你的权限范围内`,
      en: `Staff ${input.staffId} is outside your scope`,
    });
  if (input.remindAt && input.remindAt.getTime() > input.dueAt.getTime())
    throw new AppError('bad_request', {
      zh: '提醒时间不能晚于截止时间',
      en: 'The reminder cannot be after the due time',
    });
  if (input.customerId != null) {
    await assertCustomerVisible(ctx, input.customerId);
    const follow = await cdb.db
      .selectFrom('follows')
      .select('customer_id')
      .where('corp_id', '=', cdb.corpId)
      .where('customer_id', '=', input.customerId)
      .where('staff_id', '=', staff.id)
      .where('status', '=', 'active')
      .executeTakeFirst();
    if (!follow)
      throw new AppError('bad_request', {
        zh: `${staff.name} 不是该客户的跟进人，不能为其分配这位客户的待办`,
        en: `${staff.name} does not follow this customer: the task cannot be theirs`,
      });
  } else if (input.kind === 'send_script' || input.kind === 'call' || input.kind === 'birthday_care') {
    throw new AppError('bad_request', {
      zh: `「${KIND_TEXT[input.kind].zh}」待办需要指定客户`,
      en: `A “${KIND_TEXT[input.kind].en}” task needs a customer`,
    });
  }
  const id = await createTask(ctx, { ...input, source: { kind: 'manual' } });
  return getTask(ctx, id);
}

/* ---------- reading ---------- */

/** What a task is now: open (not yet due), overdue, done on time or late, dismissed. */
export type TaskState = 'open' | 'overdue' | 'done_on_time' | 'done_late' | 'dismissed';
export type ReminderState = 'none' | 'scheduled' | 'queued' | 'sent' | 'failed' | 'unknown';

function baseQuery(ctx: Ctx) {
  const { cdb, actor } = ctx;
  let q = cdb.db
    .selectFrom('tasks as t')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 't.corp_id').onRef('s.id', '=', 't.staff_id'))
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 't.corp_id').onRef('u.id', '=', 't.unit_id'),
    )
    .leftJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 't.corp_id').onRef('c.id', '=', 't.customer_id'),
    )
    .leftJoin('wecom_outbox as o', (j) =>
      j.onRef('o.corp_id', '=', 't.corp_id').onRef('o.id', '=', 't.reminder_outbox_id'),
    )
    .where('t.corp_id', '=', cdb.corpId);
  // the scope rule of tasks: a front-line member sees their own; a manager those of their subtree's units
  if (actor.role === 'staff') q = q.where('t.staff_id', '=', actor.staffId ?? -1);
  else if (!actor.seesWholeCorp) q = q.where('t.unit_id', 'in', [...actor.unitIds]);
  return q.select([
    't.id',
    't.staff_id',
    's.name as staff_name',
    't.unit_id',
    'u.name as unit_name',
    't.customer_id',
    'c.name as customer_name',
    'c.avatar as customer_avatar',
    't.kind',
    't.title',
    't.note',
    't.content_id',
    't.due_at',
    't.remind_at',
    't.source_kind',
    't.source_journey_id',
    't.source_step_id',
    't.status',
    't.created_at',
    't.closed_at',
    't.close_note',
    't.touch_id',
    't.reminder_outbox_id',
    'o.status as reminder_status',
    'o.done_at as reminder_done_at',
    'o.errcode as reminder_errcode',
  ]);
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>['execute']>>[number];

export function stateOf(status: TaskStatus, dueAt: Date, closedAt: Date | null, now: Date): TaskState {
  if (status === 'dismissed') return 'dismissed';
  if (status === 'done')
    return closedAt && closedAt.getTime() <= dueAt.getTime() ? 'done_on_time' : 'done_late';
  return dueAt.getTime() < now.getTime() ? 'overdue' : 'open';
}

function reminderOf(r: Row): ReminderState {
  // a task closed before its reminder was due never gets one
  if (r.reminder_outbox_id === null)
    return r.remind_at === null || r.status !== 'open' ? 'none' : 'scheduled';
  switch (r.reminder_status) {
    case 'done':
      return 'sent';
    case 'pending':
      return 'queued';
    case 'unknown':
      return 'unknown';
    default:
      return 'failed';
  }
}

function view(ctx: Ctx, r: Row) {
  const now = ctx.clock.now();
  const mine = ctx.actor.staffId !== null && ctx.actor.staffId === r.staff_id;
  const manages = ctx.actor.role !== 'staff' && ctx.actor.unitIds.includes(r.unit_id);
  return {
    id: r.id,
    staffId: r.staff_id,
    staffName: r.staff_name,
    unitId: r.unit_id,
    unitName: r.unit_name,
    customerId: r.customer_id,
    customerName: r.customer_name,
    customerAvatar: r.customer_avatar,
    kind: r.kind,
    title: r.title,
    note: r.note,
    contentId: r.content_id,
    dueAt: r.due_at.toISOString(),
    remindAt: r.remind_at?.toISOString() ?? null,
    source:
      r.source_kind === 'journey'
        ? { kind: 'journey' as const, journeyId: r.source_journey_id, stepId: r.source_step_id }
        : { kind: 'manual' as const, journeyId: null, stepId: null },
    status: r.status,
    state: stateOf(r.status, r.due_at, r.closed_at, now),
    createdAt: r.created_at.toISOString(),
    closedAt: r.closed_at?.toISOString() ?? null,
    closeNote: r.close_note,
    touchId: r.touch_id,
    reminder: {
      state: reminderOf(r),
      sentAt: r.reminder_status === 'done' ? (r.reminder_done_at?.toISOString() ?? null) : null,
      errcode: r.reminder_errcode,
    },
    canComplete: r.status === 'open' && mine,
    canDismiss: r.status === 'open' && (mine || manages),
  };
}
export type TaskView = ReturnType<typeof view>;

export async function getTask(ctx: Ctx, id: number): Promise<TaskView> {
  const row = await baseQuery(ctx).where('t.id', '=', id).executeTakeFirst();
  if (!row) throw notFound({ zh: '待办', en: 'Task' });
  return view(ctx, row);
}

export const LIST_STATES = ['active', 'open', 'overdue', 'done', 'dismissed', 'all'] as const;

export interface TaskListInput {
  state: (typeof LIST_STATES)[number];
  staffId?: number;
  unitId?: number;
  customerId?: number;
  dueFrom?: Date;
  dueTo?: Date;
  cursor?: string;
  limit: number;
}

function encodeCursor(r: { due_at: Date; id: number }) {
  return Buffer.from(`${r.due_at.getTime()}:${r.id}`).toString('base64url');
}
function decodeCursor(cursor: string): { dueAt: Date; id: number } {
  const m = /^(-?\d{1,15}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('bad_request', { zh: '分页游标无效', en: 'Invalid cursor' });
  return { dueAt: new Date(Number(m[1])), id: Number(m[2]) };
}

/** Units and staff named in a filter must be the caller's (403 otherwise, not an empty list). */
async function assertFilterInScope(ctx: Ctx, input: { staffId?: number; unitId?: number }) {
  if (input.unitId !== undefined) assertUnitInScope(ctx.actor, input.unitId);
  if (input.staffId !== undefined) {
    const allowed =
      ctx.actor.role === 'staff'
        ? input.staffId === ctx.actor.staffId
        : Boolean(
            await ctx.cdb.db
              .selectFrom('staff')
              .select('id')
              .where('corp_id', '=', ctx.cdb.corpId)
              .where('id', '=', input.staffId)
              .where('unit_id', 'in', [...ctx.actor.unitIds])
              .executeTakeFirst(),
          );
    if (!allowed)
      throw new AppError('forbidden', {
        zh: `员工 ${input.staffId} 不在你的权限范围内`,
        en: `Staff ${input.staffId} is outside your scope`,
      });
  }
}

/** Tasks in the caller's scope, by due time (the soonest first), filtered; keyset pages. */
export async function listTasks(ctx: Ctx, input: TaskListInput) {
  await assertFilterInScope(ctx, input);
  const now = ctx.clock.now();
  let q = baseQuery(ctx);
  if (input.staffId !== undefined) q = q.where('t.staff_id', '=', input.staffId);
  if (input.unitId !== undefined) q = q.where('t.unit_id', 'in', await subtreeUnitIds(ctx.cdb, input.unitId));
  if (input.customerId !== undefined) q = q.where('t.customer_id', '=', input.customerId);
  if (input.dueFrom) q = q.where('t.due_at', '>=', input.dueFrom);
  if (input.dueTo) q = q.where('t.due_at', '<', input.dueTo);
  switch (input.state) {
    case 'active':
      q = q.where('t.status', '=', 'open');
      break;
    case 'open':
      q = q.where('t.status', '=', 'open').where('t.due_at', '>=', now);
      break;
    case 'overdue':
      q = q.where('t.status', '=', 'open').where('t.due_at', '<', now);
      break;
    case 'done':
    case 'dismissed':
      q = q.where('t.status', '=', input.state);
      break;
    default:
      break;
  }
  if (input.cursor) {
    const c = decodeCursor(input.cursor);
    q = q.where((eb) =>
      eb.or([eb('t.due_at', '>', c.dueAt), eb.and([eb('t.due_at', '=', c.dueAt), eb('t.id', '>', c.id)])]),
    );
  }
  const rows = await q
    .orderBy('t.due_at')
    .orderBy('t.id')
    .limit(input.limit + 1)
    .execute();
  const items = rows.slice(0, input.limit);
  const last = items[items.length - 1];
  return {
    items: items.map((r) => view(ctx, r)),
    nextCursor: rows.length > input.limit && last ? encodeCursor(last) : null,
  };
}

/* ---------- completion rates ---------- */

export interface StatsInput {
  by: 'staff' | 'store';
  unitId?: number;
  /** Tasks due in [dueFrom, dueTo). */
  dueFrom: Date;
  dueTo: Date;
}

/**
 * Completion per member or per unit over the tasks due in a window: done on time, done late, open (not yet
 * due), overdue, dismissed; completionRate = done / (done + open + overdue) and onTimeRate = on time / the
 * same (dismissed tasks count in neither), null without such tasks.
 */
export async function taskStats(ctx: Ctx, input: StatsInput) {
  await assertFilterInScope(ctx, { unitId: input.unitId });
  const now = ctx.clock.now();
  const { cdb, actor } = ctx;
  const units = input.unitId !== undefined ? await subtreeUnitIds(cdb, input.unitId) : null;
  const key = input.by === 'staff' ? sql.ref('t.staff_id') : sql.ref('t.unit_id');
  const scope =
    actor.role === 'staff'
      ? sql`and t.staff_id = ${actor.staffId ?? -1}`
      : actor.seesWholeCorp
        ? sql``
        : sql`and t.unit_id = any(${[...actor.unitIds]}::bigint[])`;
  const unitFilter = units ? sql`and t.unit_id = any(${units}::bigint[])` : sql``;
  const { rows } = await sql<{
    key: number;
    name: string;
    unit_name: string;
    on_time: number;
    late: number;
    open: number;
    overdue: number;
    dismissed: number;
  }>`
    select ${key} as key,
      min(${input.by === 'staff' ? sql.ref('s.name') : sql.ref('u.name')}) as name,
      min(u.name) as unit_name,
      count(*) filter (where t.status = 'done' and t.closed_at <= t.due_at)::int as on_time,
      count(*) filter (where t.status = 'done' and t.closed_at > t.due_at)::int as late,
      count(*) filter (where t.status = 'open' and t.due_at >= ${now})::int as open,
      count(*) filter (where t.status = 'open' and t.due_at < ${now})::int as overdue,
      count(*) filter (where t.status = 'dismissed')::int as dismissed
    from tasks t
    join staff s on s.corp_id = t.corp_id and s.id = t.staff_id
    join org_units u on u.corp_id = t.corp_id and u.id = t.unit_id
    where t.corp_id = ${cdb.corpId} and t.due_at >= ${input.dueFrom} and t.due_at < ${input.dueTo}
      ${scope} ${unitFilter}
    group by ${key}
    order by name, key`.execute(cdb.db);
  const rate = (n: number, d: number) => (d === 0 ? null : Math.round((n / d) * 1000) / 1000);
  const total = { onTime: 0, late: 0, open: 0, overdue: 0, dismissed: 0 };
  const items = rows.map((r) => {
    const counted = r.on_time + r.late + r.open + r.overdue;
    total.onTime += r.on_time;
    total.late += r.late;
    total.open += r.open;
    total.overdue += r.overdue;
    total.dismissed += r.dismissed;
    return {
      id: Number(r.key),
      name: r.name,
      unitName: r.unit_name,
      onTime: r.on_time,
      late: r.late,
      open: r.open,
      overdue: r.overdue,
      dismissed: r.dismissed,
      completionRate: rate(r.on_time + r.late, counted),
      onTimeRate: rate(r.on_time, counted),
    };
  });
  const counted = total.onTime + total.late + total.open + total.overdue;
  return {
    by: input.by,
    items,
    total: {
      ...total,
      completionRate: rate(total.onTime + total.late, counted),
      onTimeRate: rate(total.onTime, counted),
    },
  };
}

/* ---------- done, dismissed ---------- */

async function lockOpen(ctx: Ctx, tx: Ctx['cdb'], id: number) {
  const task = await getTask(ctx, id); // 404 outside the caller's scope
  const row = await tx.db
    .selectFrom('tasks')
    .select(['status', 'staff_id', 'customer_id', 'kind', 'title', 'content_id'])
    .where('corp_id', '=', tx.corpId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (row.status !== 'open')
    throw new AppError('conflict', {
      zh: row.status === 'done' ? '该待办已完成' : '该待办已忽略',
      en: row.status === 'done' ? 'The task is already done' : 'The task was already dismissed',
    });
  return { task, row };
}

/**
 * The member marks their task done (only the member it is for). A send-script task with a customer takes
 * a touch of the customer's budget first: refused (409 with the reason and when it frees up) when the
 * budget has none, so that the message is sent later and the budget is never exceeded.
 */
export async function completeTask(ctx: Ctx, id: number, input: { note?: string }) {
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    const { task, row } = await lockOpen({ ...ctx, cdb: tx }, tx, id);
    // the route is open to every role: the task being someone else's is this task's precondition (409)
    if (!task.canComplete)
      throw new AppError('conflict', {
        zh: '只有待办的负责员工可以完成它',
        en: 'Only the member the task is for can complete it',
      });
    let touchId: string | null = null;
    if (row.kind === 'send_script' && row.customer_id !== null) {
      const touch = await reserveTaskTouch(
        { ...ctx, cdb: tx },
        {
          customerId: row.customer_id,
          staffId: row.staff_id,
          taskId: id,
          contentId: row.content_id,
          title: row.title,
          at: now,
        },
      );
      if (!touch.ok) {
        const why = REFUSAL[touch.reason];
        const when = touch.retryAt ? brandTime(touch.retryAt) : null;
        throw new AppError('conflict', {
          zh: `现在不能给该客户发送：${why.zh}${when ? `，请在 ${when}（品牌时间）之后发送再完成` : ''}`,
          en: `The customer cannot be messaged now: ${why.en}${when ? `; send after ${when} (brand time), then complete it` : ''}`,
        });
      }
      touchId = String(touch.touchId);
    }
    await tx.db
      .updateTable('tasks')
      .set({
        status: 'done',
        closed_at: now,
        closed_by: accountOf(ctx),
        close_note: input.note ?? '',
        touch_id: touchId,
      })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    if (row.customer_id !== null)
      await addTimeline(tx, [
        {
          customerId: row.customer_id,
          kind: 'task_done',
          at: now,
          staffId: row.staff_id,
          accountId: accountOf(ctx),
          summary: `完成待办：${row.title}`,
          data: {
            taskId: id,
            taskKind: row.kind,
            title: row.title,
            late: now.getTime() > new Date(task.dueAt).getTime(),
          },
        },
      ]);
  });
  return getTask(ctx, id);
}

/** The member, or a manager whose scope holds the task, dismisses it (with a reason). */
export async function dismissTask(ctx: Ctx, id: number, input: { reason: string }) {
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    const { task, row } = await lockOpen({ ...ctx, cdb: tx }, tx, id);
    if (!task.canDismiss)
      throw new AppError('conflict', {
        zh: '只有负责员工或其管理者可以忽略该待办',
        en: 'Only the member the task is for, or their manager, can dismiss it',
      });
    await tx.db
      .updateTable('tasks')
      .set({ status: 'dismissed', closed_at: now, closed_by: accountOf(ctx), close_note: input.reason })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    if (row.customer_id !== null)
      await addTimeline(tx, [
        {
          customerId: row.customer_id,
          kind: 'task_dismissed',
          at: now,
          staffId: row.staff_id,
          accountId: accountOf(ctx),
          summary: `忽略待办：${row.title}`,
          data: { taskId: id, taskKind: row.kind, title: row.title, reason: input.reason },
        },
      ]);
  });
  return getTask(ctx, id);
}
