import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { seedFixture } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { upsertStaffFromWecom } from '../staff/sync.ts';
import type { Tables } from '../tables.ts';
import { syncDepartments } from './sync.ts';

let database: Database<Tables>;
beforeAll(async () => {
  database = await openTestDatabase();
  await seedFixture(database.db);
});
afterAll(() => database.close());

const departments = [
  { id: 1, name: '总部', parentid: 0 },
  { id: 2, name: '华东大区', parentid: 1 },
  { id: 5, name: '上海一店', parentid: 2 },
  { id: 7, name: '苏州一店', parentid: 2 },
];

describe('org and staff from WeCom', () => {
  it('adopts matching units, creates new ones under the right parent, and keeps paths true', async () => {
    const ctx = syncCtx(database);
    const map = await syncDepartments(ctx, departments);
    const units = await database.db
      .selectFrom('org_units')
      .select(['id', 'name', 'kind', 'path', 'wecom_dept_id', 'parent_id'])
      .where('corp_id', '=', 'acme')
      .orderBy('id')
      .execute();
    const byName = Object.fromEntries(units.map((u) => [u.name, u]));
    expect(byName.总部!.wecom_dept_id).toBe(1);
    expect(byName.上海一店!.wecom_dept_id).toBe(5);
    expect(byName.苏州一店).toMatchObject({
      kind: 'store',
      wecom_dept_id: 7,
      parent_id: byName.华东大区!.id,
    });
    expect(byName.苏州一店!.path).toBe(`${byName.华东大区!.path}${byName.苏州一店!.id}/`);
    expect(units).toHaveLength(7);
    expect(map.get(7)).toBe(byName.苏州一店!.id);
    expect(await syncDepartments(ctx, departments)).toEqual(map);
  });

  it('creates a new member in their department’s unit and keeps Siyu’s persona for known ones', async () => {
    const ctx = syncCtx(database);
    const map = await syncDepartments(ctx, departments);
    const created = await upsertStaffFromWecom(
      ctx,
      { userid: 'sz1', name: '苏小妹', department: [7], position: '导购', status: 1 },
      map,
    );
    expect(created.created).toBe(true);
    const known = await upsertStaffFromWecom(
      ctx,
      { userid: 'ops1', name: '运营小禾', department: [1], status: 5 },
      map,
    );
    expect(known.created).toBe(false);
    const rows = await database.db
      .selectFrom('staff')
      .select(['userid', 'unit_id', 'persona', 'journey_role', 'status', 'title'])
      .where('corp_id', '=', 'acme')
      .where('userid', 'in', ['sz1', 'ops1'])
      .orderBy('userid')
      .execute();
    expect(rows).toEqual([
      {
        userid: 'ops1',
        unit_id: map.get(1),
        persona: 'brand',
        journey_role: 'online_ops',
        status: 'departed',
        title: '线上运营',
      },
      {
        userid: 'sz1',
        unit_id: map.get(7),
        persona: 'sales',
        journey_role: 'store_staff',
        status: 'active',
        title: '导购',
      },
    ]);
  });
});
