import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock.ts';
import { ManualClock as SimClock } from '../../simulator/clock.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { simulatedArchive } from '../../wecom/archive.ts';
import { syncCtxOf } from '../context.ts';
import { ingestOrders } from '../orders/index.ts';
import { MASS_SEND_JOB } from './mass-sends.ts';
import { ARCHIVE_JOB, readArchive } from './replies.ts';
import { markReplies } from './touches.ts';

/**
 * Mass sends end to end through the real simulator over HTTP, on clocks the test moves: one copy per
 * customer through one sender, one add_msg_template per sender, the member's confirmation, WeCom's results
 * per customer (sent, not a friend), per-staff confirmation, reminders (3 per 24 h), cancel, deferral of
 * capped customers until their slot frees, orders credited to the send, the coupon guard, scope and 4xx.
 */
const start = new Date('2026-07-01T03:00:00Z'); // 11:00 brand time
const clock = new ManualClock(start);
const simClock = new SimClock(start);
let t: Linked;
let cookie: string;
let csrf: string;
const ext: Record<string, string> = {};
const ids: Record<string, number> = {};

async function login(login: string) {
  const res = await fetch(`${t.siyuUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: 'correct horse' }),
  });
  const session = /siyu_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1];
  return { cookie: `siyu_session=${session}`, csrf: (await res.json()).csrfToken as string };
}
async function api(
  method: string,
  path: string,
  body?: unknown,
  as: { cookie: string; csrf: string } = { cookie, csrf },
) {
  const res = await fetch(`${t.siyuUrl}/api/v1${path}`, {
    method,
    headers: {
      cookie: as.cookie,
      'x-csrf-token': as.csrf,
      'accept-language': 'en',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
const advance = (ms: number) => {
  clock.advance(ms);
  simClock.advance(ms);
};
async function runJob() {
  await t.app.runtime.runJob(MASS_SEND_JOB);
  await t.settle();
}
const waitFor = async <T>(fn: () => Promise<T | null | undefined | false>, what: string): Promise<T> => {
  for (let i = 0; i < 100; i++) {
    await t.settle();
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

beforeAll(async () => {
  t = await openLinked({ clock, simClock });
  ({ cookie, csrf } = await login(t.fx.logins.admin));
  // a, b: sh1a's; c: sh1b's and ops1's; d: gz1a's; e: sh1b's (opts out)
  const follows: Record<string, string[]> = {
    a: ['sh1a'],
    b: ['sh1a'],
    c: ['sh1b', 'ops1'],
    d: ['gz1a'],
    e: ['sh1b'],
  };
  for (const [k, members] of Object.entries(follows)) {
    ext[k] = (await t.corp('POST', '/customers', { name: `客户${k.toUpperCase()}` })).external_userid;
    for (const userid of members) {
      await t.corp('POST', '/scenarios/member-adds-customer', {
        userid,
        external_userid: ext[k],
        add_way: 1,
      });
    }
  }
  for (const k of Object.keys(follows)) {
    ids[k] = await waitFor(async () => {
      const c = await t.database.db
        .selectFrom('customers')
        .select('id')
        .where('external_userid', '=', ext[k]!)
        .executeTakeFirst();
      const n = c
        ? await t.database.db
            .selectFrom('follows')
            .select('id')
            .where('customer_id', '=', c.id)
            .where('status', '=', 'active')
            .execute()
        : [];
      return c && n.length === follows[k]!.length ? c.id : null;
    }, `customer ${k}`);
  }
  await t.database.db
    .insertInto('touch_opt_outs')
    .values({ corp_id: 'acme', customer_id: ids.e!, at: start })
    .execute();
}, 60_000);
afterAll(() => t.close());

const everyone = () => ({ customerIds: Object.values(ids) });
let firstId: number;

describe('a mass send through the simulator', () => {
  it('plans, dispatches one add_msg_template per sender, and follows results per customer', async () => {
    const created = await api('POST', '/outreach/mass-sends', {
      name: '夏季新品',
      contentKind: 'product',
      text: '新品杨枝甘露上市，到店出示消息立减 3 元',
      senderRule: { prefer: 'store_staff' },
      audience: everyone(),
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    firstId = created.json.id;
    expect(created.json).toMatchObject({
      status: 'scheduled',
      planned: { total: 5, receiving: 4, excluded: { opted_out: 1 } },
      recipients: { planned: 4, excluded: 1 },
    });
    await runJob();
    // one task (one add_msg_template) per sender; c goes through the store's member, not HQ's
    const sent = (await t.corp('GET', '/mass-sends')).mass_sends;
    expect(sent).toHaveLength(3);
    const byUser = Object.fromEntries(
      sent.map((m: { tasks: { userid: string; targets: number }[] }) => [
        m.tasks[0]!.userid,
        m.tasks[0]!.targets,
      ]),
    );
    expect(byUser).toEqual({ sh1a: 2, sh1b: 1, gz1a: 1 });
    const msgid = (userid: string) =>
      sent.find((m: { tasks: { userid: string }[] }) => m.tasks[0]!.userid === userid).msgid as string;
    let view = (await api('GET', `/outreach/mass-sends/${firstId}`)).json;
    expect(view).toMatchObject({ status: 'sending', recipients: { queued: 4, excluded: 1 } });

    // d deletes gz1a before gz1a confirms; sh1a confirms; sh1b does nothing yet
    await t.corp('POST', '/scenarios/customer-deletes-member', { external_userid: ext.d, userid: 'gz1a' });
    await t.corp('POST', '/scenarios/member-confirms-mass-send', { msgid: msgid('sh1a'), userid: 'sh1a' });
    await t.corp('POST', '/scenarios/member-confirms-mass-send', { msgid: msgid('gz1a'), userid: 'gz1a' });
    await runJob();
    view = (await api('GET', `/outreach/mass-sends/${firstId}`)).json;
    expect(view.recipients).toMatchObject({ sent: 2, not_friend: 1, queued: 1, excluded: 1 });
    expect(view.outcome).toMatchObject({ reached: 2, staff: 3, confirmedStaff: 2 });
    const rate = Object.fromEntries(
      view.staff.map((s: { name: string; confirmationRate: number }) => [s.name, s.confirmationRate]),
    );
    expect(rate).toEqual({ 张丽: 1, 陈静: 0, 黄敏: 1 });
    const outcomes = (await api('GET', `/outreach/mass-sends/${firstId}/recipients?limit=10`)).json.items;
    expect(
      Object.fromEntries(
        outcomes.map((r: { customerId: number; status: string }) => [r.customerId, r.status]),
      ),
    ).toEqual({
      [ids.a!]: 'sent',
      [ids.b!]: 'sent',
      [ids.c!]: 'queued',
      [ids.d!]: 'not_friend',
      [ids.e!]: 'excluded',
    });
    expect(outcomes.find((r: { customerId: number }) => r.customerId === ids.c)).toMatchObject({
      staffName: '陈静',
      senderReason: 'store_staff',
    });
    // the touch is on a's timeline; d's slot was given back
    const touches = await t.database.db
      .selectFrom('touches')
      .select(['customer_id', 'status'])
      .where('source_kind', '=', 'mass_send')
      .orderBy('customer_id')
      .execute();
    expect(touches).toEqual(
      [
        { customer_id: ids.a, status: 'sent' },
        { customer_id: ids.b, status: 'sent' },
        { customer_id: ids.c, status: 'reserved' },
        { customer_id: ids.d, status: 'released' },
      ].sort((x, y) => x.customer_id! - y.customer_id!),
    );
    const timeline = await api('GET', `/customers/${ids.a}`);
    expect(JSON.stringify(timeline.json)).toMatch(/messaged the customer \(mass send “夏季新品”\)/);
  });

  it('reminds at most 3 times in 24 hours, saying when the next one is possible', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await api('POST', `/outreach/mass-sends/${firstId}/remind`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      advance(60_000);
    }
    const fourth = await api('POST', `/outreach/mass-sends/${firstId}/remind`);
    expect(fourth.status).toBe(429);
    expect(fourth.json.error.message).toMatch(
      /3 reminders per 24 hours; the next is possible after 2026-07-02T03:00/,
    );
    await t.settle();
    const sim = (await t.corp('GET', '/mass-sends')).mass_sends;
    const sh1b = sim.find((m: { tasks: { userid: string }[] }) => m.tasks[0]!.userid === 'sh1b');
    expect((await t.corp('GET', `/mass-sends/${sh1b.msgid}`)).reminds).toHaveLength(3);
  });

  it('credits orders within 7 days after the touch to the send, per store and staff', async () => {
    advance(24 * 3_600_000);
    const ctx = syncCtxOf(t.app.runtime.deps, 'acme');
    const order = (n: string, daysAfter: number, customer: string) => ({
      sourceOrderId: `MS-${n}`,
      storeCode: 'sh1',
      channel: 'pos' as const,
      orderedAt: new Date(start.getTime() + daysAfter * 86_400_000).toISOString(),
      items: [{ productCode: 'D01', productName: '杨枝甘露', quantity: 1, priceFen: 1800 }],
      totalFen: 1800,
      paidFen: 1800,
      customer: { externalUserid: customer },
    });
    const results = await ingestOrders(ctx, 'pos', [order('1', 1, ext.a!), order('2', 0.5, ext.d!)]);
    expect(results.map((r) => r.status)).toEqual(['created', 'created']);
    await t.settle();
    const view = (await api('GET', `/outreach/mass-sends/${firstId}`)).json;
    // d's touch was released (not a friend): its order is not credited
    expect(view.outcome).toMatchObject({ orders: 1, gmvFen: 1800, converted: 1, conversionRate: 0.5 });
    expect(view.stores).toEqual([{ unitId: t.fx.units.sh1, name: '上海一店', orders: 1, gmvFen: 1800 }]);
    expect(view.staff.find((s: { name: string }) => s.name === '张丽')).toMatchObject({
      orders: 1,
      gmvFen: 1800,
    });
  });

  it('cancels: what the member has not sent stays unsent, and its slot comes back', async () => {
    const cancelled = await api('POST', `/outreach/mass-sends/${firstId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    await t.settle();
    await runJob();
    const view = (await api('GET', `/outreach/mass-sends/${firstId}`)).json;
    expect(view.recipients).toMatchObject({ sent: 2, cancelled: 1, not_friend: 1 });
    const sim = (await t.corp('GET', '/mass-sends')).mass_sends;
    const sh1b = sim.find((m: { tasks: { userid: string }[] }) => m.tasks[0]!.userid === 'sh1b');
    await expect(
      t.corp('POST', '/scenarios/member-confirms-mass-send', { msgid: sh1b.msgid, userid: 'sh1b' }),
    ).rejects.toThrow(/409.*cancelled/);
    expect((await api('POST', `/outreach/mass-sends/${firstId}/cancel`)).status).toBe(409);
    expect((await api('POST', `/outreach/mass-sends/${firstId}/remind`)).status).toBe(409);
  });

  it('defers capped customers until their slot frees, then sends them', async () => {
    const created = await api('POST', '/outreach/mass-sends', {
      name: '周末活动',
      contentKind: 'event',
      text: '周末买一送一',
      senderRule: { prefer: 'latest_follow' },
      audience: { customerIds: [ids.a, ids.b, ids.c] },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id;
    // a and b were messaged a day ago (1 per 48 h); c's slot was released by the cancel
    expect(created.json.planned).toMatchObject({ receiving: 1, excluded: { capped: 2 } });
    expect(created.json.recipients).toMatchObject({ planned: 1, deferred: 2 });
    await runJob();
    let view = (await api('GET', `/outreach/mass-sends/${id}`)).json;
    expect(view.recipients).toMatchObject({ queued: 1, deferred: 2 });
    advance(25 * 3_600_000);
    await runJob();
    view = (await api('GET', `/outreach/mass-sends/${id}`)).json;
    expect(view.recipients).toMatchObject({ queued: 3, deferred: 0 });
    const tasks = await t.database.db
      .selectFrom('mass_send_tasks')
      .select(['wave', 'recipients'])
      .where('mass_send_id', '=', id)
      .orderBy('wave')
      .execute();
    expect(tasks.map((x) => x.wave)).toEqual([1, 2]);
  });
});

describe('the coupon guard, scope and bad input', () => {
  const coupon = () => ({
    name: '满 30 减 5',
    contentKind: 'coupon',
    text: '满 30 减 5 券已到账',
    senderRule: { prefer: 'store_staff' },
    audience: { customerIds: [ids.a, ids.b] },
  });

  it('stops coupon content with the count; an HQ admin overrides with a reason that is recorded', async () => {
    const stopped = await api('POST', '/outreach/mass-sends', coupon());
    expect(stopped.status).toBe(409);
    expect(stopped.json.error.message).toMatch(/2 of the audience have a coupon share below 0.5/);
    const east = await login(t.fx.logins.east);
    const notHq = await api(
      'POST',
      '/outreach/mass-sends',
      { ...coupon(), guard: 'override', overrideReason: 'x' },
      east,
    );
    expect(notHq.status).toBe(403);
    const noReason = await api('POST', '/outreach/mass-sends', { ...coupon(), guard: 'override' });
    expect(noReason.status).toBe(400);
    expect(noReason.json.error.message).toMatch(/needs a reason/);
    const ok = await api('POST', '/outreach/mass-sends', {
      ...coupon(),
      guard: 'override',
      overrideReason: '会员日全员券',
      sendAt: new Date(clock.now().getTime() + 3_600_000).toISOString(),
    });
    expect(ok.status, JSON.stringify(ok.json)).toBe(201);
    expect(ok.json).toMatchObject({ guard: 'override', overrideReason: '会员日全员券', status: 'scheduled' });
    const audit = await api('GET', '/audit?action=outreach.content_guard.override');
    expect(JSON.stringify(audit.json)).toMatch(/会员日全员券/);
    // price-sensitive only: nobody here is
    const only = await api('POST', '/outreach/mass-sends', { ...coupon(), guard: 'price_sensitive_only' });
    expect(only.status).toBe(201);
    expect(only.json.planned).toMatchObject({ receiving: 0, excluded: { not_price_sensitive: 2 } });
  });

  it("a store manager sends only to their customers, and sees only their unit's sends", async () => {
    const sh1 = await login(t.fx.logins.sh1);
    const refused = await api(
      'POST',
      '/outreach/mass-sends',
      { ...coupon(), contentKind: 'product', audience: { customerIds: [ids.a, ids.d] } },
      sh1,
    );
    expect(refused.status).toBe(403);
    expect((await api('GET', `/outreach/mass-sends/${firstId}`, undefined, sh1)).status).toBe(404);
    const mine = await api(
      'POST',
      '/outreach/mass-sends',
      { ...coupon(), contentKind: 'product', audience: { customerIds: [ids.c] } },
      sh1,
    );
    expect(mine.status, JSON.stringify(mine.json)).toBe(201);
    const list = (await api('GET', '/outreach/mass-sends', undefined, sh1)).json.items;
    expect(list.map((m: { id: number }) => m.id)).toEqual([mine.json.id]);
    expect((await api('GET', '/outreach/mass-sends?limit=2')).json.nextCursor).not.toBeNull();
  });

  it('answers bad input with a clear 400', async () => {
    const bad = async (body: unknown) => {
      const res = await api('POST', '/outreach/mass-sends', body);
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      return res.json.error.message as string;
    };
    expect(await bad({ ...coupon(), contentKind: 'product', text: ' ' })).toMatch(
      /text or at least one attachment/,
    );
    expect(await bad({ ...coupon(), contentKind: 'product', sendAt: '2020-01-01T00:00:00Z' })).toMatch(
      /in the past/,
    );
    await bad({ ...coupon(), name: '' });
    await bad({ ...coupon(), attachments: [{ msgtype: 'link', link: { title: 'x', url: 'not a url' } }] });
    expect((await api('GET', `/outreach/mass-sends/${firstId}/recipients?status=lost`)).status).toBe(400);
    expect((await api('GET', '/outreach/mass-sends/abc')).status).toBe(400);
  });
});

describe('a mass send of a library item', () => {
  let libraryId: number;
  it('renders the item for each recipient: their name, their sender, the store; one task per distinct message', async () => {
    // The sends above (deferred ones too) go out first; days on, at 11:00 brand time, a's and b's slots are
    // free again.
    const elevenAm = (days: number) => {
      const next = new Date(clock.now().getTime() + days * 86_400_000);
      next.setUTCHours(3, 0, 0, 0);
      advance(next.getTime() - clock.now().getTime());
    };
    elevenAm(3);
    await runJob();
    elevenAm(3);
    ({ cookie, csrf } = await login(t.fx.logins.admin)); // the session expired meanwhile
    const item = await api('POST', '/content', {
      kind: 'product',
      title: '新品到店',
      text: '{{customer_name}}你好，我是{{staff_name}}。{{store_name}}的杨枝甘露上新了，{{member_level|会员}}到店立减 3 元',
    });
    expect(item.status, JSON.stringify(item.json)).toBe(201);
    const before = new Set(
      ((await t.corp('GET', '/mass-sends')).mass_sends as { msgid: string }[]).map((m) => m.msgid),
    );
    const created = await api('POST', '/outreach/mass-sends', {
      name: '新品到店（素材）',
      contentKind: 'product',
      contentId: item.json.id,
      senderRule: { prefer: 'store_staff' },
      audience: { customerIds: [ids.a, ids.b] },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ contentId: item.json.id, planned: { receiving: 2 } });
    libraryId = created.json.id;
    await runJob();
    const sent = (
      (await t.corp('GET', '/mass-sends')).mass_sends as {
        msgid: string;
        text?: { content: string };
        tasks: { userid: string; targets: number }[];
      }[]
    ).filter((m) => !before.has(m.msgid) && m.text?.content.includes('上新了'));
    // each customer's own name in their own message, both through sh1a (张丽), so two tasks for sh1a
    expect(sent.map((m) => [m.tasks[0]!.userid, m.tasks[0]!.targets])).toEqual([
      ['sh1a', 1],
      ['sh1a', 1],
    ]);
    const store = await t.database.db
      .selectFrom('staff as s')
      .innerJoin('org_units as u', 'u.id', 's.unit_id')
      .select('u.name')
      .where('s.userid', '=', 'sh1a')
      .executeTakeFirstOrThrow();
    expect(sent.map((m) => m.text?.content).sort()).toEqual(
      [
        `客户A你好，我是张丽。${store.name}的杨枝甘露上新了，会员到店立减 3 元`,
        `客户B你好，我是张丽。${store.name}的杨枝甘露上新了，会员到店立减 3 元`,
      ].sort(),
    );
    // the item's usage counts both
    const usage = await api('GET', `/content/${item.json.id}`);
    expect(usage.json.usage).toMatchObject({ uses: 2, customers: 2 });
  });

  it('marks the touch a customer answers within the window as replied, once, from the session archive, and tags on the keywords it says', async () => {
    const ctx = syncCtxOf({ ...t.app.runtime.deps, clock }, 'acme');
    const rule = await api('POST', '/tag-rules', {
      name: '周末到店',
      kind: 'keyword',
      condition: { keywords: ['周末'] },
      tagIds: [t.fx.tags.fruit],
    });
    expect(rule.status, JSON.stringify(rule.json)).toBe(200);
    const fruit = async (id: number) =>
      (
        await t.database.db
          .selectFrom('customer_tags')
          .select('tag_id')
          .where('customer_id', '=', id)
          .where('tag_id', '=', t.fx.tags.fruit)
          .execute()
      ).length;
    expect(await fruit(ids.a!)).toBe(0);
    // c writes to ops1, not this send's sender (no reply to it); then a writes to sh1a, their sender
    advance(60_000);
    await t.corp('POST', '/scenarios/customer-sends-message', {
      external_userid: ext.c,
      userid: 'ops1',
      content: '在吗',
    });
    await t.corp('POST', '/scenarios/customer-sends-message', {
      external_userid: ext.a,
      userid: 'sh1a',
      content: '好的，周末去',
    });
    await t.app.runtime.runJob(ARCHIVE_JOB);
    let view = (await api('GET', `/outreach/mass-sends/${libraryId}`)).json;
    expect(view.outcome).toMatchObject({ replied: 1 });
    // a said 周末 (the keyword rule's): tagged; c did not
    expect(await fruit(ids.a!)).toBe(1);
    expect(await fruit(ids.c!)).toBe(0);
    // the archive is read from its cursor: a second pass finds nothing new
    const link = await t.app.runtime.deps.links.get('acme');
    expect(await readArchive(ctx, simulatedArchive(link!.client))).toBe(0);
    // again from a, and a reply from b eight days on (past the 7-day window): nothing more
    const inAnHour = new Date(clock.now().getTime() + 3_600_000);
    expect(
      await markReplies(ctx, [
        { customerId: ids.a!, at: inAnHour },
        { customerId: ids.b!, at: new Date(clock.now().getTime() + 8 * 86_400_000) },
      ]),
    ).toBe(0);
    view = (await api('GET', `/outreach/mass-sends/${libraryId}`)).json;
    expect(view.outcome).toMatchObject({ replied: 1 });
  });

  it('refuses a library item the caller cannot see', async () => {
    const res = await api('POST', '/outreach/mass-sends', {
      name: '不存在的素材',
      contentKind: 'product',
      contentId: 999_999,
      senderRule: { prefer: 'store_staff' },
      audience: { customerIds: [ids.a] },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/Content item 999999/);
  });
});
