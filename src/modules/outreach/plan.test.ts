import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../platform/clock.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { actorOf } from '../../testing/fixture.ts';
import type { Ctx } from '../context.ts';
import { planAudience } from './plan.ts';
import { pickSender } from './senders.ts';
import { reserveTouch } from './touches.ts';

/**
 * Planning through the API: exact counts by exclusion reason with samples, one sender per customer with its
 * reason, the caller's scope (a store manager plans only for their customers and staff), the coupon guard,
 * and clear 4xx for bad input.
 */
let t: TestApp;
let admin: TestSession;
let sh1: TestSession;
let sh2: TestSession;
let gone: number;
const noon = '2026-07-01T04:00:00.000Z'; // 12:00 brand time
const night = '2026-07-01T15:00:00.000Z'; // 23:00

beforeAll(async () => {
  t = await openTestApp();
  [admin, sh1, sh2] = await Promise.all([
    t.login(t.fx.logins.admin),
    t.login(t.fx.logins.sh1),
    t.login(t.fx.logins.sh2),
  ]);
  const db = t.database.db;
  const at = new Date('2026-06-01T00:00:00Z');
  // gone: sh1b's customer who deleted them; zhao once followed sh1a too (ended), so sh1 sees zhao
  ({ id: gone } = await db
    .insertInto('customers')
    .values({
      corp_id: 'acme',
      external_userid: 'wm_gone',
      unionid: null,
      name: '钱多',
      avatar: null,
      phone_cipher: null,
      phone_hash: null,
      phone_masked: null,
      first_added_at: at,
    })
    .returning('id')
    .executeTakeFirstOrThrow());
  const ended = (customer: number, staff: number) => ({
    corp_id: 'acme',
    customer_id: customer,
    staff_id: staff,
    remark: null,
    description: null,
    state: null,
    journey_role: 'store_staff',
    status: 'deleted_by_customer' as const,
    added_at: at,
    ended_at: at,
  });
  await db
    .insertInto('follows')
    .values([ended(gone, t.fx.staff.sh1b), ended(t.fx.customers.zhao, t.fx.staff.sh1a)])
    .execute();
  const facts = (customer: number, share: number | null, topUnit: number | null) => ({
    corp_id: 'acme',
    customer_id: customer,
    coupon_share: share,
    top_unit_id: topUnit,
    computed_at: at,
  });
  await db
    .insertInto('customer_facts')
    .values([
      facts(t.fx.customers.wang, 0.8, t.fx.units.sh1),
      facts(t.fx.customers.li, 0.1, t.fx.units.sh1),
      facts(t.fx.customers.both, 0.6, t.fx.units.sh2),
    ])
    .execute();
});
afterAll(() => t.close());

function call(s: TestSession, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'accept-language': 'en' },
    payload: payload as never,
  });
}
async function plan(s: TestSession, body: Record<string, unknown>) {
  const res = await call(s, 'POST', '/outreach/plans', {
    senderRule: { prefer: 'store_staff' },
    at: noon,
    ...body,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
const everyone = () => ({
  customerIds: [...Object.values(t.fx.customers), gone],
});
const adminCtx = (): Ctx => ({
  cdb: corpDb(t.database.db, 'acme'),
  clock: systemClock,
  pii: undefined as never,
  events: undefined as never,
  actor: actorOf('hq_admin', Object.values(t.fx.units)),
});

describe('senders', () => {
  it('one per customer, by the rule, with its reason', async () => {
    const { wang, both, hqonly } = t.fx.customers;
    const ctx = adminCtx();
    const ids = [wang, both, hqonly, gone];
    const store = await pickSender(ctx, ids, { prefer: 'store_staff' });
    expect(store.get(wang)).toEqual({ staffId: t.fx.staff.sh1a, reason: 'home_store' });
    expect(store.get(both)).toEqual({ staffId: t.fx.staff.sh2a, reason: 'home_store' });
    expect(store.get(hqonly)).toEqual({ staffId: t.fx.staff.ops, reason: 'latest_follow' });
    expect(store.get(gone)).toEqual({ excluded: 'not_friend' });
    const ops = await pickSender(ctx, ids, { prefer: 'role', role: 'online_ops' });
    expect(ops.get(both)).toEqual({ staffId: t.fx.staff.ops, reason: 'role' });
    expect(ops.get(wang)).toEqual({ staffId: t.fx.staff.sh1a, reason: 'latest_follow' });
    // a store manager's scope: `both` has a follow, but not in sh1
    const sh1Ctx = {
      ...ctx,
      actor: {
        ...ctx.actor,
        role: 'store_manager' as const,
        seesWholeCorp: false,
        unitIds: [t.fx.units.sh1],
      },
    };
    expect((await pickSender(sh1Ctx, [both], { prefer: 'store_staff' })).get(both)).toEqual({
      excluded: 'no_follow_in_scope',
    });
  });
});

describe('planning', () => {
  it('counts every customer once, by the first reason that applies, with samples and senders', async () => {
    const p = await plan(admin, { audience: everyone() });
    expect(p.total).toBe(6);
    expect(p.receiving).toBe(5);
    expect(p.excluded).toMatchObject({ not_friend: 1, capped: 0, quiet_hours: 0 });
    expect(p.samples.not_friend).toEqual([
      { id: gone, name: '钱多', staffId: null, staffName: null, senderReason: null },
    ]);
    expect(p.samples.receiving).toHaveLength(5);
    expect(p.senders.map((s: { name: string }) => s.name).sort()).toEqual(
      ['刘洋', '张丽', '运营小禾', '陈静', '黄敏'].sort(),
    );
    expect(p.guard).toMatchObject({ applies: false, blocked: false });
  });

  it('defers quiet hours and capped customers, and excludes opted-out ones', async () => {
    const { wang, li } = t.fx.customers;
    const ctx = adminCtx();
    const touched = await reserveTouch(ctx, {
      customerId: wang,
      staffId: t.fx.staff.sh1a,
      source: { kind: 'journey', id: 'j1' },
      at: new Date('2026-07-01T02:00:00Z'),
    });
    expect(touched.ok).toBe(true);
    await t.database.db
      .insertInto('touch_opt_outs')
      .values({ corp_id: 'acme', customer_id: li, at: new Date(noon) })
      .execute();
    const p = await plan(admin, { audience: everyone() });
    expect(p.excluded).toMatchObject({ not_friend: 1, opted_out: 1, capped: 1 });
    expect(p.receiving).toBe(3);
    expect(p.samples.capped.map((s: { id: number }) => s.id)).toEqual([wang]);
    expect(p.deferred.cappedUntil).toBe('2026-07-03T02:00:00.000Z');
    const late = await plan(admin, { audience: everyone(), at: night });
    expect(late.excluded).toMatchObject({ quiet_hours: 3, capped: 1, opted_out: 1 });
    expect(late.receiving).toBe(0);
    expect(late.deferred.quietHoursUntil).toBe('2026-07-02T01:00:00.000Z');
    // the same customers as a segment (the brand's touches counted once, not per listed customer), and with
    // the samples looked for among the highest id only (each other class then gets its own pass): the same
    const seg = await call(admin, 'POST', '/segments', {
      name: '全体',
      rule: { field: 'order_count', cmp: 'gte', value: 0 },
    });
    expect(seg.statusCode, seg.body).toBe(201);
    const input = { senderRule: { prefer: 'store_staff' as const }, at: new Date(night) };
    for (const audience of [everyone(), { segmentId: seg.json().id }]) {
      expect(await planAudience(ctx, { ...input, audience })).toEqual(late);
      expect(await planAudience(ctx, { ...input, audience }, { samplePool: 1 })).toEqual(late);
    }
    await t.database.db.deleteFrom('touch_opt_outs').execute();
    await t.database.db.deleteFrom('customer_events').where('kind', '=', 'touch').execute();
    await t.database.db.deleteFrom('touches').execute();
  });

  it('a store manager plans only for their customers and their staff', async () => {
    const { wang, li, zhao, both } = t.fx.customers;
    const mine = await plan(sh1, { audience: { customerIds: [wang, li, gone] } });
    expect(mine).toMatchObject({ total: 3, receiving: 2 });
    expect(mine.senders.map((s: { staffId: number }) => s.staffId).sort()).toEqual(
      [t.fx.staff.sh1a, t.fx.staff.sh1b].sort(),
    );
    // zhao is visible to sh1 (an ended follow) but followed only by another store now
    const zhaoPlan = await plan(sh1, { audience: { customerIds: [zhao] } });
    expect(zhaoPlan.excluded.no_follow_in_scope).toBe(1);
    expect(zhaoPlan.samples.no_follow_in_scope[0]).toMatchObject({ id: zhao, staffId: null });
    const other = await call(sh2, 'POST', '/outreach/plans', {
      audience: { customerIds: [wang, both] },
      senderRule: { prefer: 'latest_follow' },
    });
    expect(other.statusCode).toBe(403);
    expect(other.json().error.message).toMatch(/1 customer\(s\) do not exist or are outside your scope/);
    // a segment counts within the caller's scope; tags outside the tag view are refused
    const seg = await call(admin, 'POST', '/segments', {
      name: '所有人',
      rule: { field: 'order_count', cmp: 'gte', value: 0 },
    });
    expect(seg.statusCode, seg.body).toBe(201);
    expect((await plan(admin, { audience: { segmentId: seg.json().id } })).total).toBe(6);
    expect((await plan(sh1, { audience: { segmentId: seg.json().id } })).total).toBe(4);
    const vip = await plan(sh1, { audience: { tagIds: [t.fx.tags.vip] } });
    // VIP: wang (sh1) and zhao (whom sh1 sees through the ended follow, and cannot send to)
    expect(vip).toMatchObject({ total: 2, receiving: 1, excluded: { no_follow_in_scope: 1 } });
    expect(
      (
        await call(sh1, 'POST', '/outreach/plans', {
          audience: { segmentId: 999 },
          senderRule: { prefer: 'store_staff' },
        })
      ).statusCode,
    ).toBe(404);
    const layering = await call(admin, 'POST', '/layerings', {
      name: '分层',
      layers: [{ segmentId: seg.json().id, operation: '新品券' }],
    });
    expect(layering.statusCode, layering.body).toBe(201);
    expect((await plan(sh1, { audience: { layerId: layering.json().id, layer: 0 } })).total).toBe(4);
  });

  it('the coupon guard: stopped with the count, or to the price-sensitive part only', async () => {
    const { wang, li, both } = t.fx.customers;
    const audience = { customerIds: [wang, li, both] };
    const stop = await plan(admin, { audience, contentKind: 'coupon' });
    expect(stop.guard).toEqual({
      applies: true,
      mode: 'stop',
      threshold: 0.5,
      notPriceSensitive: 1,
      blocked: true,
    });
    expect(stop.excluded.not_price_sensitive).toBe(1);
    expect(stop.samples.not_price_sensitive.map((s: { id: number }) => s.id)).toEqual([li]);
    const only = await plan(admin, { audience, contentKind: 'coupon', guard: 'price_sensitive_only' });
    expect(only).toMatchObject({ receiving: 2, guard: { blocked: false, notPriceSensitive: 1 } });
    const override = await plan(admin, { audience, contentKind: 'coupon', guard: 'override' });
    expect(override).toMatchObject({ receiving: 3, excluded: { not_price_sensitive: 0 } });
    const notHq = await call(sh1, 'POST', '/outreach/plans', {
      audience: { customerIds: [wang, li] },
      senderRule: { prefer: 'store_staff' },
      contentKind: 'coupon',
      guard: 'override',
    });
    expect(notHq.statusCode).toBe(403);
    expect(notHq.json().error.message).toMatch(/Only an HQ admin/);
    const product = await plan(admin, { audience, contentKind: 'product' });
    expect(product).toMatchObject({ receiving: 3, guard: { applies: false, notPriceSensitive: 0 } });
    // the brand's threshold
    await call(admin, 'PUT', '/outreach/settings', { priceSensitiveShare: 0.7 });
    expect((await plan(admin, { audience, contentKind: 'coupon' })).guard.notPriceSensitive).toBe(2);
    await call(admin, 'PUT', '/outreach/settings', { priceSensitiveShare: 0.5 });
  });

  it('refuses bad input clearly, and front-line staff', async () => {
    const bad = async (body: unknown) => {
      const res = await call(admin, 'POST', '/outreach/plans', body);
      expect(res.statusCode, res.body).toBe(400);
      return res.json().error.message as string;
    };
    await bad({ audience: { segmentId: 1, tagIds: [1] }, senderRule: { prefer: 'store_staff' } });
    expect(await bad({ audience: { segmentId: 1 }, senderRule: { prefer: 'nobody' } })).toMatch(/senderRule/);
    await bad({ audience: { customerIds: [] }, senderRule: { prefer: 'store_staff' } });
    await bad({ audience: { segmentId: 1 }, senderRule: { prefer: 'role' } });
    expect(
      await bad({ audience: { segmentId: 1 }, senderRule: { prefer: 'store_staff' }, at: 'tomorrow' }),
    ).toMatch(/at/);
    await bad({ audience: { segmentId: 1 }, senderRule: { prefer: 'store_staff' }, contentKind: 'cash' });
    const staff = await t.login(t.fx.logins.sh1a);
    const res = await call(staff, 'POST', '/outreach/plans', {
      audience: { customerIds: [t.fx.customers.wang] },
      senderRule: { prefer: 'store_staff' },
    });
    expect(res.statusCode).toBe(403);
  });
});
