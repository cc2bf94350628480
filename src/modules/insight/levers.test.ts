import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../demo/random.ts';
import type { Actor } from '../../platform/actor.ts';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { type Fixture, seedFixture } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { type Ctx, ctxFor } from '../context.ts';
import { countAudience } from '../segments/index.ts';
import type { Tables } from '../tables.ts';
import { exportLevers } from './export-levers.ts';
import { ladderCohorts, productFigures, RANK } from './ladder.ts';
import { createPilot, listPilots } from './pilots.ts';
import { rebuildInsight } from './refresh.ts';
import { createSpend, importSpend, listSpend, roiReport } from './roi.ts';
import { combine, FORCES, forceOf, INDICATORS, scorecard, scoreOf } from './scorecard.ts';
import { addMonths, brandDay, drillCustomers, monthOf, scopeOf } from './service.ts';

/**
 * Points 4, 5 and 7 of issue 16 on random data: CAC and ROI against a brute-force reading of the customer
 * mirror and the raw orders; the scorecard's product and weakest force; ladder movement counts against brute
 * force over the raw order lines; and a store manager's scope. The DiD itself: did.test.ts.
 */
let database: Database<Tables>;
let fx: Fixture;
const CORP = 'acme';
const db = () => database.db;
const rnd = new Random(4242);
const T0 = Date.parse('2026-01-01T00:00:00Z');
const SPAN = 150 * 86_400_000;
const CODES = ['P1', 'P2', 'P3', 'P4', 'P5'];
const ROLE_OF: Record<string, 'traffic' | 'trust' | 'profit' | 'expansion' | null> = {
  P1: 'traffic',
  P2: 'trust',
  P3: 'profit',
  P4: 'expansion',
  P5: null,
};
const channelIds: number[] = [];
let seq = 0;

function actor(role: Actor['role'], unitIds: number[]): Actor {
  return {
    corpId: CORP,
    accountId: 1,
    role,
    unitId: unitIds[0]!,
    seesWholeCorp: role === 'hq_admin',
    unitIds,
    staffId: null,
  };
}
const ctxOfActor = (a: Actor): Ctx => {
  const s = syncCtx(database);
  return ctxFor({ db: db(), clock: s.clock, pii: s.pii, events: s.events }, a);
};

beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(db());
  for (const [name, method] of [
    ['包裹卡', 'package_card'],
    ['台卡', 'table_card'],
  ] as const) {
    const ch = await db()
      .insertInto('channels')
      .values({ corp_id: CORP, name, scene: 't', method, unit_id: fx.units.hq, assign_mode: 'single' })
      .returning('id')
      .executeTakeFirstOrThrow();
    channelIds.push(ch.id);
    await db()
      .insertInto('channel_codes')
      .values({ corp_id: CORP, channel_id: ch.id, unit_id: fx.units.hq, state: `s${ch.id}` })
      .execute();
  }
  for (const code of CODES)
    await db()
      .insertInto('products')
      .values({ corp_id: CORP, code, name: code, ladder_role: ROLE_OF[code]!, updated_at: new Date(T0) })
      .execute();
  const staff = Object.values(fx.staff);
  for (let i = 0; i < 120; i++) {
    const { id } = await db()
      .insertInto('customers')
      .values({ corp_id: CORP, external_userid: `wm_l${++seq}`, name: `客${seq}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    const staffId = rnd.pick(staff);
    const addedAt = new Date(T0 + Math.floor(rnd.next() * SPAN));
    await db()
      .insertInto('follows')
      .values({
        corp_id: CORP,
        customer_id: id,
        staff_id: staffId,
        journey_role: 'store_staff',
        status: 'active',
        added_at: addedAt,
      })
      .execute();
    if (rnd.chance(0.7)) {
      const channelId = rnd.pick(channelIds);
      const code = await db()
        .selectFrom('channel_codes')
        .select('id')
        .where('corp_id', '=', CORP)
        .where('channel_id', '=', channelId)
        .executeTakeFirstOrThrow();
      await db()
        .insertInto('channel_adds')
        .values({
          corp_id: CORP,
          code_id: code.id,
          channel_id: channelId,
          customer_id: id,
          staff_id: staffId,
          added_at: addedAt,
        })
        .execute();
    }
    for (let k = rnd.int(0, 4); k > 0; k--) {
      const orderedAt = new Date(addedAt.getTime() + rnd.int(0, 60) * 86_400_000 + rnd.int(0, 86_000_000));
      const o = await db()
        .insertInto('orders')
        .values({
          corp_id: CORP,
          source: 'test',
          source_order_id: `o${++seq}`,
          channel: 'pos',
          unit_id: null,
          customer_id: id,
          total_fen: 1000,
          paid_fen: rnd.int(100, 20_000),
          ordered_at: orderedAt,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const lines = rnd.sample(CODES, rnd.int(1, 2));
      for (const [line, code] of lines.entries())
        await db()
          .insertInto('order_items')
          .values({
            corp_id: CORP,
            order_id: o.id,
            line: line + 1,
            product_code: code,
            product_name: code,
            quantity: 1,
            price_fen: 500,
          })
          .execute();
    }
  }
  await rebuildInsight(syncCtx(database).cdb);
});
afterAll(() => database.close());

const hq = () => ctxOfActor(actor('hq_admin', Object.values(fx.units)));
const sh1 = () => ctxOfActor(actor('store_manager', [fx.units.sh1]));

async function rawCustomers() {
  return db()
    .selectFrom('insight_customers')
    .select(['customer_id', 'unit_id', 'channel_id', 'method', 'acquired_day'])
    .where('corp_id', '=', CORP)
    .execute();
}

/** A touch an hour before the order, from `source` and the customer's follow, and the order credited to it. */
async function creditOrder(
  o: { id: number; customer_id: number | null; staff_id: number; paid_fen: number; ordered_at: Date },
  source: { kind: 'mass_send' | 'journey'; id: string },
) {
  const values = {
    corp_id: CORP,
    customer_id: o.customer_id!,
    staff_id: o.staff_id,
    source_kind: source.kind,
    source_id: source.id,
  };
  const touch = await db()
    .insertInto('touches')
    .values({
      ...values,
      content_id: null,
      at: new Date(new Date(o.ordered_at).getTime() - 3_600_000),
      wecom_mass: source.kind === 'mass_send',
      released_reason: null,
      settled_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db()
    .insertInto('touch_attributions')
    .values({ ...values, order_id: o.id, touch_id: touch.id, paid_fen: o.paid_fen, ordered_at: o.ordered_at })
    .execute();
}

describe('CAC and ROI', () => {
  it('equal spend ÷ new customers and GMV within the window ÷ spend, computed by brute force', async () => {
    const months = ['2026-01-01', '2026-02-01', '2026-03-01'];
    for (const m of months)
      for (const [i, ch] of channelIds.entries())
        await createSpend(hq(), {
          unitId: i === 0 ? fx.units.hq : fx.units.east,
          targetKind: 'channel',
          targetKey: String(ch),
          month: m,
          amountFen: 100_000 + i,
        });
    await createSpend(hq(), {
      unitId: fx.units.sh1,
      targetKind: 'method',
      targetKey: 'table_card',
      month: '2026-02-01',
      amountFen: 50_000,
    });
    const windowDays = 30;
    const report = await roiReport(hq(), await scopeOf(hq(), {}), {
      from: months[0]!,
      to: months[2]!,
      windowDays,
    });
    expect(report.rows).toHaveLength(7);
    const customers = await rawCustomers();
    const orders = await db()
      .selectFrom('orders')
      .select(['customer_id', 'ordered_at', 'paid_fen'])
      .where('corp_id', '=', CORP)
      .execute();
    const units = await db()
      .selectFrom('org_units')
      .select(['id', 'path'])
      .where('corp_id', '=', CORP)
      .execute();
    const subtree = (u: number) => {
      const p = units.find((x) => x.id === u)!.path;
      return units.filter((x) => x.path.startsWith(p)).map((x) => x.id);
    };
    let nonZero = 0;
    for (const row of report.rows) {
      const mine = customers.filter(
        (c) =>
          subtree(row.unitId).includes(c.unit_id) &&
          (row.targetKind === 'channel'
            ? String(c.channel_id) === row.targetKey
            : c.method === row.targetKey) &&
          monthOf(String(c.acquired_day)) === row.month,
      );
      let gmv = 0;
      for (const c of mine) {
        const acq = String(c.acquired_day);
        for (const o of orders) {
          const d = brandDay(new Date(o.ordered_at));
          const end = new Date(Date.parse(`${acq}T00:00:00Z`) + windowDays * 86_400_000)
            .toISOString()
            .slice(0, 10);
          if (o.customer_id === c.customer_id && d >= acq && d < end) gmv += Number(o.paid_fen);
        }
      }
      expect(row.newCustomers, `${row.targetKey} ${row.month}`).toBe(mine.length);
      expect(row.attributedGmvFen).toBe(gmv);
      expect(row.cacFen).toBe(mine.length ? row.spendFen / mine.length : null);
      expect(row.roi).toBeCloseTo(gmv / row.spendFen, 12);
      if (gmv > 0) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(2);
  });

  it('a store manager sees and enters only their stores’ spend', async () => {
    const mine = await listSpend(sh1(), {});
    expect(mine.length).toBe(1);
    expect(mine.every((s) => s.unitId === fx.units.sh1)).toBe(true);
    await expect(
      createSpend(sh1(), {
        unitId: fx.units.gz1,
        targetKind: 'method',
        targetKey: 'sms',
        month: '2026-02-01',
        amountFen: 1,
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      createSpend(sh1(), {
        unitId: fx.units.sh1,
        targetKind: 'method',
        targetKey: 'nope',
        month: '2026-02-01',
        amountFen: 1,
      }),
    ).rejects.toMatchObject({ code: 'bad_request' });
    const r = await roiReport(sh1(), await scopeOf(sh1(), {}), {
      from: '2026-01-01',
      to: '2026-03-01',
      windowDays: 30,
    });
    expect(r.rows.map((x) => x.unitId)).toEqual([fx.units.sh1]);
  });
});

describe('the four-force scorecard', () => {
  it('scores indicators against targets; the total is the product of the forces; the weakest is named', () => {
    expect(scoreOf(INDICATORS[0]!, 0.45)).toBeCloseTo(0.5);
    expect(scoreOf(INDICATORS[0]!, 2)).toBe(1);
    const complaint = INDICATORS.find((d) => d.key === 'complaintRate')!;
    expect(scoreOf(complaint, 0.025)).toBeCloseTo(0.5);
    expect(scoreOf(complaint, 0.2)).toBe(0);
    const r = combine({ organisation: 0.8, operations: 0.5, merchandise: 0.9, product: 1 });
    expect(r.total).toBeCloseTo(0.36);
    expect(r.weakest).toBe('operations');
    // a zero anywhere makes the whole zero
    expect(combine({ organisation: 1, operations: 1, merchandise: 0, product: 1 }).total).toBe(0);
  });

  it('gives every store its forces, their product and the weakest', async () => {
    const rows = await scorecard(hq(), await scopeOf(hq(), {}), '2026-03-01');
    expect(rows.map((r) => r.unitId).sort()).toEqual([fx.units.sh1, fx.units.sh2, fx.units.gz1].sort());
    for (const row of rows) {
      const product = FORCES.map((f) => row.forces[f]).filter((v): v is number => v !== null);
      expect(row.total).toBeCloseTo(
        product.reduce((a, b) => a * b, 1),
        12,
      );
      for (const f of FORCES) expect(row.forces[f]).toBe(forceOf(f, row.indicators));
      const known = FORCES.filter((f) => row.forces[f] !== null);
      expect(row.weakest).toBe(known.sort((a, b) => row.forces[a]! - row.forces[b]!)[0]);
      expect(row.indicators.find((i) => i.key === 'repurchase')!.denominator).toBeGreaterThan(0);
    }
    const mine = await scorecard(sh1(), await scopeOf(sh1(), {}), '2026-03-01');
    expect(mine.map((r) => r.unitId)).toEqual([fx.units.sh1]);
  });
});

describe('the product ladder', () => {
  it('counts entries, highest roles and moves up by cohort as brute force over the order lines does', async () => {
    for (const [name, ctx] of [
      ['hq', hq()],
      ['sh1', sh1()],
    ] as const) {
      const scope = await scopeOf(ctx, {});
      const got = await ladderCohorts(ctx, scope, '2026-05-01', 6);
      const customers = (await rawCustomers()).filter(
        (c) => scope.units === null || scope.units.includes(c.unit_id),
      );
      const orders = await db()
        .selectFrom('orders as o')
        .innerJoin('order_items as i', (j) =>
          j.onRef('i.corp_id', '=', 'o.corp_id').onRef('i.order_id', '=', 'o.id'),
        )
        .select(['o.id', 'o.customer_id', 'o.ordered_at', 'i.product_code'])
        .where('o.corp_id', '=', CORP)
        .execute();
      for (const cohort of got) {
        let onLadder = 0;
        let movedUp = 0;
        const reached = { traffic: 0, trust: 0, profit: 0, expansion: 0 };
        for (const c of customers.filter((x) => monthOf(String(x.acquired_day)) === cohort.month)) {
          const lines = orders
            .filter((o) => o.customer_id === c.customer_id && ROLE_OF[o.product_code])
            .sort(
              (a, b) => new Date(a.ordered_at).getTime() - new Date(b.ordered_at).getTime() || a.id - b.id,
            );
          if (!lines.length) continue;
          onLadder++;
          const first = Math.max(
            ...lines.filter((l) => l.id === lines[0]!.id).map((l) => RANK[ROLE_OF[l.product_code]!]),
          );
          const max = Math.max(...lines.map((l) => RANK[ROLE_OF[l.product_code]!]));
          if (max > first) movedUp++;
          reached[(['traffic', 'trust', 'profit', 'expansion'] as const)[max - 1]!]++;
        }
        expect(cohort.onLadder, `${name} ${cohort.month}`).toBe(onLadder);
        expect(cohort.movedUp).toBe(movedUp);
        expect(cohort.reached).toEqual(reached);
      }
      expect(got.reduce((s, c) => s + c.onLadder, 0)).toBeGreaterThan(0);
    }
  });
});

describe('pilots', () => {
  it('a store manager marks only their stores and sees only pilots with their stores', async () => {
    await createPilot(hq(), {
      name: '第二杯半价旅程',
      kind: 'journey',
      startsOn: '2026-03-01',
      unitIds: [fx.units.gz1],
    });
    const p = await createPilot(sh1(), {
      name: '台卡新话术',
      kind: 'channel',
      startsOn: '2026-03-01',
      unitIds: [fx.units.sh1],
    });
    await expect(
      createPilot(sh1(), { name: 'x', kind: 'policy', startsOn: '2026-03-01', unitIds: [fx.units.sh2] }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect((await listPilots(sh1())).map((x) => x.id)).toEqual([p.id]);
    expect((await listPilots(hq())).length).toBe(2);
    expect(addMonths('2026-03-01', -3)).toBe('2025-12-01');
  });
});

describe('point 9 on the levers: every table exports, every figure drills down', () => {
  const lines = (body: Buffer | string) =>
    String(body)
      .replace(/^\uFEFF/, '')
      .trimEnd()
      .split('\r\n');
  const file = (ctx: Ctx, view: 'roi' | 'campaigns' | 'scorecard' | 'pilot' | 'products', pilotId?: number) =>
    scopeOf(ctx, {}).then((scope) =>
      exportLevers(ctx, scope, {
        view,
        format: 'csv',
        lang: 'en',
        from: '2026-01-01',
        to: '2026-03-01',
        month: '2026-03-01',
        windowDays: 30,
        months: 2,
        ...(pilotId ? { pilotId } : {}),
      }),
    );

  it('exports each lever table as the page shows it, in the caller’s scope, on the audit log', async () => {
    for (const ctx of [hq(), sh1()]) {
      const scope = await scopeOf(ctx, {});
      const roi = await roiReport(ctx, scope, { from: '2026-01-01', to: '2026-03-01', windowDays: 30 });
      const roiFile = lines((await file(ctx, 'roi')).body);
      expect(roiFile[0]).toContain('CAC (CNY)');
      expect(roiFile.slice(1).map((l) => l.split(',')[2])).toEqual(roi.rows.map((r) => r.unitName));
      expect(roiFile.slice(1).map((l) => Number(l.split(',')[5]))).toEqual(
        roi.rows.map((r) => r.newCustomers),
      );
      const products = await productFigures(ctx, scope);
      const productFile = lines((await file(ctx, 'products')).body);
      expect(productFile.slice(1).map((l) => l.split(',')[0])).toEqual(products.map((p) => p.code));
      const cards = await scorecard(ctx, scope, '2026-03-01');
      expect(lines((await file(ctx, 'scorecard')).body)).toHaveLength(cards.length + 1);
    }
    const pilot = (await listPilots(hq()))[0]!;
    const pilotFile = lines((await file(hq(), 'pilot', pilot.id)).body);
    expect(pilotFile[0]).toContain('GMV (CNY) before');
    expect(pilotFile.length).toBeGreaterThan(1);
    const audit = await db()
      .selectFrom('audit_log')
      .select('details')
      .where('corp_id', '=', CORP)
      .where('action', '=', 'insight.export')
      .execute();
    expect(audit.map((a) => (a.details as { view: string }).view)).toEqual(
      expect.arrayContaining(['levers.roi', 'levers.products', 'levers.scorecard', 'levers.pilot']),
    );
  });

  it('drills a product’s buyers down to the customers who bought it, in scope, as brute force finds them', async () => {
    for (const ctx of [hq(), sh1()]) {
      const scope = await scopeOf(ctx, {});
      const customers = (await rawCustomers()).filter(
        (c) => scope.units === null || scope.units.includes(c.unit_id),
      );
      const bought = await db()
        .selectFrom('orders as o')
        .innerJoin('order_items as i', (j) =>
          j.onRef('i.corp_id', '=', 'o.corp_id').onRef('i.order_id', '=', 'o.id'),
        )
        .select('o.customer_id')
        .distinct()
        .where('o.corp_id', '=', CORP)
        .where('i.product_code', '=', 'P3')
        .execute();
      const want = customers
        .filter((c) => bought.some((b) => b.customer_id === c.customer_id))
        .map((c) => Number(c.customer_id))
        .sort((a, b) => a - b);
      const got = await drillCustomers(ctx, scope, {
        step: 'customers',
        by: 'total',
        product: 'P3',
        offset: 0,
        limit: 100,
      });
      expect(got.total).toBe(want.length);
      expect(got.items.map((c) => c.id).sort((a, b) => a - b)).toEqual(want.slice(0, 100));
    }
  });
  it('drills a campaign’s buyers down to the customers credited by it, in scope, and the segment holds them', async () => {
    // orders credited to two mass sends (outreach's attribution, through a touch each): every third to 9001,
    // every seventh of the rest to 9002
    const orders = await db()
      .selectFrom('orders as o')
      .innerJoin('follows as f', (j) =>
        j.onRef('f.corp_id', '=', 'o.corp_id').onRef('f.customer_id', '=', 'o.customer_id'),
      )
      .select(['o.id', 'o.customer_id', 'o.paid_fen', 'o.ordered_at', 'f.staff_id'])
      .where('o.corp_id', '=', CORP)
      .where('o.customer_id', 'is not', null)
      .orderBy('o.id')
      .execute();
    const credited = new Map<string, Set<number>>([
      ['9001', new Set()],
      ['9002', new Set()],
    ]);
    for (const [k, o] of orders.entries()) {
      const source = k % 3 === 0 ? '9001' : k % 7 === 0 ? '9002' : null;
      if (!source) continue;
      await creditOrder(o, { kind: 'mass_send', id: source });
      credited.get(source)!.add(Number(o.customer_id));
    }
    expect(credited.get('9001')!.size).toBeGreaterThan(0);
    for (const ctx of [hq(), sh1()]) {
      const scope = await scopeOf(ctx, {});
      const want = (await rawCustomers())
        .filter((c) => scope.units === null || scope.units.includes(c.unit_id))
        .map((c) => Number(c.customer_id))
        .filter((id) => credited.get('9001')!.has(id))
        .sort((a, b) => a - b);
      const got = await drillCustomers(ctx, scope, {
        step: 'customers',
        by: 'total',
        massSend: 9001,
        offset: 0,
        limit: 100,
      });
      expect(got.total).toBe(want.length);
      expect(got.items.map((c) => c.id).sort((a, b) => a - b)).toEqual(want.slice(0, 100));
      // saved as a segment (the drawer's rule), the same customers
      expect(
        await countAudience(ctx, { op: 'and', rules: [{ field: 'mass_send', cmp: 'in', value: [9001] }] }),
      ).toBe(want.length);
    }
    // a store manager's are fewer than HQ's: the scope holds
    const all = await drillCustomers(hq(), await scopeOf(hq(), {}), {
      step: 'customers',
      by: 'total',
      massSend: 9001,
      offset: 0,
      limit: 1,
    });
    const mine = await drillCustomers(sh1(), await scopeOf(sh1(), {}), {
      step: 'customers',
      by: 'total',
      massSend: 9001,
      offset: 0,
      limit: 1,
    });
    expect(mine.total).toBeLessThan(all.total);
  });
});

describe('journeys as campaigns of CAC and ROI', () => {
  const journey = async (unitId: number, name: string, status: 'draft' | 'active' = 'active') =>
    (
      await db()
        .insertInto('journeys')
        .values({
          corp_id: CORP,
          unit_id: unitId,
          name,
          status,
          trigger_kind: 'manual',
          template: null,
          created_at: new Date(T0),
          updated_at: new Date(T0),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  /** Credits to the journey's touches every fifth order (not credited yet) of the customers in `units`. */
  async function credit(journeyId: number, units: readonly number[] | null) {
    const customers = new Set(
      (await rawCustomers())
        .filter((c) => units === null || units.includes(c.unit_id))
        .map((c) => Number(c.customer_id)),
    );
    const orders = await db()
      .selectFrom('orders as o')
      .innerJoin('follows as f', (j) =>
        j.onRef('f.corp_id', '=', 'o.corp_id').onRef('f.customer_id', '=', 'o.customer_id'),
      )
      .leftJoin('touch_attributions as a', (j) =>
        j.onRef('a.corp_id', '=', 'o.corp_id').onRef('a.order_id', '=', 'o.id'),
      )
      .select(['o.id', 'o.customer_id', 'o.paid_fen', 'o.ordered_at', 'f.staff_id'])
      .where('o.corp_id', '=', CORP)
      .where('a.order_id', 'is', null)
      .where('o.customer_id', 'is not', null)
      .orderBy('o.id')
      .execute();
    const credited: { customerId: number; paidFen: number; orderedAt: Date }[] = [];
    for (const [k, o] of orders.entries()) {
      if (k % 5 !== 0 || !customers.has(Number(o.customer_id))) continue;
      await creditOrder(o, { kind: 'journey', id: `${journeyId}:send1:${o.id}:1` });
      credited.push({
        customerId: Number(o.customer_id),
        paidFen: Number(o.paid_fen),
        orderedAt: new Date(o.ordered_at),
      });
    }
    return credited;
  }
  const inMonths = (c: { orderedAt: Date }, from: string, to: string) => {
    const m = monthOf(brandDay(c.orderedAt));
    return m >= from && m <= to;
  };

  it('shows a journey’s credited orders as its GMV, by month, and its spend gives ROI', async () => {
    const id = await journey(fx.units.hq, '新客 7 天欢迎旅程');
    await journey(fx.units.hq, '草稿旅程', 'draft');
    const credited = await credit(id, null);
    const feb = credited.filter((c) => inMonths(c, '2026-02-01', '2026-02-01'));
    expect(feb.length).toBeGreaterThan(0);
    await createSpend(hq(), {
      unitId: fx.units.hq,
      targetKind: 'journey',
      targetKey: String(id),
      month: '2026-02-01',
      amountFen: 12_345,
    });
    const r = await roiReport(hq(), await scopeOf(hq(), {}), {
      from: '2026-01-01',
      to: '2026-03-01',
      windowDays: 30,
    });
    const row = r.rows.find((x) => x.targetKind === 'journey')!;
    expect(row).toMatchObject({ targetKey: String(id), targetName: '新客 7 天欢迎旅程', spendFen: 12_345 });
    const febGmv = feb.reduce((s, c) => s + c.paidFen, 0);
    expect(row.attributedGmvFen).toBe(febGmv);
    expect(row.newCustomers).toBe(new Set(feb.map((c) => c.customerId)).size);
    expect(row.roi).toBeCloseTo(febGmv / 12_345, 12);
    // the campaign table: the journey beside the mass sends, its orders of the months, the draft left out
    const quarter = credited.filter((c) => inMonths(c, '2026-01-01', '2026-03-01'));
    const journeys = r.campaigns.filter((c) => c.kind === 'journey');
    expect(journeys).toHaveLength(1);
    expect(journeys[0]).toMatchObject({
      id,
      name: '新客 7 天欢迎旅程',
      status: 'active',
      orders: quarter.length,
      buyers: new Set(quarter.map((c) => c.customerId)).size,
      gmvFen: quarter.reduce((s, c) => s + c.paidFen, 0),
      spendFen: 12_345,
    });
    expect(journeys[0]!.roi).toBeCloseTo(journeys[0]!.gmvFen / 12_345, 12);
    // the export names the kind
    const file = await exportLevers(hq(), await scopeOf(hq(), {}), {
      view: 'campaigns',
      format: 'csv',
      lang: 'zh',
      from: '2026-01-01',
      to: '2026-03-01',
      month: '2026-03-01',
      windowDays: 30,
      months: 3,
    });
    const text = new TextDecoder().decode(file.body as Uint8Array);
    expect(text).toContain('旅程,新客 7 天欢迎旅程');
  });

  it('drills a journey’s buyers down to its customers, in the caller’s scope, and they save as a segment', async () => {
    const id = await journey(fx.units.hq, '沉睡高价值唤醒');
    const credited = new Set((await credit(id, null)).map((c) => c.customerId));
    expect(credited.size).toBeGreaterThan(0);
    const totals: number[] = [];
    for (const ctx of [hq(), sh1()]) {
      const scope = await scopeOf(ctx, {});
      const want = (await rawCustomers())
        .filter((c) => scope.units === null || scope.units.includes(c.unit_id))
        .map((c) => Number(c.customer_id))
        .filter((c) => credited.has(c))
        .sort((a, b) => a - b);
      const got = await drillCustomers(ctx, scope, {
        step: 'customers',
        by: 'total',
        journey: id,
        offset: 0,
        limit: 100,
      });
      expect(got.total).toBe(want.length);
      expect(got.items.map((c) => c.id).sort((a, b) => a - b)).toEqual(want.slice(0, 100));
      // the drawer's rule, saved as a segment: the same customers
      expect(
        await countAudience(ctx, { op: 'and', rules: [{ field: 'journey', cmp: 'in', value: [id] }] }),
      ).toBe(want.length);
      totals.push(got.total);
    }
    // a store manager's are fewer than HQ's; another journey's credits are not this one's
    expect(totals[1]).toBeLessThan(totals[0]!);
    const other = await drillCustomers(hq(), await scopeOf(hq(), {}), {
      step: 'customers',
      by: 'total',
      journey: id + 1_000,
      offset: 0,
      limit: 1,
    });
    expect(other.total).toBe(0);
  });

  it('refuses spend for an unknown journey or one outside the caller’s units (400); a store manager’s own is theirs', async () => {
    const hqJourney = await journey(fx.units.hq, 'HQ 生日关怀');
    const mine = await journey(fx.units.sh1, '一店唤醒');
    const spend = (ctx: Ctx, unitId: number, key: string) =>
      createSpend(ctx, {
        unitId,
        targetKind: 'journey',
        targetKey: key,
        month: '2026-03-01',
        amountFen: 500,
      });
    await expect(spend(hq(), fx.units.hq, '999999')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(spend(hq(), fx.units.hq, 'abc')).rejects.toMatchObject({ code: 'bad_request' });
    await expect(spend(sh1(), fx.units.sh1, String(hqJourney))).rejects.toMatchObject({
      code: 'bad_request',
    });
    const ok = await spend(sh1(), fx.units.sh1, String(mine));
    expect(ok).toMatchObject({ targetKind: 'journey', targetName: '一店唤醒' });
    // a store manager's campaign table has their journey, not HQ's
    const r = await roiReport(sh1(), await scopeOf(sh1(), {}), {
      from: '2026-01-01',
      to: '2026-03-01',
      windowDays: 30,
    });
    expect(r.campaigns.filter((c) => c.kind === 'journey').map((c) => c.id)).toEqual([mine]);
    expect(r.rows.find((x) => x.targetKind === 'journey')).toMatchObject({ targetKey: String(mine), roi: 0 });
  });

  it('imports spend for a journey (旅程 / journey), all or nothing', async () => {
    const id = await journey(fx.units.hq, '会员周年');
    const { code } = await db()
      .selectFrom('org_units')
      .select('code')
      .where('corp_id', '=', CORP)
      .where('id', '=', fx.units.hq)
      .executeTakeFirstOrThrow();
    const csv = (lines: string[]) =>
      new TextEncoder().encode(['月份,组织编码,类型,对象,金额(元),备注', ...lines].join('\n'));
    const bad = await importSpend(
      hq(),
      csv([`2026-03,${code},旅程,${id},88.5,券`, `2026-03,${code},旅程,999999,1,x`]),
      'en',
    );
    expect(bad).toMatchObject({
      imported: 0,
      errors: [{ line: 3, message: 'Journey 999999 is not one you can see' }],
    });
    const good = await importSpend(
      hq(),
      csv([`2026-03,${code},旅程,${id},88.5,券`, `2026-02,${code},journey,${id},1,`]),
      'zh',
    );
    expect(good).toEqual({ imported: 2, errors: [] });
    const rows = (await listSpend(hq(), {})).filter(
      (s) => s.targetKind === 'journey' && s.targetKey === String(id),
    );
    expect(rows.map((s) => [s.month, s.amountFen, s.targetName])).toEqual([
      ['2026-03-01', 8850, '会员周年'],
      ['2026-02-01', 100, '会员周年'],
    ]);
  });
});
