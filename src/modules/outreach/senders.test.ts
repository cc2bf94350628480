import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../demo/random.ts';
import type { Actor } from '../../platform/actor.ts';
import { systemClock } from '../../platform/clock.ts';
import type { Database } from '../../platform/db/connect.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { actorOf, type Fixture, seedFixture } from '../../testing/fixture.ts';
import type { Ctx } from '../context.ts';
import type { Tables } from '../tables.ts';
import { pickSender, type SenderPick, type SenderRule } from './senders.ts';

/**
 * The sender candidates kept by triggers, against a rebuild from the follows, after random follows and random
 * changes of follows and staff (one row and many per statement); and the sender picked from them, against a
 * brute-force pick over the follows, for every rule and every kind of scope.
 */
let database: Database<Tables>;
let fx: Fixture;
let staffIds: number[];
let customerIds: number[];

const random = new Random(20261208);
const r = () => random.next();
const pick = <T>(xs: readonly T[]) => random.pick(xs);
const ROLES = ['online_ops', 'store_staff', 'sales', 'consultant'] as const;
// few distinct times, so that follows tie on added_at and the staff id decides
const TIMES = [0, 1, 2, 3].map((d) => new Date(Date.UTC(2026, 5, 1 + d)));

beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
  const db = database.db;
  const units = Object.values(fx.units);
  const extra = await db
    .insertInto('staff')
    .values(
      Array.from({ length: 10 }, (_, i) => ({
        corp_id: 'acme',
        userid: `cand${i}`,
        name: `候选${i}`,
        unit_id: pick(units),
        persona: 'sales' as const,
        journey_role: pick(ROLES),
      })),
    )
    .returning('id')
    .execute();
  staffIds = [...Object.values(fx.staff), ...extra.map((s) => s.id)];
  const customers = await db
    .insertInto('customers')
    .values(
      Array.from({ length: 80 }, (_, i) => ({
        corp_id: 'acme',
        external_userid: `wm_cand${i}`,
        unionid: null,
        name: `客户${i}`,
        avatar: null,
        phone_cipher: null,
        phone_hash: null,
        phone_masked: null,
        first_added_at: TIMES[0]!,
      })),
    )
    .returning('id')
    .execute();
  customerIds = customers.map((c) => c.id);
  await db
    .insertInto('customer_facts')
    .values(
      customerIds
        .filter(() => r() < 0.7)
        .map((id) => ({
          corp_id: 'acme',
          customer_id: id,
          top_unit_id: r() < 0.8 ? pick(units) : null,
          computed_at: TIMES[0]!,
        })),
    )
    .execute();
  // follows in several statements: many rows at once, and one at a time
  const follow = (customer: number, staff: number) => ({
    corp_id: 'acme',
    customer_id: customer,
    staff_id: staff,
    remark: null,
    description: null,
    state: null,
    journey_role: 'sales',
    status: r() < 0.8 ? ('active' as const) : ('deleted_by_customer' as const),
    added_at: pick(TIMES),
  });
  // one follow per customer and staff member (follows_pair)
  const many = customerIds.flatMap((id) =>
    [...new Set(Array.from({ length: Math.floor(r() * 4) }, () => pick(staffIds)))].map((s) => follow(id, s)),
  );
  await db.insertInto('follows').values(many.slice(0, 100)).execute();
  for (const f of many.slice(100, 120)) await db.insertInto('follows').values(f).execute();
  await db.insertInto('follows').values(many.slice(120)).execute();
});
afterAll(() => database.close());

async function mutate() {
  const db = database.db;
  const some = (ids: number[], share: number) => ids.filter(() => r() < share);
  const { rows: follows } = await sql<{ id: number }>`select id from follows where corp_id = 'acme'`.execute(
    db,
  );
  const followIds = follows.map((f) => Number(f.id));
  await db
    .updateTable('follows')
    .set({ status: 'deleted_by_staff' })
    .where('id', 'in', some(followIds, 0.15))
    .execute();
  await db.updateTable('follows').set({ status: 'active' }).where('id', 'in', some(followIds, 0.1)).execute();
  for (const id of some(followIds, 0.05)) {
    await db
      .updateTable('follows')
      .set({ added_at: pick(TIMES) })
      .where('id', '=', id)
      .execute();
  }
  // a sync rewriting rows unchanged
  await db.updateTable('follows').set({ remark: null }).where('corp_id', '=', 'acme').execute();
  await db.deleteFrom('follows').where('id', 'in', some(followIds, 0.03)).execute();
  await db.updateTable('staff').set({ status: 'departed' }).where('id', 'in', some(staffIds, 0.15)).execute();
  await db.updateTable('staff').set({ status: 'active' }).where('id', 'in', some(staffIds, 0.1)).execute();
  for (const id of some(staffIds, 0.3)) {
    await db
      .updateTable('staff')
      .set(r() < 0.5 ? { unit_id: pick(Object.values(fx.units)) } : { journey_role: pick(ROLES) })
      .where('id', '=', id)
      .execute();
  }
}

async function candidates() {
  const { rows } = await sql<{
    customer_id: number;
    staff_ids: number[];
    unit_ids: number[];
    roles: string[];
  }>`
    select customer_id, staff_ids, unit_ids, roles from sender_candidates where corp_id = 'acme'
    order by customer_id`.execute(database.db);
  return rows.map((c) => ({
    ...c,
    customer_id: Number(c.customer_id),
    staff_ids: c.staff_ids.map(Number),
    unit_ids: c.unit_ids.map(Number),
  }));
}

/** The pick, by brute force over the follows, staff and facts. */
async function expectedPicks(actor: Actor, rule: SenderRule): Promise<Map<number, SenderPick>> {
  const db = database.db;
  const follows = await db
    .selectFrom('follows as f')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
    .select(['f.customer_id', 'f.staff_id', 'f.added_at', 's.unit_id', 's.journey_role'])
    .where('f.corp_id', '=', 'acme')
    .where('f.status', '=', 'active')
    .where('s.status', '=', 'active')
    .execute();
  const facts = await db.selectFrom('customer_facts').select(['customer_id', 'top_unit_id']).execute();
  const top = new Map(facts.map((f) => [Number(f.customer_id), f.top_unit_id && Number(f.top_unit_id)]));
  const rank = (f: (typeof follows)[number]) =>
    rule.prefer === 'store_staff'
      ? Number(f.unit_id) === top.get(Number(f.customer_id))
        ? 0
        : f.journey_role === 'store_staff'
          ? 1
          : 2
      : rule.prefer === 'role' && f.journey_role === rule.role
        ? 0
        : 2;
  const inScope = (f: (typeof follows)[number]) =>
    actor.role === 'staff'
      ? Number(f.staff_id) === actor.staffId
      : actor.seesWholeCorp || actor.unitIds.includes(Number(f.unit_id));
  const reasons = {
    store_staff: ['home_store', 'store_staff', 'latest_follow'],
    role: ['role', 'latest_follow', 'latest_follow'],
    latest_follow: ['latest_follow', 'latest_follow', 'latest_follow'],
  } as const;
  const out = new Map<number, SenderPick>();
  for (const id of customerIds) {
    const mine = follows.filter((f) => Number(f.customer_id) === id);
    const best = mine
      .filter(inScope)
      .sort(
        (a, b) =>
          rank(a) - rank(b) ||
          new Date(b.added_at).getTime() - new Date(a.added_at).getTime() ||
          Number(a.staff_id) - Number(b.staff_id),
      )[0];
    out.set(
      id,
      best
        ? { staffId: Number(best.staff_id), reason: reasons[rule.prefer][rank(best)]! }
        : { excluded: mine.length ? 'no_follow_in_scope' : 'not_friend' },
    );
  }
  return out;
}

describe('sender candidates', () => {
  it('stay equal to a rebuild from the follows through random changes', async () => {
    let checked = 0;
    for (let round = 0; round < 4; round++) {
      if (round > 0) await mutate();
      const kept = await candidates();
      await sql`select sender_candidates_rebuild('acme')`.execute(database.db);
      expect(kept, `round ${round}`).toEqual(await candidates());
      checked += kept.length;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('give the sender a brute-force pick gives, for every rule and scope', async () => {
    await mutate();
    const actors: Actor[] = [
      actorOf('hq_admin', Object.values(fx.units)),
      actorOf('region_manager', [fx.units.east, fx.units.sh1, fx.units.sh2]),
      actorOf('store_manager', [fx.units.sh1]),
      actorOf('staff', [fx.units.sh1], fx.staff.sh1a),
    ];
    const rules: SenderRule[] = [
      { prefer: 'store_staff' },
      { prefer: 'latest_follow' },
      { prefer: 'role', role: 'online_ops' },
      { prefer: 'role', role: 'store_staff' },
    ];
    const kinds = new Set<string>();
    for (const actor of actors) {
      const ctx: Ctx = {
        cdb: corpDb(database.db, 'acme'),
        clock: systemClock,
        pii: undefined as never,
        events: undefined as never,
        actor,
      };
      for (const rule of rules) {
        const picked = await pickSender(ctx, customerIds, rule);
        const expected = await expectedPicks(actor, rule);
        expect(picked, `${actor.role} ${JSON.stringify(rule)}`).toEqual(expected);
        for (const p of picked.values()) kinds.add('excluded' in p ? p.excluded : p.reason);
      }
    }
    // the data exercises every outcome
    expect([...kinds].sort()).toEqual(
      ['home_store', 'latest_follow', 'no_follow_in_scope', 'not_friend', 'role', 'store_staff'].sort(),
    );
  });
});
