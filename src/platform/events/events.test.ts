import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../testing/db.ts';
import { ManualClock } from '../clock.ts';
import type { Database } from '../db/connect.ts';
import { type CorpDb, corpDb } from '../db/corp-db.ts';
import { type BusSubscriber, EventBus } from './bus.ts';
import { EventDispatcher, purgeDomainEvents } from './dispatcher.ts';

interface Ev {
  type: 'Noted' | 'Other';
  customerId: number | null;
  n: number;
}
interface Ctx {
  cdb: CorpDb<unknown>;
}

let database: Database<unknown>;
let db: Kysely<unknown>;
const clock = new ManualClock(new Date('2026-07-01T10:00:00Z'));
beforeAll(async () => {
  database = (await openTestDatabase()) as Database<unknown>;
  db = database.db;
  await sql`insert into corps (corp_id, name) values ('evt', '事件测试')`.execute(db);
  await sql`create table evt_probe (corp_id text, n int, primary key (corp_id, n))`.execute(db);
});
afterAll(() => database.close());
beforeEach(async () => {
  await sql`delete from domain_events`.execute(db);
  await sql`delete from evt_probe`.execute(db);
});

const ctx = (): Ctx => ({ cdb: corpDb(db, 'evt') });
const probe = async () =>
  (await sql<{ n: number }>`select n from evt_probe order by n`.execute(db)).rows.map((r) => r.n);

/** A bus whose in-transaction subscriber writes a probe row, and a dispatcher for `seen`'s subscriber. */
function setUp(afterCommit: (events: Ev[]) => Promise<void>, inTx?: (events: Ev[]) => Promise<void>) {
  const subscribers: BusSubscriber<Ctx, Ev>[] = [
    {
      id: 'test.in-tx',
      event: 'Noted',
      mode: 'inTransaction',
      handle: async (c, events) => {
        await inTx?.(events);
        for (const e of events) await sql`insert into evt_probe values ('evt', ${e.n})`.execute(c.cdb.db);
      },
    },
    { id: 'test.after', event: 'Noted', mode: 'afterCommit', handle: (_c, events) => afterCommit(events) },
  ];
  let woken = 0;
  const bus = new EventBus<Ctx, Ev>(subscribers, clock, () => woken++);
  const dispatcher = new EventDispatcher<Ctx, Ev>({ db, clock, subscribers, ctxFor: () => ctx() });
  return { bus, dispatcher, woken: () => woken };
}

const noted = (n: number, customerId: number | null = n): Ev => ({ type: 'Noted', customerId, n });
const deliveries = async () =>
  (
    await sql<{ status: string; attempts: number; order_key: string; last_error: string | null }>`
      select status, attempts, order_key, last_error from domain_event_deliveries order by id`.execute(db)
  ).rows;

describe('domain events', () => {
  it('are logged with the producer’s transaction, and their in-transaction subscribers commit or roll back with it', async () => {
    const { bus, woken } = setUp(async () => {});
    await expect(
      ctx().cdb.transaction(async (tx) => {
        await bus.publish({ cdb: tx }, [noted(1)]);
        throw new Error('the producer fails after publishing');
      }),
    ).rejects.toThrow('the producer fails');
    expect(await probe()).toEqual([]);
    expect(await deliveries()).toEqual([]);
    expect(woken()).toBe(0);

    const failing = setUp(
      async () => {},
      async () => {
        throw new Error('an in-transaction subscriber fails');
      },
    );
    await expect(failing.bus.publish(ctx(), [noted(2)])).rejects.toThrow('in-transaction subscriber');
    expect(await probe()).toEqual([]);
    expect(await deliveries()).toEqual([]);

    await bus.publish(ctx(), [noted(3), { type: 'Other', customerId: null, n: 4 }]);
    expect(await probe()).toEqual([3]);
    const logged = await sql<{ type: string; customer_id: number | null; payload: Ev }>`
      select type, customer_id, payload from domain_events order by id`.execute(db);
    expect(logged.rows).toEqual([
      { type: 'Noted', customer_id: 3, payload: noted(3) },
      { type: 'Other', customer_id: null, payload: { type: 'Other', customerId: null, n: 4 } },
    ]);
    // one delivery, for Noted (which has an after-commit subscriber; Other has none); the dispatcher is
    // woken once committed
    expect(await deliveries()).toEqual([
      { status: 'pending', attempts: 0, order_key: 'on:Noted:3', last_error: null },
    ]);
    expect(woken()).toBe(1);
  });

  it('are delivered after commit once, in order per customer, while other customers go on', async () => {
    const seen: number[] = [];
    let broken = true;
    const { bus, dispatcher } = setUp(async (events) => {
      if (events.some((e) => e.n === 11) && broken) throw new Error('11 cannot be handled yet');
      seen.push(...events.map((e) => e.n));
    });
    await bus.publish(ctx(), [noted(11, 1), noted(12, 1), noted(21, 2)]);
    await dispatcher.drain();
    // customer 1's first event failed: its second waits behind it; customer 2's went through
    expect(seen).toEqual([21]);
    broken = false;
    clock.advance(60_000); // past the backoff
    await dispatcher.drain();
    expect(seen).toEqual([21, 11, 12]);
    await dispatcher.drain();
    expect(seen).toEqual([21, 11, 12]);
    expect((await deliveries()).map((d) => [d.status, d.attempts])).toEqual([
      ['done', 2],
      ['done', 1],
      ['done', 1],
    ]);
  });

  it('reach a subscriber in batches: a backlog of many customers takes a few calls, not one per free slot', async () => {
    const calls: number[][] = [];
    const { bus, dispatcher } = setUp(async (events) => {
      calls.push(events.map((e) => e.n));
    });
    await bus.publish(
      ctx(),
      Array.from({ length: 300 }, (_, k) => noted(k, k)),
    );
    await dispatcher.drain();
    expect(calls.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, k) => k));
    // batches of up to 200 (the dispatcher's batch size); a claim per free slot would make 75 calls of 4
    expect(calls.length).toBeLessThanOrEqual(3);
    expect(Math.max(...calls.map((c) => c.length))).toBe(200);
  });

  it('reach a customer queued behind hundreds of events of another customer whose first is backing off', async () => {
    const seen: number[] = [];
    const { bus, dispatcher } = setUp(async (events) => {
      if (events.some((e) => e.n === 1000)) throw new Error('1000 cannot be handled yet');
      seen.push(...events.map((e) => e.n));
    });
    // more waiting rows of customer 5 than a claim's window of the oldest due rows holds
    await bus.publish(
      ctx(),
      Array.from({ length: 800 }, (_, k) => noted(1000 + k, 5)),
    );
    await bus.publish(ctx(), [noted(7, 7)]);
    await dispatcher.drain();
    expect(seen).toEqual([7]);
  });

  it('park a delivery that keeps failing, visibly, without holding back the customer’s later events', async () => {
    const seen: number[] = [];
    const { bus, dispatcher } = setUp(async (events) => {
      if (events.some((e) => e.n === 31)) throw new Error('31 can never be handled');
      seen.push(...events.map((e) => e.n));
    });
    await bus.publish(ctx(), [noted(31, 3)]);
    for (let i = 0; i < 8; i++) {
      await dispatcher.drain();
      clock.advance(600_000);
    }
    expect(await deliveries()).toEqual([
      {
        status: 'parked',
        attempts: 8,
        order_key: 'on:Noted:3',
        last_error: 'test.after: 31 can never be handled',
      },
    ]);
    await bus.publish(ctx(), [noted(32, 3)]);
    await dispatcher.drain();
    expect(seen).toEqual([32]);
  });

  it('are one row per event for all its after-commit subscribers; a retry after one failed runs only the others', async () => {
    const calls: string[] = [];
    let failing = true;
    const subscribers: BusSubscriber<Ctx, Ev>[] = ['a', 'b', 'c'].map((name) => ({
      id: `test.${name}`,
      event: 'Noted',
      mode: 'afterCommit',
      handle: async (_c, events) => {
        if (name === 'b' && failing) throw new Error('b is not ready');
        calls.push(`${name}:${events.map((e) => e.n).join(',')}`);
      },
    }));
    const bus = new EventBus<Ctx, Ev>(subscribers, clock);
    const dispatcher = new EventDispatcher<Ctx, Ev>({ db, clock, subscribers, ctxFor: () => ctx() });
    await bus.publish(ctx(), [noted(51, 5), noted(52, 6)]);
    expect((await deliveries()).map((d) => d.order_key)).toEqual(['on:Noted:5', 'on:Noted:6']);
    await dispatcher.drain();
    // a had both in one call; b failed (the batch, then each alone); c waits behind b
    expect(calls).toEqual(['a:51,52']);
    const failed = await sql<{ done_by: string[]; last_error: string }>`
      select done_by, last_error from domain_event_deliveries order by id`.execute(db);
    expect(failed.rows).toEqual([
      { done_by: ['test.a'], last_error: 'test.b: b is not ready' },
      { done_by: ['test.a'], last_error: 'test.b: b is not ready' },
    ]);
    failing = false;
    clock.advance(60_000);
    await dispatcher.drain();
    // a is not called again
    expect(calls.filter((c) => c.startsWith('a'))).toEqual(['a:51,52']);
    expect(calls.filter((c) => !c.startsWith('a'))).toEqual(['b:51,52', 'c:51,52']);
    expect((await deliveries()).map((d) => d.status)).toEqual(['done', 'done']);
  });

  it('still deliver a row written for one subscriber before rows were per event', async () => {
    const seen: number[] = [];
    const { dispatcher } = setUp(async (events) => {
      seen.push(...events.map((e) => e.n));
    });
    const { rows } = await sql<{ id: number }>`
      insert into domain_events (corp_id, type, customer_id, payload, created_at)
      values ('evt', 'Noted', 8, ${JSON.stringify(noted(61, 8))}::jsonb, ${clock.now()}) returning id`.execute(
      db,
    );
    await sql`
      insert into domain_event_deliveries (corp_id, event_id, subscriber, order_key, next_attempt_at)
      values ('evt', ${rows[0]!.id}, 'test.after', 'test.after:8', ${clock.now()})`.execute(db);
    await dispatcher.drain();
    expect(seen).toEqual([61]);
    expect((await deliveries()).map((d) => d.status)).toEqual(['done']);
  });

  it('are purged after the retention once delivered; a parked or pending one keeps its event', async () => {
    const { bus, dispatcher } = setUp(async (events) => {
      if (events.some((e) => e.n === 42)) throw new Error('not yet');
    });
    await bus.publish(ctx(), [noted(41), noted(42)]);
    await dispatcher.drain();
    expect(await purgeDomainEvents(db, new Date(clock.now().getTime() - 1))).toBe(0); // too recent
    const purged = await purgeDomainEvents(db, new Date(clock.now().getTime() + 1), 1);
    expect(purged).toBe(1);
    const left = await sql<{ n: number }>`select (payload ->> 'n')::int as n from domain_events`.execute(db);
    expect(left.rows).toEqual([{ n: 42 }]);
    expect((await deliveries()).map((d) => d.status)).toEqual(['pending']);
  });
});
