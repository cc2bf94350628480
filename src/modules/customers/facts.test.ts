import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../demo/random.ts';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { type Fixture, seedFixture } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { publish } from '../context.ts';
import type { Tables } from '../tables.ts';
import {
  lifecycleSettingsOf,
  recomputeAllFacts,
  refreshFacts,
  refreshStaleFacts,
  runFactsJob,
  saveLifecycleSettings,
} from './facts.ts';
import { DAY_MS, DEFAULT_SETTINGS, type LifecycleSettings, lifecycleStage, rfmScores } from './rfm.ts';
import { endFollowFromWecom } from './sync.ts';

let database: Database<Tables>;
let fx: Fixture;
beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
});
afterAll(() => database.close());

const db = () => database.db;

interface OrderSpec {
  at: Date;
  paidFen: number;
  unitId?: number | null;
  coupon?: boolean;
}

let orderSeq = 0;
async function insertOrders(customerId: number, orders: OrderSpec[], corpId = 'acme') {
  if (orders.length === 0) return [];
  return db()
    .insertInto('orders')
    .values(
      orders.map((o) => ({
        corp_id: corpId,
        source: 'test',
        source_order_id: `o${++orderSeq}`,
        channel: 'pos' as const,
        unit_id: o.unitId ?? null,
        customer_id: customerId,
        total_fen: o.paidFen + (o.coupon ? 500 : 0),
        paid_fen: o.paidFen,
        coupon_code: o.coupon ? 'NEW5' : null,
        coupon_fen: o.coupon ? 500 : 0,
        ordered_at: o.at,
        linked_by: 'external_userid' as const,
      })),
    )
    .returning([
      'id',
      'customer_id',
      'unit_id',
      'paid_fen',
      'total_fen',
      'coupon_code',
      'coupon_fen',
      'ordered_at',
    ])
    .execute();
}

let customerSeq = 0;
async function insertCustomer(opts: {
  addedAt: Date | null;
  createdAt: Date;
  follows: { staffId: number; active: boolean }[];
}) {
  const { id } = await db()
    .insertInto('customers')
    .values({
      corp_id: 'acme',
      external_userid: `wm_rand_${++customerSeq}`,
      name: `客户${customerSeq}`,
      first_added_at: opts.addedAt,
      created_at: opts.createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const f of opts.follows) {
    await db()
      .insertInto('follows')
      .values({
        corp_id: 'acme',
        customer_id: id,
        staff_id: f.staffId,
        journey_role: 'store_staff',
        status: f.active ? 'active' : 'deleted_by_customer',
        added_at: opts.addedAt ?? opts.createdAt,
      })
      .execute();
  }
  return id;
}

const factsOf = (ids: number[]) =>
  db()
    .selectFrom('customer_facts')
    .selectAll()
    .where('corp_id', '=', 'acme')
    .where('customer_id', 'in', ids)
    .execute();

const stageEvents = (customerId: number) =>
  db()
    .selectFrom('customer_events')
    .select(['summary', 'data', 'at'])
    .where('corp_id', '=', 'acme')
    .where('customer_id', '=', customerId)
    .where('kind', '=', 'stage_changed')
    .orderBy('id')
    .execute();

describe('facts computed in SQL agree with the pure rules', () => {
  it('on random customers, orders, members and settings', async () => {
    const ctx = syncCtx(database);
    const now = ctx.clock.now();
    const rnd = new Random(20260701);
    const stores = [fx.units.sh1, fx.units.sh2, fx.units.gz1];
    const staffIds = Object.values(fx.staff);
    const at = (maxDaysAgo: number) => new Date(now.getTime() - rnd.int(0, maxDaysAgo * 24 * 60) * 60_000);
    const day = (d: Date) => d.toISOString().slice(0, 10);

    interface Expected {
      orders: { paid: number; at: Date; unit: number | null; coupon: boolean }[];
      members: {
        id: number;
        level: string | null;
        joined: string | null;
        birthday: string | null;
        updated: Date;
      }[];
      addedAt: Date;
      followed: boolean;
    }
    const expected = new Map<number, Expected>();
    for (let i = 0; i < 160; i++) {
      const createdAt = at(500);
      const addedAt = rnd.chance(0.85) ? at(500) : null;
      const follows = rnd
        .sample(staffIds, rnd.int(0, 2))
        .map((staffId) => ({ staffId, active: rnd.chance(0.8) }));
      const id = await insertCustomer({ addedAt, createdAt, follows });
      // Bursty orders: some customers buy weekly, most rarely; stores repeat so ties and clear winners both occur.
      const n = rnd.weighted([
        [0, 3],
        [1, 3],
        [2, 2],
        [rnd.int(3, 8), 3],
        [rnd.int(9, 30), 2],
      ] as const);
      const span = rnd.pick([10, 45, 90, 400]);
      const orders = Array.from({ length: n }, () => ({
        paid: rnd.chance(0.05) ? 0 : rnd.int(800, 12_000),
        at: at(span),
        unit: rnd.chance(0.2) ? null : rnd.pick(stores.slice(0, rnd.int(1, 3))),
        coupon: rnd.chance(0.3),
      }));
      await insertOrders(
        id,
        orders.map((o) => ({ at: o.at, paidFen: o.paid, unitId: o.unit, coupon: o.coupon })),
      );
      const members: Expected['members'] = [];
      for (
        let k = rnd.weighted([
          [0, 5],
          [1, 4],
          [2, 1],
        ] as const);
        k > 0;
        k--
      ) {
        const m = {
          level: rnd.chance(0.8) ? rnd.pick(['银卡', '金卡', '黑金']) : null,
          joined: rnd.chance(0.9) ? day(at(1500)) : null,
          birthday: rnd.chance(0.7)
            ? `19${rnd.int(60, 99)}-${String(rnd.int(1, 12)).padStart(2, '0')}-${String(rnd.int(1, 28)).padStart(2, '0')}`
            : null,
          updated: at(100),
        };
        const { id: memberId } = await db()
          .insertInto('members')
          .values({
            corp_id: 'acme',
            source: `crm${k}`,
            member_no: `m${id}-${k}`,
            customer_id: id,
            level: m.level,
            joined_at: m.joined,
            birthday: m.birthday,
            updated_at: m.updated,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        members.push({ id: memberId, ...m });
      }
      expected.set(id, {
        orders,
        members,
        addedAt: addedAt ?? createdAt,
        followed: follows.some((f) => f.active),
      });
    }

    // and customers exactly on each threshold of the defaults, a millisecond either side
    const d = DEFAULT_SETTINGS;
    for (const days of [...d.recencyDays, d.dormantDays, d.churnedDays]) {
      for (const offset of [-1, 0, 1]) {
        const moment = new Date(now.getTime() - days * DAY_MS + offset);
        const withOrder = await insertCustomer({
          addedAt: moment,
          createdAt: moment,
          follows: [{ staffId: fx.staff.sh1a, active: true }],
        });
        const orders = [{ paid: 60_000, at: moment, unit: fx.units.sh1, coupon: false }];
        for (let k = 0; k < 7; k++)
          orders.push({
            paid: 1_000,
            at: new Date(moment.getTime() - (k + 1) * DAY_MS),
            unit: fx.units.sh1,
            coupon: true,
          });
        await insertOrders(
          withOrder,
          orders.map((o) => ({ at: o.at, paidFen: o.paid, unitId: o.unit, coupon: o.coupon })),
        );
        expected.set(withOrder, { orders, members: [], addedAt: moment, followed: true });
        const without = await insertCustomer({
          addedAt: moment,
          createdAt: moment,
          follows: [{ staffId: fx.staff.sh1a, active: true }],
        });
        expected.set(without, { orders: [], members: [], addedAt: moment, followed: true });
      }
    }

    const check = async (s: LifecycleSettings) => {
      const rows = await factsOf([...expected.keys()]);
      expect(rows.length).toBe(expected.size);
      const stages = new Set<string>();
      for (const row of rows) {
        const e = expected.get(row.customer_id)!;
        const count = e.orders.length;
        const paid = e.orders.reduce((a, o) => a + o.paid, 0);
        const times = e.orders.map((o) => o.at.getTime());
        const last = count ? new Date(Math.max(...times)) : null;
        const coupons = e.orders.filter((o) => o.coupon).length;
        const perUnit = new Map<number, { n: number; last: number }>();
        for (const o of e.orders) {
          if (o.unit === null) continue;
          const u = perUnit.get(o.unit) ?? { n: 0, last: 0 };
          perUnit.set(o.unit, { n: u.n + 1, last: Math.max(u.last, o.at.getTime()) });
        }
        const top = [...perUnit.entries()].sort(
          ([ua, a], [ub, b]) => b.n - a.n || b.last - a.last || ua - ub,
        )[0]?.[0];
        const latest = <K extends 'level' | 'birthday'>(k: K) =>
          [...e.members]
            .filter((m) => m[k] !== null)
            .sort((a, b) => b.updated.getTime() - a.updated.getTime() || b.id - a.id)[0]?.[k] ?? null;
        const joined =
          e.members
            .map((m) => m.joined)
            .filter((j): j is string => j !== null)
            .sort()[0] ?? null;
        const input = {
          orderCount: count,
          paidFen: paid,
          lastOrderAt: last,
          addedAt: e.addedAt,
          followed: e.followed,
        };
        const scores = rfmScores(input, now, s);
        const stage = lifecycleStage(input, now, s);
        stages.add(stage);
        expect(
          {
            count: row.order_count,
            paid: row.paid_fen,
            first: row.first_order_at?.getTime() ?? null,
            last: row.last_order_at?.getTime() ?? null,
            coupons: row.coupon_orders,
            share: row.coupon_share === null ? null : Math.fround(row.coupon_share),
            top: row.top_unit_id,
            r: row.r_score,
            f: row.f_score,
            m: row.m_score,
            stage: row.stage,
            level: row.member_level,
            since: row.member_since,
            birthday: row.birthday,
          },
          `customer ${row.customer_id}`,
        ).toEqual({
          count,
          paid,
          first: count ? Math.min(...times) : null,
          last: last?.getTime() ?? null,
          coupons,
          share: count ? Math.fround(coupons / count) : null,
          top: top ?? null,
          ...scores,
          stage,
          level: latest('level'),
          since: joined,
          birthday: latest('birthday'),
        });
      }
      return stages;
    };

    const result = await recomputeAllFacts(ctx);
    expect(result.customers).toBeGreaterThanOrEqual(expected.size);
    const stages = await check(DEFAULT_SETTINGS);
    // the random brand reaches every stage, so every branch of the SQL was compared
    expect([...stages].sort()).toEqual(['active', 'churned', 'dormant', 'new', 'repeat', 'super']);

    // other thresholds: random valid settings, saved and applied by a full recompute
    for (let round = 0; round < 3; round++) {
      const ascending = (lo: number, step: number) => {
        const a = [lo + rnd.int(0, step)];
        for (let k = 1; k < 4; k++) a.push(a[k - 1]! + 1 + rnd.int(0, step));
        return a as [number, number, number, number];
      };
      const dormant = rnd.int(10, 120);
      const s: LifecycleSettings = {
        recencyDays: ascending(1, 30),
        frequencyOrders: ascending(1, 5),
        monetaryFen: ascending(1, 20_000),
        repeatOrders: rnd.int(2, 6),
        superMin: { r: rnd.int(1, 5), f: rnd.int(1, 5), m: rnd.int(1, 5) },
        dormantDays: dormant,
        churnedDays: dormant + rnd.int(1, 200),
      };
      await saveLifecycleSettings(ctx.cdb, s, { accountId: await adminId(), at: now });
      expect((await runFactsJob(ctx, { driftEveryMs: DAY_MS })).valueOf()).toBe('recomputed');
      await check(s);
    }
    // refreshFacts on a handful gives the same answer as the full recompute
    ctx.clock.advance(5 * DAY_MS);
    const some = [...expected.keys()].slice(0, 40);
    await refreshFacts(ctx, some);
    const s = (await lifecycleSettingsOf(ctx.cdb)).settings;
    const nowLater = ctx.clock.now();
    for (const row of await factsOf(some)) {
      const e = expected.get(row.customer_id)!;
      const input = {
        orderCount: e.orders.length,
        paidFen: e.orders.reduce((a, o) => a + o.paid, 0),
        lastOrderAt: e.orders.length ? new Date(Math.max(...e.orders.map((o) => o.at.getTime()))) : null,
        addedAt: e.addedAt,
        followed: e.followed,
      };
      expect(row.stage, `customer ${row.customer_id}`).toBe(lifecycleStage(input, nowLater, s));
      expect(row.r_score).toBe(rfmScores(input, nowLater, s).r);
    }
    // put the defaults back for the tests below
    await saveLifecycleSettings(ctx.cdb, DEFAULT_SETTINGS, { accountId: await adminId(), at: now });
    await runFactsJob(ctx, { driftEveryMs: DAY_MS });
  });
});

async function adminId() {
  const { id } = await db()
    .selectFrom('accounts')
    .select('id')
    .where('corp_id', '=', 'acme')
    .where('username', '=', 'admin')
    .executeTakeFirstOrThrow();
  return id;
}

describe('facts kept fresh', () => {
  it('refreshes a customer after their orders are linked, with the stage change on the timeline', async () => {
    const ctx = syncCtx(database);
    const now = ctx.clock.now();
    const wang = fx.customers.wang;
    await recomputeAllFacts(ctx);
    const [before] = await factsOf([wang]);
    const earlier = (await stageEvents(wang)).length; // the random settings above moved wang too
    expect(before).toMatchObject({
      order_count: 0,
      paid_fen: 0,
      stage: 'new',
      r_score: null,
      top_unit_id: null,
    });

    const linked = await insertOrders(wang, [
      { at: new Date(now.getTime() - 3 * DAY_MS), paidFen: 2_800, unitId: fx.units.sh1 },
    ]);
    // the facts follow the link after it commits (the customers module subscribes to OrdersLinked)
    await publish(ctx, [
      {
        type: 'OrdersLinked',
        customerId: wang,
        orders: linked.map((o) => ({
          id: o.id,
          customerId: o.customer_id!,
          unitId: o.unit_id,
          channel: 'pos' as const,
          totalFen: o.total_fen,
          paidFen: o.paid_fen,
          couponCode: o.coupon_code,
          couponFen: o.coupon_fen,
          orderedAt: o.ordered_at.toISOString(),
          items: [],
        })),
      },
    ]);
    expect((await factsOf([wang]))[0]).toMatchObject({ order_count: 0 });
    await ctx.runtime.drain();
    const [after] = await factsOf([wang]);
    expect(after).toMatchObject({
      order_count: 1,
      paid_fen: 2_800,
      stage: 'active',
      r_score: 5,
      f_score: 1,
      m_score: 1,
      top_unit_id: fx.units.sh1,
      coupon_orders: 0,
      coupon_share: 0,
    });
    const events = (await stageEvents(wang)).slice(earlier);
    expect(events).toHaveLength(1);
    expect(events[0]!.summary).toBe('生命周期：新客 → 活跃（订单变化）');
    expect(events[0]!.data).toMatchObject({ from: 'new', to: 'active', cause: 'orders', orderCount: 1 });

    // a second order with a coupon at another store: repeat, the coupon share halves, the tie goes to the later store
    const second = await insertOrders(wang, [
      { at: new Date(now.getTime() - DAY_MS), paidFen: 2_300, unitId: fx.units.sh2, coupon: true },
    ]);
    await refreshFacts(
      ctx,
      second.map((o) => o.customer_id!),
    );
    const [again] = await factsOf([wang]);
    expect(again).toMatchObject({
      order_count: 2,
      paid_fen: 5_100,
      stage: 'repeat',
      top_unit_id: fx.units.sh2,
    });
    expect(again!.coupon_share).toBeCloseTo(0.5);
    // both changes came from orders on the same day: one entry, from where the day began to where it ends
    const today = (await stageEvents(wang)).slice(earlier);
    expect(today.map((e) => e.summary)).toEqual(['生命周期：新客 → 复购（订单变化）']);
    expect(today[0]!.data).toMatchObject({ from: 'new', to: 'repeat', cause: 'orders', orderCount: 2 });
  });

  it('writes nothing when nothing changed', async () => {
    const ctx = syncCtx(database);
    await recomputeAllFacts(ctx);
    const before = await factsOf([fx.customers.li, fx.customers.wang]);
    const { changed } = await recomputeAllFacts(ctx);
    expect(changed).toBe(0);
    expect(await factsOf([fx.customers.li, fx.customers.wang])).toEqual(before);
  });

  it('lets time make a customer dormant through the facts job, which is idle in between', async () => {
    const ctx = syncCtx(database);
    const zhao = fx.customers.zhao;
    const now = ctx.clock.now();
    await insertOrders(zhao, [
      { at: new Date(now.getTime() - 10 * DAY_MS), paidFen: 3_000, unitId: fx.units.gz1 },
    ]);
    await refreshFacts(ctx, [zhao]);
    expect((await factsOf([zhao]))[0]!.stage).toBe('active');

    expect(await runFactsJob(ctx, { driftEveryMs: DAY_MS })).toBe('refreshed');
    expect(await runFactsJob(ctx, { driftEveryMs: DAY_MS })).toBe('idle'); // checked less than a day ago
    // 50 days later: no new event, yet 60 days without an order make zhao dormant
    ctx.clock.advance(50 * DAY_MS);
    const computedBefore = (await factsOf([fx.customers.li]))[0]!.computed_at;
    expect(await runFactsJob(ctx, { driftEveryMs: DAY_MS })).toBe('refreshed');
    const [row] = await factsOf([zhao]);
    expect(row).toMatchObject({ stage: 'dormant', r_score: 1 });
    expect((await stageEvents(zhao)).at(-1)!.data).toMatchObject({
      from: 'active',
      to: 'dormant',
      cause: 'time',
    });
    // li never ordered and was added 2026-06-01: 80 days without anything, dormant too
    expect((await factsOf([fx.customers.li]))[0]!.stage).toBe('dormant');
    expect((await factsOf([fx.customers.li]))[0]!.computed_at.getTime()).toBeGreaterThan(
      computedBefore.getTime(),
    );
    // and nothing left to do at once after
    expect(await refreshStaleFacts(ctx)).toBe(0);
  });

  it('churns a customer who deleted their last staff member', async () => {
    const ctx = syncCtx(database);
    const li = fx.customers.li;
    await insertOrders(li, [{ at: ctx.clock.now(), paidFen: 1_800, unitId: fx.units.sh1 }]);
    await refreshFacts(ctx, [li]);
    expect((await factsOf([li]))[0]!.stage).toBe('active');
    await endFollowFromWecom(ctx, {
      externalUserid: 'wm_li',
      userid: 'sh1b',
      by: 'customer',
      at: ctx.clock.now(),
    });
    // the facts follow the follow's end after it commits (FollowEnded)
    await ctx.runtime.drain();
    expect((await factsOf([li]))[0]!.stage).toBe('churned');
    expect((await stageEvents(li)).at(-1)!.data).toMatchObject({
      from: 'active',
      to: 'churned',
      cause: 'follows',
    });
  });

  it('gives a new customer a row at the next job run, and keeps brands apart', async () => {
    const ctx = syncCtx(database);
    const id = await insertCustomer({
      addedAt: ctx.clock.now(),
      createdAt: ctx.clock.now(),
      follows: [{ staffId: fx.staff.sh1a, active: true }],
    });
    expect(await factsOf([id])).toEqual([]);
    ctx.clock.advance(60 * DAY_MS); // past the last check of the job (50 days on, above)
    await runFactsJob(ctx, { driftEveryMs: DAY_MS });
    expect((await factsOf([id]))[0]!.stage).toBe('dormant'); // added 60 days before

    // the other brand's customer with the same external_userid as wang: its own facts, from its own orders
    const other = syncCtx(database, 'other');
    await insertOrders(fx.otherCustomer, [{ at: other.clock.now(), paidFen: 99_000 }], 'other');
    await recomputeAllFacts(other);
    const otherFacts = await db()
      .selectFrom('customer_facts')
      .selectAll()
      .where('corp_id', '=', 'other')
      .execute();
    expect(otherFacts.map((f) => [f.customer_id, f.order_count, f.paid_fen])).toEqual([
      [fx.otherCustomer, 1, 99_000],
    ]);
    expect((await factsOf([fx.customers.wang]))[0]!.paid_fen).toBe(5_100);
  });

  it('reports the progress of a full recompute', async () => {
    const ctx = syncCtx(database);
    const seen: [number, number][] = [];
    const { customers } = await recomputeAllFacts(ctx, (done, total) => seen.push([done, total]));
    const { n } = await db()
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('corp_id', '=', 'acme')
      .executeTakeFirstOrThrow();
    expect(customers).toBe(Number(n));
    expect(seen[0]).toEqual([0, Number(n)]);
    expect(seen.at(-1)).toEqual([Number(n), Number(n)]);
    const stored = await lifecycleSettingsOf(ctx.cdb);
    expect(stored.recompute).toMatchObject({ done: Number(n), total: Number(n) });
    expect(stored.recompute.finishedAt).not.toBeNull();
  });
});
