import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { decodePng, readQr } from '../../testing/qr.ts';
import { syncCtxOf } from '../context.ts';
import { rerouteAll } from './routing.ts';

let t: TestApp;
let admin: TestSession;
let east: TestSession;
let sh1: TestSession;
let staff: TestSession;
beforeAll(async () => {
  t = await openTestApp();
  admin = await t.login(t.fx.logins.admin);
  east = await t.login(t.fx.logins.east);
  sh1 = await t.login(t.fx.logins.sh1);
  staff = await t.login(t.fx.logins.sh1a);
});
afterAll(() => t.close());

const call = (s: TestSession, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
  t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
    payload: payload as never,
  });
const body = (extra: Record<string, unknown> = {}) => ({
  name: '上海一店台卡',
  scene: '收银台',
  method: 'table_card',
  bait: '第二杯半价',
  unitId: t.fx.units.sh1,
  assignMode: 'pool',
  staff: [{ staffId: t.fx.staff.sh1a }, { staffId: t.fx.staff.sh1b }],
  welcome: { text: '你好{客户昵称}' },
  ...extra,
});
const outbox = (kind: string) =>
  t.database.db
    .selectFrom('wecom_outbox')
    .select(['idem_key', 'request', 'lane'])
    .where('kind', '=', `/cgi-bin/externalcontact/${kind}`)
    .orderBy('id')
    .execute();

describe('channel codes through the API', () => {
  it('creates a channel and asks WeCom for its «联系我», routed to the first staff member', async () => {
    const res = await call(sh1, 'POST', '/channels', body());
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    expect(c).toMatchObject({
      name: '上海一店台卡',
      method: 'table_card',
      scalable: true,
      unitName: '上海一店',
    });
    expect(c.codes).toEqual([
      expect.objectContaining({
        unitId: t.fx.units.sh1,
        state: expect.stringMatching(/^sy[0-9a-f]{20}$/),
        sync: 'pending',
        currentUserids: ['sh1a', 'sh1b'],
      }),
    ]);
    const adds = await outbox('add_contact_way');
    expect(adds.at(-1)).toMatchObject({
      idem_key: `cw:add:${c.codes[0].id}`,
      lane: 'normal',
      request: {
        type: 2,
        scene: 2,
        state: c.codes[0].state,
        user: ['sh1a', 'sh1b'],
        skip_verify: true,
        remark: '上海一店台卡',
      },
    });
  });

  it('refuses bad input with a clear 400', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ method: 'billboard' }, /method/],
      [{ name: '' }, /name/],
      [{ staff: [] }, /至少选择一名接待员工/],
      [{ assignMode: 'single' }, /单人活码只能有一名接待员工/],
      [{ staff: [{ staffId: t.fx.staff.sh1a }, { staffId: t.fx.staff.sh1a }] }, /员工重复/],
      [{ workingHours: { days: [1], start: '25:00', end: '10:00' } }, /HH:MM/],
      [{ welcome: { link: { title: 'x', url: 'javascript:alert(1)' } } }, /url/],
      [{ tagIds: [999999] }, /有标签不存在/],
    ];
    for (const [extra, message] of cases) {
      const res = await call(sh1, 'POST', '/channels', body(extra));
      expect(res.statusCode, JSON.stringify(extra)).toBe(400);
      expect(res.json().error.message).toMatch(message);
    }
  });

  it('keeps channels inside the org scope', async () => {
    const other = await call(
      sh1,
      'POST',
      '/channels',
      body({ unitId: t.fx.units.gz1, staff: [{ staffId: t.fx.staff.gz1a }] }),
    );
    expect(other.statusCode).toBe(403);
    const foreignStaff = await call(
      sh1,
      'POST',
      '/channels',
      body({ staff: [{ staffId: t.fx.staff.gz1a }] }),
    );
    expect(foreignStaff.statusCode).toBe(400);
    expect(foreignStaff.json().error.message).toMatch(/不在你的范围内/);
    const gz = await call(
      admin,
      'POST',
      '/channels',
      body({ name: '广州台卡', unitId: t.fx.units.gz1, staff: [{ staffId: t.fx.staff.gz1a }] }),
    );
    expect(gz.statusCode).toBe(201);
    expect((await call(sh1, 'GET', `/channels/${gz.json().id}`)).statusCode).toBe(404);
    const listed = (await call(sh1, 'GET', '/channels')).json().items.map((c: { name: string }) => c.name);
    expect(listed).toContain('上海一店台卡');
    expect(listed).not.toContain('广州台卡');
    // Front-line staff read, never write.
    expect((await call(staff, 'GET', '/channels')).statusCode).toBe(200);
    expect((await call(staff, 'POST', '/channels', body())).statusCode).toBe(403);
  });

  it("draws a code's material as PNG whose QR leads to its landing page, for its own scope only", async () => {
    const created = await call(sh1, 'POST', '/channels', body({ name: '物料台卡' }));
    expect(created.statusCode, created.body).toBe(201);
    const { id } = created.json();
    const code = (await call(sh1, 'GET', `/channels/${id}`)).json().codes[0];
    const codeIds = [code.id];
    const res = await call(sh1, 'GET', `/channels/${id}/codes/${codeIds[0]}/material/table_card`);
    expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-disposition']).toContain(encodeURIComponent('物料台卡'));
    const image = decodePng(res.rawPayload);
    expect([image.width, image.height]).toEqual([1200, 900]);
    expect(readQr(image)).toBe(`http://localhost:80/c/acme/${code.state}`);

    expect((await call(sh1, 'GET', `/channels/${id}/codes/${codeIds[0]}/material/flyer`)).statusCode).toBe(
      400,
    );
    expect((await call(sh1, 'GET', `/channels/${id}/codes/999999/material/poster`)).statusCode).toBe(404);
    // Another store's manager reaches neither the channel nor its material.
    const gz = await t.login(t.fx.logins.gz1);
    expect((await call(gz, 'GET', `/channels/${id}/codes/${codeIds[0]}/material/poster`)).statusCode).toBe(
      404,
    );
  });

  it('gives a store channel one code per store, each seen by its own store only', async () => {
    const res = await call(
      east,
      'POST',
      '/channels',
      body({
        name: '华东易拉宝',
        method: 'rollup_banner',
        unitId: t.fx.units.east,
        assignMode: 'store',
        staff: [],
      }),
    );
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    expect(
      c.codes.map((k: { unitId: number; currentUserids: string[] }) => [k.unitId, k.currentUserids]),
    ).toEqual([
      [t.fx.units.sh1, ['sh1a', 'sh1b']],
      [t.fx.units.sh2, ['sh2a']],
    ]);
    const seenBySh1 = (await call(sh1, 'GET', `/channels/${c.id}`)).json();
    expect(seenBySh1.codes.map((k: { unitId: number }) => k.unitId)).toEqual([t.fx.units.sh1]);
    // The reply says what the caller may do with it, by the rule the writes enforce below.
    expect(c.editable).toBe(true);
    expect(seenBySh1.editable).toBe(false);
    const listed = async (s: TestSession) =>
      (await call(s, 'GET', '/channels')).json().items.find((r: { id: number }) => r.id === c.id)?.editable;
    expect([await listed(admin), await listed(east), await listed(sh1), await listed(staff)]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect((await call(sh1, 'POST', `/channels/${c.id}/archive`)).statusCode).toBe(403);
    expect(
      (
        await call(
          sh1,
          'PUT',
          `/channels/${c.id}`,
          body({ name: 'x', unitId: t.fx.units.east, assignMode: 'store', staff: [] }),
        )
      ).statusCode,
    ).toBe(403);
  });

  it('routes store codes to the central online team when the brand says so', async () => {
    const set = await call(admin, 'PUT', `/acquisition-settings/${t.fx.units.hq}`, {
      linkage: 'friend_then_group',
      addsModel: 'central',
    });
    expect(set.statusCode, set.body).toBe(200);
    const res = await call(
      admin,
      'POST',
      '/channels',
      body({
        name: '包裹卡',
        method: 'package_card',
        unitId: t.fx.units.south,
        assignMode: 'store',
        staff: [],
      }),
    );
    expect(res.json().codes.map((k: { currentUserids: string[] }) => k.currentUserids)).toEqual([['ops1']]);
    await call(admin, 'PUT', `/acquisition-settings/${t.fx.units.hq}`, {
      linkage: 'friend_then_group',
      addsModel: 'journey',
    });
  });

  it('inherits the linkage from the brand, lets a store override it, and recommends by business type', async () => {
    await t.database.db
      .updateTable('corps')
      .set({ business_type: 'hotpot' })
      .where('corp_id', '=', 'acme')
      .execute();
    await call(admin, 'PUT', `/acquisition-settings/${t.fx.units.hq}`, {
      linkage: 'group_only',
      addsModel: 'journey',
    });
    const store = (await call(sh1, 'GET', `/acquisition-settings/${t.fx.units.sh1}`)).json();
    expect(store).toMatchObject({
      own: null,
      effective: 'group_only',
      recommended: 'friend_then_group',
      businessType: 'hotpot',
    });
    expect(
      (
        await call(sh1, 'PUT', `/acquisition-settings/${t.fx.units.sh1}`, {
          linkage: 'friend_only',
          addsModel: 'journey',
        })
      ).statusCode,
    ).toBe(200);
    expect((await call(sh1, 'GET', `/acquisition-settings/${t.fx.units.sh1}`)).json().effective).toBe(
      'friend_only',
    );
    const region = await call(east, 'PUT', `/acquisition-settings/${t.fx.units.east}`, {
      linkage: 'friend_only',
      addsModel: 'journey',
    });
    expect(region.statusCode).toBe(400);
    expect((await call(sh1, 'GET', `/acquisition-settings/${t.fx.units.gz1}`)).statusCode).toBe(404);
  });

  it('routes to the least loaded member, and past a member who reached the daily cap', async () => {
    await t.database.db
      .insertInto('follows')
      .values({
        corp_id: 'acme',
        customer_id: t.fx.customers.li,
        staff_id: t.fx.staff.sh1a,
        journey_role: 'store_staff',
        added_at: new Date(),
      })
      .execute();
    const least = (
      await call(sh1, 'POST', '/channels', body({ name: '最少负载', poolStrategy: 'least_loaded' }))
    ).json();
    expect(least.codes[0].currentUserids).toEqual(['sh1b']);
    expect((await outbox('add_contact_way')).at(-1)?.request).toMatchObject({ type: 1, user: ['sh1b'] });

    const capped = (await call(sh1, 'POST', '/channels', body({ name: '每日上限', dailyCap: 1 }))).json();
    expect(capped.codes[0].currentUserids).toEqual(['sh1a', 'sh1b']);
    await t.database.db
      .insertInto('channel_adds')
      .values({
        corp_id: 'acme',
        code_id: capped.codes[0].id,
        channel_id: capped.id,
        customer_id: t.fx.customers.wang,
        staff_id: t.fx.staff.sh1a,
        added_at: new Date(),
      })
      .execute();
    await rerouteAll(syncCtxOf(t.app.runtime.deps, 'acme'));
    expect((await call(sh1, 'GET', `/channels/${capped.id}`)).json().codes[0].currentUserids).toEqual([
      'sh1b',
    ]);
    // The way was not created in WeCom yet: the pending add now carries the new member.
    const add = (await outbox('add_contact_way')).find((r) => r.idem_key === `cw:add:${capped.codes[0].id}`);
    expect(add?.request).toMatchObject({ user: ['sh1b'] });
    // Once it exists, a change is an update.
    await t.database.db
      .updateTable('wecom_outbox')
      .set({ status: 'done' })
      .where('idem_key', '=', `cw:add:${capped.codes[0].id}`)
      .execute();
    await t.database.db
      .updateTable('channel_codes')
      .set({ config_id: 'cfg-cap' })
      .where('id', '=', capped.codes[0].id)
      .execute();
    await t.database.db.deleteFrom('channel_adds').where('channel_id', '=', capped.id).execute();
    await rerouteAll(syncCtxOf(t.app.runtime.deps, 'acme'));
    const update = (await outbox('update_contact_way')).at(-1);
    expect(update?.request).toMatchObject({ config_id: 'cfg-cap', user: ['sh1a', 'sh1b'] });
  });

  it('archives a channel: its landing page answers 404 and the way is deleted in WeCom once it exists', async () => {
    const c = (await call(sh1, 'POST', '/channels', body({ name: '将归档' }))).json();
    const code = c.codes[0];
    await t.database.db
      .updateTable('channel_codes')
      .set({ config_id: 'cfg-x', qr_code: 'https://example.com/qr.png' })
      .where('id', '=', code.id)
      .execute();
    expect((await t.app.inject({ method: 'GET', url: `/c/acme/${code.state}` })).statusCode).toBe(200);
    const archived = await call(sh1, 'POST', `/channels/${c.id}/archive`);
    expect(archived.json().status).toBe('archived');
    expect((await t.app.inject({ method: 'GET', url: `/c/acme/${code.state}` })).statusCode).toBe(404);
    expect((await outbox('del_contact_way')).at(-1)).toMatchObject({
      idem_key: `cw:del:${code.id}`,
      request: { config_id: 'cfg-x' },
    });
  });
});

describe('the funnel', () => {
  const visit = (state: string, phone: { ip: string; agent: string; cookie?: string }) =>
    t.app.inject({
      method: 'GET',
      url: `/c/acme/${state}`,
      remoteAddress: phone.ip,
      headers: { 'user-agent': phone.agent, ...(phone.cookie ? { cookie: phone.cookie } : {}) },
    });
  const funnel = async (s: TestSession, id: number) =>
    (await call(s, 'GET', '/channels')).json().items.find((c: { id: number }) => c.id === id) as {
      scans: number;
      adds: number;
    };

  it('counts a visitor once per code and day, however often they reload, with or without the cookie', async () => {
    const c = (await call(sh1, 'POST', '/channels', body({ name: '收银台台卡' }))).json();
    const state = c.codes[0].state as string;
    const phone = { ip: '10.0.0.1', agent: 'Mozilla/5.0 (iPhone) MicroMessenger/8.0' };
    const first = await visit(state, phone);
    expect(first.statusCode).toBe(200);
    const cookie = first.cookies.find((x) => x.name === 'sy_v');
    expect(cookie).toMatchObject({ path: '/c/', httpOnly: true });
    // The cookie is a keyed hash: neither the address nor the browser is in it.
    expect(cookie!.value).not.toContain('10.0.0.1');
    for (let i = 0; i < 5; i++) await visit(state, { ...phone, cookie: `sy_v=${cookie!.value}` });
    for (let i = 0; i < 5; i++) await visit(state, phone);
    // Moved to mobile data: the cookie still says who it is.
    await visit(state, { ...phone, ip: '10.9.9.9', cookie: `sy_v=${cookie!.value}` });
    // A forged cookie counts for nothing more than the address and browser it comes from.
    for (const forged of ['0123456789abcdef0123456789abcdef.0123456789abcdef', 'x.y']) {
      await visit(state, { ...phone, cookie: `sy_v=${forged}` });
    }
    expect(await funnel(sh1, c.id)).toMatchObject({ scans: 1 });
    await visit(state, { ip: '10.0.0.2', agent: 'Mozilla/5.0 (Android) MicroMessenger/8.0' });
    expect(await funnel(sh1, c.id)).toMatchObject({ scans: 2 });
    const stored = await t.database.db
      .selectFrom('channel_scans')
      .select('visitor')
      .where('code_id', '=', c.codes[0].id)
      .execute();
    expect(stored.map((r) => r.visitor).join()).not.toMatch(/10\.0\.0|iPhone|Android/);
    expect((await call(sh1, 'GET', `/channels/${c.id}`)).json().codes[0].scans).toBe(2);
  });

  it("gives a scoped caller their codes' scans over their codes' adds, never the brand's scans", async () => {
    const res = await call(
      east,
      'POST',
      '/channels',
      body({ name: '华东海报', method: 'poster', unitId: t.fx.units.east, assignMode: 'store', staff: [] }),
    );
    const c = res.json();
    const code = (unit: number) => c.codes.find((k: { unitId: number }) => k.unitId === unit);
    const [sh1Code, sh2Code] = [code(t.fx.units.sh1), code(t.fx.units.sh2)];
    // 2 people scan the first store's poster, 5 the second's; each store gets 1 add.
    for (let i = 0; i < 2; i++) await visit(sh1Code.state, { ip: `10.1.0.${i}`, agent: 'phone' });
    for (let i = 0; i < 5; i++) await visit(sh2Code.state, { ip: `10.2.0.${i}`, agent: 'phone' });
    const now = new Date();
    await t.database.db
      .insertInto('channel_adds')
      .values([
        {
          corp_id: 'acme',
          code_id: sh1Code.id,
          channel_id: c.id,
          customer_id: t.fx.customers.wang,
          staff_id: t.fx.staff.sh1a,
          added_at: now,
        },
        {
          corp_id: 'acme',
          code_id: sh2Code.id,
          channel_id: c.id,
          customer_id: t.fx.customers.both,
          staff_id: t.fx.staff.sh2a,
          added_at: now,
        },
      ])
      .execute();
    expect(await funnel(sh1, c.id)).toMatchObject({ scans: 2, adds: 1 });
    expect(await funnel(east, c.id)).toMatchObject({ scans: 7, adds: 2 });
    expect(await funnel(admin, c.id)).toMatchObject({ scans: 7, adds: 2 });
    // …and only within the period asked for.
    const hours = (n: number) => new Date(now.getTime() + n * 3_600_000).toISOString();
    const after = (await call(sh1, 'GET', `/channels?from=${hours(1)}&to=${hours(2)}`))
      .json()
      .items.find((x: { id: number }) => x.id === c.id);
    expect(after).toMatchObject({ scans: 0, adds: 0 });
    // The methods' comparison reads the same scoped funnel.
    const methods = (await call(sh1, 'GET', '/channel-methods')).json().items;
    expect(methods.find((m: { method: string }) => m.method === 'poster')).toMatchObject({
      scans: 2,
      adds: 1,
    });
  });

  it('makes new states unguessable; a code made with the old form of state keeps working', async () => {
    const a = (await call(sh1, 'POST', '/channels', body({ name: '甲' }))).json();
    const b = (await call(sh1, 'POST', '/channels', body({ name: '乙' }))).json();
    expect(a.codes[0].state).toMatch(/^sy[0-9a-f]{20}$/);
    expect(a.codes[0].state.length).toBeLessThanOrEqual(30);
    expect(b.codes[0].state).not.toBe(a.codes[0].state);
    // The old pattern no longer finds a new code.
    expect((await visit(`sy${a.id}-${t.fx.units.sh1}`, { ip: '10.3.0.1', agent: 'phone' })).statusCode).toBe(
      404,
    );
    // A code from before: its printed material carries sy<channel>-<unit>.
    const legacy = `sy${b.id}-${t.fx.units.sh1}`;
    await t.database.db
      .updateTable('channel_codes')
      .set({ state: legacy })
      .where('id', '=', b.codes[0].id)
      .execute();
    expect((await visit(legacy, { ip: '10.3.0.1', agent: 'phone' })).statusCode).toBe(200);
    expect(await funnel(sh1, b.id)).toMatchObject({ scans: 1 });
  });
});
