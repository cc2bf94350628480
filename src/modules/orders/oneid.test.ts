import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { pii } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { ingestOrders, type OrderInput } from './ingest.ts';
import { ingestMembers } from './members.ts';
import { linkWecomIdentities } from './oneid.ts';

let t: TestApp;
let admin: TestSession;
beforeAll(async () => {
  t = await openTestApp();
  admin = await t.login(t.fx.logins.admin);
});
afterAll(() => t.close());

const ctx = () => syncCtx(t.database);
const db = () => t.database.db;
let n = 0;
const order = (customer: OrderInput['customer'], over: Partial<OrderInput> = {}): OrderInput => ({
  sourceOrderId: `O${++n}`,
  storeCode: 'sh1',
  channel: 'miniprogram',
  orderedAt: '2026-06-10T09:00:00+08:00',
  items: [{ productCode: 'T01', productName: '杨枝甘露', quantity: 1, priceFen: 1800 }],
  totalFen: 1800,
  paidFen: 1800,
  customer,
  ...over,
});
const ingest = async (customer: OrderInput['customer']) =>
  (await ingestOrders(ctx(), 'mini', [order(customer)]))[0]!;
const orderRow = (id: number) =>
  db()
    .selectFrom('orders')
    .select(['customer_id', 'linked_by'])
    .where('corp_id', '=', 'acme')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
const identitiesOf = (customerId: number) =>
  db()
    .selectFrom('customer_identities')
    .select(['kind', 'value', 'source'])
    .where('corp_id', '=', 'acme')
    .where('customer_id', '=', customerId)
    .orderBy('id')
    .execute();
function api(s: TestSession, method: 'GET' | 'POST', url: string) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
  });
}

const WANG_PHONE = '13812345678';
const ZHAO_PHONE = '13900001111';

describe('OneID order of trust', () => {
  it('external_userid beats a phone held by someone else; the phone is reported, not moved', async () => {
    const r = await ingest({ externalUserid: 'wm_wang', phone: ZHAO_PHONE });
    expect(r.customerId).toBe(t.fx.customers.wang);
    expect(await orderRow(r.orderId!)).toEqual({
      customer_id: t.fx.customers.wang,
      linked_by: 'external_userid',
    });
    const conflict = await db()
      .selectFrom('identity_conflicts')
      .select(['kind', 'owner_customer_id', 'claimant_customer_id', 'source'])
      .where('corp_id', '=', 'acme')
      .executeTakeFirstOrThrow();
    expect(conflict).toEqual({
      kind: 'phone',
      owner_customer_id: t.fx.customers.zhao,
      claimant_customer_id: t.fx.customers.wang,
      source: 'order:mini',
    });
    // the phone still names 赵磊
    expect((await ingest({ phone: ZHAO_PHONE })).customerId).toBe(t.fx.customers.zhao);
  });

  it('takes unionid over openid over phone, and records each identity learned with its source', async () => {
    await db()
      .updateTable('customers')
      .set({ unionid: 'u-li' })
      .where('corp_id', '=', 'acme')
      .where('id', '=', t.fx.customers.li)
      .execute();
    // 孙悦 learns an openid from an order linked by her WeCom id
    expect((await ingest({ externalUserid: 'wm_both', openid: 'o-both' })).customerId).toBe(
      t.fx.customers.both,
    );
    expect(await identitiesOf(t.fx.customers.both)).toEqual([
      { kind: 'external_userid', value: 'wm_both', source: 'wecom' },
      { kind: 'openid', value: 'o-both', source: 'order:mini' },
    ]);
    const byUnionid = await ingest({ unionid: 'u-li', openid: 'o-both', phone: WANG_PHONE });
    expect(byUnionid.customerId).toBe(t.fx.customers.li);
    expect((await orderRow(byUnionid.orderId!)).linked_by).toBe('unionid');
    const byOpenid = await ingest({ openid: 'o-both', phone: WANG_PHONE });
    expect(byOpenid.customerId).toBe(t.fx.customers.both);
    expect((await orderRow(byOpenid.orderId!)).linked_by).toBe('openid');
    const byPhone = await ingest({ openid: 'o-unknown', phone: WANG_PHONE });
    expect(byPhone.customerId).toBe(t.fx.customers.wang);
    expect((await orderRow(byPhone.orderId!)).linked_by).toBe('phone');
    // the phone is kept as the keyed hash only
    expect(await identitiesOf(t.fx.customers.wang)).toContainEqual({
      kind: 'phone',
      value: pii.hash(WANG_PHONE),
      source: 'wecom',
    });
  });
});

describe('late linking', () => {
  it('keeps unresolved orders and links them (and what they teach) when WeCom reveals the identity', async () => {
    const first = await ingest({ unionid: 'u-late', openid: 'o-late' });
    const second = await ingest({ openid: 'o-late' });
    expect([first.customerId, second.customerId]).toEqual([null, null]);

    await db()
      .updateTable('customers')
      .set({ unionid: 'u-late' })
      .where('corp_id', '=', 'acme')
      .where('id', '=', t.fx.customers.hqonly)
      .execute();
    const linking = await linkWecomIdentities(ctx(), [t.fx.customers.hqonly]);
    expect(linking.orders.map((l) => l.id).sort()).toEqual([first.orderId, second.orderId].sort());
    expect(await orderRow(first.orderId!)).toEqual({
      customer_id: t.fx.customers.hqonly,
      linked_by: 'unionid',
    });
    expect(await orderRow(second.orderId!)).toEqual({
      customer_id: t.fx.customers.hqonly,
      linked_by: 'openid',
    });
    expect(await identitiesOf(t.fx.customers.hqonly)).toEqual(
      expect.arrayContaining([
        { kind: 'unionid', value: 'u-late', source: 'wecom' },
        { kind: 'openid', value: 'o-late', source: 'order:mini' },
      ]),
    );
    const events = await db()
      .selectFrom('customer_events')
      .select('data')
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', t.fx.customers.hqonly)
      .where('kind', '=', 'order')
      .execute();
    expect(events.map((e) => (e.data as { orderId: number }).orderId).sort()).toEqual(
      [first.orderId, second.orderId].sort(),
    );
    // a second pass changes nothing
    expect(await linkWecomIdentities(ctx(), [t.fx.customers.hqonly])).toEqual({ orders: [], members: [] });
  });

  it('links waiting orders when a member brings the identity', async () => {
    const waiting = await ingest({ openid: 'o-member' });
    expect(waiting.customerId).toBeNull();
    const [m] = await ingestMembers(ctx(), 'crm', [
      { memberNo: 'V1', level: '金卡', customer: { phone: ZHAO_PHONE, openid: 'o-member' } },
    ]);
    expect(m).toMatchObject({ status: 'created', customerId: t.fx.customers.zhao });
    expect(await orderRow(waiting.orderId!)).toEqual({
      customer_id: t.fx.customers.zhao,
      linked_by: 'openid',
    });
    expect(await identitiesOf(t.fx.customers.zhao)).toContainEqual({
      kind: 'openid',
      value: 'o-member',
      source: 'member:crm',
    });
  });
});

describe('undoing a link', () => {
  it('sends the identity’s orders and members back to unresolved and never redoes it', async () => {
    const zhao = t.fx.customers.zhao;
    const view = await api(admin, 'GET', `/customers/${zhao}/identities`);
    expect(view.statusCode).toBe(200);
    const link = view
      .json()
      .identities.find((i: { kind: string; display: string }) => i.display === 'o-member');
    expect(link).toMatchObject({ source: 'member:crm', orders: 1, members: 1, undoable: true });

    const undo = await api(admin, 'POST', `/customers/${zhao}/identities/${link.id}/undo`);
    expect(undo.statusCode, undo.body).toBe(200);
    expect(undo.json()).toEqual({ ordersUnlinked: 1, membersUnlinked: 1 });

    // the member carried 赵磊's phone too, but it carries the identity undone for him: it stays unresolved
    const member = await db()
      .selectFrom('members')
      .select(['customer_id'])
      .where('corp_id', '=', 'acme')
      .where('member_no', '=', 'V1')
      .executeTakeFirstOrThrow();
    expect(member.customer_id).toBeNull();
    const orders = await db()
      .selectFrom('orders')
      .select(['id'])
      .where('corp_id', '=', 'acme')
      .where('openid', '=', 'o-member')
      .where('customer_id', 'is', null)
      .execute();
    expect(orders).toHaveLength(1);
    const orderEvents = await db()
      .selectFrom('customer_events')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', zhao)
      .where('kind', '=', 'order')
      .where(sql<string>`data ->> 'orderId'`, '=', String(orders[0]!.id))
      .execute();
    expect(orderEvents).toEqual([]);

    // automatic linking does not redo it: a new order with that openid, the member sent again, a WeCom pass
    expect((await ingest({ openid: 'o-member' })).customerId).toBeNull();
    const [again] = await ingestMembers(ctx(), 'crm', [{ memberNo: 'V1', points: 10 }]);
    expect(again!.customerId).toBeNull();
    await linkWecomIdentities(ctx(), [zhao]);
    expect((await identitiesOf(zhao)).some((i) => i.value === 'o-member')).toBe(false);

    const after = (await api(admin, 'GET', `/customers/${zhao}/identities`)).json();
    expect(after.unlinked).toEqual([
      expect.objectContaining({
        kind: 'openid',
        display: 'o-member',
        source: 'member:crm',
        undoneBy: expect.any(String),
      }),
    ]);
    const timeline = await db()
      .selectFrom('customer_events')
      .select('kind')
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', zhao)
      .where('kind', '=', 'identity_unlinked')
      .execute();
    expect(timeline).toHaveLength(1);
  });

  it('refuses to unlink the customer’s own WeCom id', async () => {
    const view = (await api(admin, 'GET', `/customers/${t.fx.customers.both}/identities`)).json();
    const own = view.identities.find((i: { kind: string }) => i.kind === 'external_userid');
    expect(own.undoable).toBe(false);
    const res = await api(admin, 'POST', `/customers/${t.fx.customers.both}/identities/${own.id}/undo`);
    expect(res.statusCode).toBe(409);
  });
});

describe('scope of the identity and order routes', () => {
  it('answers 404 outside the caller’s scope, as for the profile', async () => {
    const sh1 = await t.login(t.fx.logins.sh1);
    const zhao = t.fx.customers.zhao;
    const id = (await identitiesOf(zhao))[0];
    const anyId = await db()
      .selectFrom('customer_identities')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', zhao)
      .executeTakeFirstOrThrow();
    expect(id).toBeDefined();
    for (const url of [`/customers/${zhao}/identities`, `/customers/${zhao}/orders`]) {
      expect((await api(sh1, 'GET', url)).statusCode).toBe(404);
    }
    expect((await api(sh1, 'POST', `/customers/${zhao}/identities/${anyId.id}/undo`)).statusCode).toBe(404);
    // an identity of a visible customer, named under another customer, is not found either
    expect(
      (await api(sh1, 'POST', `/customers/${t.fx.customers.wang}/identities/${anyId.id}/undo`)).statusCode,
    ).toBe(404);
    expect((await api(sh1, 'GET', `/customers/${t.fx.customers.wang}/orders`)).statusCode).toBe(200);
    const staff = await t.login(t.fx.logins.sh1a);
    expect((await api(staff, 'POST', `/customers/${t.fx.customers.wang}/identities/1/undo`)).statusCode).toBe(
      403,
    );
  });

  it('pages a customer’s orders newest first, with items, store and coupon', async () => {
    const wang = t.fx.customers.wang;
    await ingestOrders(ctx(), 'pos', [
      order(
        { externalUserid: 'wm_wang' },
        { orderedAt: '2026-03-01T10:00:00+08:00', couponCode: 'C5', couponFen: 500, paidFen: 1300 },
      ),
      order({ externalUserid: 'wm_wang' }, { orderedAt: '2026-07-01T10:00:00+08:00', storeCode: 'sh2' }),
    ]);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api(
        admin,
        'GET',
        `/customers/${wang}/orders?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.statusCode).toBe(200);
      const body = res.json();
      seen.push(...body.items.map((o: { orderedAt: string }) => o.orderedAt));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort().reverse());
    const all = await db()
      .selectFrom('orders')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', wang)
      .execute();
    expect(seen).toHaveLength(all.length);
    const first = (await api(admin, 'GET', `/customers/${wang}/orders?limit=1`)).json().items[0];
    expect(first).toMatchObject({
      store: { id: t.fx.units.sh2, name: '上海二店' },
      channel: 'miniprogram',
      items: [{ productCode: 'T01', productName: '杨枝甘露', quantity: 1, priceFen: 1800 }],
    });
    const coupon = (await api(admin, 'GET', `/customers/${wang}/orders?limit=100`))
      .json()
      .items.find((o: { couponCode: string | null }) => o.couponCode === 'C5');
    expect(coupon).toMatchObject({ couponFen: 500, paidFen: 1300, source: 'pos' });
  });
});

describe('phones', () => {
  it('never appear in clear in the database or the answers', async () => {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public'`.execute(db());
    const phones = [WANG_PHONE, ZHAO_PHONE];
    for (const { table_name } of tables.rows) {
      const dump = await sql<{
        j: string;
      }>`select coalesce(json_agg(t)::text, '') as j from ${sql.table(table_name)} t`.execute(db());
      for (const p of phones) expect(dump.rows[0]!.j.includes(p), `${table_name} holds ${p}`).toBe(false);
    }
    for (const c of Object.values(t.fx.customers)) {
      for (const url of [`/customers/${c}/identities`, `/customers/${c}/orders?limit=100`]) {
        const body = (await api(admin, 'GET', url)).body;
        for (const p of phones) expect(body.includes(p)).toBe(false);
        expect(body.includes(pii.hash(WANG_PHONE))).toBe(false);
      }
    }
  });
});
