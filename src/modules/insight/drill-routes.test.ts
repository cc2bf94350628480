import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpDb } from '../../platform/db/corp-db.ts';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { rebuildInsight } from './refresh.ts';

/**
 * GET /insight/customers through HTTP: the drill-down's reply carries its segment rule, which previews as the
 * same customers in the caller's scope, and a key that is not one of its dimension's is a 400. The rule's
 * exactness on random data, per scope and dimension: rollups.test.ts.
 */
let t: TestApp;
let admin: TestSession;
let sh1: TestSession;
let sh1a: TestSession;

beforeAll(async () => {
  t = await openTestApp();
  [admin, sh1, sh1a] = await Promise.all([
    t.login(t.fx.logins.admin),
    t.login(t.fx.logins.sh1),
    t.login(t.fx.logins.sh1a),
  ]);
  await rebuildInsight(corpDb(t.database.db, 'acme'));
});
afterAll(() => t.close());

function call(s: TestSession, method: 'GET' | 'POST', url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'accept-language': 'en' },
    payload: payload as never,
  });
}

interface Drill {
  rule: unknown;
  total: number;
  items: { id: number }[];
}

describe('the drill-down’s segment', () => {
  it('comes with the customers and previews as the same ones, in each caller’s scope', async () => {
    // the fixture's follows were all added in June 2026 (brand time)
    const queries = [
      'from=2026-06&to=2026-06',
      'step=retained7d&from=2026-05',
      'by=persona&key=sales',
      'by=store&key=SH1',
      'step=joinedGroup&to=2026-06',
      'stage=new',
    ];
    const totals: Record<string, number> = {};
    for (const [name, s] of Object.entries({ admin, sh1, sh1a })) {
      for (const query of queries) {
        const res = await call(
          s,
          'GET',
          `/insight/customers?${query.replace('SH1', String(t.fx.units.sh1))}`,
        );
        expect(res.statusCode, res.body).toBe(200);
        const drill = res.json() as Drill;
        const preview = await call(s, 'POST', '/segments/preview', { rule: drill.rule });
        expect(preview.statusCode, preview.body).toBe(200);
        expect(preview.json().count, `${name} ${query}: ${JSON.stringify(drill.rule)}`).toBe(drill.total);
        totals[`${name} ${query}`] = drill.total;
      }
    }
    expect(totals['admin from=2026-06&to=2026-06']).toBe(5);
    expect(totals['sh1 from=2026-06&to=2026-06']).toBe(2);
    expect(totals['sh1a from=2026-06&to=2026-06']).toBe(1);
    expect(totals['admin step=joinedGroup&to=2026-06']).toBe(0);
    // a store manager's rule says their units: the customers their members acquired
    const mine = (await call(sh1, 'GET', '/insight/customers?from=2026-06&to=2026-06')).json() as Drill;
    expect(mine.rule).toEqual({
      op: 'and',
      rules: [
        { field: 'acquired_unit', cmp: 'in', value: [t.fx.units.sh1] },
        { field: 'acquired_month', cmp: 'eq', value: '2026-06' },
      ],
    });
  });

  it('refuses a key that is not one of the dimension’s, and months the wrong way round (400)', async () => {
    for (const query of [
      'by=persona&key=nobody',
      'by=channel&key=abc',
      'by=store&key=0',
      'by=staff&key=-3',
      'by=method&key=carrier_pigeon',
      'from=2026-05&to=2026-03',
    ]) {
      const res = await call(admin, 'GET', `/insight/customers?${query}`);
      expect(res.statusCode, query).toBe(400);
    }
    // the keys the figures give are taken, none (no channel) included
    for (const query of ['by=channel&key=0', 'by=method&key=none', 'by=persona&key=brand']) {
      expect((await call(admin, 'GET', `/insight/customers?${query}`)).statusCode, query).toBe(200);
    }
  });

  it('offers the new fields’ choices in the caller’s scope only', async () => {
    type Field = { key: string; options?: { value: number | string }[] };
    const fields = (await call(sh1, 'GET', '/segment-fields')).json().fields as Field[];
    const options = (key: string) => fields.find((f) => f.key === key)?.options?.map((o) => o.value);
    expect(options('acquired_staff')?.sort()).toEqual([t.fx.staff.sh1a, t.fx.staff.sh1b].sort());
    expect(options('acquired_unit')).toEqual([t.fx.units.sh1]);
    expect(options('acquired_persona')).toEqual(['brand', 'expert', 'founder', 'sales', 'assistant']);
    expect(options('acquired_month')?.length).toBe(36);
    expect(fields.find((f) => f.key === 'retained_7d')?.options).toBeUndefined();
  });
});
