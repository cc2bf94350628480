import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../testing/db.ts';
import type { Database } from '../db/connect.ts';
import { Waker } from './wake.ts';

const url = process.env.DATABASE_URL;

describe.runIf(url)('waking workers across processes (PostgreSQL)', () => {
  let database: Database<unknown>;
  beforeAll(async () => {
    database = (await openTestDatabase()) as Database<unknown>;
  });
  afterAll(() => database.close());

  /** A waker and what it was woken for, with a way to wait for the next name. */
  const worker = () => {
    const woken: string[] = [];
    let waiting: { name: string; resolve: () => void } | undefined;
    const waker = new Waker(
      database.db,
      (name) => {
        woken.push(name);
        if (waiting?.name === name) waiting.resolve();
      },
      database.url,
    );
    const next = (name: string) => new Promise<void>((resolve) => (waiting = { name, resolve }));
    return { waker, woken, next };
  };

  it('wakes the other processes once through NOTIFY, and its own once, in process', async () => {
    const a = worker();
    const b = worker();
    await a.waker.listen();
    await b.waker.listen();
    try {
      const bHeard = b.next('events');
      a.waker.wake('events');
      expect(a.woken).toEqual(['events']);
      await bHeard;
      // b's answer is notified after a's own notification was: once a hears it, a's own would have arrived
      const aHeard = a.next('outbox');
      b.waker.wake('outbox');
      await aHeard;
      expect(a.woken).toEqual(['events', 'outbox']);
      expect(b.woken).toEqual(['events', 'outbox']);
    } finally {
      await a.waker.stop();
      await b.waker.stop();
    }
  });
});
