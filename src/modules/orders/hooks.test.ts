import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../server.ts';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { TEST_KEY } from '../../testing/fixture.ts';
import { HOOK_HEADERS, signHook } from './integrations.ts';

let t: TestApp;
let admin: TestSession;
let secret: string;
let integrationId: number;
beforeAll(async () => {
  t = await openTestApp();
  admin = await t.login(t.fx.logins.admin);
  const res = await api(admin, 'POST', '/integrations', { source: 'miniprogram' });
  expect(res.statusCode).toBe(201);
  ({ secret, id: integrationId } = res.json());
});
afterAll(() => t.close());

function api(s: TestSession, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
    payload: payload as object,
  });
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

type Signed = { url: string; headers: Record<string, string>; payload: string };

function signed(
  path: '/hooks/orders' | '/hooks/members',
  body: unknown,
  over: { secret?: string; source?: string; brand?: string; timestamp?: number; signature?: string } = {},
): Signed {
  const raw = JSON.stringify(body);
  const timestamp = String(over.timestamp ?? nowSeconds());
  return {
    url: path,
    headers: {
      'content-type': 'application/json',
      [HOOK_HEADERS.brand]: over.brand ?? 'acme',
      [HOOK_HEADERS.source]: over.source ?? 'miniprogram',
      [HOOK_HEADERS.timestamp]: timestamp,
      [HOOK_HEADERS.signature]: over.signature ?? signHook(over.secret ?? secret, timestamp, raw),
    },
    payload: raw,
  };
}

const send = (request: Signed, app = t.app) => app.inject({ method: 'POST', ...request });

function hook(...args: Parameters<typeof signed>) {
  return send(signed(...args));
}

const order = (id: string, customer: Record<string, string> = {}) => ({
  sourceOrderId: id,
  storeCode: 'sh1',
  channel: 'miniprogram',
  orderedAt: '2026-06-20T12:30:00+08:00',
  items: [{ productCode: 'T01', productName: '杨枝甘露', quantity: 1, priceFen: 1800 }],
  totalFen: 1800,
  paidFen: 1800,
  customer,
});

describe('integrator secrets', () => {
  it('shows the secret once: the list never carries it, and it is stored encrypted', async () => {
    const list = await api(admin, 'GET', '/integrations');
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(secret);
    expect(list.json().items).toEqual([
      expect.objectContaining({ id: integrationId, source: 'miniprogram', revokedAt: null }),
    ]);
    const row = await t.database.db
      .selectFrom('integrations')
      .select('secret_cipher')
      .where('corp_id', '=', 'acme')
      .where('id', '=', integrationId)
      .executeTakeFirstOrThrow();
    expect(row.secret_cipher).not.toContain(secret);
  });

  it('refuses a second live secret for the same source', async () => {
    const res = await api(admin, 'POST', '/integrations', { source: 'miniprogram' });
    expect(res.statusCode).toBe(409);
  });

  it('is managed by hq_admin only', async () => {
    const sh1 = await t.login(t.fx.logins.sh1);
    expect((await api(sh1, 'GET', '/integrations')).statusCode).toBe(403);
    expect((await api(sh1, 'POST', '/integrations', { source: 'pos' })).statusCode).toBe(403);
  });
});

describe('POST /hooks/orders', () => {
  it('takes a well-signed batch and answers each order', async () => {
    const res = await hook('/hooks/orders', { orders: [order('H1', { phone: '13812345678' }), order('H2')] });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.counts).toEqual({ created: 2 });
    expect(body.results).toMatchObject([
      { sourceOrderId: 'H1', status: 'created', customerId: t.fx.customers.wang },
      { sourceOrderId: 'H2', status: 'created', customerId: null },
    ]);
    expect(res.body).not.toContain('13812345678');
  });

  it('is idempotent: the same batch again changes nothing', async () => {
    const res = await hook('/hooks/orders', { orders: [order('H1', { phone: '13812345678' })] });
    expect(res.json().results).toMatchObject([{ sourceOrderId: 'H1', status: 'duplicate' }]);
    const n = await t.database.db
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('corp_id', '=', 'acme')
      .where('source', '=', 'miniprogram')
      .where('source_order_id', '=', 'H1')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });

  it('answers a bad order by field and keeps the good ones', async () => {
    const bad = {
      ...order('H4'),
      items: [{ productCode: 'T', productName: 'T', quantity: -1, priceFen: 1 }],
    };
    const res = await hook('/hooks/orders', { orders: [order('H3'), bad, order('H5')] });
    expect(res.statusCode).toBe(200);
    const { results } = res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual(['created', 'invalid', 'created']);
    expect(results[1].errors.map((e: { field: string }) => e.field)).toContain('items.0.quantity');
  });

  it('answers text PostgreSQL cannot store and a year it cannot hold as invalid orders, not a 500', async () => {
    const nul = { ...order('H6'), items: [{ ...order('H6').items[0], productName: '杨枝\u0000甘露' }] };
    const surrogate = { ...order('H7'), couponCode: 'A\ud800', couponFen: 0 };
    const year0 = { ...order('H8'), orderedAt: '0000-01-01T00:00:00Z' };
    const res = await hook('/hooks/orders', { orders: [nul, surrogate, year0, order('H10')] });
    expect(res.statusCode).toBe(200);
    const { results } = res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual([
      'invalid',
      'invalid',
      'invalid',
      'created',
    ]);
    expect(results.map((r: { errors?: { field: string }[] }) => r.errors?.[0]?.field)).toEqual([
      'items.0.productName',
      'couponCode',
      'orderedAt',
      undefined,
    ]);
  });

  it('answers a NUL or a lone surrogate in any string of an order as that order invalid, naming the field', async () => {
    const fields: [string, (o: ReturnType<typeof order>, bad: string) => object][] = [
      ['sourceOrderId', (o, bad) => ({ ...o, sourceOrderId: `${o.sourceOrderId}${bad}` })],
      ['storeCode', (o, bad) => ({ ...o, storeCode: `sh1${bad}` })],
      ['channel', (o, bad) => ({ ...o, channel: `pos${bad}` })],
      ['orderedAt', (o, bad) => ({ ...o, orderedAt: `${o.orderedAt}${bad}` })],
      ['items.0.productCode', (o, bad) => ({ ...o, items: [{ ...o.items[0], productCode: `T${bad}` }] })],
      ['items.0.productName', (o, bad) => ({ ...o, items: [{ ...o.items[0], productName: `茶${bad}` }] })],
      ['couponCode', (o, bad) => ({ ...o, couponCode: `C${bad}` })],
      ['customer.externalUserid', (o, bad) => ({ ...o, customer: { externalUserid: `wm${bad}` } })],
      ['customer.unionid', (o, bad) => ({ ...o, customer: { unionid: `u${bad}` } })],
      ['customer.openid', (o, bad) => ({ ...o, customer: { openid: `o${bad}` } })],
      ['customer.phone', (o, bad) => ({ ...o, customer: { phone: `1381234${bad}5678` } })],
    ];
    for (const [n, bad] of ['\u0000', '\ud800', '\udc00'].entries()) {
      const orders = fields.map(([, spoil], i) => spoil(order(`NUL${n}-${i}`), bad));
      const res = await hook('/hooks/orders', { orders: [...orders, order(`NUL${n}-ok`)] });
      expect(res.statusCode, res.body).toBe(200);
      const { results } = res.json();
      expect(
        results.map((r: { status: string; errors?: { field: string }[] }) => r.errors?.[0]?.field),
      ).toEqual([...fields.map(([field]) => field), undefined]);
      expect(results.at(-1)).toMatchObject({ sourceOrderId: `NUL${n}-ok`, status: 'created' });
    }
  });

  it('takes orders placed from 2000 to a day past its clock, no earlier and no later', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000 - 60_000).toISOString();
    const res = await hook('/hooks/orders', {
      orders: [
        { ...order('T1'), orderedAt: '9999-12-31T00:00:00Z' },
        { ...order('T2'), orderedAt: '0001-01-01T00:00:00Z' },
        { ...order('T3'), orderedAt: '1999-12-31T23:59:59Z' },
        { ...order('T4'), orderedAt: new Date(Date.now() + 2 * 86_400_000).toISOString() },
        { ...order('T5'), orderedAt: '2000-01-01T00:00:00Z' },
        { ...order('T6'), orderedAt: tomorrow },
      ],
    });
    const { results } = res.json();
    expect(results.map((r: { status: string }) => r.status)).toEqual([
      'invalid',
      'invalid',
      'invalid',
      'invalid',
      'created',
      'created',
    ]);
    for (const r of results.slice(0, 4)) {
      expect(r.errors).toEqual([
        { field: 'orderedAt', message: expect.stringMatching(/2000-01-01|later than/) },
      ]);
    }
  });

  it('takes a storeCode only when it names a store, not a region or the HQ', async () => {
    const res = await hook('/hooks/orders', {
      orders: [{ ...order('U1'), storeCode: 'east' }, { ...order('U2'), storeCode: 'hq' }, order('U3')],
    });
    expect(res.json().results).toMatchObject([
      {
        status: 'invalid',
        errors: [{ field: 'storeCode', message: 'east is the code of a region, not of a store' }],
      },
      {
        status: 'invalid',
        errors: [{ field: 'storeCode', message: 'hq is the code of the HQ, not of a store' }],
      },
      { status: 'created' },
    ]);
  });

  it('refuses a bad signature, a stale timestamp, the wrong source and a revoked secret with 401', async () => {
    const body = { orders: [order('H9')] };
    const cases = [
      await hook('/hooks/orders', body, { secret: 'not-the-secret' }),
      await hook('/hooks/orders', body, { timestamp: nowSeconds() - 301 }),
      await hook('/hooks/orders', body, { timestamp: nowSeconds() + 301 }),
      await hook('/hooks/orders', body, { source: 'pos' }),
      await hook('/hooks/orders', body, { brand: 'other' }),
    ];
    for (const res of cases) {
      expect(res.statusCode, res.body).toBe(401);
      expect(res.json().error.code).toBe('unauthenticated');
    }
    expect(cases[1]!.json().error.message).toMatch(/300/);
    // a body changed after signing
    const raw = JSON.stringify(body);
    const ts = String(nowSeconds());
    const tampered = await t.app.inject({
      method: 'POST',
      url: '/hooks/orders',
      headers: {
        'content-type': 'application/json',
        [HOOK_HEADERS.brand]: 'acme',
        [HOOK_HEADERS.source]: 'miniprogram',
        [HOOK_HEADERS.timestamp]: ts,
        [HOOK_HEADERS.signature]: signHook(secret, ts, raw),
      },
      payload: raw.replace('1800', '1900'),
    });
    expect(tampered.statusCode).toBe(401);
    const none = await t.database.db
      .selectFrom('orders')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('source_order_id', '=', 'H9')
      .execute();
    expect(none).toEqual([]);
  });

  it('refuses missing headers and malformed bodies with 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/hooks/orders',
      headers: { 'content-type': 'application/json' },
      payload: '{"orders":[]}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('x-siyu-brand');
    expect((await hook('/hooks/orders', { orders: [] })).statusCode).toBe(400);
    expect((await hook('/hooks/orders', { nope: 1 })).statusCode).toBe(400);
  });

  it('refuses 1,001 orders with 413 and writes none of them', async () => {
    const orders = Array.from({ length: 1001 }, (_, i) => order(`BIG${i}`));
    const res = await hook('/hooks/orders', { orders });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.message).toMatch(/1000/);
    const none = await t.database.db
      .selectFrom('orders')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('source_order_id', 'like', 'BIG%')
      .execute();
    expect(none).toEqual([]);
  });

  it('stops taking requests once the secret is revoked', async () => {
    const other = await api(admin, 'POST', '/integrations', { source: 'pos-east' });
    const posSecret = other.json().secret;
    const ok = await hook(
      '/hooks/orders',
      { orders: [order('P1')] },
      { source: 'pos-east', secret: posSecret },
    );
    expect(ok.statusCode).toBe(200);
    const revoked = await api(admin, 'POST', `/integrations/${other.json().id}/revoke`);
    expect(revoked.json().revokedAt).not.toBeNull();
    const refused = await hook(
      '/hooks/orders',
      { orders: [order('P2')] },
      { source: 'pos-east', secret: posSecret },
    );
    expect(refused.statusCode).toBe(401);
  });
});

describe('replays', () => {
  it('refuses a signed request seen before, in another process too, and takes it signed anew', async () => {
    const gold = signed('/hooks/members', { members: [{ memberNo: 'R1', level: '金卡' }] });
    expect((await send(gold)).json().results).toMatchObject([{ status: 'created' }]);
    const silver = await hook('/hooks/members', { members: [{ memberNo: 'R1', level: '银卡' }] });
    expect(silver.json().results).toMatchObject([{ status: 'updated' }]);

    const replayed = await send(gold);
    expect(replayed.statusCode).toBe(409);
    expect(replayed.json().error.message).toContain('重放');
    // another process on the same database (or this one after a restart) remembers it as well
    const other = await createServer({ database: t.database, secretKey: TEST_KEY, logger: false });
    try {
      expect((await send(gold, other)).statusCode).toBe(409);
      const level = () =>
        t.database.db
          .selectFrom('members')
          .select('level')
          .where('corp_id', '=', 'acme')
          .where('member_no', '=', 'R1')
          .executeTakeFirstOrThrow();
      expect(await level()).toEqual({ level: '银卡' });
      // the same orders replayed are refused too; signed again (a new timestamp) they are a harmless resend
      const orders = signed('/hooks/orders', { orders: [order('R2')] });
      expect((await send(orders, other)).json().results).toMatchObject([{ status: 'created' }]);
      expect((await send(orders)).statusCode).toBe(409);
      const later = await hook('/hooks/orders', { orders: [order('R2')] }, { timestamp: nowSeconds() + 1 });
      expect(later.json().results).toMatchObject([{ status: 'duplicate' }]);
    } finally {
      await other.close();
    }
  });

  it('forgets signatures once their timestamps are out of the window', async () => {
    const old = nowSeconds() - 700;
    await t.database.db
      .insertInto('hook_signatures')
      .values([
        {
          corp_id: 'acme',
          signature: 'a'.repeat(64),
          source: 'miniprogram',
          signed_at: new Date(old * 1000),
        },
        { corp_id: 'acme', signature: 'b'.repeat(64), source: 'miniprogram', signed_at: new Date() },
      ])
      .execute();
    await t.app.runtime.runJob('orders.purge-hook-signatures');
    const left = await t.database.db
      .selectFrom('hook_signatures')
      .select('signature')
      .where('corp_id', '=', 'acme')
      .where('signature', 'in', ['a'.repeat(64), 'b'.repeat(64)])
      .execute();
    expect(left).toEqual([{ signature: 'b'.repeat(64) }]);
  });
});

describe('POST /hooks/members', () => {
  it('creates and updates members, linked like orders, phone never in clear', async () => {
    const member = {
      memberNo: 'M001',
      level: '金卡',
      joinedAt: '2025-03-08',
      birthday: '1992-09-18',
      points: 1200,
      customer: { phone: '13900001111' },
    };
    const res = await hook('/hooks/members', { members: [member] });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toMatchObject([
      { memberNo: 'M001', status: 'created', customerId: t.fx.customers.zhao },
    ]);
    const again = await hook('/hooks/members', { members: [{ memberNo: 'M001', points: 1500 }] });
    expect(again.json().results).toMatchObject([{ status: 'updated', customerId: t.fx.customers.zhao }]);
    const row = await t.database.db
      .selectFrom('members')
      .selectAll()
      .where('corp_id', '=', 'acme')
      .where('member_no', '=', 'M001')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ level: '金卡', points: 1500, birthday: '1992-09-18', linked_by: 'phone' });
    expect(JSON.stringify(row)).not.toContain('13900001111');
  });

  it('reports a bad member by field', async () => {
    const res = await hook('/hooks/members', { members: [{ memberNo: 'M2', birthday: '1992-13-40' }] });
    expect(res.json().results[0]).toMatchObject({ status: 'invalid', errors: [{ field: 'birthday' }] });
    const hostile = await hook('/hooks/members', {
      members: [
        { memberNo: 'M3\u0000' },
        { memberNo: 'M4', level: '\udc00' },
        { memberNo: 'M5', joinedAt: '0000-01-01' },
      ],
    });
    expect(hostile.statusCode).toBe(200);
    expect(hostile.json().results.map((r: { errors: { field: string }[] }) => r.errors[0]!.field)).toEqual([
      'memberNo',
      'level',
      'joinedAt',
    ]);
  });
});
