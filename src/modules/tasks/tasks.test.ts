import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../demo/shift-clock.ts';
import { PASSWORD } from '../../testing/fixture.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { syncCtxOf } from '../context.ts';
import { createTask, REMINDER_JOB } from './index.ts';

/**
 * Staff tasks over HTTP against a real simulator on a shiftable clock: a manager gives a member a task for a
 * customer, the member is reminded once through message/send when the reminder is due (a missed one again,
 * never twice), completes or dismisses it; scope and input rules answer 4xx; completion rates per member
 * and store; the customer's timeline says it.
 */

// biome-ignore lint/suspicious/noExplicitAny: API answers are read field by field in tests
type Json = any;
const HOUR = 3600_000;
let t: Linked;
const clock = new ShiftableClock();
const sessions = new Map<string, { cookie: string; csrf: string }>();

beforeAll(async () => {
  // daytime in brand time (UTC+8), clear of the default quiet hours for the hours the tests move on
  const day = new Date();
  day.setUTCDate(day.getUTCDate() + 1);
  day.setUTCHours(2, 0, 0, 0);
  clock.shiftTo(day);
  t = await openLinked({ clock });
});
afterAll(() => t.close());

async function login(who: string) {
  let s = sessions.get(who);
  if (s) return s;
  const res = await fetch(`${t.siyuUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: `${who}@acme`, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${who}: ${res.status}`);
  const cookie = (res.headers.getSetCookie().find((c) => c.startsWith('siyu_session=')) ?? '').split(';')[0]!;
  s = { cookie, csrf: ((await res.json()) as Json).csrfToken };
  sessions.set(who, s);
  return s;
}

async function api(who: string, method: string, path: string, body?: unknown) {
  const s = await login(who);
  const res = await fetch(`${t.siyuUrl}/api/v1${path}`, {
    method,
    headers: {
      cookie: s.cookie,
      'x-csrf-token': s.csrf,
      'accept-language': 'en',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
}

const inHours = (h: number) => new Date(clock.now().getTime() + h * HOUR).toISOString();
const remindersOf = async (userid: string): Promise<Json[]> =>
  (await t.corp('GET', `/app-messages?userid=${userid}`)).messages;

/** The reminder job, then the outbox, as a worker would run them. */
async function remind() {
  await t.app.runtime.runJob(REMINDER_JOB);
  await t.settle();
}

describe('a manager’s task and its reminder', () => {
  let taskId: number;

  it('sh1 gives 张丽 a call for 王芳; it is on the timeline, its reminder scheduled two hours before due', async () => {
    const res = await api('sh1', 'POST', '/tasks', {
      staffId: t.fx.staff.sh1a,
      customerId: t.fx.customers.wang,
      kind: 'call',
      title: '回访新品口味',
      note: '问问她对杨枝甘露的看法',
      dueAt: inHours(5),
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      staffName: '张丽',
      customerName: '王芳',
      unitId: t.fx.units.sh1,
      kind: 'call',
      state: 'open',
      source: { kind: 'manual' },
      reminder: { state: 'scheduled' },
      canComplete: false,
      canDismiss: true,
    });
    expect(new Date(res.body.remindAt).getTime()).toBe(new Date(res.body.dueAt).getTime() - 2 * HOUR);
    taskId = res.body.id;

    const profile = await api('sh1', 'GET', `/customers/${t.fx.customers.wang}`);
    expect(profile.body.timeline[0]).toMatchObject({
      kind: 'task_created',
      text: { zh: '给 张丽 的待办（电话回访）：回访新品口味', en: 'Task for 张丽 (call): 回访新品口味' },
    });
  });

  it('nothing is sent before the reminder is due', async () => {
    await remind();
    expect(await remindersOf('sh1a')).toEqual([]);
  });

  it('when due, the member gets one app message through the outbox, and never a second', async () => {
    clock.shiftBy(3 * HOUR + 60_000);
    await remind();
    const got = await remindersOf('sh1a');
    expect(got).toHaveLength(1);
    expect(got[0].touser).toEqual(['sh1a']);
    const body = got[0].text?.content ?? `${got[0].textcard.title}\n${got[0].textcard.description}`;
    expect(body).toContain('回访新品口味');
    expect(body).toContain('王芳');
    const task = await api('sh1a', 'GET', `/tasks/${taskId}`);
    expect(task.body.reminder).toMatchObject({ state: 'sent', errcode: 0 });

    clock.shiftBy(HOUR);
    await remind();
    await remind();
    expect(await remindersOf('sh1a')).toHaveLength(1);
    expect(await remindersOf('sh1b')).toEqual([]);
  });

  it('the member sees it in their own list and completes it on time, once', async () => {
    const mine = await api('sh1a', 'GET', '/tasks');
    expect(mine.body.items.map((i: Json) => i.id)).toEqual([taskId]);
    expect(mine.body.items[0]).toMatchObject({ canComplete: true, state: 'open' });
    const done = await api('sh1a', 'POST', `/tasks/${taskId}/complete`, { note: '她喜欢，想要少糖' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'done', state: 'done_on_time', closeNote: '她喜欢，想要少糖' });
    const again = await api('sh1a', 'POST', `/tasks/${taskId}/complete`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.message).toBe('The task is already done');
    const profile = await api('sh1', 'GET', `/customers/${t.fx.customers.wang}`);
    expect(profile.body.timeline[0].text.zh).toBe('张丽 完成了待办：回访新品口味');
  });
});

describe('a reminder WeCom never got is sent again; one that may have reached it is not', () => {
  const outboxOf = async (taskId: number) => {
    const row = await t.database.db
      .selectFrom('tasks')
      .select(['reminder_outbox_id', 'reminder_rounds'])
      .where('corp_id', '=', 'acme')
      .where('id', '=', taskId)
      .executeTakeFirstOrThrow();
    return row;
  };

  it('a failed round (retries used up on a network error) is queued again; an unknown one is left', async () => {
    const make = async (title: string) =>
      (
        await api('sh1', 'POST', '/tasks', {
          staffId: t.fx.staff.sh1b,
          customerId: t.fx.customers.li,
          kind: 'send_script',
          title,
          dueAt: inHours(1),
          remindAt: null,
        })
      ).body.id as number;
    const lost = await make('发送新品话术');
    const maybe = await make('发送会员日话术');
    // each had its first reminder queued: one failed for good on network errors, the other's worker died
    // after sending (WeCom may have it)
    for (const [id, status] of [
      [lost, 'failed'],
      [maybe, 'unknown'],
    ] as const) {
      const row = await t.database.db
        .insertInto('wecom_outbox')
        .values({
          corp_id: 'acme',
          idem_key: `task-reminder:${id}:1`,
          lane: 'normal',
          kind: '/cgi-bin/message/send',
          request: JSON.stringify({}),
          status,
          attempts: 6,
          next_attempt_at: clock.now(),
          created_at: clock.now(),
          done_at: clock.now(),
          last_error: status === 'failed' ? 'network: ECONNRESET' : 'outcome lost',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await t.database.db
        .updateTable('tasks')
        .set({
          remind_at: clock.now(),
          reminder_outbox_id: row.id,
          reminder_rounds: 1,
          reminder_queued_at: clock.now(),
        })
        .where('corp_id', '=', 'acme')
        .where('id', '=', id)
        .execute();
    }

    await remind();
    expect((await outboxOf(lost)).reminder_rounds).toBe(2);
    expect((await outboxOf(maybe)).reminder_rounds).toBe(1);
    const got = await remindersOf('sh1b');
    expect(got).toHaveLength(1);
    expect(JSON.stringify(got[0])).toContain('发送新品话术');
    expect((await api('sh1', 'GET', `/tasks/${lost}`)).body.reminder.state).toBe('sent');
    expect((await api('sh1', 'GET', `/tasks/${maybe}`)).body.reminder.state).toBe('unknown');
    await remind();
    expect(await remindersOf('sh1b')).toHaveLength(1);
  });
});

describe('scope and input', () => {
  const base = () => ({
    staffId: t.fx.staff.sh1a,
    customerId: t.fx.customers.wang,
    kind: 'call',
    title: '回访',
    dueAt: inHours(24),
  });

  it('a store manager gives tasks only to her store’s staff, for customers she sees and they follow', async () => {
    const other = await api('sh1', 'POST', '/tasks', { ...base(), staffId: t.fx.staff.gz1a });
    expect(other.status).toBe(403);
    expect(other.body.error.message).toBe(`Staff ${t.fx.staff.gz1a} is outside your scope`);
    const unseen = await api('sh1', 'POST', '/tasks', { ...base(), customerId: t.fx.customers.zhao });
    expect(unseen.status).toBe(404);
    const notTheirs = await api('sh1', 'POST', '/tasks', { ...base(), customerId: t.fx.customers.li });
    expect(notTheirs.status).toBe(400);
    expect(notTheirs.body.error.message).toBe(
      '张丽 does not follow this customer: the task cannot be theirs',
    );
    // the region manager over both stores may
    expect(
      (
        await api('east', 'POST', '/tasks', {
          ...base(),
          staffId: t.fx.staff.sh1b,
          customerId: t.fx.customers.li,
        })
      ).status,
    ).toBe(201);
  });

  it('front-line staff cannot create tasks; bad input is a 400 naming the field', async () => {
    expect((await api('sh1a', 'POST', '/tasks', base())).status).toBe(403);
    const noTitle = await api('sh1', 'POST', '/tasks', { ...base(), title: '  ' });
    expect(noTitle.status).toBe(400);
    expect(noTitle.body.error.message).toMatch(/title/);
    expect((await api('sh1', 'POST', '/tasks', { ...base(), kind: 'sing' })).status).toBe(400);
    expect((await api('sh1', 'POST', '/tasks', { ...base(), dueAt: 'tomorrow' })).status).toBe(400);
    expect((await api('sh1', 'POST', '/tasks', { ...base(), extra: 1 })).status).toBe(400);
    const noCustomer = await api('sh1', 'POST', '/tasks', { ...base(), customerId: null });
    expect(noCustomer.status).toBe(400);
    expect(noCustomer.body.error.message).toBe('A “Call” task needs a customer');
    const late = await api('sh1', 'POST', '/tasks', { ...base(), remindAt: inHours(25) });
    expect(late.status).toBe(400);
    expect((await api('sh1', 'GET', '/tasks?state=later')).status).toBe(400);
  });

  it('a member sees and completes only their own; another store’s manager sees nothing of it', async () => {
    const forB = await api('sh1', 'POST', '/tasks', {
      staffId: t.fx.staff.sh1b,
      kind: 'custom',
      title: '整理会员群公告',
      dueAt: inHours(8),
    });
    expect(forB.status).toBe(201);
    const id = forB.body.id;
    expect((await api('sh1a', 'GET', `/tasks/${id}`)).status).toBe(404);
    expect((await api('sh1a', 'POST', `/tasks/${id}/complete`, {})).status).toBe(404);
    expect((await api('sh1a', 'POST', `/tasks/${id}/dismiss`, { reason: 'x' })).status).toBe(404);
    expect((await api('sh1a', 'GET', `/tasks?staffId=${t.fx.staff.sh1b}`)).status).toBe(403);
    expect((await api('gz1', 'GET', `/tasks/${id}`)).status).toBe(404);
    expect((await api('gz1', 'GET', `/tasks?unitId=${t.fx.units.sh1}`)).status).toBe(403);
    const mine = await api('sh1a', 'GET', '/tasks?state=all');
    expect(mine.body.items.every((i: Json) => i.staffId === t.fx.staff.sh1a)).toBe(true);
    // the manager cannot complete it for sh1b, but may dismiss it, with a reason
    expect((await api('sh1', 'POST', `/tasks/${id}/complete`, {})).status).toBe(409);
    expect((await api('sh1', 'POST', `/tasks/${id}/dismiss`, {})).status).toBe(400);
    const dismissed = await api('sh1', 'POST', `/tasks/${id}/dismiss`, { reason: '公告已由总部统一发布' });
    expect(dismissed.body).toMatchObject({ status: 'dismissed', state: 'dismissed' });
  });
});

describe('tasks by code, and completion rates', () => {
  it('createTask with an idempotency key makes one task; a journey is its source', async () => {
    const ctx = syncCtxOf(t.app.runtime.deps, 'acme');
    const input = {
      staffId: t.fx.staff.gz1a,
      customerId: t.fx.customers.zhao,
      kind: 'birthday_care' as const,
      title: '生日关怀：送生日券',
      dueAt: new Date(clock.now().getTime() + 48 * HOUR),
      source: { kind: 'journey' as const, journeyId: 'j-birthday', stepId: 'care' },
      idempotencyKey: 'journey:j-birthday:enrol-1:care',
    };
    const a = await createTask(ctx, input);
    const b = await createTask(ctx, input);
    expect(b).toBe(a);
    const task = await api('gz1', 'GET', `/tasks/${a}`);
    expect(task.body).toMatchObject({ source: { kind: 'journey', journeyId: 'j-birthday', stepId: 'care' } });
    const n = await t.database.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('source_key', '=', input.idempotencyKey)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });

  it('counts on time, late, open and overdue per member and per store', async () => {
    // 张丽: one done on time (above); one done late; one overdue; one open
    const mk = async (title: string, dueH: number) =>
      (
        await api('sh1', 'POST', '/tasks', {
          staffId: t.fx.staff.sh1a,
          customerId: t.fx.customers.wang,
          kind: 'invite_group',
          title,
          dueAt: inHours(dueH),
          remindAt: null,
        })
      ).body.id as number;
    const late = await mk('邀请入会员群', 1);
    const overdue = await mk('邀请入新品群', 2);
    await mk('邀请入生日群', 100);
    clock.shiftBy(3 * HOUR);
    expect((await api('sh1a', 'POST', `/tasks/${late}/complete`, {})).body.state).toBe('done_late');
    expect((await api('sh1a', 'GET', `/tasks/${overdue}`)).body.state).toBe('overdue');
    const overdueList = await api('sh1a', 'GET', '/tasks?state=overdue');
    expect(overdueList.body.items.map((i: Json) => i.id)).toEqual([overdue]);

    const window = `dueFrom=${encodeURIComponent(inHours(-72))}&dueTo=${encodeURIComponent(inHours(200))}`;
    const byStaff = await api('sh1', 'GET', `/tasks/stats?by=staff&${window}`);
    expect(byStaff.status).toBe(200);
    const zhang = byStaff.body.items.find((i: Json) => i.id === t.fx.staff.sh1a);
    expect(zhang).toMatchObject({
      onTime: 1,
      late: 1,
      overdue: 1,
      open: 1,
      completionRate: 0.5,
      onTimeRate: 0.25,
    });
    expect(byStaff.body.items.every((i: Json) => i.unitName === '上海一店')).toBe(true);

    const byStore = await api('east', 'GET', `/tasks/stats?by=store&${window}`);
    expect(byStore.body.items.map((i: Json) => i.name)).toEqual(['上海一店']);
    expect(byStore.body.items[0].dismissed).toBe(1);
    // the front-line member's own rates only
    const own = await api('sh1a', 'GET', `/tasks/stats?${window}`);
    expect(own.body.items.map((i: Json) => i.id)).toEqual([t.fx.staff.sh1a]);
    expect((await api('gz1', 'GET', `/tasks/stats?by=store&unitId=${t.fx.units.sh1}`)).status).toBe(403);
  });
});

describe('a send-script task takes a touch of the customer’s budget when done', () => {
  const script = async (title: string) =>
    (
      await api('sh1', 'POST', '/tasks', {
        staffId: t.fx.staff.sh1a,
        customerId: t.fx.customers.wang,
        kind: 'send_script',
        title,
        contentId: '42',
        dueAt: inHours(4),
        remindAt: null,
      })
    ).body.id as number;

  it('records the touch on the customer’s timeline; a second within the budget’s window is refused, still open', async () => {
    const first = await script('发送秋季新品话术');
    const done = await api('sh1a', 'POST', `/tasks/${first}/complete`, {});
    expect(done.status).toBe(200);
    expect(done.body.touchId).toMatch(/^\d+$/);
    const touch = await t.database.db
      .selectFrom('touches')
      .select(['source_kind', 'source_id', 'staff_id', 'content_id'])
      .where('corp_id', '=', 'acme')
      .where('id', '=', Number(done.body.touchId))
      .executeTakeFirstOrThrow();
    expect(touch).toEqual({
      source_kind: 'task',
      source_id: String(first),
      staff_id: t.fx.staff.sh1a,
      content_id: 42,
    });
    const profile = await api('sh1', 'GET', `/customers/${t.fx.customers.wang}`);
    expect(profile.body.timeline.map((e: Json) => e.kind).slice(0, 2)).toEqual(['task_done', 'touch']);

    const second = await script('发送会员日话术');
    const refused = await api('sh1a', 'POST', `/tasks/${second}/complete`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(
      /^The customer cannot be messaged now: their touch budget is used up; send after \d{4}-\d\d-\d\d \d\d:\d\d \(brand time\), then complete it$/,
    );
    expect((await api('sh1a', 'GET', `/tasks/${second}`)).body).toMatchObject({
      status: 'open',
      touchId: null,
    });
  });
});
