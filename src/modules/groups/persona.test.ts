import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../demo/random.ts';
import type { Actor } from '../../platform/actor.ts';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { actorOf, type Fixture, pii, seedFixture } from '../../testing/fixture.ts';
import { ctxFor } from '../context.ts';
import type { Tables } from '../tables.ts';
import {
  groupPersonas,
  HIGH_FREQUENCY_F,
  NEW_BUYER_DAYS,
  type PersonaFigures,
  PRICE_BANDS,
  personaRollup,
} from './persona.ts';

/**
 * The persona SQL against a brute-force count over the same rows, on seeded random groups: customers in
 * several groups and stores, members who left, members Siyu does not know, buyers of every band.
 */

let database: Database<Tables>;
let fx: Fixture;
const now = new Date('2026-11-01T04:00:00Z');
const clock = { now: () => now };
const DAY = 86_400_000;

interface Row {
  groupId: number;
  unitPath: string;
  memberKey: string;
  customerId: number | null;
  left: boolean;
  active: boolean;
}
let rows: Row[] = [];
const facts = new Map<number, { orders: number; paid: number; f: number; first: Date | null }>();
const loyalty = new Set<number>();

beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
  const db = database.db;
  const rng = new Random(424242);
  const customers: number[] = [];
  for (let i = 0; i < 120; i++) {
    const { id } = await db
      .insertInto('customers')
      .values({
        corp_id: 'acme',
        external_userid: `wm_p${i}`,
        unionid: null,
        name: `顾客${i}`,
        avatar: null,
        phone_cipher: null,
        phone_hash: null,
        phone_masked: null,
        first_added_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    customers.push(id);
    if (rng.chance(0.8)) {
      const orders = rng.chance(0.2) ? 0 : rng.int(1, 12);
      const paid = orders * rng.int(900, 7000);
      const first = orders ? new Date(now.getTime() - rng.int(1, 300) * DAY) : null;
      const f = orders ? Math.min(5, 1 + Math.floor(orders / 3)) : 1;
      facts.set(id, { orders, paid, f, first });
      await db
        .insertInto('customer_facts')
        .values({
          corp_id: 'acme',
          customer_id: id,
          order_count: orders,
          paid_fen: paid,
          first_order_at: first,
          last_order_at: first,
          f_score: orders ? f : null,
          computed_at: now,
        })
        .execute();
    }
    if (rng.chance(0.3)) {
      loyalty.add(id);
      await db
        .insertInto('members')
        .values({ corp_id: 'acme', source: 'crm', member_no: `M${i}`, customer_id: id, updated_at: now })
        .execute();
    }
  }
  const units = await db.selectFrom('org_units').select(['id', 'path']).execute();
  const pathOf = new Map(units.map((u) => [u.id, u.path]));
  const owners = [
    { staff: fx.staff.sh1a, unit: fx.units.sh1 },
    { staff: fx.staff.sh1b, unit: fx.units.sh1 },
    { staff: fx.staff.sh2a, unit: fx.units.sh2 },
    { staff: fx.staff.gz1a, unit: fx.units.gz1 },
  ];
  for (let g = 0; g < 9; g++) {
    const owner = owners[g % owners.length]!;
    const active = g !== 8;
    const { id: groupId } = await db
      .insertInto('groups')
      .values({
        corp_id: 'acme',
        chat_id: `wr_p${g}`,
        name: `群${g}`,
        owner_userid: null,
        owner_staff_id: owner.staff,
        notice: null,
        member_version: null,
        status: active ? 'active' : 'dismissed',
        created_at_wecom: now,
        dismissed_at: null,
        synced_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const picked = rng.sample(customers, rng.int(10, 40));
    const values = picked.map((customerId, k) => ({
      corp_id: 'acme',
      group_id: groupId,
      member_key: `wm_p${customers.indexOf(customerId)}`,
      member_type: 2,
      customer_id: customerId,
      staff_id: null,
      unionid: null,
      display_name: null,
      join_time: now,
      join_scene: 3,
      invitor_userid: null,
      left_at: k % 7 === 3 ? now : null,
      state: null,
    }));
    // strangers: in the group, unknown to Siyu
    for (let s = 0; s < rng.int(0, 4); s++) {
      values.push({
        ...values[0]!,
        member_key: `wm_stranger_${g}_${s}`,
        customer_id: null,
        left_at: null,
      } as never);
    }
    // the owner, a member (type 1), never counted
    values.push({
      ...values[0]!,
      member_key: `staff_${g}`,
      member_type: 1,
      customer_id: null,
      left_at: null,
    } as never);
    await db.insertInto('group_members').values(values).execute();
    for (const v of values) {
      if (v.member_type !== 2) continue;
      rows.push({
        groupId,
        unitPath: pathOf.get(owner.unit)!,
        memberKey: v.member_key,
        customerId: v.customer_id,
        left: v.left_at !== null,
        active,
      });
    }
  }
  rows = rows.filter((r) => r.active && !r.left);
});
afterAll(() => database.close());

function brute(members: { memberKey: string; customerId: number | null }[]): PersonaFigures {
  const seen = new Map<string, number | null>();
  for (const m of members) seen.set(m.memberKey, m.customerId);
  const out: PersonaFigures = {
    members: seen.size,
    linked: 0,
    withOrders: 0,
    loyaltyMembers: 0,
    highFrequency: 0,
    priceBands: [0, 0, 0, 0],
    newBuyers: 0,
    oldBuyers: 0,
    messages: null,
  };
  for (const id of seen.values()) {
    if (id === null) continue;
    out.linked++;
    if (loyalty.has(id)) out.loyaltyMembers++;
    const f = facts.get(id);
    if (!f) continue;
    if (f.orders > 0) {
      out.withOrders++;
      const avg = f.paid / f.orders;
      out.priceBands[avg < PRICE_BANDS[0] ? 0 : avg < PRICE_BANDS[1] ? 1 : avg < PRICE_BANDS[2] ? 2 : 3]++;
      if (f.first!.getTime() >= now.getTime() - NEW_BUYER_DAYS * DAY) out.newBuyers++;
      else out.oldBuyers++;
      if (f.f >= HIGH_FREQUENCY_F) out.highFrequency++;
    }
  }
  return out;
}

const actor = (over: Partial<Actor>): Actor => ({
  ...actorOf('hq_admin', Object.values(fx.units)),
  ...over,
});
const ctx = (a: Actor) => ctxFor({ db: database.db, clock, pii, events: undefined as never }, a);

describe('group persona', () => {
  it('per group equals a brute-force count', async () => {
    const personas = await groupPersonas(ctx(actor({})));
    const groups = [...new Set(rows.map((r) => r.groupId))];
    expect(personas.size).toBe(groups.length);
    for (const g of groups) {
      expect(personas.get(g), `group ${g}`).toEqual(brute(rows.filter((r) => r.groupId === g)));
    }
    expect([...personas.values()].some((p) => p.priceBands.every((n) => n > 0))).toBe(true);
  });

  it('rolled up per store, region and brand, counting a customer once per unit, equals a brute-force count', async () => {
    const rollup = await personaRollup(ctx(actor({})));
    const units = await database.db.selectFrom('org_units').select(['id', 'path']).execute();
    const withGroups = units.filter((u) => rows.some((r) => r.unitPath.startsWith(u.path)));
    expect(new Set(rollup.map((r) => r.unitId))).toEqual(new Set(withGroups.map((u) => u.id)));
    for (const r of rollup) {
      const path = units.find((u) => u.id === r.unitId)!.path;
      const { unitId: _u, unitName: _n, kind: _k, groups: _g, ...figures } = r;
      expect(figures, `unit ${r.unitName}`).toEqual(brute(rows.filter((x) => x.unitPath.startsWith(path))));
    }
    const brand = rollup.find((r) => r.unitId === fx.units.hq)!;
    expect(brand.members).toBeLessThan(rows.length); // customers in several groups count once
  });

  it('a region manager’s roll-up holds only their region’s units and figures', async () => {
    const east = actor({
      role: 'region_manager',
      unitId: fx.units.east,
      seesWholeCorp: false,
      unitIds: [fx.units.east, fx.units.sh1, fx.units.sh2],
    });
    const rollup = await personaRollup(ctx(east));
    expect(rollup.map((r) => r.unitId).sort()).toEqual([fx.units.east, fx.units.sh1, fx.units.sh2].sort());
    const eastPath = (
      await database.db
        .selectFrom('org_units')
        .select('path')
        .where('id', '=', fx.units.east)
        .executeTakeFirstOrThrow()
    ).path;
    const {
      unitId: _u,
      unitName: _n,
      kind: _k,
      groups: _g,
      ...figures
    } = rollup.find((r) => r.unitId === fx.units.east)!;
    expect(figures).toEqual(brute(rows.filter((x) => x.unitPath.startsWith(eastPath))));
    const gzGroup = rows.find((r) => r.unitPath.includes(`/${fx.units.gz1}/`))!.groupId;
    await expect(groupPersonas(ctx(east), gzGroup)).rejects.toMatchObject({ code: 'not_found' });
  });
  it('stays exact as members leave and join, groups change owner or close, and an owner moves store', async () => {
    const db = database.db;
    const units = await db.selectFrom('org_units').select(['id', 'path']).execute();
    /** The memberships as they are now, read plainly, for the brute force. */
    const current = async () =>
      (
        await db
          .selectFrom('group_members as m')
          .innerJoin('groups as g', (j) =>
            j.onRef('g.corp_id', '=', 'm.corp_id').onRef('g.id', '=', 'm.group_id'),
          )
          .innerJoin('staff as s', (j) =>
            j.onRef('s.corp_id', '=', 'g.corp_id').onRef('s.id', '=', 'g.owner_staff_id'),
          )
          .innerJoin('org_units as u', (j) =>
            j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
          )
          .select(['m.group_id', 'm.member_key', 'm.customer_id', 'u.path', 'g.owner_staff_id'])
          .where('m.corp_id', '=', 'acme')
          .where('m.member_type', '=', 2)
          .where('m.left_at', 'is', null)
          .where('g.status', '=', 'active')
          .execute()
      ).map((r) => ({
        memberKey: r.member_key,
        customerId: r.customer_id,
        path: r.path,
        owner: r.owner_staff_id,
      }));
    const expectExact = async () => {
      const now = await current();
      for (const a of [
        actor({}),
        actor({
          role: 'region_manager',
          unitId: fx.units.east,
          seesWholeCorp: false,
          unitIds: [fx.units.east, fx.units.sh1, fx.units.sh2],
        }),
      ]) {
        for (const r of await personaRollup(ctx(a))) {
          const path = units.find((u) => u.id === r.unitId)!.path;
          const { unitId: _u, unitName: _n, kind: _k, groups: _g, ...figures } = r;
          expect(figures, `unit ${r.unitName}`).toEqual(brute(now.filter((x) => x.path.startsWith(path))));
        }
      }
      // a front-line member: the members of the groups they own, whatever the stores
      const mine = actor({
        role: 'staff',
        unitId: fx.units.sh1,
        staffId: fx.staff.sh1b,
        seesWholeCorp: false,
        unitIds: [fx.units.sh1],
      });
      const own = now.filter((x) => x.owner === fx.staff.sh1b);
      const sh1 = (await personaRollup(ctx(mine))).find((r) => r.unitId === fx.units.sh1);
      const { unitId: _u, unitName: _n, kind: _k, groups: _g, ...figures } = sh1!;
      expect(figures).toEqual(brute(own));
      return now;
    };
    await expectExact();
    const groupsOf = async (staffId: number) =>
      (
        await db
          .selectFrom('groups')
          .select('id')
          .where('owner_staff_id', '=', staffId)
          .where('status', '=', 'active')
          .orderBy('id')
          .execute()
      ).map((g) => g.id);
    const [sh1Group] = await groupsOf(fx.staff.sh1a);
    const [gzGroup] = await groupsOf(fx.staff.gz1a);
    const [sh2Group] = await groupsOf(fx.staff.sh2a);
    // a Shanghai member leaves; another joins a Guangzhou group too (now in two stores' groups)
    const sh1Members = await db
      .selectFrom('group_members')
      .select(['member_key', 'customer_id'])
      .where('group_id', '=', sh1Group!)
      .where('member_type', '=', 2)
      .where('left_at', 'is', null)
      .execute();
    await db
      .updateTable('group_members')
      .set({ left_at: now })
      .where('group_id', '=', sh1Group!)
      .where('member_key', '=', sh1Members[0]!.member_key)
      .execute();
    await db
      .insertInto('group_members')
      .values({
        corp_id: 'acme',
        group_id: gzGroup!,
        member_key: sh1Members[1]!.member_key,
        member_type: 2,
        customer_id: sh1Members[1]!.customer_id,
        staff_id: null,
        unionid: null,
        display_name: null,
        join_time: now,
        join_scene: 3,
        invitor_userid: null,
        left_at: null,
        state: null,
      })
      .onConflict((oc) => oc.columns(['corp_id', 'group_id', 'member_key']).doUpdateSet({ left_at: null }))
      .execute();
    await expectExact();
    // a Shanghai group goes to a Guangzhou owner; another Shanghai group closes
    await db
      .updateTable('groups')
      .set({ owner_staff_id: fx.staff.gz1a })
      .where('id', '=', sh2Group!)
      .execute();
    const [lastSh1] = (await groupsOf(fx.staff.sh1a)).slice(-1);
    await db.updateTable('groups').set({ status: 'dismissed' }).where('id', '=', lastSh1!).execute();
    await expectExact();
    // the Guangzhou owner moves to a Shanghai store; a membership row is removed
    await db.updateTable('staff').set({ unit_id: fx.units.sh2 }).where('id', '=', fx.staff.gz1a).execute();
    await db
      .deleteFrom('group_members')
      .where('group_id', '=', sh1Group!)
      .where('member_key', '=', sh1Members[2]!.member_key)
      .execute();
    const after = await expectExact();
    // what the table holds is what a full recount gives
    const kept = await db
      .selectFrom('group_member_units')
      .select(['member_key', 'unit_id', 'single'])
      .where('corp_id', '=', 'acme')
      .execute();
    expect(new Set(kept.map((k) => k.member_key))).toEqual(new Set(after.map((x) => x.memberKey)));
  });
});
