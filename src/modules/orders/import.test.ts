import readXlsxFile from 'read-excel-file/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { IMPORT_JOB } from './import-runner.ts';
import {
  createImport,
  type ImportJob,
  type ImportPreview,
  MAX_IMPORT_BYTES,
  runImport,
} from './import-service.ts';

let t: TestApp;
/** Runs the server's import job until no import waits (what the route woke it for). */
const runImports = () => t.app.runtime.runJob(IMPORT_JOB);
let admin: TestSession;
beforeAll(async () => {
  t = await openTestApp();
  admin = await t.login(t.fx.logins.admin);
});
afterAll(() => t.close());

const HEADER =
  '订单号,门店编码,渠道,下单时间,商品编码,商品名称,数量,单价(元),实付金额(元),订单金额(元),优惠券,优惠金额(元),手机号,external_userid';
const csv = (...rows: string[]) => Buffer.from(`\uFEFF${[HEADER, ...rows].join('\r\n')}\r\n`);

/** Two good orders (one of two lines) and three bad ones, each bad for another reason. */
const MIXED = csv(
  'G1,sh1,小程序,2026-06-01 12:30,T01,杨枝甘露,2,18.5,30,37,NEW7,7,13900001111,',
  'B1,sh1,POS,2026-06-01 13:00,T01,杨枝甘露,1,18.555,18.56,,,,,',
  'G1,,,,T02,椰果,1,0,,,,,,',
  'B2,zz9,POS,2026-06-01 13:00,T01,杨枝甘露,1,18,18,,,,,',
  'G2,,电商,2026-06-02 09:00,G100,礼盒,1,128,128,128,,,,wm_wang',
  'B3,sh1,POS,2026-06-01 13:00,T01,杨枝甘露,1,18,18,,,,,',
  'B3,sh2,POS,2026-06-01 13:00,T02,芝士葡萄,1,22,,,,,,',
);

function upload(s: TestSession, body: Buffer, query: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/order-imports?${new URLSearchParams({ fileName: 'orders.csv', ...query })}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'content-type': 'application/octet-stream' },
    payload: body,
  });
}

const get = (s: TestSession, url: string) =>
  t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { cookie: s.cookie } });

/** Uploads, waits for the background import, and returns it as GET /order-imports/:id shows it. */
async function importFile(s: TestSession, body: Buffer, query: Record<string, string> = {}) {
  const res = await upload(s, body, query);
  expect(res.statusCode, res.body).toBe(202);
  const job = res.json() as ImportJob;
  expect(job.status).toBe('running');
  await runImports();
  return (await get(s, `/order-imports/${job.id}`)).json() as ImportJob & {
    errors: { row: number; column: string; orderNo: string | null; zh: string; en: string }[];
  };
}

const count = async (
  table: 'orders' | 'order_items' | 'customer_identities' | 'order_imports',
  source?: string,
) =>
  Number(
    (
      await t.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('corp_id', '=', 'acme')
        .$if(source !== undefined, (q) => q.where('source' as never, '=', source as never))
        .executeTakeFirstOrThrow()
    ).n,
  );

const ordersOf = (source: string) =>
  t.database.db
    .selectFrom('orders')
    .select([
      'id',
      'source_order_id',
      'unit_id',
      'channel',
      'total_fen',
      'paid_fen',
      'coupon_fen',
      'coupon_code',
      'customer_id',
      'ordered_at',
    ])
    .where('corp_id', '=', 'acme')
    .where('source', '=', source)
    .orderBy('source_order_id')
    .execute();

describe('importing an order file', () => {
  it('dry run: counts, shows the first lines as they will land, reports every bad row, and writes nothing', async () => {
    const before = await Promise.all(
      (['orders', 'order_items', 'customer_identities', 'order_imports'] as const).map((x) => count(x)),
    );
    const res = await upload(admin, MIXED, { dryRun: 'true', source: 'dry' });
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json() as ImportPreview;
    expect(p).toMatchObject({
      fileName: 'orders.csv',
      source: 'import:dry',
      lines: 7,
      orders: 5,
      valid: 2,
      wouldCreate: 2,
      duplicates: 0,
      invalid: 3,
    });
    expect(p.sample.map((l) => [l.row, l.orderNo, l.productCode, l.priceFen, l.totalFen])).toEqual([
      [2, 'G1', 'T01', 1850, 3700],
      [4, 'G1', 'T02', 0, 3700],
      [6, 'G2', 'G100', 12800, 12800],
    ]);
    expect(p.sample[0]).toMatchObject({
      orderedAt: '2026-06-01T12:30:00+08:00',
      channel: 'miniprogram',
      identities: ['phone 139****1111'],
      duplicate: false,
    });
    expect(JSON.stringify(p)).not.toContain('13900001111');
    expect(p.errors.map((e) => [e.row, e.column, e.orderNo])).toEqual([
      [3, '单价(元)', 'B1'],
      [5, '门店编码', 'B2'],
      [8, '门店编码', 'B3'],
    ]);
    expect(p.errors[1]).toMatchObject({ zh: '门店编码「zz9」不存在', en: 'No store has the code "zz9"' });
    expect(p.errors[2]!.zh).toBe('同一订单 B3 的「门店编码」与第 7 行不一致');
    const after = await Promise.all(
      (['orders', 'order_items', 'customer_identities', 'order_imports'] as const).map((x) => count(x)),
    );
    expect(after).toEqual(before);
  });

  it('imports the good orders whole and none of the bad ones, with a report naming row, column and why', async () => {
    const job = await importFile(admin, MIXED, { source: 'shop' });
    expect(job).toMatchObject({
      status: 'done',
      fileName: 'orders.csv',
      source: 'import:shop',
      createdBy: expect.any(String),
      lines: 7,
      orders: 5,
      processed: 5,
      created: 2,
      duplicates: 0,
      invalid: 3,
      errorCount: 3,
      failure: null,
    });
    expect(job.finishedAt).not.toBeNull();
    const orders = await ordersOf('import:shop');
    expect(orders.map((o) => o.source_order_id)).toEqual(['G1', 'G2']);
    expect(orders[0]).toMatchObject({
      unit_id: t.fx.units.sh1,
      channel: 'miniprogram',
      total_fen: 3700,
      paid_fen: 3000,
      coupon_fen: 700,
      coupon_code: 'NEW7',
      customer_id: t.fx.customers.zhao,
    });
    expect(orders[0]!.ordered_at.toISOString()).toBe('2026-06-01T04:30:00.000Z');
    expect(orders[1]).toMatchObject({
      unit_id: null,
      channel: 'ecommerce',
      customer_id: t.fx.customers.wang,
    });
    const items = await t.database.db
      .selectFrom('order_items')
      .select(['line', 'product_code', 'quantity', 'price_fen'])
      .where('corp_id', '=', 'acme')
      .where('order_id', '=', orders[0]!.id)
      .orderBy('line')
      .execute();
    expect(items).toEqual([
      { line: 1, product_code: 'T01', quantity: 2, price_fen: 1850 },
      { line: 2, product_code: 'T02', quantity: 1, price_fen: 0 },
    ]);
    expect(job.errors.map((e) => `${e.row}|${e.column}|${e.orderNo}`)).toEqual([
      '3|单价(元)|B1',
      '5|门店编码|B2',
      '8|门店编码|B3',
    ]);
    expect(job.errors[0]!.zh).toContain('两位小数');
    expect(job.errors[0]!.en).toContain('2 decimals');

    const report = await get(admin, `/order-imports/${job.id}/errors.csv`);
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toContain('text/csv');
    expect(report.headers['content-disposition']).toContain(encodeURIComponent('orders-errors.csv'));
    const lines = report.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('行号 Row,列 Column,订单号 Order,原因,Reason');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('5,门店编码,B2,门店编码「zz9」不存在,"No store has the code ""zz9"""');

    const list = (await get(admin, '/order-imports')).json().items as ImportJob[];
    expect(list[0]).toMatchObject({ id: job.id, status: 'done', created: 2 });
    // the file is not kept once the import has ended
    const stored = await t.database.db
      .selectFrom('order_imports')
      .select('file')
      .where('corp_id', '=', 'acme')
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow();
    expect(stored.file).toBeNull();
  });

  it('importing the same file again creates nothing new: the orders are counted as duplicates', async () => {
    const before = await count('orders');
    const preview = (await upload(admin, MIXED, { dryRun: 'true', source: 'shop' })).json() as ImportPreview;
    expect(preview).toMatchObject({ valid: 2, wouldCreate: 0, duplicates: 2 });
    expect(preview.sample.every((l) => l.duplicate)).toBe(true);
    const again = await importFile(admin, MIXED, { source: 'shop' });
    expect(again).toMatchObject({ status: 'done', processed: 5, created: 0, duplicates: 2, invalid: 3 });
    expect(await count('orders')).toBe(before);
    // another source is another system: the same numbers are other orders
    const other = await importFile(admin, MIXED, { source: 'pos2' });
    expect(other).toMatchObject({ created: 2, duplicates: 0 });
  });

  it('lets a store manager import only the orders of their own store, and see only their own imports', async () => {
    const sh1 = await t.login(t.fx.logins.sh1);
    const job = await importFile(
      sh1,
      csv(
        'S1,sh1,POS,2026-06-03 10:00,T01,杨枝甘露,1,18,18,,,,,',
        'S2,gz1,POS,2026-06-03 10:00,T01,杨枝甘露,1,18,18,,,,,',
        'S3,,电商,2026-06-03 10:00,T01,杨枝甘露,1,18,18,,,,,',
      ),
      { source: 'store' },
    );
    expect(job).toMatchObject({ status: 'done', created: 1, invalid: 2 });
    expect((await ordersOf('import:store')).map((o) => o.source_order_id)).toEqual(['S1']);
    expect(job.errors.map((e) => [e.row, e.column, e.zh])).toEqual([
      [3, '门店编码', '门店「gz1」不在你的管辖范围内'],
      [4, '门店编码', '请填写门店编码：你只能导入所辖门店的订单'],
    ]);
    const sh1List = (await get(sh1, '/order-imports')).json().items as ImportJob[];
    expect(sh1List.map((j) => j.id)).toEqual([job.id]);
    const east = await t.login(t.fx.logins.east);
    expect((await get(east, `/order-imports/${job.id}`)).statusCode).toBe(200);
    const gz1 = await t.login(t.fx.logins.gz1);
    expect((await get(gz1, `/order-imports/${job.id}`)).statusCode).toBe(404);
    expect((await get(gz1, `/order-imports/${job.id}/errors.csv`)).statusCode).toBe(404);
    expect((await get(gz1, '/order-imports')).json().items).toEqual([]);
    const staff = await t.login(t.fx.logins.sh1a);
    expect((await upload(staff, MIXED, { dryRun: 'true' })).statusCode).toBe(403);
  });

  it('refuses a file over the limit with 413, and a file that is no order file with 400, before importing anything', async () => {
    const before = await count('order_imports');
    const big = await upload(admin, Buffer.alloc(MAX_IMPORT_BYTES + 1, 0x41));
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toMatchObject({
      code: 'payload_too_large',
      message: expect.stringContaining('32 MB'),
    });
    const noColumns = await upload(admin, Buffer.from('name,amount\r\nx,1\r\n'));
    expect(noColumns.statusCode).toBe(400);
    expect(noColumns.json().error.message).toContain('缺少必填列');
    const xls = await upload(admin, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
    expect(xls.statusCode).toBe(400);
    const json = await t.app.inject({
      method: 'POST',
      url: '/api/v1/order-imports',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, 'accept-language': 'en' },
      payload: { orders: [] },
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.message).toContain('request body');
    expect(await count('order_imports')).toBe(before);
  });

  it('refuses a store code that names a region or the HQ', async () => {
    const res = await upload(
      admin,
      csv(
        'E1,east,POS,2026-06-01 13:00,T01,杨枝甘露,1,18,18,,,,,',
        'E2,hq,POS,2026-06-01 13:00,T01,杨枝甘露,1,18,18,,,,,',
      ),
      { dryRun: 'true' },
    );
    const p = res.json() as ImportPreview;
    expect(p).toMatchObject({ valid: 0, invalid: 2 });
    expect(p.errors.map((e) => [e.row, e.column, e.zh])).toEqual([
      [2, '门店编码', '「east」是大区的编码，不是门店：请填写门店编码'],
      [3, '门店编码', '「hq」是总部的编码，不是门店：请填写门店编码'],
    ]);
  });

  it('serves a template that imports as it is', async () => {
    const res = await get(admin, '/order-imports/template.xlsx');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const sheets = await readXlsxFile(res.rawPayload);
    expect(sheets.map((s) => s.sheet)).toEqual(['订单', '说明']);
    expect(sheets[0]!.data[0]).toEqual(
      HEADER.split(',').slice(0, 13).concat(['unionid', 'openid', 'external_userid']),
    );
    const preview = (
      await upload(admin, res.rawPayload, { dryRun: 'true', fileName: 'template.xlsx' })
    ).json() as ImportPreview;
    expect(preview).toMatchObject({ lines: 3, orders: 2, valid: 2, invalid: 0, errorCount: 0 });
  });
});

describe('an import as a job', () => {
  const file = csv(
    'R1,sh1,POS,2026-06-04 10:00,T01,杨枝甘露,1,18,18,,,,13812345678,',
    'R2,sh1,POS,2026-06-04 10:00,T01,杨枝甘露,1,18,18,,,,,',
    'R3,sh1,POS,2026-06-04 10:00,T01,杨枝甘露,1,18,18,,,,,',
    'R4,sh1,POS,2026-06-04 10:00,T01,杨枝甘露,1,18.001,18,,,,,',
  );

  it('saves its progress batch by batch; stopped half-way it stays resumable and finishes without doubles', async () => {
    const ctx = syncCtx(t.database);
    const { job } = await createImport(
      ctx,
      { accountId: null, scopeUnitId: null },
      { fileName: 'r.csv', source: 'resume', bytes: file },
    );
    expect(job).toMatchObject({
      status: 'running',
      orders: 4,
      processed: 1,
      invalid: 1,
      errorCount: 1,
      createdBy: 'CLI',
    });
    // kept to resume from, but never with a phone in clear
    const stored = await t.database.db
      .selectFrom('order_imports')
      .select('file')
      .where('corp_id', '=', 'acme')
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow();
    expect(stored.file!.length).toBeGreaterThan(file.length);
    expect(Buffer.from(stored.file!).includes('13812345678')).toBe(false);
    expect(Buffer.from(stored.file!).includes(file.toString('base64').slice(0, 40))).toBe(false);
    const seen: number[] = [];
    let batches = 0;
    const stopped = await runImport(ctx, job.id, {
      batchSize: 1,
      onProgress: (j) => seen.push(j.processed),
      shouldStop: () => batches++ >= 2,
    });
    expect(stopped).toMatchObject({ status: 'running', processed: 3, created: 2 });
    expect(seen).toEqual([2, 3]);
    expect(await count('orders', 'import:resume')).toBe(2);
    // a second runner cannot take an import whose lease is held …
    const held = await t.database.db
      .updateTable('order_imports')
      .set({ lease_until: new Date(Date.now() + 60_000) })
      .where('corp_id', '=', 'acme')
      .where('id', '=', job.id)
      .execute();
    expect(held).toHaveLength(1);
    expect(await runImport(ctx, job.id)).toBeNull();
    // … and the server picks it up once the lease has run out, as after a crash
    await t.database.db
      .updateTable('order_imports')
      .set({ lease_until: new Date(Date.now() - 1) })
      .where('corp_id', '=', 'acme')
      .where('id', '=', job.id)
      .execute();
    await runImports();
    const done = (await get(admin, `/order-imports/${job.id}`)).json();
    expect(done).toMatchObject({ status: 'done', processed: 4, created: 3, duplicates: 0, invalid: 1 });
    expect(await count('orders', 'import:resume')).toBe(3);
  });

  it('ends as failed, with the reason, when writing fails; what was written stays and a re-run adds only the rest', async () => {
    const ctx = syncCtx(t.database);
    const { job } = await createImport(
      ctx,
      { accountId: null, scopeUnitId: null },
      { fileName: 'f.csv', source: 'fail', bytes: file },
    );
    let calls = 0;
    const failing = {
      ...ctx,
      cdb: {
        ...ctx.cdb,
        transaction: <T>(fn: Parameters<typeof ctx.cdb.transaction<T>>[0]) => {
          // ingestOrders' transaction for the second batch breaks
          if (++calls === 3) return Promise.reject(new Error('connection lost'));
          return ctx.cdb.transaction(fn);
        },
      },
    };
    const failed = await runImport(failing, job.id, { batchSize: 2 });
    expect(failed).toMatchObject({ status: 'failed', failure: 'connection lost', processed: 3, created: 2 });
    expect(await count('orders', 'import:fail')).toBe(2);
    const again = await createImport(
      ctx,
      { accountId: null, scopeUnitId: null },
      { fileName: 'f.csv', source: 'fail', bytes: file },
    );
    expect(await runImport(ctx, again.job.id)).toMatchObject({ status: 'done', created: 1, duplicates: 2 });
    expect(await count('orders', 'import:fail')).toBe(3);
  });
});
