import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../../testing/app.ts';
import { timelineText } from './timeline-text.ts';

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(() => t.close());

describe('the timeline', () => {
  it('names the person who acted, not the member whose follow carries a tag put on in Siyu', async () => {
    // 李娜 is followed by 陈静 only; the HQ admin tags her in the console.
    const admin = await t.login(t.fx.logins.admin);
    const headers = { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken };
    const customer = t.fx.customers.li;
    const put = await t.app.inject({
      method: 'POST',
      url: `/api/v1/customers/${customer}/tags`,
      headers,
      payload: { add: [t.fx.tags.vip] },
    });
    expect(put.statusCode, put.body).toBe(200);

    const res = await t.app.inject({ method: 'GET', url: `/api/v1/customers/${customer}`, headers });
    const entry = res.json().timeline.find((e: { kind: string }) => e.kind === 'tag_added') as Record<
      string,
      unknown
    >;
    expect(entry).toMatchObject({
      actorName: 'admin',
      staffName: null,
      text: { zh: '打上标签「VIP」（私域后台）', en: 'Tagged “VIP” (in Siyu)' },
    });
    const row = await t.database.db
      .selectFrom('customer_events as e')
      .innerJoin('accounts as a', (j) =>
        j.onRef('a.corp_id', '=', 'e.corp_id').onRef('a.id', '=', 'e.account_id'),
      )
      .select(['a.username', 'e.staff_id'])
      .where('e.customer_id', '=', customer)
      .where('e.kind', '=', 'tag_added')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ username: 'admin', staff_id: null });
  });

  it('renders each entry from its data in both languages, and an entry without data as written', () => {
    expect(
      timelineText({
        kind: 'order',
        summary: '在上海一店下单 ¥31.00：杨枝甘露×2',
        data: {
          channel: 'miniprogram',
          store: null,
          items: [{ name: '杨枝甘露', quantity: 2 }],
          paidFen: 3100,
          couponCode: 'NEW5',
        },
        staffName: null,
      }),
    ).toEqual({
      zh: '在小程序下单 ¥31.00：杨枝甘露×2（用券 NEW5）',
      en: 'Ordered ¥31.00 at the mini-program: 杨枝甘露×2 (coupon NEW5)',
    });
    expect(
      timelineText({
        kind: 'stage_changed',
        summary: '',
        data: { from: 'new', to: 'active', cause: 'orders' },
        staffName: null,
      }),
    ).toEqual({ zh: '生命周期：新客 → 活跃（订单变化）', en: 'Lifecycle: new → active (orders changed)' });
    expect(
      timelineText({ kind: 'group_joined', summary: '加入客户群「老客群」', data: {}, staffName: null }),
    ).toEqual({ zh: '加入客户群「老客群」', en: '加入客户群「老客群」' });
  });
});
