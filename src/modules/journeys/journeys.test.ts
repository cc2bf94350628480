import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock.ts';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { type SyncCtx, syncCtxOf } from '../context.ts';
import type { ChannelAttributed } from '../events.ts';
import { advanceDue, enrol, versionGraph } from './engine.ts';
import { onChannelAttributed, onTagsChanged } from './triggers.ts';

let t: TestApp;
const as: Record<string, TestSession> = {};
// 10:00 in Shanghai: outside quiet hours
const clock = new ManualClock(new Date('2026-07-01T02:00:00Z'));
beforeAll(async () => {
  t = await openTestApp();
  for (const [k, login] of Object.entries(t.fx.logins)) as[k] = await t.login(login);
});
afterAll(() => t.close());

const call = (who: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
  t.app.inject({
    method,
    url,
    headers: { cookie: as[who]!.cookie, 'x-csrf-token': as[who]!.csrfToken },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

const deps = () => ({ ...t.app.runtime.deps, clock });
const ctx = (): SyncCtx => syncCtxOf(deps(), 'acme');
const advance = () => advanceDue(deps(), { concurrency: 1 });

function added(customerId: number, staffId: number, addedAt = '2026-07-01T02:00:00.000Z'): ChannelAttributed {
  return {
    type: 'ChannelAttributed',
    customerId,
    channelId: 1,
    channelName: '台卡',
    codeId: 1,
    method: 'table_card',
    scene: '收银台',
    staffId,
    userid: 'x',
    addedAt,
  };
}

const simple = (text: string) => ({
  trigger: { kind: 'channel_add' },
  start: 'hello',
  nodes: [
    { id: 'hello', kind: 'send', text, next: 'wait' },
    { id: 'wait', kind: 'wait', wait: { days: 1 }, next: 'tag' },
    { id: 'tag', kind: 'tag', add: [t.fx.tags.vip] },
  ],
});

async function enrolments(journeyId: number) {
  return t.database.db
    .selectFrom('journey_enrolments')
    .select(['customer_id', 'version', 'node', 'status', 'steps', 'exit_reason', 'occurrence'])
    .where('corp_id', '=', 'acme')
    .where('journey_id', '=', journeyId)
    .orderBy('id')
    .execute();
}

describe('bad input', () => {
  it('names the bad node or edge (400)', async () => {
    const bad = async (graph: unknown) => {
      const res = await call('admin', 'POST', '/api/v1/journeys', { name: '坏的', graph });
      expect(res.statusCode).toBe(400);
      return res.json().error.message as string;
    };
    expect(
      await bad({ trigger: { kind: 'first_order' }, start: 'a', nodes: [{ id: 'a', kind: 'fly' }] }),
    ).toContain('node a: unknown node kind "fly"');
    expect(
      await bad({
        trigger: { kind: 'first_order' },
        start: 'a',
        nodes: [{ id: 'a', kind: 'send', text: 'x', next: 'b' }],
      }),
    ).toContain('edge a.next → "b" leads to no node');
    expect(
      await bad({
        trigger: { kind: 'first_order' },
        start: 'a',
        nodes: [
          { id: 'a', kind: 'send', text: 'x', next: 'b' },
          { id: 'b', kind: 'split', arms: [{ percent: 50, next: 'a' }, { percent: 50 }] },
        ],
      }),
    ).toContain('the cycle a → b → a has no wait on it');
    expect(await bad({ trigger: { kind: 'first_order' }, start: 'a', nodes: [] })).toContain('nodes');
  });

  it('checks a graph for the canvas: each problem names its node, nothing saved', async () => {
    const res = await call('admin', 'POST', '/api/v1/journey-graph/check', {
      graph: {
        trigger: { kind: 'first_order' },
        start: 'a',
        nodes: [
          { id: 'a', kind: 'send', text: 'x', next: 'b' },
          { id: 'b', kind: 'split', arms: [{ percent: 60 }, { percent: 30 }] },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      ok: false,
      issues: [{ node: 'b', message: "the split's arms add up to 90%, not 100%" }],
    });
    const good = await call('admin', 'POST', '/api/v1/journey-graph/check', { graph: simple('x') });
    expect(good.json()).toEqual({ ok: true, issues: [] });
    const staff = await call('sh1a', 'POST', '/api/v1/journey-graph/check', { graph: simple('x') });
    expect(staff.statusCode).toBe(403);
  });

  it('refuses tags that do not exist or that the caller may not see, and staff', async () => {
    const graph = simple('x');
    (graph.nodes[2] as { add: number[] }).add = [999_999];
    const missing = await call('admin', 'POST', '/api/v1/journeys', { name: '缺标签', graph });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.message).toContain('999999');
    (graph.nodes[2] as { add: number[] }).add = [t.fx.tags.fruit]; // an 运营 tag: not a store's to name
    const staff = await call('sh1a', 'POST', '/api/v1/journeys', { name: '导购', graph: simple('x') });
    expect(staff.statusCode).toBe(403);
  });

  it('answers 404 for a journey out of sight and 409 for a move that cannot be', async () => {
    expect((await call('admin', 'GET', '/api/v1/journeys/999999')).statusCode).toBe(404);
    const { id } = (
      await call('admin', 'POST', '/api/v1/journeys', { name: '状态', graph: simple('x') })
    ).json();
    await call('admin', 'POST', `/api/v1/journeys/${id}/status`, { status: 'archived' });
    const res = await call('admin', 'POST', `/api/v1/journeys/${id}/status`, { status: 'active' });
    expect(res.statusCode).toBe(409);
  });
});

describe('enrolment and steps', () => {
  let journeyId: number;
  beforeAll(async () => {
    const res = await call('admin', 'POST', '/api/v1/journeys', {
      name: '欢迎',
      graph: simple('你好{{name}}'),
    });
    expect(res.statusCode).toBe(201);
    journeyId = res.json().id;
    expect(res.json()).toMatchObject({ status: 'draft', currentVersion: 1 });
    await call('admin', 'POST', `/api/v1/journeys/${journeyId}/status`, { status: 'active' });
  });

  it('enrols a customer once however often the trigger is seen', async () => {
    await onChannelAttributed(ctx(), [added(t.fx.customers.li, t.fx.staff.sh1b)]);
    await onChannelAttributed(ctx(), [
      added(t.fx.customers.li, t.fx.staff.sh1b),
      added(t.fx.customers.li, t.fx.staff.sh1b, '2026-07-01T03:00:00.000Z'),
    ]);
    const rows = await enrolments(journeyId);
    expect(rows).toEqual([
      {
        customer_id: t.fx.customers.li,
        version: 1,
        node: 'hello',
        status: 'active',
        steps: 0,
        exit_reason: null,
        occurrence: '',
      },
    ]);
  });

  it('sends through the customer’s staff, waits, then tags — each step once', async () => {
    expect(await advance()).toBe(1);
    const sent = await t.database.db
      .selectFrom('wecom_outbox')
      .select(['kind', 'request', 'idem_key'])
      .where('corp_id', '=', 'acme')
      .where('idem_key', 'like', 'journey:%')
      .execute();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.kind).toBe('/cgi-bin/externalcontact/add_msg_template');
    expect(sent[0]!.request).toEqual({
      chat_type: 'single',
      external_userid: ['wm_li'],
      sender: 'sh1b',
      text: { content: '你好李娜' },
    });
    expect(await advance()).toBe(0); // waiting a day
    expect((await enrolments(journeyId))[0]).toMatchObject({ node: 'wait', steps: 1 });
    clock.advance(86_400_000);
    expect(await advance()).toBe(2); // the wait, then the tag
    expect((await enrolments(journeyId))[0]).toMatchObject({ status: 'done', steps: 3 });
    const tags = await t.database.db
      .selectFrom('customer_tags')
      .select('tag_id')
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', t.fx.customers.li)
      .execute();
    expect(tags.map((x) => x.tag_id)).toContain(t.fx.tags.vip);
    const timeline = await t.database.db
      .selectFrom('customer_events')
      .select('summary')
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', t.fx.customers.li)
      .where('kind', '=', 'tag_added')
      .execute();
    expect(timeline.map((e) => e.summary)).toContain('打上标签「VIP」（客户旅程「欢迎」）');
    const counts = (await call('admin', 'GET', `/api/v1/journeys/${journeyId}`)).json().counts;
    expect(counts).toEqual([
      {
        node: 'hello',
        entered: 1,
        waiting: 0,
        done: 1,
        exited: 0,
        outcome: expect.objectContaining({ messages: 1, replied: 0 }),
      },
      { node: 'wait', entered: 1, waiting: 0, done: 1, exited: 0, outcome: null },
      { node: 'tag', entered: 1, waiting: 0, done: 1, exited: 0, outcome: null },
    ]);
  });

  it('defers a send in quiet hours to their end, nothing dropped', async () => {
    clock.set(new Date('2026-07-02T14:00:00Z')); // 22:00 in Shanghai
    await onChannelAttributed(ctx(), [added(t.fx.customers.wang, t.fx.staff.sh1a)]);
    expect(await advance()).toBe(1); // deferred: no step, the enrolment waits
    const [row] = await t.database.db
      .selectFrom('journey_enrolments')
      .select(['node', 'due_at', 'deferrals', 'steps'])
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', t.fx.customers.wang)
      .where('journey_id', '=', journeyId)
      .execute();
    expect(row).toMatchObject({ node: 'hello', deferrals: 1, steps: 0 });
    expect(row!.due_at.toISOString()).toBe('2026-07-03T01:00:00.000Z'); // 09:00 in Shanghai
    clock.set(new Date('2026-07-03T01:00:00Z'));
    expect(await advance()).toBe(1);
    expect((await enrolments(journeyId)).find((e) => e.customer_id === t.fx.customers.wang)).toMatchObject({
      node: 'wait',
      steps: 1,
    });
  });

  it('makes a new version when a running journey is edited; enrolments finish on theirs', async () => {
    const res = await call('admin', 'PUT', `/api/v1/journeys/${journeyId}`, {
      graph: simple('新版本{{name}}'),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().currentVersion).toBe(2);
    expect(res.json().versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    await onChannelAttributed(ctx(), [added(t.fx.customers.both, t.fx.staff.sh2a)]);
    const rows = await enrolments(journeyId);
    expect(rows.find((e) => e.customer_id === t.fx.customers.both)).toMatchObject({ version: 2 });
    // wang is still on version 1's wait, and goes on to version 1's tag step
    clock.advance(86_400_000);
    await advance();
    const after = await enrolments(journeyId);
    expect(after.find((e) => e.customer_id === t.fx.customers.wang)).toMatchObject({
      version: 1,
      status: 'done',
    });
    const texts = await t.database.db
      .selectFrom('wecom_outbox')
      .select('request')
      .where('corp_id', '=', 'acme')
      .where('idem_key', 'like', 'journey:%')
      .orderBy('id')
      .execute();
    expect(texts.map((r) => (r.request as { text: { content: string } }).text.content)).toEqual([
      '你好李娜',
      '你好王芳',
      '新版本孙悦',
    ]);
    // an unused draft version is changed in place
    const draft = (
      await call('admin', 'POST', '/api/v1/journeys', { name: '草稿', graph: simple('a') })
    ).json();
    const edited = (
      await call('admin', 'PUT', `/api/v1/journeys/${draft.id}`, { graph: simple('b') })
    ).json();
    expect(edited.currentVersion).toBe(1);
  });

  it('shows one customer’s path in a dry run, writing nothing', async () => {
    const before = await t.database.db.selectFrom('wecom_outbox').select('id').execute();
    const res = await call('admin', 'POST', `/api/v1/journeys/${journeyId}/dry-run`, {
      customerId: t.fx.customers.zhao,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().path.map((p: { node: string }) => p.node)).toEqual(['hello', 'wait', 'tag']);
    expect(res.json().path[0].outcome).toMatchObject({
      userid: 'gz1a',
      message: { text: { content: '新版本赵磊' } },
    });
    expect(res.json().end).toBe('end');
    expect(await t.database.db.selectFrom('wecom_outbox').select('id').execute()).toHaveLength(before.length);
  });
});

describe('the touch budget', () => {
  it('defers a second send within the window until it opens, then sends it', async () => {
    clock.set(new Date('2026-07-10T02:00:00Z')); // 10:00 in Shanghai
    await advance(); // the earlier journeys' customers, first
    const graph = {
      trigger: { kind: 'tag_added', tagIds: [t.fx.tags.vip] },
      start: 'one',
      nodes: [
        { id: 'one', kind: 'send', text: '第一条', next: 'two' },
        { id: 'two', kind: 'send', text: '第二条' },
      ],
    };
    const { id } = (await call('admin', 'POST', '/api/v1/journeys', { name: '连发', graph })).json();
    await call('admin', 'POST', `/api/v1/journeys/${id}/status`, { status: 'active' });
    await onTagsChanged(ctx(), [
      {
        type: 'TagsChanged',
        customerId: t.fx.customers.hqonly,
        added: [{ id: t.fx.tags.vip, name: 'VIP' }],
        removed: [],
        cause: { source: 'wecom' },
        staffId: t.fx.staff.ops,
        at: '2026-07-10T02:00:00.000Z',
      },
    ]);
    expect(await advance()).toBe(2); // the first send, then the second deferred
    const [row] = await t.database.db
      .selectFrom('journey_enrolments')
      .select(['node', 'due_at', 'deferrals', 'status'])
      .where('corp_id', '=', 'acme')
      .where('journey_id', '=', id)
      .execute();
    expect(row).toMatchObject({ node: 'two', deferrals: 1, status: 'active' });
    // the default budget: one message per customer per 48 hours
    expect(row!.due_at.getTime()).toBe(new Date('2026-07-12T02:00:00Z').getTime());
    clock.set(row!.due_at);
    expect(await advance()).toBe(1);
    const touches = await t.database.db
      .selectFrom('touches')
      .select(['source_kind', 'staff_id'])
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', t.fx.customers.hqonly)
      .execute();
    expect(touches).toEqual([
      { source_kind: 'journey', staff_id: t.fx.staff.ops },
      { source_kind: 'journey', staff_id: t.fx.staff.ops },
    ]);
  });
});

describe('library content and staff tasks', () => {
  it('sends a library item with its variables, counts its use, and gives the staff member a task once', async () => {
    clock.set(new Date('2026-07-20T02:00:00Z'));
    await advance();
    const item = await call('admin', 'POST', '/api/v1/content', {
      kind: 'trust',
      title: '原料故事',
      text: '{{customer_name}}，我是{{staff_name}}，给你讲讲我们的茶园',
    });
    expect(item.statusCode).toBe(201);
    const contentId = item.json().id;
    const bad = await call('admin', 'POST', '/api/v1/journeys', {
      name: '缺素材',
      graph: {
        trigger: { kind: 'member_joined' },
        start: 'a',
        nodes: [{ id: 'a', kind: 'send', contentId: 999_999 }],
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('999999');
    const graph = {
      trigger: { kind: 'tag_removed', tagIds: [t.fx.tags.vip] },
      start: 'story',
      nodes: [
        { id: 'story', kind: 'send', contentId, next: 'call' },
        { id: 'call', kind: 'task', taskKind: 'call', title: '回访：听听对茶园故事的反馈', dueInHours: 24 },
      ],
    };
    const { id } = (await call('admin', 'POST', '/api/v1/journeys', { name: '讲故事', graph })).json();
    await call('admin', 'POST', `/api/v1/journeys/${id}/status`, { status: 'active' });
    await onTagsChanged(ctx(), [
      {
        type: 'TagsChanged',
        customerId: t.fx.customers.zhao,
        added: [],
        removed: [{ id: t.fx.tags.vip, name: 'VIP' }],
        cause: { source: 'wecom' },
        staffId: t.fx.staff.gz1a,
        at: '2026-07-20T02:00:00.000Z',
      },
    ]);
    expect(await advance()).toBe(2);
    const [sent] = await t.database.db
      .selectFrom('wecom_outbox')
      .select('request')
      .where('corp_id', '=', 'acme')
      .where('idem_key', 'like', 'journey:%')
      .orderBy('id', 'desc')
      .limit(1)
      .execute();
    expect((sent!.request as { text: { content: string } }).text.content).toBe(
      '赵磊，我是黄敏，给你讲讲我们的茶园',
    );
    const uses = await t.database.db
      .selectFrom('content_uses')
      .select(['customer_id'])
      .where('corp_id', '=', 'acme')
      .where('content_id', '=', contentId)
      .execute();
    expect(uses).toEqual([{ customer_id: t.fx.customers.zhao }]);
    const tasks = await t.database.db
      .selectFrom('tasks')
      .select(['staff_id', 'customer_id', 'kind', 'title'])
      .where('corp_id', '=', 'acme')
      .execute();
    expect(tasks).toEqual([
      {
        staff_id: t.fx.staff.gz1a,
        customer_id: t.fx.customers.zhao,
        kind: 'call',
        title: '回访：听听对茶园故事的反馈',
      },
    ]);
  });
});

describe('org scope', () => {
  it('a store manager sees HQ’s journeys (read-only) and counts only their customers', async () => {
    const list = (await call('sh1', 'GET', '/api/v1/journeys')).json().items;
    const hqJourney = list.find((j: { name: string }) => j.name === '欢迎');
    expect(hqJourney).toMatchObject({ editable: false });
    // li and wang are sh1's; both (sh2) and zhao (gz1) are not
    expect(hqJourney.done + hqJourney.active + hqJourney.exited).toBe(2);
    const put = await call('sh1', 'PUT', `/api/v1/journeys/${hqJourney.id}`, { name: '改名' });
    expect(put.statusCode).toBe(403);
    const dry = await call('sh1', 'POST', `/api/v1/journeys/${hqJourney.id}/dry-run`, {
      customerId: t.fx.customers.zhao,
    });
    expect(dry.statusCode).toBe(404);
  });

  it('a store’s journey enrols only the store’s customers; other stores do not see it', async () => {
    const res = await call('sh1', 'POST', '/api/v1/journeys', { name: '一店欢迎', graph: simple('一店') });
    expect(res.statusCode).toBe(201);
    const { id } = res.json();
    expect(
      (await call('sh1', 'POST', `/api/v1/journeys/${id}/status`, { status: 'active' })).statusCode,
    ).toBe(200);
    expect((await call('gz1', 'GET', `/api/v1/journeys/${id}`)).statusCode).toBe(404);
    expect((await call('east', 'GET', `/api/v1/journeys/${id}`)).json().editable).toBe(true);
    await onChannelAttributed(ctx(), [
      added(t.fx.customers.zhao, t.fx.staff.gz1a, '2026-07-05T00:00:00.000Z'),
      added(t.fx.customers.wang, t.fx.staff.sh1a, '2026-07-05T00:00:00.000Z'),
    ]);
    expect((await enrolments(id)).map((e) => e.customer_id)).toEqual([t.fx.customers.wang]);
  });
});

describe('notify the manager', () => {
  it('gives the nearest manager with a WeCom account a task, reminded at once; a dry run gives none', async () => {
    // sh1's manager is a WeCom member too
    const { id: managerStaff } = await t.database.db
      .insertInto('staff')
      .values({
        corp_id: 'acme',
        userid: 'sh1boss',
        name: '店长周',
        unit_id: t.fx.units.sh1,
        persona: 'sales',
        persona_name: null,
        journey_role: 'store_staff',
        title: '店长',
        mobile_masked: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await t.database.db
      .updateTable('accounts')
      .set({ staff_id: managerStaff })
      .where('corp_id', '=', 'acme')
      .where('username', '=', 'sh1')
      .execute();
    const res = await call('admin', 'POST', '/api/v1/journeys', {
      name: '高价值客户提醒',
      graph: {
        trigger: { kind: 'tag_added', tagIds: [t.fx.tags.fruit] },
        start: 'tell',
        nodes: [
          { id: 'tell', kind: 'notify', label: '提醒店长', text: '高价值客户刚打上果茶标签，请安排回访' },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { id } = res.json();
    await call('admin', 'POST', `/api/v1/journeys/${id}/status`, { status: 'active' });

    const dry = await call('admin', 'POST', `/api/v1/journeys/${id}/dry-run`, {
      customerId: t.fx.customers.li,
    });
    expect(dry.json().path[0]).toMatchObject({
      kind: 'notify',
      outcome: { managerStaffId: managerStaff, taskId: null, unitId: t.fx.units.sh1 },
    });
    const tasksFor = () =>
      t.database.db
        .selectFrom('tasks')
        .select(['staff_id', 'customer_id', 'kind', 'title', 'note', 'remind_at', 'source_key'])
        .where('corp_id', '=', 'acme')
        .where('staff_id', '=', managerStaff)
        .execute();
    expect(await tasksFor()).toEqual([]);

    await onTagsChanged(ctx(), [
      {
        type: 'TagsChanged',
        customerId: t.fx.customers.li,
        added: [{ id: t.fx.tags.fruit, name: '果茶' }],
        removed: [],
        cause: { source: 'wecom' },
        staffId: t.fx.staff.sh1b,
        at: clock.now().toISOString(),
      },
    ]);
    await advance();
    await advance();
    const tasks = await tasksFor();
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      customer_id: t.fx.customers.li,
      kind: 'custom',
      title: '高价值客户提醒 · 提醒店长',
      note: '高价值客户刚打上果茶标签，请安排回访',
    });
    expect(tasks[0]!.remind_at!.getTime()).toBeLessThanOrEqual(clock.now().getTime());
    const steps = await t.database.db
      .selectFrom('journey_steps')
      .select('outcome')
      .where('corp_id', '=', 'acme')
      .where('journey_id', '=', id)
      .execute();
    expect(steps).toHaveLength(1);
  });
});

describe('batches', () => {
  it('a step that fails is rolled back alone: the others of its batch are done, it is retried later', async () => {
    const res = await call('admin', 'POST', '/api/v1/journeys', {
      name: '批量',
      graph: { trigger: { kind: 'member_joined' }, start: 'bye', nodes: [{ id: 'bye', kind: 'exit' }] },
    });
    const { id } = res.json();
    await call('admin', 'POST', `/api/v1/journeys/${id}/status`, { status: 'active' });
    const graph = await versionGraph(ctx(), id, 1);
    const now = clock.now();
    const journey = { id, unitId: t.fx.units.hq, version: 1, graph };
    const customers = [t.fx.customers.li, t.fx.customers.wang];
    expect(
      await enrol(
        ctx(),
        journey,
        customers.map((c) => ({ customerId: c, occurrence: '' })),
        now,
      ),
    ).toBe(2);
    const [bad, good] = await Promise.all(
      customers.map((c) =>
        t.database.db
          .selectFrom('journey_enrolments')
          .select('id')
          .where('corp_id', '=', 'acme')
          .where('journey_id', '=', id)
          .where('customer_id', '=', c)
          .executeTakeFirstOrThrow(),
      ),
    );
    // li's step is already written (as if by a step whose enrolment did not move on): writing it again fails
    await t.database.db
      .insertInto('journey_steps')
      .values({
        corp_id: 'acme',
        enrolment_id: bad!.id,
        seq: 0,
        journey_id: id,
        version: 1,
        node: 'bye',
        kind: 'exit',
        outcome: '{}',
        due_at: now,
        done_at: now,
      })
      .execute();
    expect(await advance()).toBe(2); // both in one batch: one done, one failed
    const rows = await t.database.db
      .selectFrom('journey_enrolments')
      .select(['id', 'status', 'steps', 'failures', 'last_error'])
      .where('corp_id', '=', 'acme')
      .where('journey_id', '=', id)
      .execute();
    expect(rows.find((r) => r.id === good!.id)).toMatchObject({ status: 'done', steps: 1, failures: 0 });
    expect(rows.find((r) => r.id === bad!.id)).toMatchObject({ status: 'active', steps: 0, failures: 1 });
    expect(rows.find((r) => r.id === bad!.id)!.last_error).toContain('journey_steps');
    const steps = await t.database.db
      .selectFrom('journey_steps')
      .select('enrolment_id')
      .where('corp_id', '=', 'acme')
      .where('journey_id', '=', id)
      .execute();
    expect(steps.map((s) => s.enrolment_id).sort()).toEqual([bad!.id, good!.id].sort());
  });
});
