import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';

let t: TestApp;
const as: Record<string, TestSession> = {};
let taste: number; // front-line group 口味偏好
let fruitTea: number; // 果茶, in 口味偏好
let franchise: number; // 加盟意向, in the HQ-only group 招商线索
beforeAll(async () => {
  t = await openTestApp();
  for (const [k, login] of Object.entries(t.fx.logins)) as[k] = await t.login(login);
  // A front-line group next to the fixture's 会员 (all) and 客户来源 (ops).
  taste = (
    await t.database.db
      .insertInto('tag_groups')
      .values({ corp_id: 'acme', name: '口味偏好', audience: 'front_line', wecom_group_id: null })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  fruitTea = (
    await t.database.db
      .insertInto('tags')
      .values({ corp_id: 'acme', group_id: taste, name: '果茶', wecom_tag_id: null })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  const leads = await t.database.db
    .insertInto('tag_groups')
    .values({ corp_id: 'acme', name: '招商线索', audience: 'hq', wecom_group_id: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  franchise = (
    await t.database.db
      .insertInto('tags')
      .values({ corp_id: 'acme', group_id: leads.id, name: '加盟意向', wecom_tag_id: null })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
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

describe('tag views per role', () => {
  beforeAll(async () => {
    // 王芳 (sh1a's customer) carries a tag of each audience: VIP (all, fixture), 包裹卡 (ops), 果茶 (front line),
    // 加盟意向 (HQ).
    await t.database.db
      .insertInto('customer_tags')
      .values([
        {
          corp_id: 'acme',
          customer_id: t.fx.customers.wang,
          tag_id: t.fx.tags.fruit,
          staff_id: null,
          tagged_at: new Date(),
        },
        {
          corp_id: 'acme',
          customer_id: t.fx.customers.wang,
          tag_id: fruitTea,
          staff_id: null,
          tagged_at: new Date(),
        },
        {
          corp_id: 'acme',
          customer_id: t.fx.customers.wang,
          tag_id: franchise,
          staff_id: null,
          tagged_at: new Date(),
        },
      ])
      .execute();
  });

  it('lists the groups of each role’s view: HQ all, managers all + ops + front line, staff all + front line', async () => {
    const groups = async (who: string) =>
      (await get(who, '/api/v1/tags'))
        .json()
        .groups.map((g: { name: string; tags: { name: string }[] }) => [g.name, g.tags.map((x) => x.name)]);
    expect(await groups('admin')).toEqual([
      ['会员', ['VIP']],
      ['客户来源', ['包裹卡']],
      ['口味偏好', ['果茶']],
      ['招商线索', ['加盟意向']],
    ]);
    // Managers follow customers too: they need the front-line tags; HQ's own stay with HQ.
    expect(await groups('east')).toEqual([
      ['会员', ['VIP']],
      ['客户来源', ['包裹卡']],
      ['口味偏好', ['果茶']],
    ]);
    expect(await groups('sh1')).toEqual([
      ['会员', ['VIP']],
      ['客户来源', ['包裹卡']],
      ['口味偏好', ['果茶']],
    ]);
    expect(await groups('sh1a')).toEqual([
      ['会员', ['VIP']],
      ['口味偏好', ['果茶']],
    ]);
  });

  it('shows on the profile and in the list only the tags of the caller’s view', async () => {
    const profile = async (who: string) =>
      (await get(who, `/api/v1/customers/${t.fx.customers.wang}`))
        .json()
        .tags.map((x: { name: string }) => x.name);
    expect((await profile('admin')).sort()).toEqual(['VIP', '加盟意向', '包裹卡', '果茶']);
    expect((await profile('sh1')).sort()).toEqual(['VIP', '包裹卡', '果茶']);
    expect((await profile('sh1a')).sort()).toEqual(['VIP', '果茶']);
    const listed = async (who: string) =>
      (await get(who, '/api/v1/customers?limit=50'))
        .json()
        .items.find((c: { id: number }) => c.id === t.fx.customers.wang)
        .tags.map((x: { name: string }) => x.name)
        .sort();
    expect(await listed('admin')).toEqual(['VIP', '加盟意向', '包裹卡', '果茶']);
    expect(await listed('east')).toEqual(['VIP', '包裹卡', '果茶']);
    expect(await listed('sh1a')).toEqual(['VIP', '果茶']);
  });

  it('refuses a list filter on a tag outside the caller’s view, and filters within it', async () => {
    const byTag = (who: string, tagId: number) => get(who, `/api/v1/customers?tagId=${tagId}`);
    expect((await byTag('sh1a', t.fx.tags.fruit)).statusCode).toBe(403);
    expect((await byTag('sh1', franchise)).statusCode).toBe(403);
    expect((await byTag('east', franchise)).statusCode).toBe(403);
    for (const who of ['sh1a', 'sh1', 'east']) {
      const mine = await byTag(who, fruitTea);
      expect(mine.statusCode, who).toBe(200);
      expect(mine.json().items.map((c: { id: number }) => c.id)).toEqual([t.fx.customers.wang]);
    }
    expect((await byTag('admin', t.fx.tags.fruit)).json().items.map((c: { id: number }) => c.id)).toEqual(
      expect.arrayContaining([t.fx.customers.wang, t.fx.customers.both]),
    );
  });

  it('lets each role tag a customer within its view only; the timeline hides other views’ tag events', async () => {
    const wang = t.fx.customers.wang;
    await call('sh1a', 'POST', `/api/v1/customers/${wang}/tags`, { remove: [fruitTea] });
    expect(
      (await call('sh1a', 'POST', `/api/v1/customers/${wang}/tags`, { add: [t.fx.tags.fruit] })).statusCode,
    ).toBe(403);
    const added = await call('sh1a', 'POST', `/api/v1/customers/${wang}/tags`, { add: [fruitTea] });
    expect(added.json()).toEqual({ added: [fruitTea], removed: [] });
    const events = async (who: string) =>
      (await get(who, `/api/v1/customers/${wang}`))
        .json()
        .timeline.filter((e: { kind: string }) => e.kind.startsWith('tag_'))
        .map((e: { text: { zh: string }; actorName: string | null }) => `${e.text.zh} · ${e.actorName}`);
    expect(await events('sh1a')).toEqual([
      '打上标签「果茶」（私域后台） · sh1a',
      '移除标签「果茶」（私域后台） · sh1a',
    ]);
    // The store manager follows up the same customers: she sees the front-line tag changes too.
    expect(await events('sh1')).toEqual(await events('sh1a'));
    expect(
      (await call('sh1', 'POST', `/api/v1/customers/${wang}/tags`, { add: [franchise] })).statusCode,
    ).toBe(403);
    expect((await events('admin')).length).toBe(2);
    // Another store's customer is out of reach, like any missing one.
    expect(
      (await call('sh1a', 'POST', `/api/v1/customers/${t.fx.customers.zhao}/tags`, { add: [fruitTea] }))
        .statusCode,
    ).toBe(404);
  });
});

describe('corp tag management in Siyu (HQ)', () => {
  it('creates a group with its tags, pending until WeCom has them, and queues one create', async () => {
    const res = await call('admin', 'POST', '/api/v1/tag-groups', {
      name: '消费等级',
      audience: 'front_line',
      tags: ['新客', '复购客'],
    });
    expect(res.statusCode).toBe(200);
    const group = (await get('admin', '/api/v1/tags'))
      .json()
      .groups.find((g: { name: string }) => g.name === '消费等级');
    expect(group).toMatchObject({ audience: 'front_line', sync: 'pending', syncError: null });
    expect(group.tags.map((x: { name: string; sync: string }) => [x.name, x.sync])).toEqual([
      ['新客', 'pending'],
      ['复购客', 'pending'],
    ]);
    const rows = await outbox('tag:add:');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: '/cgi-bin/externalcontact/add_corp_tag',
      status: 'pending',
      request: { group_name: '消费等级', tag: [{ name: '新客' }, { name: '复购客' }] },
    });
    // Same names refused: a group twice, a tag twice in a group.
    expect((await call('admin', 'POST', '/api/v1/tag-groups', { name: '消费等级' })).statusCode).toBe(409);
    expect(
      (await call('admin', 'POST', `/api/v1/tag-groups/${res.json().id}/tags`, { names: ['新客'] }))
        .statusCode,
    ).toBe(409);
    // WeCom's limit on names: 30 characters.
    expect((await call('admin', 'POST', '/api/v1/tag-groups', { name: '长'.repeat(31) })).statusCode).toBe(
      400,
    );
  });

  it('only HQ manages corp tags; a manager reads them', async () => {
    expect((await call('sh1', 'POST', '/api/v1/tag-groups', { name: '门店自建' })).statusCode).toBe(403);
    expect((await call('east', 'DELETE', `/api/v1/tags/${t.fx.tags.vip}`)).statusCode).toBe(403);
    expect((await get('east', '/api/v1/tags')).statusCode).toBe(200);
  });

  it('deletes a tag off every customer, each with a timeline event saying it was deleted in Siyu', async () => {
    const { id } = (
      await call('admin', 'POST', '/api/v1/tag-groups', { name: '临时', tags: ['试饮'] })
    ).json();
    const tagId = (await get('admin', '/api/v1/tags')).json().groups.find((g: { id: number }) => g.id === id)
      .tags[0].id;
    await call('admin', 'POST', `/api/v1/customers/${t.fx.customers.li}/tags`, { add: [tagId] });
    expect(await customerTags(t.fx.customers.li)).toContain('试饮');
    expect((await call('admin', 'DELETE', `/api/v1/tags/${tagId}`)).statusCode).toBe(200);
    expect(await customerTags(t.fx.customers.li)).not.toContain('试饮');
    const removed = await timeline(t.fx.customers.li, 'tag_removed');
    expect(removed.at(-1)!.summary).toBe('标签「试饮」已在私域后台删除');
  });
});
