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

describe('staff', () => {
  it('lists the staff of the caller’s subtree with customer counts', async () => {
    const res = await get('east', '/api/v1/staff');
    expect(res.statusCode).toBe(200);
    const rows = res
      .json()
      .items.map((s: { userid: string; unitName: string; customerCount: number }) => [
        s.userid,
        s.unitName,
        s.customerCount,
      ]);
    expect(rows).toEqual([
      ['sh1a', '上海一店', 1],
      ['sh1b', '上海一店', 1],
      ['sh2a', '上海二店', 1],
    ]);
  });

  it('filters by unit subtree and by name or userid, and pages', async () => {
    const byUnit = await get('admin', `/api/v1/staff?unitId=${t.fx.units.south}`);
    expect(byUnit.json().items.map((s: { name: string }) => s.name)).toEqual(['黄敏']);
    const byName = await get('admin', `/api/v1/staff?q=${encodeURIComponent('张')}`);
    expect(byName.json().items.map((s: { userid: string }) => s.userid)).toEqual(['sh1a']);
    const first = (await get('admin', '/api/v1/staff?limit=3')).json();
    expect(first.items).toHaveLength(3);
    const second = (await get('admin', `/api/v1/staff?limit=3&cursor=${first.nextCursor}`)).json();
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
  });

  it('answers one staff member in scope, 404 outside, 403 for an out-of-scope unit filter', async () => {
    const ok = await get('sh1', `/api/v1/staff/${t.fx.staff.sh1b}`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ name: '陈静', persona: 'sales', journeyRole: 'store_staff' });
    expect((await get('sh1', `/api/v1/staff/${t.fx.staff.sh2a}`)).statusCode).toBe(404);
    expect((await get('sh1', `/api/v1/staff?unitId=${t.fx.units.east}`)).statusCode).toBe(403);
  });
});
