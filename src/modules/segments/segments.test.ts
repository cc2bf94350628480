import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { MAX_CONDITIONS } from './rule.ts';

/**
 * The segments API through HTTP: preview counts within the caller's scope, bad rules named by path, segment
 * ownership by unit, and layerings with their warnings and GMV shares. Orders and facts are written directly
 * (their modules are tested on their own); amounts are chosen so every share is known.
 */
let t: TestApp;
let admin: TestSession;
let east: TestSession;
let sh1: TestSession;
let sh2: TestSession;
let sh1a: TestSession;

const DAY = 86_400_000;
const now = Date.now();

beforeAll(async () => {
  t = await openTestApp();
  [admin, east, sh1, sh2, sh1a] = await Promise.all([
    t.login(t.fx.logins.admin),
    t.login(t.fx.logins.east),
    t.login(t.fx.logins.sh1),
    t.login(t.fx.logins.sh2),
    t.login(t.fx.logins.sh1a),
  ]);
  const db = t.database.db;
  const { wang, zhao, both } = t.fx.customers;
  // wang (sh1): 2 orders, 300 + 200 yuan, 10 and 100 days ago; zhao (gz1): 1 order, 500 yuan, 20 days ago;
  // both (sh2 + HQ): 1 order, 1000 yuan, 400 days ago (outside the default 365-day window); li: none.
  const orders = [
    { customer: wang, paid: 30_000, daysAgo: 10 },
    { customer: wang, paid: 20_000, daysAgo: 100 },
    { customer: zhao, paid: 50_000, daysAgo: 20 },
    { customer: both, paid: 100_000, daysAgo: 400 },
  ];
  await db
    .insertInto('orders')
    .values(
      orders.map((o, i) => ({
        corp_id: 'acme',
        source: 'pos',
        source_order_id: `t-${i}`,
        channel: 'pos' as const,
        unit_id: null,
        customer_id: o.customer,
        total_fen: o.paid,
        paid_fen: o.paid,
        ordered_at: new Date(now - o.daysAgo * DAY),
      })),
    )
    .execute();
  const facts = (customer: number, count: number, paid: number, stage: 'repeat' | 'active', r: number) => ({
    corp_id: 'acme',
    customer_id: customer,
    order_count: count,
    paid_fen: paid,
    r_score: r,
    stage,
    last_order_at: new Date(now - 10 * DAY),
    computed_at: new Date(now),
  });
  await db
    .insertInto('customer_facts')
    .values([facts(wang, 2, 50_000, 'repeat', 5), facts(zhao, 1, 50_000, 'active', 4)])
    .execute();
});
afterAll(() => t.close());

function call(s: TestSession, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'accept-language': 'en' },
    payload: payload as never,
  });
}
const preview = async (s: TestSession, rule: unknown) => {
  const res = await call(s, 'POST', '/segments/preview', { rule });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as {
    count: number;
    sample: { id: number; name: string; stage: string; ltvFen: number }[];
  };
};
const everyone = { field: 'order_count', cmp: 'gte', value: 0 };

describe('preview', () => {
  it('counts the audience and samples it, newest first', async () => {
    const { wang, zhao } = t.fx.customers;
    const buyers = await preview(admin, { field: 'order_count', cmp: 'gte', value: 1 });
    expect(buyers.count).toBe(2);
    expect(buyers.sample.map((m) => m.id)).toEqual([zhao, wang]);
    expect(buyers.sample[1]).toMatchObject({ name: '王芳', stage: 'repeat', ltvFen: 50_000 });

    expect((await preview(admin, everyone)).count).toBe(5);
    expect((await preview(admin, { field: 'spend_30d_fen', cmp: 'gte', value: 30_000 })).count).toBe(2);
    expect((await preview(admin, { field: 'orders_365d', cmp: 'eq', value: 0 })).count).toBe(3);
    const repeatVip = {
      op: 'and',
      rules: [
        { field: 'tag', cmp: 'in', value: [t.fx.tags.vip] },
        { op: 'not', rule: { field: 'stage', cmp: 'in', value: ['active'] } },
      ],
    };
    expect((await preview(admin, repeatVip)).sample.map((m) => m.id)).toEqual([wang]);
  });

  it("never counts customers outside the caller's scope", async () => {
    // VIP: wang (sh1) and zhao (gz1)
    const vip = { field: 'tag', cmp: 'in', value: [t.fx.tags.vip] };
    expect((await preview(admin, vip)).count).toBe(2);
    expect((await preview(east, vip)).count).toBe(1);
    expect((await preview(sh1, vip)).sample.map((m) => m.id)).toEqual([t.fx.customers.wang]);
    expect((await preview(sh2, vip)).count).toBe(0);
    // "not VIP" is the complement within the scope, not within the brand
    const notVip = await preview(sh1, { op: 'not', rule: vip });
    expect(notVip.sample.map((m) => m.id)).toEqual([t.fx.customers.li]);
    expect((await preview(sh1, everyone)).count).toBe(2);
    expect((await preview(sh1a, everyone)).sample.map((m) => m.id)).toEqual([t.fx.customers.wang]);
  });

  it('refuses a rule naming a unit or staff member outside the scope', async () => {
    const unit = await call(sh1, 'POST', '/segments/preview', {
      rule: { field: 'follow_unit', cmp: 'in', value: [t.fx.units.gz1] },
    });
    expect(unit.statusCode).toBe(403);
    const staff = await call(east, 'POST', '/segments/preview', {
      rule: { field: 'staff', cmp: 'not_in', value: [t.fx.staff.gz1a] },
    });
    expect(staff.statusCode).toBe(403);
    expect(staff.json().error.message).toContain(String(t.fx.staff.gz1a));
    const own = await call(east, 'POST', '/segments/preview', {
      rule: { field: 'follow_unit', cmp: 'in', value: [t.fx.units.sh2] },
    });
    expect(own.json().count).toBe(1);
  });

  it('answers a bad rule with 400 and the path of the bad node', async () => {
    const bad = async (rule: unknown, path: string, what: RegExp) => {
      const res = await call(admin, 'POST', '/segments/preview', { rule });
      expect(res.statusCode, res.body).toBe(400);
      const message: string = res.json().error.message;
      expect(message).toContain(`${path}: `);
      expect(message).toMatch(what);
    };
    const ok = { field: 'tag', cmp: 'any' };
    await bad(
      { op: 'and', rules: [ok, ok, { field: 'r_score', cmp: 'gte', value: 'high' }] },
      'rules[2].value',
      /number/,
    );
    await bad(
      { op: 'or', rules: [ok, { field: 'favourite_colour', cmp: 'in', value: [1] }] },
      'rules[1].field',
      /unknown field/,
    );
    await bad({ op: 'not', rule: { field: 'stage', cmp: 'gte', value: 1 } }, 'rule.cmp', /in, not_in/);
    await bad({ field: 'stage', cmp: 'in', value: ['vip'] }, 'value[0]', /new/);
    await bad({ field: 'tag', cmp: 'in', value: [] }, 'value', /1/);
    await bad({ field: 'r_score', cmp: 'between', value: [4, 2] }, 'value', /lower bound/);
    await bad({ op: 'and', rules: [] }, 'rules', /1/);
    await bad({ op: 'xor', rules: [ok] }, 'op', /and|or/);
    await bad({ op: 'and', rules: [ok], extra: 1 }, '(root)', /extra/);
    await bad('everyone', '(root)', /rule object/);
    let deep: unknown = ok;
    for (let i = 0; i < 6; i++) deep = { op: 'not', rule: deep };
    await bad(deep, 'rule.rule.rule.rule.rule.rule', /deeper than 6/);
    const wide = {
      op: 'or',
      rules: Array.from({ length: 3 }, () => ({ op: 'and', rules: Array(40).fill(ok) })),
    };
    await bad(wide, '(root)', new RegExp(`120 conditions; at most ${MAX_CONDITIONS}`));
  });
});

describe('segments', () => {
  it('belong to the unit of their creator: seen from below and above, changed from above only', async () => {
    const created = await call(sh1, 'POST', '/segments', {
      name: '一店 VIP',
      description: '  会员日邀请 ',
      rule: { field: 'tag', cmp: 'in', value: [t.fx.tags.vip] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const seg = created.json();
    expect(seg).toMatchObject({
      name: '一店 VIP',
      description: '会员日邀请',
      unitId: t.fx.units.sh1,
      count: 1,
    });
    expect(seg.editable).toBe(true);

    expect((await call(sh2, 'GET', `/segments/${seg.id}`)).statusCode).toBe(404);
    expect((await call(sh2, 'PUT', `/segments/${seg.id}`, { name: 'x', rule: everyone })).statusCode).toBe(
      404,
    );
    const fromEast = await call(east, 'GET', `/segments/${seg.id}`);
    expect(fromEast.json()).toMatchObject({ count: 1, editable: true });
    // HQ counts the same rule over the whole brand
    expect((await call(admin, 'GET', `/segments/${seg.id}`)).json().count).toBe(2);

    const hq = (await call(admin, 'POST', '/segments', { name: '全体', rule: everyone })).json();
    const seenBySh1 = await call(sh1, 'GET', `/segments/${hq.id}`);
    expect(seenBySh1.json()).toMatchObject({ count: 2, editable: false });
    expect((await call(sh1, 'PUT', `/segments/${hq.id}`, { name: '改', rule: everyone })).statusCode).toBe(
      403,
    );
    expect((await call(sh1, 'DELETE', `/segments/${hq.id}`)).statusCode).toBe(403);
    expect((await call(sh1a, 'POST', '/segments', { name: 'x', rule: everyone })).statusCode).toBe(403);

    const list = (await call(sh1, 'GET', '/segments')).json().items as { id: number }[];
    expect(list.map((s) => s.id)).toEqual(expect.arrayContaining([seg.id, hq.id]));
    expect((await call(sh2, 'GET', '/segments')).json().items.map((s: { id: number }) => s.id)).not.toContain(
      seg.id,
    );

    const changed = await call(east, 'PUT', `/segments/${seg.id}`, {
      name: '一店复购',
      rule: { field: 'stage', cmp: 'in', value: ['repeat'] },
    });
    expect(changed.json()).toMatchObject({
      name: '一店复购',
      unitId: t.fx.units.sh1,
      count: 1,
      description: '',
    });
    expect((await call(sh1, 'DELETE', `/segments/${seg.id}`)).statusCode).toBe(200);
    expect((await call(sh1, 'GET', `/segments/${seg.id}`)).statusCode).toBe(404);
  });
});

describe('layerings', () => {
  const segment = async (s: TestSession, name: string, rule: unknown) => {
    const res = await call(s, 'POST', '/segments', { name, rule });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as number;
  };

  it('warn when two layers receive the same operation, and when their audiences overlap', async () => {
    const buyers = await segment(admin, '消费过', { field: 'order_count', cmp: 'gte', value: 1 });
    const vip = await segment(admin, 'VIP', { field: 'tag', cmp: 'in', value: [t.fx.tags.vip] });
    const none = await segment(admin, '未消费', { field: 'order_count', cmp: 'eq', value: 0 });
    const res = await call(admin, 'POST', '/layerings', {
      name: '会员日',
      layers: [
        { segmentId: buyers, operation: 'Coupon  10 off' },
        { segmentId: none, operation: '新品试饮' },
        { segmentId: vip, operation: ' coupon 10 OFF ' },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const layering = res.json();
    expect(layering.layers.map((l: { size: number }) => l.size)).toEqual([2, 3, 2]);
    const same = layering.warnings.filter((w: { kind: string }) => w.kind === 'same_operation');
    expect(same).toHaveLength(1);
    expect(same[0]).toMatchObject({ operation: 'Coupon  10 off', segmentIds: [buyers, vip] });
    const overlaps = layering.warnings.filter((w: { kind: string }) => w.kind === 'overlap');
    // buyers (wang, zhao) and VIP (wang, zhao) share both; neither meets the never-bought layer
    expect(overlaps).toHaveLength(1);
    expect(overlaps[0]).toMatchObject({ segmentIds: [buyers, vip], overlap: 2 });
    // The same operation on both: named once, not "both X and X".
    expect(overlaps[0]).toMatchObject({
      operation: 'Coupon  10 off',
      message: '"消费过" and "VIP" share 2 customers, who would receive "Coupon  10 off" twice',
    });

    const fixed = await call(admin, 'PUT', `/layerings/${layering.id}`, {
      name: '会员日',
      layers: [
        { segmentId: buyers, operation: '满减券' },
        { segmentId: none, operation: '新品试饮' },
      ],
    });
    expect(fixed.json().warnings).toEqual([]);
    expect((await call(admin, 'DELETE', `/segments/${none}`)).statusCode).toBe(409);
    expect((await call(admin, 'DELETE', `/layerings/${layering.id}`)).statusCode).toBe(200);
    expect((await call(admin, 'DELETE', `/segments/${none}`)).statusCode).toBe(200);
  });

  it("give each layer's GMV and its share of the scope's GMV, over a window the caller may change", async () => {
    const wang = await segment(admin, '王芳', { field: 'stage', cmp: 'in', value: ['repeat'] });
    const zhao = await segment(admin, '赵磊', { field: 'stage', cmp: 'in', value: ['active'] });
    const both = await segment(admin, '孙悦', { field: 'follow_unit', cmp: 'in', value: [t.fx.units.sh2] });
    const layers = [
      { segmentId: wang, operation: '生日礼' },
      { segmentId: zhao, operation: '复购券' },
      { segmentId: both, operation: '唤醒' },
    ];
    const created = (await call(admin, 'POST', '/layerings', { name: 'GMV', layers })).json();
    // last 365 days: wang 50,000 + zhao 50,000 (both's order is 400 days old)
    expect(created.totalGmvFen).toBe(100_000);
    expect(created.layers.map((l: { gmvFen: number }) => l.gmvFen)).toEqual([50_000, 50_000, 0]);
    expect(created.layers.map((l: { gmvShare: number }) => l.gmvShare)).toEqual([0.5, 0.5, 0]);

    const year2 = (await call(admin, 'GET', `/layerings/${created.id}?days=500`)).json();
    expect(year2.totalGmvFen).toBe(200_000);
    expect(year2.layers.map((l: { gmvShare: number }) => l.gmvShare)).toEqual([0.25, 0.25, 0.5]);
    const month = (await call(admin, 'GET', `/layerings/${created.id}?days=30`)).json();
    expect(month.layers.map((l: { gmvFen: number }) => l.gmvFen)).toEqual([30_000, 50_000, 0]);

    // east sees only its customers' orders: wang's; zhao (gz1) is outside
    const fromEast = (await call(east, 'GET', `/layerings/${created.id}`)).json();
    expect(fromEast.totalGmvFen).toBe(50_000);
    expect(fromEast.layers.map((l: { size: number }) => l.size)).toEqual([1, 0, 1]);
    expect(fromEast.layers.map((l: { gmvShare: number }) => l.gmvShare)).toEqual([1, 0, 0]);
    expect(fromEast.editable).toBe(false);
    const list = (await call(east, 'GET', '/layerings')).json().items as { id: number }[];
    expect(list.map((l) => l.id)).toContain(created.id);

    expect(
      (await call(admin, 'POST', '/layerings', { name: 'dup', layers: [layers[0], layers[0]] })).json().error
        .message,
    ).toContain('layers[1].segmentId');
    expect((await call(admin, 'GET', `/layerings/${created.id}?days=0`)).statusCode).toBe(400);
  });

  it('are owned like segments: a store keeps its own, a sibling store cannot see them', async () => {
    const mine = await segment(sh1, '一店全体', everyone);
    const created = await call(sh1, 'POST', '/layerings', {
      name: '一店分层',
      layers: [{ segmentId: mine, operation: '到店礼' }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    expect(created.json().layers[0].size).toBe(2);
    expect((await call(sh2, 'GET', `/layerings/${id}`)).statusCode).toBe(404);
    expect(
      (await call(sh2, 'POST', '/layerings', { name: 'x', layers: [{ segmentId: mine, operation: 'y' }] }))
        .statusCode,
    ).toBe(400);
    expect((await call(east, 'GET', `/layerings/${id}`)).json().editable).toBe(true);
  });
});

describe('tag views', () => {
  // 加盟意向 (HQ only) on li, a customer of sh1 with no other tag; 包裹卡 (ops, fixture) is no front-line tag.
  let franchise: number;
  beforeAll(async () => {
    const db = t.database.db;
    const group = await db
      .insertInto('tag_groups')
      .values({ corp_id: 'acme', name: '招商线索', audience: 'hq', wecom_group_id: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    franchise = (
      await db
        .insertInto('tags')
        .values({ corp_id: 'acme', group_id: group.id, name: '加盟意向', wecom_tag_id: null })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
    await db
      .insertInto('customer_tags')
      .values({
        corp_id: 'acme',
        customer_id: t.fx.customers.li,
        tag_id: franchise,
        staff_id: null,
        tagged_at: new Date(),
      })
      .execute();
  });
  const hidden = (res: { statusCode: number; json(): { error: { message: string } } }) => {
    expect(res.statusCode).toBe(403);
    expect(res.json().error.message).toMatch(/outside your tag view/);
  };

  it('refuses a preview naming a tag outside the caller’s view, as the customer list does', async () => {
    hidden(
      await call(sh1, 'POST', '/segments/preview', { rule: { field: 'tag', cmp: 'in', value: [franchise] } }),
    );
    hidden(
      await call(sh1a, 'POST', '/segments/preview', {
        rule: { op: 'not', rule: { field: 'tag', cmp: 'all', value: [t.fx.tags.vip, t.fx.tags.fruit] } },
      }),
    );
    const zh = await t.app.inject({
      method: 'POST',
      url: '/api/v1/segments/preview',
      headers: { cookie: sh1.cookie, 'x-csrf-token': sh1.csrfToken, 'accept-language': 'zh-CN' },
      payload: { rule: { field: 'tag', cmp: 'in', value: [franchise] } },
    });
    expect(zh.json().error.message).toContain('不在你的标签视图内');
    expect((await preview(admin, { field: 'tag', cmp: 'in', value: [franchise] })).count).toBe(1);
  });

  it('counts "has a tag" / "has none" over the tags of the caller’s view only', async () => {
    const { wang, li } = t.fx.customers;
    const ids = async (s: TestSession, cmp: string) =>
      (await preview(s, { field: 'tag', cmp })).sample.map((m) => m.id).sort();
    expect(await ids(sh1, 'any')).toEqual([wang]);
    expect(await ids(sh1, 'none')).toEqual([li]);
    expect(await ids(admin, 'any')).toEqual(expect.arrayContaining([wang, li]));
  });

  it('refuses saving such a rule, and keeps HQ’s segments and layerings naming it from the store', async () => {
    const rule = { field: 'tag', cmp: 'in', value: [franchise] };
    hidden(await call(sh1, 'POST', '/segments', { name: '加盟线索', rule }));
    const mine = (await call(sh1, 'POST', '/segments', { name: '一店全体', rule: everyone })).json();
    hidden(await call(sh1, 'PUT', `/segments/${mine.id}`, { name: '加盟线索', rule }));

    const leads = await call(admin, 'POST', '/segments', { name: '加盟线索', rule });
    expect(leads.json()).toMatchObject({ count: 1 });
    const id = leads.json().id as number;
    hidden(await call(sh1, 'GET', `/segments/${id}`));
    hidden(await call(east, 'GET', `/segments/${id}`));
    const listed = async (s: TestSession) =>
      (await call(s, 'GET', '/segments')).json().items.map((x: { id: number }) => x.id);
    expect(await listed(sh1)).not.toContain(id);
    expect(await listed(sh1)).toContain(mine.id);
    expect(await listed(admin)).toContain(id);

    const layering = (
      await call(admin, 'POST', '/layerings', {
        name: '招商',
        layers: [
          { segmentId: id, operation: '招商顾问回访' },
          { segmentId: mine.id, operation: '到店礼' },
        ],
      })
    ).json();
    hidden(await call(sh1, 'GET', `/layerings/${layering.id}`));
    expect(
      (await call(sh1, 'GET', '/layerings')).json().items.map((x: { id: number }) => x.id),
    ).not.toContain(layering.id);
    hidden(
      await call(sh1, 'POST', '/layerings', { name: 'x', layers: [{ segmentId: id, operation: '到店礼' }] }),
    );
    expect((await call(admin, 'GET', `/layerings/${layering.id}`)).json().layers[0].size).toBe(1);
  });
});
