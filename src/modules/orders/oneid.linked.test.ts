import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { syncCtxOf } from '../context.ts';
import { ingestOrders, type OrderInput } from './ingest.ts';

let t: Linked;
beforeAll(async () => {
  t = await openLinked();
});
afterAll(() => t.close());

const ctx = () => syncCtxOf(t.app.runtime.deps, 'acme');
const order = (id: string, customer: OrderInput['customer']): OrderInput => ({
  sourceOrderId: id,
  storeCode: 'sh1',
  channel: 'miniprogram',
  orderedAt: '2026-05-01T12:00:00+08:00',
  items: [{ productCode: 'T01', productName: '杨枝甘露', quantity: 1, priceFen: 1800 }],
  totalFen: 1800,
  paidFen: 1800,
  customer,
});
const customerOfOrder = (id: number) =>
  t.database.db
    .selectFrom('orders')
    .select(['customer_id', 'linked_by'])
    .where('corp_id', '=', 'acme')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    await t.settle();
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('orders waiting for an identity that WeCom reveals (real callbacks)', () => {
  it('links an order by unionid when the customer adds a member, and by phone when a member records it', async () => {
    const [byUnionid, byPhone] = await ingestOrders(ctx(), 'mini', [
      order('W1', { unionid: 'o_late_union' }),
      order('W2', { phone: '13955556666' }),
    ]);
    expect([byUnionid!.customerId, byPhone!.customerId]).toEqual([null, null]);

    const wm = (await t.corp('POST', '/customers', { name: '吴晓', gender: 2, unionid: 'o_late_union' }))
      .external_userid as string;
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'sh1a',
      external_userid: wm,
      add_way: 1,
    });
    const linked = await waitFor(async () => {
      const o = await customerOfOrder(byUnionid!.orderId!);
      return o.customer_id !== null ? o : null;
    }, 'the order linked by unionid');
    expect(linked.linked_by).toBe('unionid');
    const customer = await t.database.db
      .selectFrom('customers')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('external_userid', '=', wm)
      .executeTakeFirstOrThrow();
    expect(linked.customer_id).toBe(customer.id);

    await t.corp('POST', '/scenarios/member-edits-contact', {
      userid: 'sh1a',
      external_userid: wm,
      remark: '吴女士',
      remark_mobiles: ['13955556666'],
    });
    const second = await waitFor(async () => {
      const o = await customerOfOrder(byPhone!.orderId!);
      return o.customer_id !== null ? o : null;
    }, 'the order linked by phone');
    expect(second).toEqual({ customer_id: customer.id, linked_by: 'phone' });
  });
});

describe('a customer that nothing waits for', () => {
  it('has the WeCom identities recorded on the add, once, with WeCom as their source', async () => {
    const wm = (await t.corp('POST', '/customers', { name: '郑雪', gender: 2, unionid: 'o_plain_union' }))
      .external_userid as string;
    const identities = () =>
      t.database.db
        .selectFrom('customer_identities as i')
        .innerJoin('customers as c', (j) =>
          j.onRef('c.corp_id', '=', 'i.corp_id').onRef('c.id', '=', 'i.customer_id'),
        )
        .select(['i.kind', 'i.value', 'i.source'])
        .where('i.corp_id', '=', 'acme')
        .where('c.external_userid', '=', wm)
        .orderBy('i.kind')
        .execute();
    const expected = [
      { kind: 'external_userid', value: wm, source: 'wecom' },
      { kind: 'unionid', value: 'o_plain_union', source: 'wecom' },
    ];
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'sh1a',
      external_userid: wm,
      add_way: 1,
    });
    const recorded = await waitFor(async () => {
      const rows = await identities();
      return rows.length === 2 && rows;
    }, 'the identities');
    expect(recorded).toEqual(expected);
    // a second member adds the same customer: nothing new to record
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'sh1b',
      external_userid: wm,
      add_way: 1,
    });
    await waitFor(
      async () =>
        (
          await t.database.db
            .selectFrom('follows as f')
            .innerJoin('customers as c', (j) =>
              j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
            )
            .select('f.id')
            .where('c.external_userid', '=', wm)
            .execute()
        ).length === 2,
      'the second follow',
    );
    expect(await identities()).toEqual(expected);
  });
});
