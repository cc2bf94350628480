import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import type { SyncCtx } from '../context.ts';
import { effectiveBudget } from './budget.ts';
import { releaseTouch, reserveTouch } from './touches.ts';

/**
 * The touch budget through its API (settings per unit, inherited; who may set what; bad input) and
 * reserveTouch on a real database: the window, quiet hours, WeCom's monthly cap, friends, opt-outs, release.
 */
let t: TestApp;
let admin: TestSession;
let east: TestSession;
let sh1: TestSession;
let ctx: SyncCtx & { clock: ManualClock };

beforeAll(async () => {
  t = await openTestApp();
  [admin, east, sh1] = await Promise.all([
    t.login(t.fx.logins.admin),
    t.login(t.fx.logins.east),
    t.login(t.fx.logins.sh1),
  ]);
  const clock = new ManualClock(new Date('2026-07-01T04:00:00Z')); // 12:00 brand time
  ctx = { cdb: corpDb(t.database.db, 'acme'), clock, pii: undefined as never, events: undefined as never };
});
afterAll(() => t.close());

function call(s: TestSession, method: 'GET' | 'PUT', url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'accept-language': 'en' },
    payload: payload as never,
  });
}

const src = (id: string) => ({ kind: 'mass_send' as const, id });

describe('budget settings', () => {
  it('defaults at the root, inherited down, overridden per unit and value', async () => {
    const { hq, east: eastId, sh1: sh1Id } = t.fx.units;
    const root = await call(admin, 'GET', `/outreach/budgets/${hq}`);
    expect(root.statusCode, root.body).toBe(200);
    expect(root.json()).toMatchObject({
      own: { maxTouches: null, windowHours: null, quiet: null },
      effective: { maxTouches: 1, windowHours: 48, quiet: { start: '21:00', end: '09:00' } },
      from: { maxTouches: null, windowHours: null, quiet: null },
    });
    const set = await call(east, 'PUT', `/outreach/budgets/${eastId}`, {
      maxTouches: 2,
      windowHours: null,
      quiet: { start: '22:00', end: '08:30' },
    });
    expect(set.statusCode, set.body).toBe(200);
    const store = (await call(sh1, 'GET', `/outreach/budgets/${sh1Id}`)).json();
    expect(store).toMatchObject({
      own: { maxTouches: null },
      effective: { maxTouches: 2, windowHours: 48, quiet: { start: '22:00', end: '08:30' } },
      from: { maxTouches: eastId, windowHours: null, quiet: eastId },
    });
    expect(await effectiveBudget(ctx, sh1Id)).toEqual({
      maxTouches: 2,
      windowHours: 48,
      quietStart: 22 * 60,
      quietEnd: 8 * 60 + 30,
    });
    // the store turns quiet hours off for itself only
    await call(sh1, 'PUT', `/outreach/budgets/${sh1Id}`, {
      maxTouches: null,
      windowHours: 24,
      quiet: { start: '00:00', end: '00:00' },
    });
    expect((await call(sh1, 'GET', `/outreach/budgets/${sh1Id}`)).json().effective).toEqual({
      maxTouches: 2,
      windowHours: 24,
      quiet: null,
    });
    expect((await effectiveBudget(ctx, t.fx.units.sh2)).quietStart).toBe(22 * 60);
    // back to the defaults for the tests below
    for (const unit of [eastId, sh1Id]) {
      await call(admin, 'PUT', `/outreach/budgets/${unit}`, {
        maxTouches: null,
        windowHours: null,
        quiet: null,
      });
    }
  });

  it('a manager sets only their unit and below; staff none; bad input is a clear 400', async () => {
    const above = await call(sh1, 'PUT', `/outreach/budgets/${t.fx.units.east}`, {
      maxTouches: 5,
      windowHours: null,
      quiet: null,
    });
    // a unit outside the caller's subtree does not exist for them, as every id in a path
    expect(above.statusCode).toBe(404);
    expect((await call(east, 'GET', `/outreach/budgets/${t.fx.units.gz1}`)).statusCode).toBe(404);
    const staff = await t.login(t.fx.logins.sh1a);
    expect((await call(staff, 'GET', `/outreach/budgets/${t.fx.units.sh1}`)).statusCode).toBe(403);
    const bad = await call(admin, 'PUT', `/outreach/budgets/${t.fx.units.hq}`, {
      maxTouches: 0,
      windowHours: null,
      quiet: { start: '25:00', end: '9:00' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/maxTouches/);
    expect(bad.body).toMatch(/HH:MM/);
    expect((await call(admin, 'GET', '/outreach/budgets/999999')).statusCode).toBe(404);
    expect((await call(east, 'PUT', '/outreach/settings', { monthlyCap: 4 })).statusCode).toBe(403);
    const settings = await call(admin, 'PUT', '/outreach/settings', { attributionDays: 0 });
    expect(settings.statusCode).toBe(400);
  });
});

describe('reserveTouch', () => {
  it('takes the slot, refuses the next with when it frees, and release gives it back', async () => {
    const { wang } = t.fx.customers;
    const { sh1a } = t.fx.staff;
    const at = ctx.clock.now();
    const first = await reserveTouch(ctx, {
      customerId: wang,
      staffId: sh1a,
      source: src('1'),
      at,
      label: '夏季新品',
    });
    expect(first.ok).toBe(true);
    const second = await reserveTouch(ctx, { customerId: wang, staffId: sh1a, source: src('2'), at });
    expect(second).toEqual({ ok: false, reason: 'capped', retryAt: new Date(at.getTime() + 48 * 3_600_000) });
    const timeline = await t.database.db
      .selectFrom('customer_events')
      .select(['kind', 'data'])
      .where('customer_id', '=', wang)
      .where('kind', '=', 'touch')
      .execute();
    expect(timeline).toHaveLength(1);
    expect(timeline[0]!.data).toMatchObject({ sourceKind: 'mass_send', sourceName: '夏季新品' });

    if (!first.ok) throw new Error('unreachable');
    await releaseTouch(ctx, first.touchId, 'wecom_refused');
    const again = await reserveTouch(ctx, { customerId: wang, staffId: sh1a, source: src('2'), at });
    expect(again.ok).toBe(true);
    const touches = await t.database.db
      .selectFrom('touches')
      .select(['status', 'released_reason'])
      .where('customer_id', '=', wang)
      .orderBy('id')
      .execute();
    expect(touches).toEqual([
      { status: 'released', released_reason: 'wecom_refused' },
      { status: 'reserved', released_reason: null },
    ]);
    expect(
      await t.database.db
        .selectFrom('customer_events')
        .select('id')
        .where('customer_id', '=', wang)
        .where('kind', '=', 'touch')
        .execute(),
    ).toHaveLength(1);
  });

  it('defers quiet hours to their end; refuses a non-friend and an opted-out customer', async () => {
    const { li, zhao, hqonly } = t.fx.customers;
    const night = new Date('2026-07-01T15:00:00Z'); // 23:00 brand time
    expect(
      await reserveTouch(ctx, { customerId: li, staffId: t.fx.staff.sh1b, source: src('3'), at: night }),
    ).toEqual({ ok: false, reason: 'quiet_hours', retryAt: new Date('2026-07-02T01:00:00Z') });
    expect(
      await reserveTouch(ctx, {
        customerId: zhao,
        staffId: t.fx.staff.sh1a,
        source: src('3'),
        at: ctx.clock.now(),
      }),
    ).toEqual({ ok: false, reason: 'not_friend' });
    await t.database.db
      .insertInto('touch_opt_outs')
      .values({ corp_id: 'acme', customer_id: hqonly, at: ctx.clock.now() })
      .execute();
    expect(
      await reserveTouch(ctx, {
        customerId: hqonly,
        staffId: t.fx.staff.ops,
        source: src('3'),
        at: ctx.clock.now(),
      }),
    ).toEqual({ ok: false, reason: 'opted_out' });
  });

  it("counts WeCom's monthly cap for mass sends and journeys, not for a staff member's own send", async () => {
    const { zhao } = t.fx.customers;
    const { gz1a } = t.fx.staff;
    await call(admin, 'PUT', `/outreach/budgets/${t.fx.units.gz1}`, {
      maxTouches: 10,
      windowHours: 1,
      quiet: null,
    });
    expect((await call(admin, 'PUT', '/outreach/settings', { monthlyCap: 2 })).statusCode).toBe(200);
    const day = (d: number) => new Date(Date.UTC(2026, 7, d, 4));
    const r = (d: number, kind: 'mass_send' | 'journey' | 'task') =>
      reserveTouch(ctx, { customerId: zhao, staffId: gz1a, source: { kind, id: `m${d}` }, at: day(d) });
    expect((await r(1, 'mass_send')).ok).toBe(true);
    expect((await r(2, 'journey')).ok).toBe(true);
    expect(await r(3, 'mass_send')).toEqual({
      ok: false,
      reason: 'monthly_cap',
      retryAt: new Date('2026-09-01T01:00:00Z'),
    });
    expect((await r(4, 'task')).ok).toBe(true);
    expect((await r(31, 'journey')).ok).toBe(false); // Aug 31: still August
    expect((await r(32, 'journey')).ok).toBe(true); // Sep 1: a new month
  });
});
