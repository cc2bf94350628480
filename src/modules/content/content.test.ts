import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { contentByKey, getContent, recordContentUse, renderContent } from './index.ts';

/**
 * The library through HTTP: items owned per unit and inherited down the tree (a store sees its own, its
 * region's and HQ's and edits only its own), filters and search, clear 4xx for bad input, the faces other
 * modules call (getContent, contentByKey, renderContent, recordContentUse), and uses with the orders that
 * followed, counted within the caller's scope.
 */
let t: TestApp;
let admin: TestSession;
let east: TestSession;
let sh1: TestSession;
let sh2: TestSession;
let gz1: TestSession;
let sh1a: TestSession;
let other: TestSession;

beforeAll(async () => {
  t = await openTestApp();
  [admin, east, sh1, sh2, gz1, sh1a, other] = await Promise.all([
    t.login(t.fx.logins.admin),
    t.login(t.fx.logins.east),
    t.login(t.fx.logins.sh1),
    t.login(t.fx.logins.sh2),
    t.login(t.fx.logins.gz1),
    t.login(t.fx.logins.sh1a),
    t.login('admin@other'),
  ]);
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

const welcome = {
  key: 'day0.welcome',
  kind: 'persona',
  title: '新客欢迎',
  text: '{{customer_name}}你好，我是{{persona_name|小禾}}，以后有事随时找我',
  personas: ['brand'],
  stages: ['new'],
  scenes: ['welcome'],
};

async function create(s: TestSession, body: Record<string, unknown>) {
  const res = await call(s, 'POST', '/content', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: number; unitId: number; editable: boolean; key: string | null };
}
const titles = async (s: TestSession, query = '') => {
  const res = await call(s, 'GET', `/content${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().items as { title: string }[]).map((i) => i.title).sort();
};

let hqItem: { id: number };
let eastItem: { id: number };
let sh1Item: { id: number };
let gzItem: { id: number };

describe('ownership and inheritance', () => {
  beforeAll(async () => {
    hqItem = await create(admin, welcome);
    eastItem = await create(east, {
      key: 'day0.welcome',
      kind: 'event',
      title: '华东新店开业',
      text: '{{store_name}}开业啦',
      scenes: ['event'],
    });
    sh1Item = await create(sh1, {
      kind: 'coupon',
      script: true,
      title: '首单券话术',
      text: '给您留了一张{{coupon_name}}，这周内到店可用',
      stages: ['new', 'active'],
      products: ['杨枝甘露'],
      scenes: ['first_order'],
    });
    gzItem = await create(gz1, { kind: 'product', title: '广州限定', text: '双皮奶上新' });
  });

  it('a store sees its own, its region’s and HQ’s; a region sees HQ’s, its own and its stores’', async () => {
    expect(await titles(sh1)).toEqual(['华东新店开业', '新客欢迎', '首单券话术']);
    expect(await titles(sh2)).toEqual(['华东新店开业', '新客欢迎']);
    expect(await titles(gz1)).toEqual(['广州限定', '新客欢迎']);
    expect(await titles(east)).toEqual(['华东新店开业', '新客欢迎', '首单券话术']);
    expect(await titles(admin)).toEqual(['华东新店开业', '广州限定', '新客欢迎', '首单券话术']);
    expect(await titles(sh1a)).toEqual(['华东新店开业', '新客欢迎', '首单券话术']);
    expect(await titles(other)).toEqual([]);
    expect(await titles(east, '?owner=own')).toEqual(['华东新店开业']);
    expect(await titles(east, '?owner=inherited')).toEqual(['新客欢迎']);
    expect(await titles(east, '?owner=below')).toEqual(['首单券话术']);
  });

  it('an item is edited from its unit or above: HQ’s is read-only below', async () => {
    const list = (await call(sh1, 'GET', '/content')).json().items as { id: number; editable: boolean }[];
    expect(Object.fromEntries(list.map((i) => [i.id, i.editable]))).toEqual({
      [hqItem.id]: false,
      [eastItem.id]: false,
      [sh1Item.id]: true,
    });
    const fromEast = (await call(east, 'GET', '/content')).json().items as {
      id: number;
      editable: boolean;
    }[];
    expect(Object.fromEntries(fromEast.map((i) => [i.id, i.editable]))).toEqual({
      [hqItem.id]: false,
      [eastItem.id]: true,
      [sh1Item.id]: true,
    });
    const put = (s: TestSession, id: number) => call(s, 'PUT', `/content/${id}`, { ...welcome, key: null });
    const refused = await put(sh1, hqItem.id);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toBe(
      'This item belongs to 总部: you may read and use it, not change it',
    );
    expect((await put(east, hqItem.id)).statusCode).toBe(403);
    expect((await call(sh1, 'DELETE', `/content/${eastItem.id}`)).statusCode).toBe(403);
    // out of view: not found, not forbidden
    expect((await put(sh2, sh1Item.id)).statusCode).toBe(404);
    expect((await call(sh2, 'GET', `/content/${sh1Item.id}`)).statusCode).toBe(404);
    expect((await call(east, 'GET', `/content/${gzItem.id}`)).statusCode).toBe(404);
    expect((await call(other, 'GET', `/content/${hqItem.id}`)).statusCode).toBe(404);
    // front-line staff read and use, but do not write
    expect((await call(sh1a, 'GET', `/content/${hqItem.id}`)).statusCode).toBe(200);
    expect((await call(sh1a, 'POST', '/content', welcome)).statusCode).toBe(403);
    const changed = await call(sh1, 'PUT', `/content/${sh1Item.id}`, {
      kind: 'coupon',
      script: true,
      title: '首单券话术',
      text: '{{customer_name}}，给您留了一张{{coupon_name}}',
      stages: ['new'],
      scenes: ['first_order'],
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ stages: ['new'], products: [], editable: true });
  });

  it('keys are unique per unit; the nearest unit up the tree wins', async () => {
    const dup = await call(admin, 'POST', '/content', { ...welcome, title: '另一个' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.message).toBe('Your unit already has an item with the key day0.welcome');
    const ctx = syncCtx(t.database);
    const { units } = t.fx;
    expect((await contentByKey(ctx, 'day0.welcome', units.sh1))?.id).toBe(eastItem.id);
    expect((await contentByKey(ctx, 'day0.welcome', units.east))?.id).toBe(eastItem.id);
    expect((await contentByKey(ctx, 'day0.welcome', units.gz1))?.id).toBe(hqItem.id);
    expect((await contentByKey(ctx, 'day0.welcome', units.hq))?.id).toBe(hqItem.id);
    expect(await contentByKey(ctx, 'nope', units.sh1)).toBeNull();
    expect(await contentByKey(syncCtx(t.database, 'other'), 'day0.welcome', units.hq)).toBeNull();
  });

  it('filters by kind, script, persona, stage, product and scene, and searches title, text and key', async () => {
    expect(await titles(admin, '?kind=coupon')).toEqual(['首单券话术']);
    expect(await titles(admin, '?script=true')).toEqual(['首单券话术']);
    expect(await titles(admin, '?script=false')).toEqual(['华东新店开业', '广州限定', '新客欢迎']);
    expect(await titles(admin, '?persona=brand')).toEqual(['新客欢迎']);
    expect(await titles(admin, '?stage=new')).toEqual(['新客欢迎', '首单券话术']);
    expect(await titles(admin, '?scene=event')).toEqual(['华东新店开业']);
    expect(await titles(admin, `?q=${encodeURIComponent('双皮奶')}`)).toEqual(['广州限定']);
    expect(await titles(admin, '?q=day0')).toEqual(['华东新店开业', '新客欢迎']);
    expect(await titles(admin, '?q=%25')).toEqual([]);
    const page = (await call(admin, 'GET', '/content?limit=3')).json();
    expect(page.items).toHaveLength(3);
    const rest = (await call(admin, 'GET', `/content?limit=3&cursor=${page.nextCursor}`)).json();
    expect(rest.items).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    expect((await call(admin, 'GET', '/content?kind=video')).statusCode).toBe(400);
    expect((await call(admin, 'GET', '/content?stage=vip')).statusCode).toBe(400);
  });
});

describe('bad input gets a clear 4xx', () => {
  const bad = async (body: Record<string, unknown>) => {
    const res = await call(admin, 'POST', '/content', { kind: 'trust', title: '品牌故事', ...body });
    expect(res.statusCode).toBe(400);
    return res.json().error.message as string;
  };
  it('names the unknown variable, the over-long field and the bad attachment', async () => {
    expect(await bad({ text: '{{nickname}}你好' })).toMatch(/body\.text: unknown variable \{\{nickname\}\}/);
    expect(await bad({ text: '{{customer_name' })).toMatch(/"\{\{" is not closed/);
    expect(await bad({ text: '' })).toMatch(/give a text or at least one attachment/);
    expect(await bad({ text: 'x', kind: 'poster' })).toMatch(/body\.kind/);
    expect(await bad({ text: 'x', personas: ['boss'] })).toMatch(/body\.personas/);
    expect(await bad({ text: 'x', key: 'Bad Key' })).toMatch(/body\.key/);
    expect(
      await bad({ attachments: [{ type: 'link', title: '{{who}}的礼物', url: 'https://e.com' }] }),
    ).toMatch(/attachments\.0\.title: unknown variable \{\{who\}\}/);
    expect(
      await bad({
        attachments: [
          {
            type: 'miniprogram',
            title: '点单',
            appid: 'wx0123456789abcdef',
            page: 'p/i',
            picUrl: 'https://e.com/c.png',
          },
        ],
      }),
    ).toMatch(/must end in \.html/);
    expect(
      await bad({ attachments: Array(10).fill({ type: 'image', picUrl: 'https://e.com/a.png' }) }),
    ).toMatch(/body\.attachments/);
  });

  it('previews an unsaved item with the sample values, and refuses what it would refuse to save', async () => {
    const res = await call(sh1a, 'POST', '/content/preview', {
      kind: 'persona',
      title: 'x',
      text: '{{customer_name}}你好，我是{{staff_name}}',
      attachments: [{ type: 'image', picUrl: 'https://e.com/a.png' }],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      text: { content: '王芳你好，我是张丽' },
      // an image of the brand's own is uploaded as media when sent
      attachments: [{ msgtype: 'image', image: { media_id: '' } }],
      media: [{ attachment: 0, mediaType: 'image', field: 'media_id', url: 'https://e.com/a.png' }],
      missing: [],
    });
    expect(
      (await call(sh1a, 'POST', '/content/preview', { kind: 'persona', title: 'x', text: '{{x}}' }))
        .statusCode,
    ).toBe(400);
    const vars = (await call(sh1a, 'GET', '/content-variables')).json().items as { name: string }[];
    expect(vars.map((v) => v.name)).toContain('customer_name');
  });
});

describe('what other modules call', () => {
  it('getContent reads any of the corp’s items for a system context, and renderContent makes its body', async () => {
    const ctx = syncCtx(t.database);
    const item = await getContent(ctx, hqItem.id);
    expect(renderContent(item, { customer_name: '李娜' })).toEqual({
      text: { content: '李娜你好，我是小禾，以后有事随时找我' },
      attachments: [],
      media: [],
      missing: ['persona_name'],
    });
    await expect(getContent(syncCtx(t.database, 'other'), hqItem.id)).rejects.toThrow(
      'Content item not found',
    );
  });
});

describe('uses and the orders that followed', () => {
  const DAY = 86_400_000;
  it('counts uses, customers and the orders within 7 days after a use, within the caller’s scope', async () => {
    const ctx = syncCtx(t.database);
    const { wang, zhao, li } = t.fx.customers;
    const at = new Date('2026-07-01T10:00:00Z');
    const use = (customerId: number, touchId?: string, when = at) =>
      recordContentUse(ctx, { contentId: hqItem.id, customerId, touchId, at: when });
    expect(await use(wang, 't-1')).toBe(true);
    expect(await use(wang, 't-1')).toBe(false); // the same touch is one use
    expect(await use(wang, 't-2', new Date(at.getTime() + DAY))).toBe(true);
    expect(await use(zhao, 't-3')).toBe(true);
    expect(await use(li)).toBe(true);
    const order = (customerId: number, n: number, paid: number, after: number) => ({
      corp_id: 'acme',
      source: 'pos',
      source_order_id: `c-${n}`,
      channel: 'pos' as const,
      unit_id: null,
      customer_id: customerId,
      total_fen: paid,
      paid_fen: paid,
      ordered_at: new Date(at.getTime() + after),
    });
    await t.database.db
      .insertInto('orders')
      .values([
        order(wang, 1, 3_000, 2 * DAY), // after both of wang's uses: one order, counted once
        order(wang, 2, 5_000, -DAY), // before: not
        order(wang, 3, 7_000, 7.5 * DAY), // 7.5 days after the first use, 6.5 after the second: counted
        order(zhao, 4, 10_000, 8 * DAY), // 8 days after: not
        order(li, 5, 2_000, DAY / 2),
      ])
      .execute();
    const usage = async (s: TestSession) => (await call(s, 'GET', `/content/${hqItem.id}`)).json().usage;
    expect(await usage(admin)).toEqual({
      uses: 4,
      customers: 3,
      orders: 2 + 1,
      gmvFen: 3_000 + 7_000 + 2_000,
    });
    expect(await usage(sh1)).toEqual({ uses: 3, customers: 2, orders: 3, gmvFen: 12_000 });
    expect(await usage(gz1)).toEqual({ uses: 1, customers: 1, orders: 0, gmvFen: 0 });
    expect(await usage(sh2)).toEqual({ uses: 0, customers: 0, orders: 0, gmvFen: 0 });
    // the staff member sees only the customers they follow (sh1a follows wang)
    expect(await usage(sh1a)).toEqual({ uses: 2, customers: 1, orders: 2, gmvFen: 10_000 });
  });
});
