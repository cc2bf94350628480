import { type Insertable, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, Role } from '../../platform/actor.ts';
import { ManualClock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/connect.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { type Fixture, pii, seedFixture } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import type { Ctx } from '../context.ts';
import { tagsInView } from '../customers/index.ts';
import { listCustomers } from '../customers/service.ts';
import { subtreeUnitIds } from '../org/index.ts';
import { PERSONA_LIST } from '../staff/index.ts';
import type { Tables } from '../tables.ts';
import {
  audienceIds,
  complementFor,
  countAudience,
  listAudience,
  sampleAudience,
  scopeCte,
} from './compile.ts';
import { evaluate, inTagView, loadWorld, type World } from './evaluate.ts';
import { checkRule, FIELDS, METHODS, type Rule, STAGES } from './rule.ts';

/**
 * The oracle: on seeded random data, hundreds of seeded random rule trees give the same customers through
 * the SQL compiler as through the brute-force evaluator, for callers of every scope. Values are drawn near
 * the data (the exact boundaries of windows and day counts, values present in the rows, ids that exist
 * and some that do not), and the data has the awkward cases: customers without facts, without orders,
 * null scores, orders not linked to anyone, ended follows, members who left a group, another brand's rows,
 * follows added on the edge of a brand month (UTC+8) and ended on the edge of the 7th brand day.
 */

const DAY = 86_400_000;
const NOW = new Date('2026-07-01T10:00:00.000Z');
const CUSTOMERS = 360;
const TREES = 320;

/** mulberry32: a small seeded generator, so a failure replays exactly. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const some = <T>(xs: readonly T[], max = 3): T[] => {
    const n = int(1, Math.min(max, xs.length));
    return Array.from({ length: n }, () => pick(xs));
  };
  return { next, int, pick, some, chance: (p: number) => next() < p };
}

/** A time near a boundary of "N days ago": exactly on it, a millisecond either side, or anywhere that day. */
function nearDaysAgo(r: ReturnType<typeof rng>, days: number): Date {
  const offset = r.pick([0, 0, 1, -1, r.int(-DAY + 1, DAY - 1)]);
  return new Date(NOW.getTime() - days * DAY + offset);
}
const BOUNDARY_DAYS = [0, 1, 7, 29, 30, 31, 89, 90, 91, 180, 364, 365, 366, 500];
const PRODUCTS = ['P01', 'P02', 'P03', 'P04', 'P05', 'P06'];
const MONEY = [0, 1, 990, 1000, 2500, 5000, 12_000, 30_000];
const SHARES = [0, 0.1, 0.25, 0.3, 1 / 3, 0.5, 0.7, 1];
const HOUR = 3_600_000;
/** Brand months (UTC+8) the follows are added in, and on whose first instant some are added. */
const MONTHS = [
  '2025-06',
  '2025-11',
  '2025-12',
  '2026-01',
  '2026-03',
  '2026-04',
  '2026-06',
  '2026-07',
  '2026-08',
];
const monthStart = (m: string) => new Date(Date.parse(`${m}-01T00:00:00+08:00`));
/** The start of the brand day (UTC+8) `days` after the one `t` falls on. */
function brandMidnight(t: Date, days: number): Date {
  const day = Math.floor((t.getTime() + 8 * HOUR) / DAY) + days;
  return new Date(day * DAY - 8 * HOUR);
}
/** When a follow was added: on a brand month's edge (a millisecond either side) or anywhere in the last 400 days. */
function addedAt(r: ReturnType<typeof rng>): Date {
  if (r.chance(0.35)) return new Date(monthStart(r.pick(MONTHS.slice(0, -1))).getTime() + r.pick([0, 1, -1]));
  return new Date(NOW.getTime() - r.int(0, 400 * DAY));
}
/** When an ended follow ended: around the 7th brand day after it was added, or unknown (null). */
function endedAt(r: ReturnType<typeof rng>, added: Date): Date | null {
  if (r.chance(0.15)) return null;
  const edge = brandMidnight(added, r.pick([0, 6, 7, 7, 8, 30]));
  return new Date(Math.max(added.getTime(), edge.getTime() + r.pick([0, 1, -1, r.int(0, DAY - 1)])));
}

let database: Database<Tables>;
let fx: Fixture;
let world: World;
const ids = {
  tags: [] as number[],
  channels: [] as number[],
  groups: [] as number[],
  massSends: [101, 102, 103],
  journeys: [201, 202],
  units: [] as number[],
  staff: [] as number[],
  money: [...MONEY],
};

async function seedRandomData(seed: number) {
  const r = rng(seed);
  const db = database.db;
  const corp_id = 'acme';
  const at = NOW;
  ids.units = Object.values(fx.units);
  ids.staff = Object.values(fx.staff);
  // the members' personas, some shared
  for (const staffId of ids.staff)
    await db
      .updateTable('staff')
      .set({ persona: r.pick(PERSONA_LIST) })
      .where('corp_id', '=', corp_id)
      .where('id', '=', staffId)
      .execute();

  const { id: group } = await db
    .insertInto('tag_groups')
    .values({ corp_id, name: '随机', wecom_group_id: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let i = 0; i < 8; i++) {
    const { id } = await db
      .insertInto('tags')
      .values({ corp_id, group_id: group, name: `标签${i}`, wecom_tag_id: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.tags.push(id);
  }
  ids.tags.push(...Object.values(fx.tags));

  const methods = ['table_card', 'poster', 'sms', 'table_card'] as const;
  const codes: { channel: number; code: number }[] = [];
  for (const [i, method] of methods.entries()) {
    const unit = r.pick(ids.units);
    const { id: channel } = await db
      .insertInto('channels')
      .values({
        corp_id,
        name: `渠道${i}`,
        scene: '门店',
        method,
        unit_id: unit,
        assign_mode: 'pool',
        daily_cap: null,
        working_hours: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { id: code } = await db
      .insertInto('channel_codes')
      .values({ corp_id, channel_id: channel, unit_id: unit, state: `rnd${i}` })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.channels.push(channel);
    codes.push({ channel, code });
  }
  for (let i = 0; i < 4; i++) {
    const { id } = await db
      .insertInto('groups')
      .values({
        corp_id,
        chat_id: `wr_rnd${i}`,
        name: `群${i}`,
        owner_staff_id: r.pick(ids.staff),
        synced_at: at,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids.groups.push(id);
  }

  const customers = await db
    .insertInto('customers')
    .values(
      Array.from({ length: CUSTOMERS }, (_, i) => ({
        corp_id,
        external_userid: `wm_rnd_${i}`,
        name: `客户${i}`,
        avatar: r.chance(0.5) ? `https://a.example/${i}.png` : null,
        first_added_at: at,
      })),
    )
    .returning('id')
    .execute();
  const all = [...customers.map((c) => c.id), ...Object.values(fx.customers)];

  const follows = [];
  const tags = [];
  const adds: Insertable<Tables['channel_adds']>[] = [];
  const members = [];
  const facts = [];
  const orders: { customer: number | null; at: Date; paid: number; products: string[] }[] = [];
  for (const [n, customer] of customers.map((c) => c.id).entries()) {
    // some customers follow nobody (visible to HQ only), others one to three staff, some follows ended
    // (added at various times, some at the same instant as the one before; ended around the 7th brand day)
    const staff = r.chance(0.1) ? [] : [...new Set(r.some(ids.staff, 3))];
    let previous: Date | null = null;
    for (const s of staff) {
      const added: Date = previous && r.chance(0.2) ? previous : addedAt(r);
      previous = added;
      const ended = r.chance(0.3);
      follows.push({
        corp_id,
        customer_id: customer,
        staff_id: s,
        journey_role: 'store_staff',
        status: ended
          ? r.pick(['deleted_by_customer', 'deleted_by_staff', 'transferred'] as const)
          : ('active' as const),
        added_at: added,
        ended_at: ended ? endedAt(r, added) : null,
      });
      const cameThrough = (at: Date) => {
        const c = r.pick(codes);
        adds.push({
          corp_id,
          code_id: c.code,
          channel_id: c.channel,
          customer_id: customer,
          staff_id: s,
          added_at: at,
        });
      };
      if (r.chance(0.3)) cameThrough(added);
      // an earlier add by the same member (deleted and added again): not how this follow came
      if (r.chance(0.1)) cameThrough(new Date(added.getTime() - 30 * DAY));
    }
    for (const tag of new Set(r.chance(0.2) ? [] : r.some(ids.tags, 4))) {
      tags.push({ corp_id, customer_id: customer, tag_id: tag, staff_id: null, tagged_at: at });
    }
    for (const g of new Set(r.chance(0.4) ? [] : r.some(ids.groups, 3))) {
      members.push({
        corp_id,
        group_id: g,
        member_key: `wm_rnd_${n}`,
        member_type: 2,
        customer_id: customer,
        left_at: r.chance(0.2) ? at : null,
      });
    }
    if (r.chance(0.78)) {
      const orderCount = r.int(0, 9);
      const paid = r.chance(0.5) ? r.pick(MONEY) : r.int(0, 40_000);
      ids.money.push(paid);
      facts.push({
        corp_id,
        customer_id: customer,
        order_count: orderCount,
        paid_fen: paid,
        first_order_at: null,
        last_order_at: r.chance(0.2)
          ? null
          : nearDaysAgo(r, r.chance(0.6) ? r.pick(BOUNDARY_DAYS) : r.int(-2, 600)),
        coupon_orders: 0,
        coupon_share: r.chance(0.25) ? null : r.chance(0.7) ? r.pick(SHARES) : r.next(),
        top_unit_id: r.chance(0.3) ? null : r.pick(ids.units),
        r_score: r.chance(0.2) ? null : r.int(1, 5),
        f_score: r.chance(0.2) ? null : r.int(1, 5),
        m_score: r.chance(0.2) ? null : r.int(1, 5),
        stage: r.pick(STAGES),
        computed_at: at,
      });
    }
    const n_orders = r.chance(0.35) ? 0 : r.int(1, 7);
    for (let k = 0; k < n_orders; k++) {
      orders.push({
        customer,
        at: nearDaysAgo(r, r.chance(0.6) ? r.pick(BOUNDARY_DAYS) : r.int(-1, 700)),
        paid: r.chance(0.3) ? r.pick(MONEY) : r.int(0, 20_000),
        products: r.chance(0.1) ? [] : r.some(PRODUCTS, 3),
      });
    }
  }
  // orders nobody is linked to yet, and one brand's rows that another must never see
  for (let k = 0; k < 20; k++) {
    orders.push({
      customer: null,
      at: nearDaysAgo(r, r.int(0, 400)),
      paid: 777,
      products: [r.pick(PRODUCTS)],
    });
  }
  await db.insertInto('follows').values(follows).execute();
  if (tags.length) await db.insertInto('customer_tags').values(tags).execute();
  if (adds.length) await db.insertInto('channel_adds').values(adds).execute();
  if (members.length) await db.insertInto('group_members').values(members).execute();
  await db.insertInto('customer_facts').values(facts).execute();
  const inserted = await db
    .insertInto('orders')
    .values(
      orders.map((o, i) => ({
        corp_id,
        source: 'pos',
        source_order_id: `rnd-${i}`,
        channel: 'pos' as const,
        unit_id: r.pick(ids.units),
        customer_id: o.customer,
        total_fen: o.paid,
        paid_fen: o.paid,
        ordered_at: o.at,
      })),
    )
    .returning('id')
    .execute();
  const items = inserted.flatMap((row, i) =>
    [...new Set(orders[i]!.products)].map((product, line) => ({
      corp_id,
      order_id: row.id,
      line: line + 1,
      product_code: product,
      product_name: `商品${product}`,
      quantity: 1,
      price_fen: 100,
    })),
  );
  if (items.length) await db.insertInto('order_items').values(items).execute();
  // some linked orders credited to a mass send or a journey's touch (outreach's attribution), through a touch each
  for (const [i, row] of inserted.entries()) {
    const customer = orders[i]!.customer;
    if (customer === null || !r.chance(0.4)) continue;
    const source_kind = r.chance(0.6) ? 'mass_send' : 'journey';
    const source_id =
      source_kind === 'mass_send' ? String(r.pick(ids.massSends)) : `${r.pick(ids.journeys)}:send:${i + 1}:0`;
    const staff_id = r.pick(ids.staff);
    const { id: touch_id } = await db
      .insertInto('touches')
      .values({
        corp_id,
        customer_id: customer,
        staff_id,
        source_kind,
        source_id,
        content_id: null,
        at: new Date(orders[i]!.at.getTime() - 3_600_000),
        wecom_mass: source_kind === 'mass_send',
        released_reason: null,
        settled_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('touch_attributions')
      .values({
        corp_id,
        order_id: row.id,
        touch_id,
        customer_id: customer,
        source_kind,
        source_id,
        staff_id,
        paid_fen: orders[i]!.paid,
        ordered_at: orders[i]!.at,
      })
      .execute();
  }

  const { id: otherOrder } = await db
    .insertInto('orders')
    .values({
      corp_id: 'other',
      source: 'pos',
      source_order_id: 'o-1',
      channel: 'pos',
      unit_id: null,
      customer_id: fx.otherCustomer,
      total_fen: 5000,
      paid_fen: 5000,
      ordered_at: NOW,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('order_items')
    .values({
      corp_id: 'other',
      order_id: otherOrder,
      line: 1,
      product_code: 'P01',
      product_name: 'x',
      quantity: 1,
      price_fen: 5000,
    })
    .execute();
  await db
    .insertInto('customer_facts')
    .values({
      corp_id: 'other',
      customer_id: fx.otherCustomer,
      order_count: 1,
      paid_fen: 5000,
      r_score: 5,
      f_score: 5,
      m_score: 5,
      coupon_share: 0,
      stage: 'super',
      last_order_at: NOW,
      computed_at: NOW,
    })
    .execute();
  return all;
}

function randomCondition(r: ReturnType<typeof rng>): Rule {
  const field = r.pick(FIELDS);
  const cmp = r.pick(field.cmps);
  const numbers = (): number => {
    switch (field.type) {
      case 'money':
        return r.chance(0.7) ? r.pick(ids.money) : r.int(0, 50_000);
      case 'share':
        return r.chance(0.8) ? r.pick(SHARES) : r.next();
      case 'days':
        return r.chance(0.8) ? r.pick(BOUNDARY_DAYS) : r.int(-3, 600);
      default:
        return field.key.endsWith('_score') ? r.int(0, 6) : r.int(0, 6);
    }
  };
  const members = (): (number | string)[] => {
    switch (field.type) {
      case 'tag':
        return r.some([...ids.tags, 999_999], 3);
      case 'unit':
        return r.some([...ids.units, 999_999], 2);
      case 'staff':
        return r.some([...ids.staff, 999_999], 3);
      case 'channel':
        return r.some([...ids.channels, 999_999], 2);
      case 'group':
        return r.some([...ids.groups, 999_999], 2);
      case 'mass_send':
        return r.some([...ids.massSends, 999_999], 2);
      case 'journey':
        return r.some([...ids.journeys, 999_999], 2);
      case 'method':
        return r.some(METHODS, 3);
      case 'product':
        return r.some([...PRODUCTS, 'NOPE'], 3);
      case 'enum':
        return r.some(STAGES, 3);
      case 'persona':
        return r.some(PERSONA_LIST, 2);
      default:
        throw new Error(field.type);
    }
  };
  if (['is_null', 'not_null', 'any', 'none', 'is_true', 'is_false'].includes(cmp))
    return { field: field.key, cmp };
  if (['in', 'all', 'not_in'].includes(cmp)) return { field: field.key, cmp, value: members() };
  if (field.type === 'month') {
    const month = () => (r.chance(0.85) ? r.pick(MONTHS) : r.pick(['2024-12', '2027-01']));
    if (cmp !== 'between') return { field: field.key, cmp, value: month() };
    const [a, b] = [month(), month()].sort();
    return { field: field.key, cmp, value: [a!, b!] };
  }
  if (cmp === 'between') {
    const [a, b] = [numbers(), numbers()];
    return { field: field.key, cmp, value: [Math.min(a, b), Math.max(a, b)] };
  }
  return { field: field.key, cmp, value: numbers() };
}

/** A random tree; `empty` lets and/or have no children (the compiler's edge, not accepted by the API). */
function randomRule(r: ReturnType<typeof rng>, depth: number, empty: boolean): Rule {
  if (depth >= 5 || r.chance(depth === 1 ? 0.15 : 0.45)) return randomCondition(r);
  if (r.chance(0.2)) return { op: 'not', rule: randomRule(r, depth + 1, empty) };
  const n = empty && r.chance(0.12) ? 0 : r.int(1, 4);
  return {
    op: r.chance(0.5) ? 'and' : 'or',
    rules: Array.from({ length: n }, () => randomRule(r, depth + 1, empty)),
  };
}

let clock: ManualClock;
const scopes = {} as Record<string, { ctx: Ctx; ids: number[]; world: World }>;

async function scopeOf(role: Role, unitId: number, staffId: number | null) {
  const cdb = corpDb(database.db, 'acme');
  const actor: Actor = {
    corpId: 'acme',
    accountId: 0,
    role,
    unitId,
    seesWholeCorp: role === 'hq_admin' && unitId === fx.units.hq,
    unitIds: await subtreeUnitIds(cdb, unitId),
    staffId,
  };
  const ctx: Ctx = { cdb, actor, clock, pii, events: syncCtx(database).events };
  // the scope as the customers list sees it
  const visible: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await listCustomers(ctx, { limit: 100, cursor });
    visible.push(...page.items.map((c) => c.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  // the tags as the caller's role sees them (a staff member does not see ops tags)
  const view = tagsInView(ctx);
  const seen = view ? new Set((await view.execute()).map((t) => t.id)) : null;
  return { ctx, ids: visible.sort((a, b) => a - b), world: inTagView(world, seen) };
}

beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
  clock = new ManualClock(NOW);
  await seedRandomData(20261130);
  world = await loadWorld(corpDb(database.db, 'acme'), NOW);
  scopes.hq = await scopeOf('hq_admin', fx.units.hq, null);
  scopes.east = await scopeOf('region_manager', fx.units.east, null);
  scopes.sh1 = await scopeOf('store_manager', fx.units.sh1, null);
  scopes.sh1a = await scopeOf('staff', fx.units.sh1, fx.staff.sh1a);
}, 120_000);
afterAll(() => database.close());

describe('the SQL compiler against the brute-force evaluator', () => {
  it('has data with the awkward cases in it', () => {
    const customers = world.customers.length;
    expect(customers).toBe(CUSTOMERS + 5);
    expect(world.facts.size).toBeLessThan(customers);
    expect([...world.facts.values()].some((f) => f.r_score === null)).toBe(true);
    expect(world.orders.size).toBeLessThan(customers);
    expect(scopes.hq!.ids.length).toBe(customers);
    expect(scopes.sh1!.ids.length).toBeLessThan(scopes.east!.ids.length);
    expect(scopes.sh1a!.ids.length).toBeLessThan(scopes.sh1!.ids.length);
    expect(scopes.sh1a!.ids.length).toBeGreaterThan(0);
    // the acquisition facts split the customers, on their edges too
    const some = (rule: Rule) => {
      const n = evaluate(world, rule).length;
      return n > 0 && n < customers;
    };
    expect(some({ field: 'retained_7d', cmp: 'is_true' })).toBe(true);
    expect(some({ field: 'joined_group', cmp: 'is_true' })).toBe(true);
    expect(some({ field: 'acquired_month', cmp: 'eq', value: '2026-03' })).toBe(true);
    const personas = [...new Set([...world.allFollows!.values()].flat().map((f) => f.persona))];
    expect(personas.length).toBeGreaterThan(1);
    expect(some({ field: 'acquired_persona', cmp: 'in', value: [personas[0]!] })).toBe(true);
    expect(some({ field: 'acquired_channel', cmp: 'is_null' })).toBe(true);
    expect(some({ field: 'acquired_unit', cmp: 'in', value: [fx.units.east] })).toBe(true);
    expect(some({ field: 'private_orders', cmp: 'gte', value: 2 })).toBe(true);
    // some followed customers' orders were all placed before they came or after they were lost
    const followed = { field: 'acquired_month', cmp: 'not_null' as const };
    expect(
      evaluate(world, {
        op: 'and',
        rules: [{ field: 'private_orders', cmp: 'eq', value: 0 }, followed],
      }).filter((id) => world.orders.has(id)).length,
    ).toBeGreaterThan(0);
    const firsts = [...world.allFollows!.values()].map((fs) =>
      Math.min(...fs.map((f) => f.addedAt.getTime())),
    );
    for (const edge of [0, -1]) {
      expect(firsts.some((t) => MONTHS.some((m) => t === monthStart(m).getTime() + edge))).toBe(true);
    }
    // ended on the first instant of the 7th brand day after the only follow's, and a millisecond before it
    const sevenths = [...world.allFollows!.values()]
      .filter((fs) => fs.length === 1 && fs[0]!.endedAt)
      .map(([f]) => f!.endedAt!.getTime() - brandMidnight(f!.addedAt, 7).getTime());
    expect(sevenths).toContain(0);
    expect(sevenths).toContain(-1);
  });

  it('agrees with it on every field and comparison, alone and negated', async () => {
    const r = rng(7);
    let checked = 0;
    for (const field of FIELDS) {
      for (const cmp of field.cmps) {
        for (let k = 0; k < 3; k++) {
          let condition: Rule;
          do condition = randomCondition(r);
          while (!('field' in condition) || condition.field !== field.key || condition.cmp !== cmp);
          for (const rule of [condition, { op: 'not' as const, rule: condition }]) {
            const sqlIds = await listAudience(scopes.hq!.ctx, rule);
            expect(sqlIds, JSON.stringify(rule)).toEqual(evaluate(world, rule));
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('agrees with it on hundreds of random trees, for every scope', async () => {
    const r = rng(424242);
    const names = Object.keys(scopes);
    const sizes: number[] = [];
    for (let i = 0; i < TREES; i++) {
      const rule = randomRule(r, 1, true);
      const scope = scopes[names[i % names.length]!]!;
      const expected = evaluate(scope.world, rule, scope.ids);
      const actual = await listAudience(scope.ctx, rule);
      expect(actual, `tree ${i} as ${names[i % names.length]}: ${JSON.stringify(rule)}`).toEqual(expected);
      sizes.push(expected.length);
    }
    // the trees are not all trivially empty or everyone
    const total = scopes.hq!.ids.length;
    expect(sizes.filter((n) => n > 0 && n < total).length).toBeGreaterThan(TREES / 3);
    expect(sizes.filter((n) => n === 0).length).toBeGreaterThan(5);
  }, 300_000);

  it('gives the valid trees the API accepts, checked, the same meaning', async () => {
    const r = rng(99);
    for (let i = 0; i < 60; i++) {
      const tree = randomRule(r, 1, false);
      const checked = checkRule(JSON.parse(JSON.stringify(tree)));
      expect(checked.issues).toEqual([]);
      const rule = checked.rule!;
      expect(await listAudience(scopes.east!.ctx, rule)).toEqual(
        evaluate(scopes.east!.world, rule, scopes.east!.ids),
      );
    }
  }, 120_000);

  it('counts and samples the same audience: the count, and the 20 newest customers', async () => {
    const r = rng(5);
    for (let i = 0; i < 30; i++) {
      const rule = randomRule(r, 1, false);
      const scope = i % 2 ? scopes.hq! : scopes.sh1!;
      const expected = evaluate(scope.world, rule, scope.ids);
      expect(await countAudience(scope.ctx, rule)).toBe(expected.length);
      const sample = await sampleAudience(scope.ctx, rule);
      expect(sample.map((m) => m.id)).toEqual([...expected].reverse().slice(0, 20));
      for (const m of sample) {
        const facts = world.facts.get(m.id);
        expect(m.stage).toBe(facts?.stage ?? 'new');
        expect(m.ltvFen).toBe(facts?.paid_fen ?? 0);
        expect(m.lastOrderAt).toBe(facts?.last_order_at?.toISOString() ?? null);
      }
    }
  }, 120_000);

  it('reads an empty and as everyone in scope, an empty or as no one', async () => {
    expect(await listAudience(scopes.sh1!.ctx, { op: 'and', rules: [] })).toEqual(scopes.sh1!.ids);
    expect(await listAudience(scopes.sh1!.ctx, { op: 'or', rules: [] })).toEqual([]);
    expect(await listAudience(scopes.sh1!.ctx, { op: 'not', rule: { op: 'or', rules: [] } })).toEqual(
      scopes.sh1!.ids,
    );
  });

  it('gives customers without facts 0 orders, stage new and no scores', async () => {
    const bare = world.customers.filter((id) => !world.facts.has(id) && !world.orders.has(id));
    expect(bare.length).toBeGreaterThan(0);
    const ctx = scopes.hq!.ctx;
    const members = async (rule: Rule) => new Set(await listAudience(ctx, rule));
    const has = async (rule: Rule) => {
      const m = await members(rule);
      return bare.every((id) => m.has(id));
    };
    const hasNone = async (rule: Rule) => {
      const m = await members(rule);
      return bare.every((id) => !m.has(id));
    };
    expect(await has({ field: 'order_count', cmp: 'eq', value: 0 })).toBe(true);
    expect(await has({ field: 'orders_30d', cmp: 'lt', value: 1 })).toBe(true);
    expect(await has({ field: 'spend_365d_fen', cmp: 'lte', value: 0 })).toBe(true);
    expect(await has({ field: 'stage', cmp: 'in', value: ['new'] })).toBe(true);
    expect(await has({ field: 'r_score', cmp: 'is_null' })).toBe(true);
    expect(await has({ op: 'not', rule: { field: 'r_score', cmp: 'gte', value: 1 } })).toBe(true);
    expect(await has({ field: 'last_order_days', cmp: 'is_null' })).toBe(true);
    expect(await hasNone({ field: 'order_count', cmp: 'gte', value: 1 })).toBe(true);
    expect(await hasNone({ field: 'r_score', cmp: 'ne', value: 3 })).toBe(true);
    expect(await hasNone({ field: 'coupon_share', cmp: 'lte', value: 1 })).toBe(true);
    expect(await hasNone({ field: 'top_unit', cmp: 'not_in', value: [fx.units.gz1] })).toBe(true);
  });

  // last: it analyzes the customers, which the tests above run without
  it('takes complements as an anti-join to the same customers, once the planner has counted them', async () => {
    await sql`analyze customers`.execute(database.db);
    expect(await complementFor(scopes.hq!.ctx)).toBe('anti_join');
    const antiJoined = async (ctx: Ctx, rule: Rule) => {
      const { rows } = await sql<{ id: number }>`${scopeCte(ctx)}
        select id from (${audienceIds(ctx, rule, 'anti_join')}) m order by id`.execute(ctx.cdb.db);
      return rows.map((x) => Number(x.id));
    };
    const r = rng(11);
    for (let i = 0; i < 40; i++) {
      const scope = i % 2 ? scopes.hq! : scopes.sh1!;
      const rule: Rule = { op: 'not', rule: i % 4 < 2 ? randomCondition(r) : randomRule(r, 1, false) };
      expect(await antiJoined(scope.ctx, rule), JSON.stringify(rule)).toEqual(
        evaluate(scope.world, rule, scope.ids),
      );
    }
  }, 120_000);
});
