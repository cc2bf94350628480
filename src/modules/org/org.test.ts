import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';

let t: TestApp;
const as: Record<string, TestSession> = {};
beforeAll(async () => {
  t = await openTestApp();
  for (const [k, login] of Object.entries(t.fx.logins)) as[k] = await t.login(login);
});
afterAll(() => t.close());

const get = (who: string, url: string) =>
  t.app.inject({ method: 'GET', url, headers: { cookie: as[who]!.cookie } });

describe('org units', () => {
  /** The units with their counts (two reads, as the console makes them), by code. */
  const countedUnits = async (who: string) => {
    const units = await get(who, '/api/v1/org/units');
    const counts = await get(who, '/api/v1/unit-counts');
    expect([units.statusCode, counts.statusCode]).toEqual([200, 200]);
    type Counts = { unitId: number; staffCount: number; customerCount: number };
    const by = new Map<number, Counts>(counts.json().items.map((c: Counts) => [c.unitId, c]));
    return units
      .json()
      .items.map((u: { id: number; code: string; parentId: number | null }) => ({ ...u, ...by.get(u.id) }));
  };

  it('gives HQ the whole tree with subtree staff and customer counts', async () => {
    const byCode = Object.fromEntries(
      (await countedUnits('admin')).map(
        (u: { code: string; parentId: number | null; staffCount: number; customerCount: number }) => [
          u.code,
          [u.parentId, u.staffCount, u.customerCount],
        ],
      ),
    );
    const { units } = t.fx;
    expect(byCode).toEqual({
      hq: [null, 5, 5],
      east: [units.hq, 3, 3],
      south: [units.hq, 1, 1],
      sh1: [units.east, 2, 2],
      sh2: [units.east, 1, 1],
      gz1: [units.south, 1, 1],
    });
  });

  it('gives a region manager its region and stores, a store manager its store', async () => {
    const codes = async (who: string) =>
      (await get(who, '/api/v1/org/units')).json().items.map((u: { code: string }) => u.code);
    expect(await codes('east')).toEqual(['east', 'sh1', 'sh2']);
    expect(await codes('sh1')).toEqual(['sh1']);
  });

  it('counts only its own customers for a front-line account', async () => {
    const [unit] = await countedUnits('sh1a');
    expect(unit).toMatchObject({ code: 'sh1', staffCount: 2, customerCount: 1 });
  });
});
