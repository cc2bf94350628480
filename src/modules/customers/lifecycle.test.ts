import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { syncCtxOf } from '../context.ts';
import { FACTS_JOB, recomputeAllFacts } from './facts.ts';
import { brandDay, DAY_MS, DEFAULT_SETTINGS, lifecycleStage, nextYearly } from './rfm.ts';

/**
 * The lifecycle settings API, the super users list and the facts on the profile and the customer list,
 * through the HTTP API as each role sees them. The server's clock is the real one, so dates are relative.
 */
let t: TestApp;
let admin: TestSession;
const runtime = () => t.app.runtime;
const ctx = () => syncCtxOf(t.app.runtime.deps, 'acme');

async function call(s: TestSession, method: 'GET' | 'PUT', url: string, payload?: unknown, lang = 'zh-CN') {
  const res = await t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'accept-language': lang },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.json() };
}

let orderSeq = 0;
/** `n` orders, the last `lastDaysAgo` days ago, `each` fen, at `unitId`. */
async function orders(customerId: number, n: number, each: number, lastDaysAgo: number, unitId: number) {
  const now = Date.now();
  await t.database.db
    .insertInto('orders')
    .values(
      Array.from({ length: n }, (_, i) => ({
        corp_id: 'acme',
        source: 'pos',
        source_order_id: `t${++orderSeq}`,
        channel: 'pos' as const,
        unit_id: unitId,
        customer_id: customerId,
        total_fen: each,
        paid_fen: each,
        coupon_code: i % 4 === 0 ? 'C10' : null,
        coupon_fen: i % 4 === 0 ? 1000 : 0,
        ordered_at: new Date(now - (lastDaysAgo + i * 3) * DAY_MS),
      })),
    )
    .execute();
}

/** `n` days from today, or the day after when that is 29 February (which other years lack). */
const safe = (n: number) => (brandDay(new Date(Date.now() + n * DAY_MS)).endsWith('-02-29') ? n + 1 : n);
const [IN3, IN10, IN40, AGO5] = [safe(3), safe(10), safe(40), safe(-5)];

/** A yearly date `inDays` from today (brand time), `yearsAgo` years back. */
function dateIn(inDays: number, yearsAgo: number) {
  const d = brandDay(new Date(Date.now() + inDays * DAY_MS));
  return `${Number(d.slice(0, 4)) - yearsAgo}${d.slice(4)}`;
}

async function member(customerId: number, birthday: string | null, joined: string | null) {
  await t.database.db
    .insertInto('members')
    .values({
      corp_id: 'acme',
      source: 'crm',
      member_no: `m${customerId}`,
      customer_id: customerId,
      level: '金卡',
      birthday,
      joined_at: joined,
    })
    .execute();
}

beforeAll(async () => {
  t = await openTestApp();
  admin = await t.login(t.fx.logins.admin);
  const { customers: c, units: u } = t.fx;
  // Three super users (8 orders of ¥55 = ¥440, the last 2 days ago: R5 F4 M4) in three stores, one a
  // repeat buyer below the super bar, one customer without orders.
  await orders(c.wang, 8, 5_500, 2, u.sh1);
  await orders(c.zhao, 9, 6_000, 5, u.gz1);
  await orders(c.both, 12, 9_000, 1, u.sh2);
  await orders(c.li, 3, 2_000, 4, u.sh1);
  await member(c.wang, dateIn(IN40, 30), dateIn(IN3, 2)); // membership anniversary in 3 days (2 years)
  await member(c.zhao, dateIn(IN10, 25), null); // birthday in 10 days
  await member(c.both, null, dateIn(AGO5, 1)); // the first anniversary 5 days ago: the next in ~360 days
  await recomputeAllFacts(ctx());
});
afterAll(() => t.close());

describe('lifecycle settings', () => {
  it('reads the defaults, for every role', async () => {
    const sh1 = await t.login(t.fx.logins.sh1);
    const res = await call(sh1, 'GET', '/lifecycle-settings');
    expect(res.status).toBe(200);
    expect(res.body.settings).toEqual(DEFAULT_SETTINGS);
    expect(res.body.defaults).toEqual(DEFAULT_SETTINGS);
    expect(res.body.recompute.status).toBe('done');
  });

  it('refuses others than the HQ admin, and bad thresholds with every problem named', async () => {
    const east = await t.login(t.fx.logins.east);
    expect((await call(east, 'PUT', '/lifecycle-settings', DEFAULT_SETTINGS)).status).toBe(403);

    const bad = {
      ...DEFAULT_SETTINGS,
      recencyDays: [30, 14, 60, 90],
      dormantDays: 90,
      churnedDays: 60,
    };
    const en = await call(admin, 'PUT', '/lifecycle-settings', bad, 'en');
    expect(en.status).toBe(400);
    expect(en.body.error.message).toBe(
      'recency days cut points must strictly increase (got 30 / 14 / 60 / 90); ' +
        'churned days (60) must be more than dormant days (90)',
    );
    const zh = await call(admin, 'PUT', '/lifecycle-settings', bad);
    expect(zh.body.error.message).toContain('流失天数（60）须大于沉睡天数（90）');
    const shape = await call(
      admin,
      'PUT',
      '/lifecycle-settings',
      { ...DEFAULT_SETTINGS, recencyDays: [1, 2, 3] },
      'en',
    );
    expect(shape.status).toBe(400);
    expect(shape.body.error.message).toContain('recencyDays');
    // nothing was saved
    expect((await call(admin, 'GET', '/lifecycle-settings')).body.settings).toEqual(DEFAULT_SETTINGS);
  });

  it('recomputes the brand in the background after a change, with the cause on the timeline', async () => {
    const before = await call(admin, 'GET', `/customers/${t.fx.customers.wang}`);
    expect(before.body.facts.stage).toBe('super');

    // super users now need M5 (¥1,000): wang (¥440) and zhao (¥540) fall back to repeat buyers
    const stricter = {
      ...DEFAULT_SETTINGS,
      superMin: { r: 4, f: 4, m: 5 },
      monetaryFen: [5_000, 15_000, 40_000, 60_000],
    };
    const saved = await call(admin, 'PUT', '/lifecycle-settings', stricter);
    expect(saved.status).toBe(200);
    expect(saved.body.settings).toEqual(stricter);
    expect(saved.body.updatedBy).toBe('admin');
    expect(saved.body.recompute.status).toBe('pending');

    await runtime().runJob(FACTS_JOB);
    const after = await call(admin, 'GET', '/lifecycle-settings');
    expect(after.body.recompute).toMatchObject({ status: 'done', done: after.body.recompute.total });
    expect(after.body.recompute.total).toBeGreaterThanOrEqual(5);

    const wang = await call(admin, 'GET', `/customers/${t.fx.customers.wang}`);
    expect(wang.body.facts).toMatchObject({ stage: 'repeat', rfm: { r: 5, f: 4, m: 4 } });
    const stageEvent = wang.body.timeline.find((e: { kind: string }) => e.kind === 'stage_changed');
    expect(stageEvent.text.zh).toBe('生命周期：超级用户 → 复购（生命周期阈值调整）');
    const both = await call(admin, 'GET', `/customers/${t.fx.customers.both}`);
    expect(both.body.facts).toMatchObject({ stage: 'super', rfm: { r: 5, f: 4, m: 5 } }); // ¥1,080

    // back to the defaults for the tests below
    await call(admin, 'PUT', '/lifecycle-settings', DEFAULT_SETTINGS);
    await runtime().runJob(FACTS_JOB);
    const back = await call(admin, 'GET', `/customers/${t.fx.customers.wang}`);
    expect(back.body.facts.stage).toBe('super');
    // super → repeat → super the same day, both by settings: the two cancel out on the timeline
    expect(back.body.timeline.filter((e: { kind: string }) => e.kind === 'stage_changed')).toEqual([]);
  });
});

describe('super users', () => {
  it('lists them with their key dates, upcoming first', async () => {
    const res = await call(admin, 'GET', '/super-users?days=30');
    expect(res.status).toBe(200);
    const { customers: c, units: u } = t.fx;
    expect(res.body.items.map((i: { id: number }) => i.id)).toEqual([c.wang, c.zhao, c.both]);
    expect(res.body).toMatchObject({ total: 3, upcoming: 2, nextCursor: null });
    const [wang, zhao, both] = res.body.items;
    const today = brandDay(new Date());
    expect(wang).toMatchObject({
      name: '王芳',
      rfm: { r: 5, f: 4, m: 4 },
      paidFen: 44_000,
      orderCount: 8,
      topUnit: { id: u.sh1, name: '上海一店' },
      memberLevel: '金卡',
      upcoming: true,
    });
    expect(wang.keyDates).toEqual([
      { kind: 'member_anniversary', ...nextYearly(dateIn(IN3, 2), today, 1) },
      {
        kind: 'birthday',
        date: nextYearly(dateIn(IN40, 30), today).date,
        inDays: nextYearly(dateIn(IN40, 30), today).inDays,
      },
    ]);
    expect(wang.keyDates[0]).toMatchObject({ inDays: IN3, years: 2 });
    expect(zhao.keyDates).toEqual([{ kind: 'birthday', date: dateIn(IN10, 0), inDays: IN10 }]);
    expect(both.upcoming).toBe(false);
    expect(both.keyDates[0]).toMatchObject({ kind: 'member_anniversary', years: 2 });
    expect(both.keyDates[0].inDays).toBeGreaterThan(350);

    // a narrower window: only wang's date is upcoming; the others follow by LTV (both ¥1,080 before zhao ¥540)
    const week = await call(admin, 'GET', '/super-users?days=7');
    expect(week.body.items.map((i: { id: number }) => i.id)).toEqual([c.wang, c.both, c.zhao]);
    expect(week.body.upcoming).toBe(1);

    // pages of one give the same order
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: number }[]; nextCursor: string | null } } = await call(
        admin,
        'GET',
        `/super-users?days=7&limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([c.wang, c.both, c.zhao]);
    expect((await call(admin, 'GET', '/super-users?cursor=bogus')).status).toBe(400);
    expect((await call(admin, 'GET', '/super-users?days=0')).status).toBe(400);
  });

  it('shows each account only the super users of its scope', async () => {
    const { customers: c } = t.fx;
    const ids = async (login: string) =>
      (await call(await t.login(login), 'GET', '/super-users')).body.items.map((i: { id: number }) => i.id);
    expect(await ids(t.fx.logins.sh1)).toEqual([c.wang]);
    expect(await ids(t.fx.logins.gz1)).toEqual([c.zhao]); // another store's manager sees neither wang nor both
    expect(await ids(t.fx.logins.sh2)).toEqual([c.both]);
    expect((await ids(t.fx.logins.east)).sort()).toEqual([c.wang, c.both].sort());
    expect(await ids(t.fx.logins.sh1a)).toEqual([c.wang]);
  });
});

/** The fixture's customers were added on 2026-06-01 and never ordered: their stage depends on today. */
const hqonlyStage = () =>
  lifecycleStage(
    {
      orderCount: 0,
      paidFen: 0,
      lastOrderAt: null,
      addedAt: new Date('2026-06-01T08:00:00Z'),
      followed: true,
    },
    new Date(),
    DEFAULT_SETTINGS,
  );

describe('facts on the profile and the customer list', () => {
  it('shows the facts card', async () => {
    const { customers: c, units: u } = t.fx;
    const res = await call(admin, 'GET', `/customers/${c.wang}`);
    expect(res.body.facts).toMatchObject({
      stage: 'super',
      rfm: { r: 5, f: 4, m: 4 },
      paidFen: 44_000,
      orderCount: 8,
      topUnit: { id: u.sh1, name: '上海一店' },
      couponOrders: 2,
      couponShare: 0.25,
      memberLevel: '金卡',
      memberSince: dateIn(IN3, 2),
      birthday: dateIn(IN40, 30),
    });
    expect(res.body.facts.keyDates[0]).toMatchObject({ kind: 'member_anniversary', inDays: IN3, years: 2 });
    const hq = await call(admin, 'GET', `/customers/${c.hqonly}`);
    expect(hq.body.facts).toMatchObject({
      stage: hqonlyStage(),
      rfm: null,
      orderCount: 0,
      couponShare: null,
      topUnit: null,
    });
  });

  it('filters the customer list by stage', async () => {
    const { customers: c } = t.fx;
    const repeat = await call(admin, 'GET', '/customers?stage=repeat');
    expect(repeat.body.items.map((i: { id: number; stage: string }) => [i.id, i.stage])).toEqual([
      [c.li, 'repeat'],
    ]);
    const all = await call(admin, 'GET', '/customers?limit=100');
    const stages = Object.fromEntries(
      all.body.items.map((i: { id: number; stage: string }) => [i.id, i.stage]),
    );
    expect(stages[c.wang]).toBe('super');
    expect(stages[c.hqonly]).toBe(hqonlyStage());
    const sh1 = await call(await t.login(t.fx.logins.sh1), 'GET', '/customers?stage=super');
    expect(sh1.body.items.map((i: { id: number }) => i.id)).toEqual([c.wang]);
    expect((await call(admin, 'GET', '/customers?stage=vip')).status).toBe(400);
  });
});
