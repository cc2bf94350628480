import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/connect.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { type Fixture, pii, seedFixture } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import type { Tables } from '../tables.ts';
import { endFollowFromWecom, endFollowsMissingFromSync, upsertCustomerFromWecom } from './sync.ts';
import { addTimeline } from './timeline.ts';

let database: Database<Tables>;
let fx: Fixture;
beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
  await database.db
    .updateTable('tags')
    .set({ wecom_tag_id: 'et_vip' })
    .where('id', '=', fx.tags.vip)
    .execute();
  await database.db
    .updateTable('tags')
    .set({ wecom_tag_id: 'et_card' })
    .where('id', '=', fx.tags.fruit)
    .execute();
});
afterAll(() => database.close());

const at = new Date('2026-07-01T10:00:00Z');
const contact = {
  external_userid: 'wm_new_customer',
  name: '钱多多',
  gender: 2,
  unionid: 'o_union_1',
  avatar: 'http://a/1.png',
};

async function profile(externalUserid: string) {
  const c = await database.db
    .selectFrom('customers')
    .selectAll()
    .where('corp_id', '=', 'acme')
    .where('external_userid', '=', externalUserid)
    .executeTakeFirstOrThrow();
  const follows = await database.db
    .selectFrom('follows as f')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
    .select(['s.userid', 'f.status', 'f.remark', 'f.state', 'f.add_way', 'f.journey_role'])
    .where('f.corp_id', '=', 'acme')
    .where('f.customer_id', '=', c.id)
    .orderBy('s.userid')
    .execute();
  const tags = await database.db
    .selectFrom('customer_tags as ct')
    .innerJoin('tags as t', (j) => j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'))
    .select('t.name')
    .where('ct.corp_id', '=', 'acme')
    .where('ct.customer_id', '=', c.id)
    .orderBy('t.name')
    .execute();
  const timeline = await database.db
    .selectFrom('customer_events')
    .select(['kind', 'summary'])
    .where('corp_id', '=', 'acme')
    .where('customer_id', '=', c.id)
    .orderBy('id')
    .execute();
  return { c, follows, tags: tags.map((t) => t.name), timeline };
}

describe('customers from WeCom', () => {
  it('creates the customer, the follow with its staff’s journey role, tags, phone and timeline', async () => {
    const ctx = syncCtx(database);
    const r = await upsertCustomerFromWecom(
      ctx,
      contact,
      [
        {
          userid: 'sh1a',
          remark: '钱女士',
          createtime: 1782900000,
          add_way: 1,
          state: 'ch_tablecard',
          remark_mobiles: ['+86 137-0000-2222'],
          tagIds: ['et_vip', 'et_unknown'],
        },
      ],
      { complete: true, at },
    );
    expect(r).toMatchObject({ created: true, addedFollows: ['sh1a'] });
    const p = await profile('wm_new_customer');
    expect(p.c).toMatchObject({
      name: '钱多多',
      gender: 2,
      unionid: 'o_union_1',
      phone_masked: '137****2222',
    });
    expect(pii.decrypt(p.c.phone_cipher!)).toBe('13700002222');
    expect(p.c.search_text).toContain('qianduoduo');
    expect(p.c.search_text).toContain('钱女士');
    expect(p.c.first_added_at?.getTime()).toBe(1782900000 * 1000);
    expect(p.follows).toEqual([
      {
        userid: 'sh1a',
        status: 'active',
        remark: '钱女士',
        state: 'ch_tablecard',
        add_way: 1,
        journey_role: 'store_staff',
      },
    ]);
    expect(p.tags).toEqual(['VIP']);
    expect(p.timeline.map((e) => e.kind)).toEqual(['follow_added', 'tag_added']);
  });

  it('changes nothing when the same data comes again', async () => {
    const ctx = syncCtx(database);
    const before = await profile('wm_new_customer');
    const r = await upsertCustomerFromWecom(
      ctx,
      contact,
      [
        {
          userid: 'sh1a',
          remark: '钱女士',
          createtime: 1782900000,
          add_way: 1,
          state: 'ch_tablecard',
          remark_mobiles: ['13700002222'],
          tagIds: ['et_vip'],
        },
      ],
      { complete: true, at },
    );
    expect(r).toMatchObject({ created: false, addedFollows: [] });
    const after = await profile('wm_new_customer');
    expect(after.timeline).toEqual(before.timeline);
    expect(after.c.phone_cipher).toBe(before.c.phone_cipher);
  });

  it('keeps one customer with two follows when a second member adds them, and unions their tags', async () => {
    const ctx = syncCtx(database);
    const r = await upsertCustomerFromWecom(
      ctx,
      contact,
      [
        { userid: 'sh1a', remark: '钱女士', createtime: 1782900000, add_way: 1, tagIds: [] },
        { userid: 'ops1', remark: '线上', createtime: 1782990000, add_way: 16, tagIds: ['et_card'] },
      ],
      { complete: true, at },
    );
    expect(r.addedFollows).toEqual(['ops1']);
    const p = await profile('wm_new_customer');
    expect(p.follows.map((f) => [f.userid, f.journey_role])).toEqual([
      ['ops1', 'online_ops'],
      ['sh1a', 'store_staff'],
    ]);
    expect(p.tags).toEqual(['包裹卡']);
    expect(p.timeline.map((e) => e.kind)).toEqual([
      'follow_added',
      'tag_added',
      'follow_added',
      'tag_added',
      'tag_removed',
    ]);
    const count = await database.db
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('external_userid', '=', 'wm_new_customer')
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('ends a follow once, by the customer or by the member, and ends unlisted ones on a complete read', async () => {
    const ctx = syncCtx(database);
    const input = { externalUserid: 'wm_new_customer', userid: 'ops1', by: 'customer' as const, at };
    expect(await endFollowFromWecom(ctx, input)).toBe(true);
    expect(await endFollowFromWecom(ctx, input)).toBe(false);
    await upsertCustomerFromWecom(ctx, contact, [], { complete: true, at });
    const p = await profile('wm_new_customer');
    expect(p.follows.map((f) => [f.userid, f.status])).toEqual([
      ['ops1', 'deleted_by_customer'],
      ['sh1a', 'deleted_by_staff'],
    ]);
    expect(p.timeline.filter((e) => e.kind === 'follow_deleted_by_customer')).toHaveLength(1);
  });

  it('skips follows of members Siyu does not know yet, and never touches another corp', async () => {
    const ctx = syncCtx(database);
    await upsertCustomerFromWecom(
      ctx,
      { external_userid: 'wm_wang', name: '王芳改名' },
      [{ userid: 'nobody', tagIds: [] }],
      {
        complete: false,
        at,
      },
    );
    const other = await database.db
      .selectFrom('customers')
      .select('name')
      .where('corp_id', '=', 'other')
      .where('external_userid', '=', 'wm_wang')
      .executeTakeFirstOrThrow();
    expect(other.name).toBe('王芳');
    const p = await profile('wm_wang');
    expect(p.c.name).toBe('王芳改名');
    expect(p.follows.map((f) => f.userid)).toEqual(['sh1a']);
  });

  it('after a full sync, ends the listed members’ follows it did not see, but not newer ones nor others’', async () => {
    const ctx = syncCtx(database);
    // A first run that saw nothing clears what the fixture and the tests above left to sh1a.
    await endFollowsMissingFromSync(ctx, { id: 40, startedAt: new Date('2100-01-01'), userids: ['sh1a'] });
    const startedAt = new Date('2026-08-01T00:00:00Z');
    const follow = (wm: string, userid: string, createtime: number, syncRun?: number) =>
      upsertCustomerFromWecom(ctx, { external_userid: wm, name: wm }, [{ userid, createtime, tagIds: [] }], {
        complete: false,
        at,
        ...(syncRun === undefined ? {} : { syncRun }),
      });
    await follow('wm_seen', 'sh1a', 1785000000, 41); // listed by run 41
    await follow('wm_unseen', 'sh1a', 1785000000); // mirrored before, not listed: gone from WeCom
    await follow('wm_came_later', 'sh1a', 1786500000); // added after run 41 began
    await follow('wm_ops_member', 'ops1', 1785000000); // a member run 41 did not list

    expect(await endFollowsMissingFromSync(ctx, { id: 41, startedAt, userids: ['sh1a'] })).toBe(1);
    const status = async (wm: string) => (await profile(wm)).follows.map((f) => f.status);
    expect({
      seen: await status('wm_seen'),
      unseen: await status('wm_unseen'),
      later: await status('wm_came_later'),
      ops: await status('wm_ops_member'),
    }).toEqual({
      seen: ['active'],
      unseen: ['deleted_by_staff'],
      later: ['active'],
      ops: ['active'],
    });
    expect((await profile('wm_unseen')).timeline.at(-1)).toMatchObject({ kind: 'follow_deleted_by_staff' });
    // A mirror by callback later (no run) keeps the stamp: the same run ends nothing more.
    await follow('wm_seen', 'sh1a', 1785000000);
    expect(await endFollowsMissingFromSync(ctx, { id: 41, startedAt, userids: ['sh1a'] })).toBe(0);
  });

  it('lands thousands of timeline entries at once (a full sync may end that many follows)', async () => {
    const n = 10_000; // 7 parameters an entry: one insert of them all would pass PostgreSQL's 65,535
    const { c } = await profile('wm_unseen');
    await addTimeline(
      corpDb(database.db, 'acme'),
      Array.from({ length: n }, (_, i) => ({
        customerId: c.id,
        kind: 'note' as const,
        at,
        summary: `批量 ${i}`,
      })),
    );
    const notes = await database.db
      .selectFrom('customer_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', c.id)
      .where('summary', 'like', '批量 %')
      .executeTakeFirstOrThrow();
    expect(Number(notes.n)).toBe(n);
  });
});
