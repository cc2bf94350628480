import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { type Fixture, pii, seedFixture } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import type { Tables } from '../tables.ts';
import { ingestOrders, type OrderInput } from './ingest.ts';

let database: Database<Tables>;
let fx: Fixture;
beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
});
afterAll(() => database.close());

const ctx = () => syncCtx(database);

function order(id: string, over: Partial<OrderInput> = {}): OrderInput {
  return {
    sourceOrderId: id,
    storeCode: 'sh1',
    channel: 'pos',
    orderedAt: '2026-06-20T12:30:00+08:00',
    items: [
      { productCode: 'T01', productName: '杨枝甘露', quantity: 2, priceFen: 1800 },
      { productCode: 'T02', productName: '芝士葡萄', quantity: 1, priceFen: 2200 },
    ],
    totalFen: 5800,
    paidFen: 5300,
    couponCode: 'NEW5',
    couponFen: 500,
    customer: {},
    ...over,
  };
}

const countOrders = async (source: string) =>
  Number(
    (
      await database.db
        .selectFrom('orders')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('corp_id', '=', 'acme')
        .where('source', '=', source)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('ingestOrders', () => {
  it('writes an order with its items, linked by the phone hash to the customer', async () => {
    const [r] = await ingestOrders(ctx(), 'pos', [order('A1', { customer: { phone: '+86 138-1234-5678' } })]);
    expect(r).toMatchObject({ sourceOrderId: 'A1', status: 'created', customerId: fx.customers.wang });
    const row = await database.db
      .selectFrom('orders')
      .selectAll()
      .where('corp_id', '=', 'acme')
      .where('id', '=', r!.orderId!)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      unit_id: fx.units.sh1,
      paid_fen: 5300,
      coupon_code: 'NEW5',
      phone_hash: pii.hash('13812345678'),
      linked_by: 'phone',
    });
    const items = await database.db
      .selectFrom('order_items')
      .select(['line', 'product_code', 'quantity', 'price_fen'])
      .where('corp_id', '=', 'acme')
      .where('order_id', '=', r!.orderId!)
      .orderBy('line')
      .execute();
    expect(items).toEqual([
      { line: 1, product_code: 'T01', quantity: 2, price_fen: 1800 },
      { line: 2, product_code: 'T02', quantity: 1, price_fen: 2200 },
    ]);
    const events = await database.db
      .selectFrom('customer_events')
      .select(['kind', 'summary', 'at'])
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', fx.customers.wang)
      .where('kind', '=', 'order')
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]!.summary).toContain('上海一店');
    expect(events[0]!.at.toISOString()).toBe('2026-06-20T04:30:00.000Z');
  });

  it('is idempotent by source and order id: a resend and a repeat in the batch are duplicates', async () => {
    const before = await countOrders('pos');
    const results = await ingestOrders(ctx(), 'pos', [
      order('A1', {
        totalFen: 100,
        items: [{ productCode: 'X', productName: 'X', quantity: 1, priceFen: 100 }],
        paidFen: 0,
        couponFen: 0,
      }),
      order('A2'),
      order('A2', { paidFen: 1 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['duplicate', 'created', 'duplicate']);
    expect(results[2]!.orderId).toBe(results[1]!.orderId);
    expect(await countOrders('pos')).toBe(before + 1);
    const a1 = await database.db
      .selectFrom('orders')
      .select('total_fen')
      .where('corp_id', '=', 'acme')
      .where('source', '=', 'pos')
      .where('source_order_id', '=', 'A1')
      .executeTakeFirstOrThrow();
    expect(a1.total_fen).toBe(5800);
    // the same id from another source is another order
    const [other] = await ingestOrders(ctx(), 'mall', [order('A1')]);
    expect(other!.status).toBe('created');
  });

  it('reports a bad order by field and writes the good ones around it', async () => {
    const results = await ingestOrders(ctx(), 'pos', [
      order('B1'),
      order('B2', { storeCode: 'nowhere' }),
      order('B3', { paidFen: 9000 }),
      order('B4', { totalFen: 1 }),
      { ...order('B5'), items: [{ productCode: 'T', productName: 'T', quantity: 0, priceFen: 10 }] },
      order('B6', { customer: { phone: '12345' } }),
      order('B7', { couponCode: undefined }),
      order('B8'),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'created',
      'invalid',
      'invalid',
      'invalid',
      'invalid',
      'invalid',
      'invalid',
      'created',
    ]);
    const fields = results.map((r) => r.errors?.map((e) => e.field));
    expect(fields[1]).toEqual(['storeCode']);
    expect(fields[2]).toEqual(['paidFen']);
    expect(fields[3]?.[0]).toBe('totalFen');
    expect(fields[4]).toContain('items.0.quantity');
    expect(fields[5]).toEqual(['customer.phone']);
    expect(fields[6]).toEqual(['couponCode']);
    expect(results[5]!.errors![0]!.message).not.toContain('12345');
    expect(await countOrders('pos')).toBeGreaterThanOrEqual(4);
    const invalid = await database.db
      .selectFrom('orders')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('source_order_id', 'in', ['B2', 'B3', 'B4', 'B5', 'B6', 'B7'])
      .execute();
    expect(invalid).toEqual([]);
  });

  it('keeps an order with no known identity unresolved', async () => {
    const [r] = await ingestOrders(ctx(), 'pos', [order('C1', { customer: { unionid: 'u-nobody' } })]);
    expect(r).toMatchObject({ status: 'created', customerId: null });
  });

  it('takes a batch of 1,000 orders', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) =>
      order(`K${i}`, { customer: { openid: `o-${i % 50}`, ...(i === 0 ? { phone: '13900001111' } : {}) } }),
    );
    const results = await ingestOrders(ctx(), 'bulk', batch);
    expect(results.every((r) => r.status === 'created')).toBe(true);
    // the first order's phone names 赵磊; its openid is learned, so every order sharing it follows
    expect(results.filter((r) => r.customerId === fx.customers.zhao)).toHaveLength(20);
  });
});
