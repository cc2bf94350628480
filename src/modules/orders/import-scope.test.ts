import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { IMPORT_JOB } from './import-runner.ts';
import type { ImportJob, ImportPreview } from './import-service.ts';
import { HOOK_HEADERS, signHook } from './integrations.ts';
import { linkWecomIdentities } from './oneid.ts';

/**
 * A region or store manager imports only inside their scope: the orders of their file link only to customers
 * they can see, teach nothing about others, the identities view tells nothing of others, the dry run counts
 * only duplicates they may see, and an import never takes an integrator's order numbers. All through the
 * routes, with a store manager's session (sh1: sees 王芳 and 李娜; 赵磊 is 广州一店's).
 */

let t: TestApp;
let admin: TestSession;
let sh1: TestSession;
beforeAll(async () => {
  t = await openTestApp();
  admin = await t.login(t.fx.logins.admin);
  sh1 = await t.login(t.fx.logins.sh1);
});
afterAll(() => t.close());

const ZHAO_PHONE = '13900001111';
const HEADER =
  '订单号,门店编码,渠道,下单时间,商品编码,商品名称,数量,单价(元),实付金额(元),手机号,unionid,external_userid';
const csv = (...rows: string[]) => Buffer.from(`${[HEADER, ...rows].join('\r\n')}\r\n`);
const line = (no: string, store: string, who: { phone?: string; unionid?: string; external?: string }) =>
  `${no},${store},POS,2026-06-01 12:30,T01,杨枝甘露,1,18,18,${who.phone ?? ''},${who.unionid ?? ''},${who.external ?? ''}`;

function upload(s: TestSession, body: Buffer, query: Record<string, string>) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/order-imports?${new URLSearchParams({ fileName: 'orders.csv', ...query })}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'content-type': 'application/octet-stream' },
    payload: body,
  });
}
const get = (s: TestSession, url: string) =>
  t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { cookie: s.cookie } });

async function importFile(s: TestSession, body: Buffer, source: string): Promise<ImportJob> {
  const res = await upload(s, body, { source });
  expect(res.statusCode, res.body).toBe(202);
  await t.app.runtime.runJob(IMPORT_JOB);
  return (await get(s, `/order-imports/${res.json().id}`)).json();
}

const orderRow = (source: string, no: string) =>
  t.database.db
    .selectFrom('orders')
    .select(['id', 'customer_id'])
    .where('corp_id', '=', 'acme')
    .where('source', '=', source)
    .where('source_order_id', '=', no)
    .executeTakeFirstOrThrow();

const identitiesOf = (customerId: number) =>
  t.database.db
    .selectFrom('customer_identities')
    .select(['kind', 'value'])
    .where('corp_id', '=', 'acme')
    .where('customer_id', '=', customerId)
    .execute();

const linkedEventsFor = async (customerId: number) =>
  (
    await t.database.db
      .selectFrom('domain_events')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('type', '=', 'OrdersLinked')
      .where('customer_id', '=', customerId)
      .execute()
  ).length;

describe("a manager's import stays inside their scope", () => {
  it('links no order to a customer outside it, learns nothing for them, and never does later', async () => {
    const { zhao, wang } = t.fx.customers;
    const zhaoIdentities = await identitiesOf(zhao);
    const zhaoEvents = await linkedEventsFor(zhao);
    const job = await importFile(
      sh1,
      csv(
        line('X1', 'sh1', { external: 'wm_zhao', unionid: 'u-x1' }),
        line('X2', 'sh1', { phone: ZHAO_PHONE, unionid: 'u-x2' }),
        // names 王芳 (in scope) and 赵磊's phone: still someone outside the scope
        line('X3', 'sh1', { external: 'wm_wang', phone: ZHAO_PHONE }),
        line('X4', 'sh1', { external: 'wm_wang', unionid: 'u-wang' }),
      ),
      'till',
    );
    expect(job).toMatchObject({ status: 'done', created: 4, invalid: 0 });
    expect((await orderRow('import:till', 'X1')).customer_id).toBeNull();
    expect((await orderRow('import:till', 'X2')).customer_id).toBeNull();
    expect((await orderRow('import:till', 'X3')).customer_id).toBeNull();
    // inside the scope it links and learns as ever
    expect((await orderRow('import:till', 'X4')).customer_id).toBe(wang);
    expect(await identitiesOf(wang)).toContainEqual({ kind: 'unionid', value: 'u-wang' });

    expect(await identitiesOf(zhao)).toEqual(zhaoIdentities);
    expect(await linkedEventsFor(zhao)).toBe(zhaoEvents);
    const conflicts = await t.database.db
      .selectFrom('identity_conflicts')
      .select('id')
      .where('corp_id', '=', 'acme')
      .execute();
    expect(conflicts).toEqual([]);
    // 赵磊 mirrored from WeCom again (what an edit or a full sync does) still does not take them
    await linkWecomIdentities(syncCtx(t.database), [zhao]);
    expect((await orderRow('import:till', 'X1')).customer_id).toBeNull();
    expect((await orderRow('import:till', 'X2')).customer_id).toBeNull();

    // the same file from HQ links across the brand
    const hq = await importFile(
      admin,
      csv(line('X1', 'sh1', { external: 'wm_zhao', unionid: 'u-x1' })),
      'hq-till',
    );
    expect(hq).toMatchObject({ status: 'done', created: 1 });
    expect((await orderRow('import:hq-till', 'X1')).customer_id).toBe(zhao);
  });

  it('shows a store manager no identity conflict with a customer outside their scope', async () => {
    const { zhao, wang } = t.fx.customers;
    // HQ's till sends an order naming 王芳 and 赵磊's phone: linked to 王芳, the phone a conflict with 赵磊
    const secret = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/integrations',
        headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
        payload: { source: 'pos-hq' },
      })
    ).json().secret as string;
    const res = await hook(secret, 'pos-hq', [
      {
        sourceOrderId: 'C1',
        storeCode: 'sh1',
        channel: 'pos',
        orderedAt: '2026-06-02T10:00:00+08:00',
        items: [{ productCode: 'T01', productName: '杨枝甘露', quantity: 1, priceFen: 1800 }],
        totalFen: 1800,
        paidFen: 1800,
        customer: { externalUserid: 'wm_wang', phone: ZHAO_PHONE },
      },
    ]);
    expect(res.json().results).toMatchObject([{ status: 'created', customerId: wang }]);

    const asAdmin = (await get(admin, `/customers/${wang}/identities`)).json();
    expect(asAdmin.conflicts).toMatchObject([
      { kind: 'phone', role: 'held_by_other', otherCustomerId: zhao },
    ]);
    const asSh1 = await get(sh1, `/customers/${wang}/identities`);
    expect(asSh1.statusCode).toBe(200);
    expect(asSh1.json().conflicts).toEqual([]);
    expect(asSh1.body).not.toContain(`"otherCustomerId":${zhao}`);
  });

  it('counts in the dry run only the duplicates the manager may see', async () => {
    // HQ imported D1 for 广州一店 and D2 for 上海一店 under the source name "pos"
    await importFile(admin, csv(line('D1', 'gz1', {}), line('D2', 'sh1', {})), 'pos');
    const dry = await upload(sh1, csv(line('D1', 'sh1', {}), line('D2', 'sh1', {}), line('D3', 'sh1', {})), {
      source: 'pos',
      dryRun: 'true',
    });
    expect(dry.statusCode, dry.body).toBe(200);
    const p = dry.json() as ImportPreview;
    expect(p).toMatchObject({ source: 'import:pos', valid: 3, duplicates: 1, wouldCreate: 2 });
    expect(p.sample.map((l) => [l.orderNo, l.duplicate])).toEqual([
      ['D1', false],
      ['D2', true],
      ['D3', false],
    ]);
    const asHq = (await upload(admin, csv(line('D1', 'sh1', {})), { source: 'pos', dryRun: 'true' })).json();
    expect(asHq).toMatchObject({ duplicates: 1, wouldCreate: 0 });
  });

  it("cannot take an integrator's order numbers: imports have their own sources", async () => {
    const secret = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/integrations',
        headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
        payload: { source: 'miniprogram' },
      })
    ).json().secret as string;
    const squat = await importFile(sh1, csv(line('MP-1', 'sh1', {})), 'miniprogram');
    expect(squat).toMatchObject({ source: 'import:miniprogram', created: 1 });
    const real = await hook(secret, 'miniprogram', [
      {
        sourceOrderId: 'MP-1',
        storeCode: 'sh2',
        channel: 'miniprogram',
        orderedAt: '2026-06-03T10:00:00+08:00',
        items: [{ productCode: 'T02', productName: '芝士葡萄', quantity: 2, priceFen: 2200 }],
        totalFen: 4400,
        paidFen: 4400,
        customer: {},
      },
    ]);
    expect(real.json().results).toMatchObject([{ sourceOrderId: 'MP-1', status: 'created' }]);
    const mp = await orderRow('miniprogram', 'MP-1');
    const items = await t.database.db
      .selectFrom('order_items')
      .select('product_code')
      .where('corp_id', '=', 'acme')
      .where('order_id', '=', mp.id)
      .execute();
    expect(items).toEqual([{ product_code: 'T02' }]);
  });
});

function hook(secret: string, source: string, orders: unknown[]) {
  const raw = JSON.stringify({ orders });
  const ts = String(Math.floor(Date.now() / 1000));
  return t.app.inject({
    method: 'POST',
    url: '/hooks/orders',
    headers: {
      'content-type': 'application/json',
      [HOOK_HEADERS.brand]: 'acme',
      [HOOK_HEADERS.source]: source,
      [HOOK_HEADERS.timestamp]: ts,
      [HOOK_HEADERS.signature]: signHook(secret, ts, raw),
    },
    payload: raw,
  });
}
