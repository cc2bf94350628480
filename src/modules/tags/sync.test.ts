import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { type Fixture, seedFixture } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import type { Tables } from '../tables.ts';
import { syncCorpTags } from './sync.ts';

let database: Database<Tables>;
let fx: Fixture;
beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
});
afterAll(() => database.close());

async function tags() {
  return database.db
    .selectFrom('tags as t')
    .innerJoin('tag_groups as g', (j) =>
      j.onRef('g.corp_id', '=', 't.corp_id').onRef('g.id', '=', 't.group_id'),
    )
    .select(['g.name as group', 't.name', 't.wecom_tag_id', 't.id'])
    .where('t.corp_id', '=', 'acme')
    .orderBy('g.name')
    .orderBy('t.name')
    .execute();
}

describe('corp tags from WeCom', () => {
  it('adopts same-named local tags, creates new ones, and keeps customer links', async () => {
    const ctx = syncCtx(database);
    const r = await syncCorpTags(
      ctx,
      [
        {
          group_id: 'etg_member',
          group_name: '会员',
          order: 2,
          tag: [
            { id: 'et_vip', name: 'VIP', order: 1 },
            { id: 'et_gold', name: '金卡', order: 2 },
          ],
        },
      ],
      { complete: false },
    );
    expect(r).toEqual({ groups: 1, tags: 2, removed: 0 });
    const all = await tags();
    expect(all.map((t) => [t.group, t.name, t.wecom_tag_id])).toEqual([
      ['会员', 'VIP', 'et_vip'],
      ['会员', '金卡', 'et_gold'],
      ['客户来源', '包裹卡', null],
    ]);
    expect(all.find((t) => t.name === 'VIP')!.id).toBe(fx.tags.vip);
    const links = await database.db
      .selectFrom('customer_tags')
      .select('customer_id')
      .where('tag_id', '=', fx.tags.vip)
      .execute();
    expect(links).toHaveLength(2);
  });

  it('removes a deleted tag with its links, and on a complete list every synced tag WeCom no longer has', async () => {
    const ctx = syncCtx(database);
    await syncCorpTags(
      ctx,
      [{ group_id: 'etg_member', group_name: '会员', tag: [{ id: 'et_vip', name: 'VIP', deleted: true }] }],
      {
        complete: false,
      },
    );
    expect((await tags()).map((t) => t.name)).toEqual(['金卡', '包裹卡']);
    expect(
      await database.db
        .selectFrom('customer_tags')
        .select('customer_id')
        .where('tag_id', '=', fx.tags.vip)
        .execute(),
    ).toEqual([]);
    const r = await syncCorpTags(
      ctx,
      [{ group_id: 'etg_new', group_name: '口味', tag: [{ id: 'et_tea', name: '奶茶' }] }],
      {
        complete: true,
      },
    );
    expect(r.removed).toBe(2); // 金卡 and its group 会员; the local-only 包裹卡 stays
    expect((await tags()).map((t) => [t.group, t.name])).toEqual([
      ['口味', '奶茶'],
      ['客户来源', '包裹卡'],
    ]);
  });
});
