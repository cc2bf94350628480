import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { seedFixture } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import type { Tables } from '../tables.ts';
import { dismissGroupFromWecom, upsertGroupFromWecom } from './sync.ts';

let database: Database<Tables>;
beforeAll(async () => {
  database = await openTestDatabase();
  await seedFixture(database.db);
});
afterAll(() => database.close());

const t0 = new Date('2026-07-01T10:00:00Z');
const chat = (members: [string, number][]) => ({
  chat_id: 'wr_group_1',
  name: '静安店福利群',
  owner: 'sh1a',
  create_time: 1782000000,
  member_version: `v${members.length}`,
  member_list: members.map(([userid, type]) => ({ userid, type, join_time: 1782000100, join_scene: 3 })),
});

async function state() {
  const group = await database.db
    .selectFrom('groups')
    .selectAll()
    .where('chat_id', '=', 'wr_group_1')
    .executeTakeFirstOrThrow();
  const members = await database.db
    .selectFrom('group_members')
    .select(['member_key', 'member_type', 'customer_id', 'staff_id', 'left_at'])
    .where('group_id', '=', group.id)
    .orderBy('member_key')
    .execute();
  const events = await database.db
    .selectFrom('customer_events')
    .select(['kind', 'summary'])
    .where('kind', 'in', ['group_joined', 'group_left'])
    .orderBy('id')
    .execute();
  return { group, members, events };
}

describe('groups from WeCom', () => {
  it('creates the group with its owner, members linked to customers and staff, and join events', async () => {
    const ctx = syncCtx(database);
    await upsertGroupFromWecom(
      ctx,
      chat([
        ['sh1a', 1],
        ['wm_wang', 2],
        ['wm_li', 2],
        ['wm_stranger', 2],
      ]),
      t0,
    );
    const s = await state();
    expect(s.group).toMatchObject({
      name: '静安店福利群',
      owner_userid: 'sh1a',
      member_count: 4,
      customer_count: 3,
      status: 'active',
    });
    expect(s.group.owner_staff_id).not.toBeNull();
    expect(
      s.members.map((m) => [m.member_key, m.member_type, m.customer_id !== null, m.staff_id !== null]),
    ).toEqual([
      ['sh1a', 1, false, true],
      ['wm_li', 2, true, false],
      ['wm_stranger', 2, false, false],
      ['wm_wang', 2, true, false],
    ]);
    expect(s.events).toHaveLength(2);
    expect(s.events[0]!.summary).toBe('加入客户群「静安店福利群」（扫描群二维码）');
  });

  it('records who left, is idempotent, and lets a member come back', async () => {
    const ctx = syncCtx(database);
    await upsertGroupFromWecom(
      ctx,
      chat([
        ['sh1a', 1],
        ['wm_wang', 2],
      ]),
      t0,
    );
    await upsertGroupFromWecom(
      ctx,
      chat([
        ['sh1a', 1],
        ['wm_wang', 2],
      ]),
      t0,
    );
    let s = await state();
    expect(s.group.member_count).toBe(2);
    expect(s.members.filter((m) => m.left_at).map((m) => m.member_key)).toEqual(['wm_li', 'wm_stranger']);
    expect(s.events.map((e) => e.kind)).toEqual(['group_joined', 'group_joined', 'group_left']);
    await upsertGroupFromWecom(
      ctx,
      chat([
        ['sh1a', 1],
        ['wm_wang', 2],
        ['wm_li', 2],
      ]),
      t0,
    );
    s = await state();
    expect(s.members.find((m) => m.member_key === 'wm_li')!.left_at).toBeNull();
    expect(s.events.map((e) => e.kind)).toEqual([
      'group_joined',
      'group_joined',
      'group_left',
      'group_joined',
    ]);
  });

  it('dismisses once, and every remaining customer has left', async () => {
    const ctx = syncCtx(database);
    expect(await dismissGroupFromWecom(ctx, 'wr_group_1', t0)).toBe(true);
    expect(await dismissGroupFromWecom(ctx, 'wr_group_1', t0)).toBe(false);
    const s = await state();
    expect(s.group.status).toBe('dismissed');
    expect(s.members.every((m) => m.left_at !== null)).toBe(true);
    expect(s.events.slice(-2).map((e) => e.summary)).toEqual([
      '客户群「静安店福利群」已解散',
      '客户群「静安店福利群」已解散',
    ]);
  });
});
