import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentByKey, getContent, renderContent, SAMPLE_VARS } from '../modules/content/index.ts';
import { contentInput } from '../modules/content/rules.ts';
import { openTestApp, type TestApp } from '../testing/app.ts';
import { syncCtx } from '../testing/sync-ctx.ts';
import { createDemoContent, EAST, HQ, MANGO, STORE } from './content.ts';

/**
 * The demo library on the test brand (its HQ admin, east region manager and store sh1's manager standing in
 * for the demo's): every item is what the console would accept, renders within WeCom's limits, the keys
 * the journeys name resolve, the store's own welcome script wins in its store, and the history of uses lands.
 */
let t: TestApp;
beforeAll(async () => {
  t = await openTestApp();
});
afterAll(() => t.close());

describe('the demo library', () => {
  it('holds only items the API would accept', () => {
    for (const i of [...HQ, ...EAST, ...STORE, MANGO])
      expect(contentInput.safeParse(i).error?.issues ?? [], i.title).toEqual([]);
  });

  it('is created per unit, resolves by key with the nearest unit winning, and renders; uses are recorded', async () => {
    const now = new Date('2026-06-10T08:00:00Z'); // the fixture's customers were added on 06-01
    const made = await createDemoContent(syncCtx(t.database).runtime.deps, 'acme', now, {
      hq: 'admin',
      region: 'east',
      store: 'sh1',
    });
    expect(made.items).toBe(HQ.length + EAST.length + STORE.length);
    // 5 customers: welcome (day 0) and story (day 3) each, the coupon (day 7) to ids divisible by 3
    const { customers } = t.fx;
    const couponed = Object.values(customers).filter((id) => id % 3 === 0).length;
    expect(made.uses).toBe(5 * 2 + couponed);
    const ctx = syncCtx(t.database);
    const { units } = t.fx;
    for (const key of [
      'welcome.day0',
      'trust.day3',
      'coupon.first_order',
      'care.birthday',
      'care.anniversary',
      'winback.dormant',
    ])
      expect((await contentByKey(ctx, key, units.gz1))?.unitId, key).toBe(units.hq);
    expect((await contentByKey(ctx, 'script.welcome_reply', units.sh1))?.title).toBe('话术 静安店新客第一句');
    expect((await contentByKey(ctx, 'script.welcome_reply', units.sh2))?.title).toBe('话术 新客第一句');
    expect(await contentByKey(ctx, 'event.east_tasting', units.gz1)).toBeNull();
    const ids = await t.database.db
      .selectFrom('content_items')
      .select('id')
      .where('corp_id', '=', 'acme')
      .execute();
    for (const { id } of ids) {
      const out = renderContent(await getContent(ctx, id), SAMPLE_VARS);
      expect(out.missing).toEqual([]);
    }
  });
});
