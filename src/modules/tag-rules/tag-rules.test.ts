import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import type { LinkedOrder } from '../events.ts';
import { applyKeywordRules, applyOrderTagRules, normalizeText } from './auto-rules.ts';

let t: TestApp;
const as: Record<string, TestSession> = {};
beforeAll(async () => {
  t = await openTestApp();
  for (const [k, login] of Object.entries(t.fx.logins)) as[k] = await t.login(login);
});
afterAll(() => t.close());

const call = (
  who: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) =>
  t.app.inject({
    method,
    url,
    headers: { cookie: as[who]!.cookie, 'x-csrf-token': as[who]!.csrfToken },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
const get = (who: string, url: string) => call(who, 'GET', url);

async function customerTags(customerId: number) {
  const rows = await t.database.db
    .selectFrom('customer_tags as ct')
    .innerJoin('tags as tg', (j) => j.onRef('tg.corp_id', '=', 'ct.corp_id').onRef('tg.id', '=', 'ct.tag_id'))
    .select('tg.name')
    .where('ct.corp_id', '=', 'acme')
    .where('ct.customer_id', '=', customerId)
    .orderBy('tg.name')
    .execute();
  return rows.map((r) => r.name);
}

async function timeline(customerId: number, kind: string) {
  return t.database.db
    .selectFrom('customer_events')
    .select(['summary', 'data', 'staff_id'])
    .where('corp_id', '=', 'acme')
    .where('customer_id', '=', customerId)
    .where('kind', '=', kind)
    .orderBy('id')
    .execute();
}

async function outbox(prefix: string) {
  return t.database.db
    .selectFrom('wecom_outbox')
    .select(['idem_key', 'kind', 'request', 'status'])
    .where('corp_id', '=', 'acme')
    .where('idem_key', 'like', `${prefix}%`)
    .orderBy('id')
    .execute();
}

let nextOrder = 1;
async function order(
  customerId: number,
  o: { paidFen: number; couponCode?: string; items: [code: string, name: string][]; unitId?: number },
): Promise<LinkedOrder> {
  const orderedAt = new Date('2026-06-20T04:00:00Z');
  const { id } = await t.database.db
    .insertInto('orders')
    .values({
      corp_id: 'acme',
      source: 'test',
      source_order_id: `T${nextOrder++}`,
      channel: 'pos',
      unit_id: o.unitId ?? null,
      customer_id: customerId,
      total_fen: o.paidFen,
      paid_fen: o.paidFen,
      coupon_code: o.couponCode ?? null,
      coupon_fen: o.couponCode ? 500 : 0,
      ordered_at: orderedAt,
      linked_by: 'external_userid',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const items = o.items.map(([productCode, productName], i) => ({
    productCode,
    productName,
    quantity: 1,
    priceFen: Math.floor(o.paidFen / o.items.length),
    line: i + 1,
  }));
  await t.database.db
    .insertInto('order_items')
    .values(
      items.map((i) => ({
        corp_id: 'acme',
        order_id: id,
        line: i.line,
        product_code: i.productCode,
        product_name: i.productName,
        quantity: i.quantity,
        price_fen: i.priceFen,
      })),
    )
    .execute();
  return {
    id,
    customerId,
    unitId: o.unitId ?? null,
    channel: 'pos',
    totalFen: o.paidFen,
    paidFen: o.paidFen,
    couponCode: o.couponCode ?? null,
    couponFen: o.couponCode ? 500 : 0,
    orderedAt: orderedAt.toISOString(),
    items: items.map(({ line: _l, ...i }) => i),
  };
}

describe('auto-tag rules', () => {
  const tag: Record<string, number> = {};
  const rule: Record<string, number> = {};
  beforeAll(async () => {
    const { id } = (
      await call('admin', 'POST', '/api/v1/tag-groups', {
        name: '消费特征',
        audience: 'front_line',
        tags: ['杨枝甘露控', '高客单', '券敏感', '加盟意向', '会员意向'],
      })
    ).json();
    const group = (await get('admin', '/api/v1/tags')).json().groups.find((g: { id: number }) => g.id === id);
    for (const x of group.tags) tag[x.name] = x.id;
    // As if WeCom had created them: marks can be sent.
    for (const [name, tagId] of Object.entries(tag)) {
      await t.database.db
        .updateTable('tags')
        .set({ wecom_tag_id: `et_${name}` })
        .where('id', '=', tagId)
        .execute();
    }
    const create = async (body: object) => {
      const res = await call('admin', 'POST', '/api/v1/tag-rules', body);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().id as number;
    };
    rule.product = await create({
      name: '买过杨枝甘露',
      kind: 'order_product',
      condition: { productCodes: ['P-YZGL'] },
      tagIds: [tag.杨枝甘露控],
    });
    rule.amount = await create({
      name: '单笔满300',
      kind: 'order_amount',
      condition: { minPaidFen: 30000 },
      tagIds: [tag.高客单],
    });
    rule.coupon = await create({ name: '用券', kind: 'order_coupon', condition: {}, tagIds: [tag.券敏感] });
    rule.keyword = await create({
      name: '问加盟',
      kind: 'keyword',
      condition: { keywords: ['加盟', 'ＶＩＰ'] },
      tagIds: [tag.加盟意向],
    });
    rule.off = await create({
      name: '停用的规则',
      kind: 'order_amount',
      condition: { minPaidFen: 1 },
      tagIds: [tag.会员意向],
      enabled: false,
    });
  });

  it('refuses rules that make no sense, with the field named', async () => {
    const bad = async (body: object) => {
      const res = await call('admin', 'POST', '/api/v1/tag-rules', body);
      return [res.statusCode, res.json().error.message as string] as const;
    };
    const base = { name: '坏规则', tagIds: [t.fx.tags.vip] };
    expect((await bad({ ...base, kind: 'order_amount', condition: { minPaidFen: 0 } }))[0]).toBe(400);
    expect((await bad({ ...base, kind: 'keyword', condition: { keywords: [] } }))[0]).toBe(400);
    const channel = await bad({ ...base, kind: 'channel', condition: { methods: [], scenes: [] } });
    expect(channel[0]).toBe(400);
    expect(channel[1]).toContain('method or scene');
    expect((await bad({ ...base, kind: 'on_birthday', condition: {} }))[0]).toBe(400);
    expect((await bad({ ...base, kind: 'order_coupon', condition: {}, tagIds: [999999] }))[0]).toBe(400);
    expect((await bad({ ...base, name: '用券', kind: 'order_coupon', condition: {} }))[0]).toBe(409);
    expect(
      (await call('sh1', 'POST', '/api/v1/tag-rules', { ...base, kind: 'order_coupon', condition: {} }))
        .statusCode,
    ).toBe(403);
  });

  it('tags on orders — product, single paid amount, coupon — once per order, with the cause on the timeline', async () => {
    const li = t.fx.customers.li; // followed by sh1b in store sh1
    const cheap = await order(li, {
      paidFen: 1800,
      items: [
        ['P-YZGL', '杨枝甘露'],
        ['P-MT', '奶茶'],
      ],
    });
    const big = await order(li, {
      paidFen: 35000,
      couponCode: 'C10',
      items: [['P-GIFT', '礼盒']],
      unitId: t.fx.units.sh1,
    });
    const small = await order(li, { paidFen: 29999, items: [['P-MT', '奶茶']] });
    const ctx = syncCtx(t.database);
    await applyOrderTagRules(ctx, [cheap, big, small]);
    await applyOrderTagRules(ctx, [cheap, big, small]); // the same orders again: nothing more
    expect(await customerTags(li)).toEqual(expect.arrayContaining(['杨枝甘露控', '高客单', '券敏感']));
    expect(await customerTags(li)).not.toContain('会员意向'); // its rule is disabled
    const added = (await timeline(li, 'tag_added')).filter((e) => e.data.source === 'rule');
    expect(added.map((e) => e.summary)).toEqual([
      `打上标签「杨枝甘露控」（规则「买过杨枝甘露」：订单 #${cheap.id} 购买「杨枝甘露」）`,
      `打上标签「高客单」（规则「单笔满300」：订单 #${big.id} 实付 ¥350（≥ ¥300））`,
      `打上标签「券敏感」（规则「用券」：订单 #${big.id} 使用优惠券 C10）`,
    ]);
    expect(added[1]!.data).toMatchObject({
      ruleId: rule.amount,
      ruleName: '单笔满300',
      trigger: `order:${big.id}`,
    });
    // Marked in WeCom once per order, on 李娜's follow with sh1b.
    const marks = await outbox(`tag:rule:`);
    expect(marks.map((m) => m.request)).toEqual([
      { userid: 'sh1b', external_userid: 'wm_li', add_tag: ['et_杨枝甘露控'] },
      { userid: 'sh1b', external_userid: 'wm_li', add_tag: ['et_高客单'] },
      { userid: 'sh1b', external_userid: 'wm_li', add_tag: ['et_券敏感'] },
    ]);
    // A later order matching a rule whose tag the customer already has changes nothing visible.
    await applyOrderTagRules(ctx, [await order(li, { paidFen: 40000, items: [['P-MT', '奶茶']] })]);
    expect((await timeline(li, 'tag_added')).filter((e) => e.data.source === 'rule')).toHaveLength(3);
  });

  it('only an order with a coupon from the list matches a coupon rule that names codes', async () => {
    const res = await call('admin', 'PUT', `/api/v1/tag-rules/${rule.coupon}`, {
      name: '用券',
      kind: 'order_coupon',
      condition: { couponCodes: ['NEW5'] },
      tagIds: [tag.券敏感],
    });
    expect(res.statusCode).toBe(200);
    const zhao = t.fx.customers.zhao;
    await applyOrderTagRules(syncCtx(t.database), [
      await order(zhao, { paidFen: 100, couponCode: 'C10', items: [['P-MT', '奶茶']] }),
    ]);
    expect(await customerTags(zhao)).not.toContain('券敏感');
    await applyOrderTagRules(syncCtx(t.database), [
      await order(zhao, { paidFen: 100, couponCode: 'NEW5', items: [['P-MT', '奶茶']] }),
    ]);
    expect(await customerTags(zhao)).toContain('券敏感');
  });

  it('tags on a keyword in a customer’s message, matched in Chinese as written (spaces, full width)', async () => {
    expect(normalizeText('想了解 加　盟，ｖｉｐ')).toBe('想了解加盟,vip');
    const both = t.fx.customers.both;
    const ctx = syncCtx(t.database);
    const at = new Date('2026-06-21T02:00:00Z');
    await applyKeywordRules(ctx, both, '你们还招商吗？', at);
    expect(await customerTags(both)).not.toContain('加盟意向');
    await applyKeywordRules(ctx, both, '请问怎么 加 盟？电话13812345678', at);
    await applyKeywordRules(ctx, both, '请问怎么 加 盟？电话13812345678', at);
    expect(await customerTags(both)).toContain('加盟意向');
    const events = (await timeline(both, 'tag_added')).filter((e) => e.data.source === 'rule');
    expect(events.map((e) => e.summary)).toEqual([
      '打上标签「加盟意向」（规则「问加盟」：消息含关键词「加盟」）',
    ]);
    expect(JSON.stringify(events)).not.toContain('13812345678');
    // The full-width keyword matches a half-width message, too.
    await applyKeywordRules(ctx, t.fx.customers.hqonly, '我是vip吗', at);
    expect(await customerTags(t.fx.customers.hqonly)).toContain('加盟意向');
  });

  it('lists each rule with the customers it tagged, counted within the caller’s scope', async () => {
    const counts = async (who: string) =>
      Object.fromEntries(
        (await get(who, '/api/v1/tag-rules'))
          .json()
          .rules.map((r: { name: string; customersTagged: number }) => [r.name, r.customersTagged]),
      );
    expect(await counts('admin')).toEqual({
      买过杨枝甘露: 1,
      单笔满300: 1,
      用券: 2,
      问加盟: 2,
      停用的规则: 0,
    });
    expect(await counts('sh1')).toEqual({ 买过杨枝甘露: 1, 单笔满300: 1, 用券: 1, 问加盟: 0, 停用的规则: 0 });
    expect(await counts('gz1')).toEqual({ 买过杨枝甘露: 0, 单笔满300: 0, 用券: 1, 问加盟: 0, 停用的规则: 0 });
    expect((await get('sh1a', '/api/v1/tag-rules')).statusCode).toBe(403);
    // Products by the name their orders gave them.
    expect((await get('admin', '/api/v1/tag-rules')).json().productNames).toEqual({ 'P-YZGL': '杨枝甘露' });
  });

  it('lists rules as the caller’s tag view shows them: an HQ-only tag, and a rule only it, stay with HQ', async () => {
    const { id } = (
      await call('admin', 'POST', '/api/v1/tag-groups', {
        name: '招商线索',
        audience: 'hq',
        tags: ['渠道合作'],
      })
    ).json();
    const partner = (await get('admin', '/api/v1/tags'))
      .json()
      .groups.find((g: { id: number }) => g.id === id).tags[0].id as number;
    for (const body of [
      { name: '问合作', kind: 'keyword', condition: { keywords: ['合作'] }, tagIds: [partner] },
      {
        name: '合作会员',
        kind: 'keyword',
        condition: { keywords: ['会员合作'] },
        tagIds: [partner, tag.会员意向],
      },
    ]) {
      expect((await call('admin', 'POST', '/api/v1/tag-rules', body)).statusCode).toBe(200);
    }
    const rules = async (who: string) =>
      Object.fromEntries(
        (await get(who, '/api/v1/tag-rules'))
          .json()
          .rules.map((r: { name: string; tags: { name: string }[] }) => [r.name, r.tags.map((x) => x.name)]),
      );
    expect(await rules('admin')).toMatchObject({ 问合作: ['渠道合作'], 合作会员: ['会员意向', '渠道合作'] });
    for (const who of ['sh1', 'east']) {
      const seen = await rules(who);
      expect(seen, who).not.toHaveProperty('问合作');
      expect(seen.合作会员, who).toEqual(['会员意向']);
      // The front-line tags the store's customers get are there, for the managers who follow them up.
      expect(seen.单笔满300, who).toEqual(['高客单']);
    }
  });

  it('deleting a rule keeps the tags it put on', async () => {
    expect((await call('admin', 'DELETE', `/api/v1/tag-rules/${rule.product}`)).statusCode).toBe(200);
    expect(await customerTags(t.fx.customers.li)).toContain('杨枝甘露控');
    expect((await call('admin', 'DELETE', `/api/v1/tag-rules/${rule.product}`)).statusCode).toBe(404);
  });
});
