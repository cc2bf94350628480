import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/connect.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { type Fixture, seedFixture } from '../../testing/fixture.ts';
import type { SyncCtx } from '../context.ts';
import type { Tables } from '../tables.ts';
import { brandMonth, HOUR_MS } from './rules.ts';
import { loadBudgetEnv, type ReserveTouchResult, reserveTouch, reserveWith } from './touches.ts';

/**
 * The budget under two campaigns at once, property-style: over many rounds at random times, two campaigns
 * reserve overlapping random audiences in real concurrent transactions (one transaction per campaign, or one
 * per customer with every reservation in flight at once). Afterwards no customer has more than `max` touches
 * in any window, nor more than the monthly cap in a month, and every attempt is accounted for: a touch in
 * the ledger, or a refusal with its reason and the time it would fit. (Without the lock in reserveWith, this
 * fails on PostgreSQL: two campaigns both take the one slot.)
 */
let database: Database<Tables>;
let fx: Fixture;
const N = 24;
const MAX = 1;
const WINDOW_H = 24;
const MONTHLY = 5;
let customers: number[] = [];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
  const db = database.db;
  const now = new Date('2026-06-01T00:00:00Z');
  for (let i = 0; i < N; i++) {
    const { id } = await db
      .insertInto('customers')
      .values({
        corp_id: 'acme',
        external_userid: `wm_load_${i}`,
        unionid: null,
        name: `客户${i}`,
        avatar: null,
        phone_cipher: null,
        phone_hash: null,
        phone_masked: null,
        first_added_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('follows')
      .values({
        corp_id: 'acme',
        customer_id: id,
        staff_id: fx.staff.sh1a,
        remark: null,
        description: null,
        state: null,
        journey_role: 'store_staff',
        added_at: now,
        ended_at: null,
      })
      .execute();
    customers.push(id);
  }
  customers = customers.sort((a, b) => a - b);
  await db
    .insertInto('touch_budget_settings')
    .values({
      corp_id: 'acme',
      unit_id: fx.units.sh1,
      max_touches: MAX,
      window_hours: WINDOW_H,
      quiet_start: 0,
      quiet_end: 0,
      updated_by: null,
      updated_at: now,
    })
    .execute();
  await db
    .insertInto('outreach_settings')
    .values({ corp_id: 'acme', monthly_cap: MONTHLY, updated_by: null, updated_at: now })
    .execute();
}, 60_000);
afterAll(() => database.close());

const ctx = (): SyncCtx => ({
  cdb: corpDb(database.db, 'acme'),
  clock: { now: () => new Date() },
  pii: undefined as never,
  events: undefined as never,
});

interface Attempt {
  campaign: string;
  customerId: number;
  at: Date;
  result: ReserveTouchResult;
}

/** One campaign in one transaction, customers in ascending id order (the lock order dispatch uses). */
async function batchCampaign(name: string, ids: number[], at: Date): Promise<Attempt[]> {
  const c = ctx();
  return c.cdb.transaction(async (tx) => {
    const env = await loadBudgetEnv(tx);
    const out: Attempt[] = [];
    for (const customerId of [...ids].sort((a, b) => a - b)) {
      const result = await reserveWith(tx, env, {
        customerId,
        staffId: fx.staff.sh1a,
        source: { kind: 'mass_send', id: name },
        at,
      });
      out.push({ campaign: name, customerId, at, result });
    }
    return out;
  });
}

/** One transaction per customer, all in flight at once, in the order given. */
async function eachCampaign(name: string, ids: number[], at: Date): Promise<Attempt[]> {
  return Promise.all(
    ids.map(async (customerId) => ({
      campaign: name,
      customerId,
      at,
      result: await reserveTouch(ctx(), {
        customerId,
        staffId: fx.staff.sh1a,
        source: { kind: 'journey', id: name },
        at,
      }),
    })),
  );
}

describe('two concurrent campaigns', () => {
  it('never exceed the cap and drop nothing', async () => {
    const random = rng(20260701);
    const pick = () => customers.filter(() => random() < 0.7).sort(() => random() - 0.5);
    let at = new Date('2026-07-01T02:00:00Z').getTime();
    const attempts: Attempt[] = [];
    for (let round = 0; round < 16; round++) {
      at += Math.floor(random() * 30 + 1) * HOUR_MS;
      const when = new Date(at);
      const mode = round % 2 === 0 ? batchCampaign : eachCampaign;
      const [a, b] = await Promise.all([mode(`A${round}`, pick(), when), mode(`B${round}`, pick(), when)]);
      attempts.push(...a, ...b);
    }

    const touches = await database.db
      .selectFrom('touches')
      .select(['id', 'customer_id', 'at', 'source_id', 'status'])
      .where('corp_id', '=', 'acme')
      .execute();
    // every attempt: a touch of that campaign for that customer, or a refusal with a reason
    const ok = attempts.filter((x) => x.result.ok);
    expect(ok.length).toBe(touches.length);
    for (const x of attempts) {
      if (x.result.ok) {
        const touch = touches.find((tt) => tt.id === (x.result as { touchId: number }).touchId);
        expect(touch).toMatchObject({ customer_id: x.customerId, source_id: x.campaign, status: 'reserved' });
      } else {
        expect(['capped', 'monthly_cap']).toContain(x.result.reason);
        expect(x.result.retryAt!.getTime()).toBeGreaterThan(x.at.getTime());
      }
    }
    // both reasons occurred, and both campaigns got through to someone in most rounds
    expect(attempts.some((x) => !x.result.ok && x.result.reason === 'capped')).toBe(true);
    expect(attempts.some((x) => !x.result.ok && x.result.reason === 'monthly_cap')).toBe(true);
    // the cap holds in every window and every month
    for (const id of customers) {
      const times = touches
        .filter((tt) => tt.customer_id === id)
        .map((tt) => tt.at.getTime())
        .sort((a, b) => a - b);
      for (let i = 0; i < times.length; i++) {
        const inWindow = times.filter((x) => x >= times[i]! && x < times[i]! + WINDOW_H * HOUR_MS).length;
        expect(inWindow, `customer ${id} at ${new Date(times[i]!).toISOString()}`).toBeLessThanOrEqual(MAX);
      }
      const months = new Map<string, number>();
      for (const x of times) {
        const key = brandMonth(new Date(x)).key;
        months.set(key, (months.get(key) ?? 0) + 1);
      }
      for (const n of months.values()) expect(n).toBeLessThanOrEqual(MONTHLY);
    }
  }, 120_000);
});
