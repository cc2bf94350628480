import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../platform/actor.ts';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { actorOf, type Fixture, pii, seedFixture } from '../../testing/fixture.ts';
import { ctxFor, syncCtxOf } from '../context.ts';
import type { Tables } from '../tables.ts';
import { createGroupCode, ROTATE_AT, rotateCodesFor, updateGroupCode } from './codes.ts';
import type { GroupType } from './schema.ts';
import { setGroupType } from './service.ts';
import { dismissGroupFromWecom } from './sync.ts';

/**
 * group_code_heads (what routing reads: per unit, the first code of each group type and retired state) stays
 * equal to the same choice made over every code, as codes get their QR, rotate, retire, change type or unit,
 * are archived, and as groups are dismissed or come back.
 */

let database: Database<Tables>;
let fx: Fixture;
const now = new Date('2026-11-01T04:00:00Z');
const clock = { now: () => now };
const deps = () => ({ db: database.db, clock, pii, events: undefined as never });
const hq = (): Actor => actorOf('hq_admin', Object.values(fx.units));

beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
});
afterAll(() => database.close());

async function group(name: string, ownerStaffId: number, type: GroupType | null) {
  const { id } = await database.db
    .insertInto('groups')
    .values({
      corp_id: 'acme',
      chat_id: `wr_${name}`,
      name,
      owner_userid: null,
      owner_staff_id: ownerStaffId,
      notice: null,
      member_version: null,
      type,
      created_at_wecom: now,
      dismissed_at: null,
      synced_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

async function code(unitId: number, name: string, groupIds: number[]) {
  const made = await createGroupCode(ctxFor(deps(), hq()), {
    unitId,
    name,
    groupIds,
    roomBaseName: name,
    roomBaseId: 1,
    autoCreate: true,
    welcomeText: '',
  });
  return made.id;
}

/** The summary as kept, and as chosen from scratch over every code (routing's former read). */
async function heads() {
  const kept = await sql<Record<string, unknown>>`
    select unit_id, group_type, retired, code_id, group_id, position from group_code_heads
    where corp_id = 'acme' order by unit_id, group_type nulls first, retired`.execute(database.db);
  const fresh = await sql<Record<string, unknown>>`
    select * from (
      select distinct on (k.unit_id, g.type, cg.retired_at is not null)
        k.unit_id, g.type as group_type, cg.retired_at is not null as retired, k.id as code_id,
        g.id as group_id, cg.position
      from group_codes k
      join group_code_groups cg on cg.corp_id = k.corp_id and cg.code_id = k.id
      join groups g on g.corp_id = cg.corp_id and g.id = cg.group_id
      where k.corp_id = 'acme' and k.status = 'active' and k.qr_code is not null and g.status = 'active'
      order by k.unit_id, g.type, cg.retired_at is not null, k.id, cg.position) x
    order by unit_id, group_type nulls first, retired`.execute(database.db);
  const norm = (rows: Record<string, unknown>[]) =>
    rows.map((r) => ({
      unit: Number(r.unit_id),
      type: r.group_type as GroupType | null,
      retired: r.retired as boolean,
      code: Number(r.code_id),
      group: Number(r.group_id),
      position: Number(r.position),
    }));
  return { kept: norm(kept.rows), fresh: norm(fresh.rows) };
}

async function expectFresh() {
  const { kept, fresh } = await heads();
  expect(kept).toEqual(fresh);
  return kept;
}

const headOf = (
  rows: Awaited<ReturnType<typeof expectFresh>>,
  unit: number,
  type: GroupType | null,
  retired = false,
) => rows.find((r) => r.unit === unit && r.type === type && r.retired === retired);

describe('group_code_heads', () => {
  it('stays equal to a choice over every code as codes and groups change', async () => {
    const { sh1, sh2 } = fx.units;
    const g1 = await group('一店1群', fx.staff.sh1a, 'store');
    const g2 = await group('一店2群', fx.staff.sh1a, 'store');
    const g3 = await group('一店VIP群', fx.staff.sh1a, 'vip');
    const g4 = await group('一店杂群', fx.staff.sh1b, null);
    const g5 = await group('一店3群', fx.staff.sh1b, 'store');
    const g6 = await group('二店福利群', fx.staff.sh2a, 'welfare');
    const a = await code(sh1, '一店活码', [g1, g2, g3]);
    const b = await code(sh1, '一店活码B', [g4, g5]);
    const c = await code(sh2, '二店活码', [g6]);

    // no QR yet (the join way is still being created): nothing to route to
    expect(await expectFresh()).toEqual([]);
    // the join ways are created (ADD_JOIN_WAY's onDone stores the QR)
    await database.db
      .updateTable('group_codes')
      .set({ qr_code: sql`'https://qr/' || id` })
      .where('id', 'in', [a, b, c])
      .execute();
    let rows = await expectFresh();
    expect(headOf(rows, sh1, 'store')).toMatchObject({ code: a, group: g1 });
    expect(headOf(rows, sh1, null)).toMatchObject({ code: b, group: g4 });
    expect(headOf(rows, sh2, 'welfare')).toMatchObject({ code: c, group: g6 });

    // g1 fills: rotated out of its code, the next store group of the code takes over
    await database.db.updateTable('groups').set({ member_count: ROTATE_AT }).where('id', '=', g1).execute();
    expect(await rotateCodesFor(syncCtxOf(deps(), 'acme'), g1)).toEqual([a]);
    rows = await expectFresh();
    expect(headOf(rows, sh1, 'store')).toMatchObject({ code: a, group: g2 });
    expect(headOf(rows, sh1, 'store', true)).toMatchObject({ code: a, group: g1 });

    // the brand makes g2 a welfare group: the store head moves to the other code
    await setGroupType(ctxFor(deps(), hq()), g2, 'welfare');
    rows = await expectFresh();
    expect(headOf(rows, sh1, 'store')).toMatchObject({ code: b, group: g5 });
    expect(headOf(rows, sh1, 'welfare')).toMatchObject({ code: a, group: g2 });

    // a room WeCom auto-created joins code a; the VIP group is dismissed
    const g7 = await group('一店活码2', fx.staff.sh1a, 'vip');
    await database.db
      .insertInto('group_code_groups')
      .values({ corp_id: 'acme', code_id: a, group_id: g7, position: 3 })
      .execute();
    await expectFresh();
    expect(await dismissGroupFromWecom(syncCtxOf(deps(), 'acme'), 'wr_一店VIP群', now)).toBe(true);
    rows = await expectFresh();
    expect(headOf(rows, sh1, 'vip')).toMatchObject({ code: a, group: g7 });

    // the dismissed group comes back (a sync sees it again): retired, still listed
    await database.db.updateTable('groups').set({ status: 'active' }).where('id', '=', g3).execute();
    rows = await expectFresh();
    expect(headOf(rows, sh1, 'vip', true)).toMatchObject({ code: a, group: g3 });

    // code b archived; code c moved to sh1; g6's listing removed; a sync rewriting a group unchanged
    await updateGroupCode(ctxFor(deps(), hq()), b, { status: 'archived' });
    rows = await expectFresh();
    expect(headOf(rows, sh1, null)).toBeUndefined();
    await database.db.updateTable('group_codes').set({ unit_id: sh1 }).where('id', '=', c).execute();
    rows = await expectFresh();
    expect(headOf(rows, sh2, 'welfare')).toBeUndefined();
    expect(headOf(rows, sh1, 'welfare')).toMatchObject({ code: a, group: g2 });
    await database.db.updateTable('groups').set({ synced_at: now }).where('id', 'in', [g2, g5]).execute();
    await expectFresh();
    await database.db.deleteFrom('group_code_groups').where('code_id', '=', a).execute();
    rows = await expectFresh();
    expect(rows.map((r) => r.code)).toEqual([c]);
  });

  it('are filled for the codes a database upgraded in place already has (the migration’s last statement)', async () => {
    const before = await expectFresh();
    expect(before.length).toBeGreaterThan(0);
    await sql`delete from group_code_heads`.execute(database.db);
    const migration = readFileSync(
      new URL('./migrations/0004_group_code_heads.sql', import.meta.url),
      'utf8',
    );
    const backfill = migration.slice(migration.lastIndexOf('-- the heads of the codes that exist already'));
    await sql.raw(backfill).execute(database.db);
    expect(await expectFresh()).toEqual(before);
  });
});
