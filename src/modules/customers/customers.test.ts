import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';

let t: TestApp;
const as: Record<string, TestSession> = {};

beforeAll(async () => {
  t = await openTestApp();
  for (const [k, login] of Object.entries(t.fx.logins)) as[k] = await t.login(login);
  as.otherAdmin = await t.login('admin@other');
});
afterAll(() => t.close());

async function get(who: string, url: string) {
  const s = as[who]!;
  return t.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
}
const names = (res: { json(): { items: { name: string }[] } }) =>
  res
    .json()
    .items.map((c) => c.name)
    .sort();

describe('customer list', () => {
  it('shows HQ every customer of its corp and nothing of another corp', async () => {
    const res = await get('admin', '/api/v1/customers');
    expect(res.statusCode).toBe(200);
    expect(names(res)).toEqual(['周杰', '孙悦', '李娜', '王芳', '赵磊'].sort());
    const other = await get('otherAdmin', '/api/v1/customers');
    expect(other.json().items.map((c: { id: number }) => c.id)).toEqual([t.fx.otherCustomer]);
  });

  it('narrows a region manager to its stores and a store manager to its store', async () => {
    expect(names(await get('east', '/api/v1/customers'))).toEqual(['孙悦', '李娜', '王芳'].sort());
    expect(names(await get('sh1', '/api/v1/customers'))).toEqual(['李娜', '王芳'].sort());
    expect(names(await get('gz1', '/api/v1/customers'))).toEqual(['赵磊']);
  });

  it('narrows a front-line account to the customers it follows itself', async () => {
    expect(names(await get('sh1a', '/api/v1/customers'))).toEqual(['王芳']);
  });

  it('returns tags and the owning staff with their journey role', async () => {
    const res = await get('admin', '/api/v1/customers?q=孙悦');
    const [row] = res.json().items;
    expect(row.tags).toEqual([{ id: t.fx.tags.fruit, name: '包裹卡' }]);
    expect(
      row.owners.map((o: { staffName: string; journeyRole: string }) => [o.staffName, o.journeyRole]).sort(),
    ).toEqual([
      ['刘洋', 'store_staff'],
      ['运营小禾', 'online_ops'],
    ]);
  });

  it.each([
    ['name', '王芳', ['王芳']],
    ['full pinyin', 'wangfang', ['王芳']],
    ['pinyin initials', 'zl', ['赵磊']],
    ['remark', '果茶', ['王芳']],
    ['masked phone tail', '5678', ['王芳']],
    ['full phone (keyed hash)', '139-0000-1111', ['赵磊']],
    ['a LIKE wildcard taken literally', '%', []],
  ])('searches by %s', async (_what, q, expected) => {
    const res = await get('admin', `/api/v1/customers?q=${encodeURIComponent(q)}`);
    expect(res.statusCode).toBe(200);
    expect(names(res)).toEqual(expected);
  });

  it('never finds another store’s customer by search', async () => {
    expect(names(await get('sh1', `/api/v1/customers?q=${encodeURIComponent('赵磊')}`))).toEqual([]);
    expect(names(await get('sh1', '/api/v1/customers?q=13900001111'))).toEqual([]);
  });

  it('filters by unit (with its subtree), tag and staff', async () => {
    expect(names(await get('admin', `/api/v1/customers?unitId=${t.fx.units.east}`))).toEqual(
      ['孙悦', '李娜', '王芳'].sort(),
    );
    expect(names(await get('admin', `/api/v1/customers?tagId=${t.fx.tags.vip}`))).toEqual(
      ['王芳', '赵磊'].sort(),
    );
    expect(names(await get('admin', `/api/v1/customers?staffId=${t.fx.staff.ops}`))).toEqual(
      ['周杰', '孙悦'].sort(),
    );
    expect(names(await get('east', `/api/v1/customers?unitId=${t.fx.units.sh2}`))).toEqual(['孙悦']);
  });

  it('refuses filters that reach outside the caller’s scope', async () => {
    const unit = await get('sh1', `/api/v1/customers?unitId=${t.fx.units.gz1}`);
    expect(unit.statusCode).toBe(403);
    expect(unit.json().error.code).toBe('forbidden');
    expect((await get('sh1', `/api/v1/customers?staffId=${t.fx.staff.gz1a}`)).statusCode).toBe(403);
  });

  it('pages with a cursor, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get('admin', `/api/v1/customers?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((c: { name: string }) => c.name));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(['周杰', '孙悦', '李娜', '王芳', '赵磊'].sort());
  });

  it('counts the whole filtered list in the caller’s scope, on every page', async () => {
    const total = async (who: string, query: string) =>
      (await get(who, `/api/v1/customers?${query}`)).json().total;
    expect(await total('admin', 'limit=1')).toBe(5);
    expect(
      await total(
        'admin',
        `limit=1&cursor=${(await get('admin', '/api/v1/customers?limit=2')).json().nextCursor}`,
      ),
    ).toBe(5);
    expect(await total('east', 'limit=1')).toBe(3);
    expect(await total('sh1a', '')).toBe(1);
    expect(await total('admin', `tagId=${t.fx.tags.vip}`)).toBe(2);
    expect(await total('sh1', `tagId=${t.fx.tags.vip}`)).toBe(1);
    expect(await total('admin', `q=${encodeURIComponent('王')}&unitId=${t.fx.units.east}`)).toBe(1);
    expect(await total('gz1', 'q=13812345678')).toBe(0);
  });

  it.each([
    ['limit=0', 'querystring.limit'],
    ['limit=101', 'querystring.limit'],
    ['unitId=abc', 'querystring.unitId'],
    ['cursor=nonsense', '分页游标无效'],
  ])('answers %s with a clear 400', async (query, message) => {
    const res = await get('admin', `/api/v1/customers?${query}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('bad_request');
    expect(res.json().error.message).toContain(message);
    expect(res.json().error.requestId).toBeTruthy();
  });
});

describe('customer profile', () => {
  it('shows every follow with its staff’s role and unit, tags and timeline', async () => {
    const res = await get('admin', `/api/v1/customers/${t.fx.customers.both}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.customer.name).toBe('孙悦');
    expect(body.follows).toHaveLength(2);
    const byStaff = Object.fromEntries(
      body.follows.map(
        (f: { staff: { name: string; unitName: string }; journeyRole: string; remark: string | null }) => [
          f.staff.name,
          [f.staff.unitName, f.journeyRole, f.remark],
        ],
      ),
    );
    expect(byStaff).toEqual({
      刘洋: ['上海二店', 'store_staff', null],
      运营小禾: ['总部', 'online_ops', '线上咨询'],
    });
    expect(body.tags).toEqual([
      { id: t.fx.tags.fruit, name: '包裹卡', groupId: expect.any(Number), groupName: '客户来源' },
    ]);
    expect(body.timeline).toHaveLength(2);
    expect(body.timeline[0]).toMatchObject({
      kind: 'follow_added',
      text: { zh: expect.stringMatching(/^添加了 /) },
    });
  });

  it('shows a masked phone, never the number', async () => {
    const res = await get('admin', `/api/v1/customers/${t.fx.customers.wang}`);
    expect(res.json().customer.phoneMasked).toBe('138****5678');
    expect(res.body).not.toContain('13812345678');
  });

  it('answers 404 for another store’s customer, another corp’s customer and an unknown id', async () => {
    for (const [who, id] of [
      ['sh1', t.fx.customers.zhao],
      ['sh1', t.fx.customers.both],
      ['sh1a', t.fx.customers.li],
      ['gz1', t.fx.customers.wang],
      ['admin', t.fx.otherCustomer],
      ['otherAdmin', t.fx.customers.wang],
      ['admin', 999999],
    ] as const) {
      const res = await get(who, `/api/v1/customers/${id}`);
      expect(res.statusCode, `${who} → ${id}`).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
  });

  it('lets a store manager open a customer shared with another store, through its own store', async () => {
    expect((await get('sh2', `/api/v1/customers/${t.fx.customers.both}`)).statusCode).toBe(200);
  });

  it('speaks English when asked', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/customers/999999',
      headers: { cookie: as.admin!.cookie, 'accept-language': 'en-US,en;q=0.9' },
    });
    expect(res.json().error.message).toBe('Customer not found');
  });
});
