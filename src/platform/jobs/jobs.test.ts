import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Tables } from '../../modules/tables.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { ManualClock } from '../clock.ts';
import type { Database } from '../db/connect.ts';
import { InboxDispatcher, InboxRecorder, recordInbox, recordInboxBatch } from './inbox.ts';
import { WorkLoop } from './loop.ts';
import { enqueueOutbox, type OutboxRow, OutboxSender } from './outbox.ts';
import { jobsDb } from './tables.ts';

let database: Database<Tables>;
const clock = new ManualClock(new Date('2026-07-01T10:00:00Z'));
beforeAll(async () => {
  database = await openTestDatabase();
  await database.db
    .insertInto('corps')
    .values({ corp_id: 'acme', name: 'A', wecom_corp_id: null, business_type: null })
    .execute();
});
afterAll(() => database.close());
beforeEach(async () => {
  await database.db.deleteFrom('wecom_inbox').execute();
  await database.db.deleteFrom('wecom_outbox').execute();
});

const db = () => jobsDb(database.db);
const record = (key: string, notBefore?: Date) =>
  recordInbox(db(), {
    corpId: 'acme',
    dedupKey: key,
    eventType: 't',
    event: { key },
    receivedAt: clock.now(),
    notBefore,
  });

/** A row claimed by a worker that was then killed: it renews nothing any more. */
const claimedByTheDead = async (table: 'wecom_inbox' | 'wecom_outbox', leaseMs = 5_000) =>
  sql`update ${sql.table(table)} set attempts = attempts + 1, claimed_by = 'host:123:dead',
    next_attempt_at = ${new Date(clock.now().getTime() + leaseMs)} where status = 'pending'`.execute(
    database.db,
  );

describe('recording callbacks', () => {
  const row = (key: string, notBefore?: Date) => ({
    corpId: 'acme',
    dedupKey: key,
    eventType: 't',
    event: { key, text: '中文 "quoted" \\ back,slash {braces}' },
    receivedAt: clock.now(),
    notBefore,
  });

  it('writes a batch in one go and tells new rows from duplicates, in the batch and before it', async () => {
    await record('old');
    const later = new Date(clock.now().getTime() + 2000);
    const created = await recordInboxBatch(db(), [row('x'), row('old'), row('y', later), row('x')]);
    expect(created).toEqual([true, false, true, false]);
    const rows = await database.db
      .selectFrom('wecom_inbox')
      .select(['dedup_key', 'event', 'next_attempt_at'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.dedup_key)).toEqual(['old', 'x', 'y']);
    expect(rows[1]?.event).toEqual(row('x').event);
    expect(rows[2]?.next_attempt_at.getTime()).toBe(later.getTime());
  });

  it('coalesces concurrent calls into few statements, each caller getting its own answer', async () => {
    const recorder = new InboxRecorder(db(), 20);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i % 80}`);
    const answers = await Promise.all(keys.map((k) => recorder.record(row(k))));
    expect(answers.filter(Boolean)).toHaveLength(80);
    expect(answers.slice(80).every((a) => a === false)).toBe(true);
    const n = await database.db
      .selectFrom('wecom_inbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(80);
  });

  it('fails only the bad row of a batch that cannot be written whole', async () => {
    const recorder = new InboxRecorder(db());
    const bad = { ...row('bad'), corpId: 'no-such-corp' };
    const results = await Promise.allSettled([
      recorder.record(row('good-1')),
      recorder.record(bad),
      recorder.record(row('good-2')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const keys = await database.db.selectFrom('wecom_inbox').select('dedup_key').orderBy('id').execute();
    expect(keys.map((k) => k.dedup_key)).toEqual(['good-1', 'good-2']);
  });
});

describe('the inbox dispatcher', () => {
  it('hands each event once, in order, and never twice for a duplicate', async () => {
    expect(await record('a')).toBe(true);
    expect(await record('b')).toBe(true);
    expect(await record('a')).toBe(false);
    const seen: string[] = [];
    const d = new InboxDispatcher({
      db: db(),
      clock,
      handle: async (e) => void seen.push(e.event.key as string),
    });
    await d.drain();
    await d.drain();
    expect(seen).toEqual(['a', 'b']);
  });

  it('waits for notBefore', async () => {
    await record('later', new Date(clock.now().getTime() + 2000));
    const seen: string[] = [];
    const d = new InboxDispatcher({
      db: db(),
      clock,
      handle: async (e) => void seen.push(e.event.key as string),
    });
    await d.drain();
    expect(seen).toEqual([]);
    clock.advance(2000);
    await d.drain();
    expect(seen).toEqual(['later']);
  });

  it('retries a failing handler with backoff, then parks it, keeping the error', async () => {
    await record('flaky');
    let calls = 0;
    const d = new InboxDispatcher({
      db: db(),
      clock,
      maxAttempts: 3,
      handle: async () => {
        calls++;
        throw new Error(`boom ${calls}`);
      },
    });
    await d.drain();
    expect(calls).toBe(1);
    await d.drain();
    expect(calls).toBe(1); // not due yet
    for (let i = 0; i < 5; i++) {
      clock.advance(10 * 60_000);
      await d.drain();
    }
    expect(calls).toBe(3);
    const row = await database.db.selectFrom('wecom_inbox').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'parked', attempts: 3, last_error: 'boom 3' });
  });

  it('takes back a row whose worker died mid-way as soon as its 5 s lease ran out', async () => {
    await record('orphan');
    await claimedByTheDead('wecom_inbox');
    const seen: string[] = [];
    const alive = new InboxDispatcher({
      db: db(),
      clock,
      handle: async (e) => void seen.push(e.event.key as string),
    });
    await alive.drain();
    expect(seen).toEqual([]);
    clock.advance(5_000);
    await alive.drain();
    expect(seen).toEqual(['orphan']);
    const row = await database.db.selectFrom('wecom_inbox').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'done', attempts: 2 });
    expect(row.claimed_by).not.toBe('host:123:dead');
  });

  it('renews the leases of the rows it handles, however long they take, so nobody else takes them', async () => {
    await record('slow');
    let release = () => {};
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const seen: string[] = [];
    const slow = new InboxDispatcher({
      db: db(),
      clock,
      heartbeatMs: 20,
      handle: async (e) => {
        await blocked;
        seen.push(`slow:${e.event.key}`);
      },
    });
    void slow.tick();
    const leaseEnd = async () =>
      (
        await database.db.selectFrom('wecom_inbox').select('next_attempt_at').executeTakeFirstOrThrow()
      ).next_attempt_at.getTime();
    await expect.poll(leaseEnd).toBe(clock.now().getTime() + 5_000);
    // a minute later (a slow WeCom call, say) its heartbeat has kept the lease 5 s ahead
    clock.advance(60_000);
    await expect.poll(leaseEnd).toBe(clock.now().getTime() + 5_000);
    const other = new InboxDispatcher({
      db: db(),
      clock,
      handle: async (e) => void seen.push(`other:${e.event.key}`),
    });
    await other.drain();
    // and a late heartbeat never makes it take its own row a second time
    await database.db.updateTable('wecom_inbox').set({ next_attempt_at: clock.now() }).execute();
    await slow.tick();
    release();
    await slow.drain();
    expect(seen).toEqual(['slow:slow']);
    expect(
      await database.db.selectFrom('wecom_inbox').select(['status', 'attempts']).executeTakeFirstOrThrow(),
    ).toEqual({ status: 'done', attempts: 1 });
  });
});

describe('keyed parallel dispatch', () => {
  const rec = (key: string, orderKey: string) =>
    recordInbox(db(), {
      corpId: 'acme',
      dedupKey: key,
      orderKey,
      eventType: 't',
      event: { key, orderKey },
      receivedAt: clock.now(),
    });

  it('runs different keys at once, up to the concurrency, and one key never twice at once', async () => {
    for (let i = 0; i < 12; i++) await rec(`e${i}`, `k${i % 6}`);
    let running = 0;
    let peak = 0;
    const busy = new Set<string>();
    const overlaps: string[] = [];
    const d = new InboxDispatcher({
      db: db(),
      clock,
      concurrency: 4,
      handle: async (e) => {
        const k = e.event.orderKey as string;
        if (busy.has(k)) overlaps.push(k);
        busy.add(k);
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        busy.delete(k);
      },
    });
    await d.drain();
    expect(peak).toBe(4);
    expect(overlaps).toEqual([]);
    const left = await database.db
      .selectFrom('wecom_inbox')
      .select('status')
      .where('status', '!=', 'done')
      .execute();
    expect(left).toEqual([]);
  });

  it('runs no more than its limit allows while the limit is lower (a busy foreground), and all again after', async () => {
    for (let i = 0; i < 12; i++) await rec(`lim${i}`, `lk${i}`);
    let allowed = 2;
    let running = 0;
    const peaks: number[] = [];
    const d = new InboxDispatcher({
      db: db(),
      clock,
      concurrency: 6,
      limit: () => allowed,
      handle: async () => {
        peaks.push(++running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
      },
    });
    await d.drain();
    expect(Math.max(...peaks)).toBe(2);
    for (let i = 0; i < 12; i++) await rec(`lim-b${i}`, `lkb${i}`);
    allowed = Number.POSITIVE_INFINITY;
    peaks.length = 0;
    await d.drain();
    expect(Math.max(...peaks)).toBe(6);
  });

  it('hands a new event to a free slot while a slow one is still running', async () => {
    await rec('slow', 'a');
    let release = () => {};
    const handled: string[] = [];
    let slowStarted = () => {};
    const started = new Promise<void>((r) => {
      slowStarted = r;
    });
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const d = new InboxDispatcher({
      db: db(),
      clock,
      concurrency: 4,
      pollMs: 60_000,
      handle: async (e) => {
        if (e.event.key === 'slow') {
          slowStarted();
          await blocked;
        }
        handled.push(e.event.key as string);
      },
    });
    d.start();
    await started;
    await rec('quick', 'b');
    d.kick();
    await expect.poll(() => handled, { timeout: 5_000 }).toEqual(['quick']);
    release();
    await d.drain();
    expect(handled).toEqual(['quick', 'slow']);
    await d.stop();
  });

  it('keeps each key in id order across random arrivals', async () => {
    const keys = ['a', 'b', 'c'];
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const sent: Record<string, string[]> = { a: [], b: [], c: [] };
    for (let i = 0; i < 60; i++) {
      const k = keys[Math.floor(rand() * keys.length)]!;
      sent[k]!.push(`${k}${i}`);
      await rec(`${k}${i}`, k);
    }
    const seen: Record<string, string[]> = { a: [], b: [], c: [] };
    const d = new InboxDispatcher({
      db: db(),
      clock,
      concurrency: 3,
      batchSize: 7,
      handle: async (e) => {
        await new Promise((r) => setTimeout(r, Math.floor(rand() * 5)));
        seen[e.event.orderKey as string]!.push(e.event.key as string);
      },
    });
    await d.drain();
    expect(seen).toEqual(sent);
  });

  it('holds back the later rows of a failing key until it succeeds, while other keys go on', async () => {
    await rec('x1', 'x');
    await rec('x2', 'x');
    await rec('y1', 'y');
    let failX1 = true;
    const order: string[] = [];
    const d = new InboxDispatcher({
      db: db(),
      clock,
      handle: async (e) => {
        if (e.event.key === 'x1' && failX1) throw new Error('WeCom busy');
        order.push(e.event.key as string);
      },
    });
    await d.drain();
    expect(order).toEqual(['y1']); // x2 waits for x1, which backs off
    failX1 = false;
    clock.advance(10 * 60_000);
    await d.drain();
    expect(order).toEqual(['y1', 'x1', 'x2']);
  });
});

describe('the outbox sender', () => {
  const item = (key: string, lane: 'welcome' | 'normal' | 'bulk', deadlineAt?: Date) => ({
    idemKey: key,
    lane,
    kind: '/cgi-bin/externalcontact/remark',
    request: { key },
    deadlineAt,
  });

  it('keeps one row per idempotency key and serves the welcome lane first', async () => {
    await enqueueOutbox(db(), 'acme', item('bulk:1', 'bulk'), clock.now());
    await enqueueOutbox(db(), 'acme', item('normal:1', 'normal'), clock.now());
    const w = await enqueueOutbox(db(), 'acme', item('welcome:1', 'welcome'), clock.now());
    const again = await enqueueOutbox(db(), 'acme', item('welcome:1', 'welcome'), clock.now());
    expect(again).toEqual({ id: w.id, created: false });
    const order: string[] = [];
    const s = new OutboxSender({
      db: db(),
      clock,
      concurrency: 1,
      send: async (r) => {
        order.push(r.idemKey);
        return { errcode: 0, echo: { key: r.idemKey, quote: 'a "b" {c}' } };
      },
    });
    await s.drain();
    expect(order).toEqual(['welcome:1', 'normal:1', 'bulk:1']);
    const rows = await database.db
      .selectFrom('wecom_outbox')
      .select(['idem_key', 'status', 'errcode', 'result'])
      .orderBy('id')
      .execute();
    expect(rows.every((r) => r.status === 'done' && r.errcode === 0)).toBe(true);
    // each row keeps its own WeCom answer, as JSON
    for (const r of rows)
      expect(r.result).toEqual({ errcode: 0, echo: { key: r.idem_key, quote: 'a "b" {c}' } });
  });

  it('sends a welcome while a slow call of an earlier claim is still waiting on WeCom', async () => {
    await enqueueOutbox(db(), 'acme', item('normal:slow', 'normal'), clock.now());
    let release = () => {};
    const blocked = new Promise<void>((r) => {
      release = r;
    });
    const sent: string[] = [];
    const s = new OutboxSender({
      db: db(),
      clock,
      concurrency: 2,
      pollMs: 60_000,
      send: async (r) => {
        if (r.idemKey === 'normal:slow') await blocked;
        sent.push(r.idemKey);
        return { errcode: 0 };
      },
    });
    s.start();
    await expect
      .poll(
        async () =>
          (await database.db.selectFrom('wecom_outbox').select('attempts').executeTakeFirst())?.attempts,
      )
      .toBe(1);
    await enqueueOutbox(db(), 'acme', item('welcome:2', 'welcome'), clock.now());
    s.kick();
    await expect.poll(() => sent, { timeout: 5_000 }).toEqual(['welcome:2']);
    release();
    await s.drain();
    expect(sent).toEqual(['welcome:2', 'normal:slow']);
    await s.stop();
  });

  it('retries retryable errors, fails the others at once, and expires what is past its deadline', async () => {
    await enqueueOutbox(db(), 'acme', item('busy', 'normal'), clock.now());
    await enqueueOutbox(db(), 'acme', item('denied', 'normal'), clock.now());
    await enqueueOutbox(
      db(),
      'acme',
      item('late', 'welcome', new Date(clock.now().getTime() + 20_000)),
      clock.now(),
    );
    let busy = 0;
    const s = new OutboxSender({
      db: db(),
      clock,
      send: async (r: OutboxRow) => {
        if (r.idemKey === 'busy' && ++busy < 3)
          throw Object.assign(new Error('api freq out of limit'), { errcode: 45009, retryable: true });
        if (r.idemKey === 'denied')
          throw Object.assign(new Error('no privilege'), { errcode: 60011, retryable: false });
        if (r.idemKey === 'late')
          throw Object.assign(new Error('system busy'), { errcode: -1, retryable: true });
        return { errcode: 0 };
      },
    });
    await s.drain();
    clock.advance(25_000);
    for (let i = 0; i < 4; i++) {
      clock.advance(10 * 60_000);
      await s.drain();
    }
    const rows = Object.fromEntries(
      (
        await database.db
          .selectFrom('wecom_outbox')
          .select(['idem_key', 'status', 'errcode', 'attempts'])
          .execute()
      ).map((r) => [r.idem_key, [r.status, r.errcode, r.attempts]]),
    );
    expect(rows).toEqual({ busy: ['done', 0, 3], denied: ['failed', 60011, 1], late: ['expired', -1, 1] });
  });

  it('ends a row whose worker died after sending it as unknown, and one never sent as expired', async () => {
    const deadline = new Date(clock.now().getTime() + 20_000);
    await enqueueOutbox(db(), 'acme', item('welcome:sent', 'welcome', deadline), clock.now());
    await claimedByTheDead('wecom_outbox'); // claimed (so sent, or about to be) when its worker was killed
    await enqueueOutbox(db(), 'acme', item('welcome:never', 'welcome', deadline), clock.now());
    const sent: string[] = [];
    const s = new OutboxSender({
      db: db(),
      clock,
      send: async (r) => {
        sent.push(r.idemKey);
        return { errcode: 0 };
      },
    });
    clock.advance(25_000); // the restart came too late for both
    await s.drain();
    expect(sent).toEqual([]);
    const rows = await database.db
      .selectFrom('wecom_outbox')
      .select(['idem_key', 'status', 'last_error'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.idem_key, r.status])).toEqual([
      ['welcome:sent', 'unknown'],
      ['welcome:never', 'expired'],
    ]);
    expect(rows[0]!.last_error).toContain('WeCom may have accepted it');
  });

  it('sends again a row whose worker died, inside its deadline: done if it goes through, unknown if WeCom says it was already sent', async () => {
    const deadline = new Date(clock.now().getTime() + 20_000);
    await enqueueOutbox(db(), 'acme', item('welcome:lost', 'welcome', deadline), clock.now());
    await enqueueOutbox(db(), 'acme', item('welcome:accepted', 'welcome', deadline), clock.now());
    await claimedByTheDead('wecom_outbox');
    const s = new OutboxSender({
      db: db(),
      clock,
      send: async (r) => {
        // the first never reached WeCom; the second had, and its welcome_code is spent
        if (r.idemKey === 'welcome:accepted')
          throw Object.assign(new Error('welcome message already sent'), {
            errcode: 41051,
            retryable: false,
          });
        return { errcode: 0 };
      },
    });
    clock.advance(5_000); // the lease ran out; the deadline has not passed
    await s.drain();
    const rows = await database.db
      .selectFrom('wecom_outbox')
      .select(['idem_key', 'status', 'errcode', 'attempts', 'last_error'])
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.idem_key, r.status, r.errcode, r.attempts])).toEqual([
      ['welcome:lost', 'done', 0, 2],
      ['welcome:accepted', 'unknown', 41051, 2],
    ]);
    expect(rows[1]!.last_error).toMatch(
      /WeCom may have accepted it; a later attempt: welcome message already sent/,
    );
  });
});

describe('the work loop', () => {
  it('gathers the kicks that follow a run into one run after gatherMs, and runs a lone kick at once', async () => {
    vi.useFakeTimers();
    try {
      const starts: number[] = [];
      const loop = new WorkLoop(
        async () => {
          starts.push(Date.now());
          return false;
        },
        60_000,
        () => {},
        80,
      );
      loop.start(); // a lone kick: at once
      await vi.advanceTimersByTimeAsync(0);
      expect(starts).toHaveLength(1);
      for (let i = 0; i < 10; i++) loop.kick(); // one per queued job, right after: gathered
      await vi.advanceTimersByTimeAsync(79);
      expect(starts).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(starts).toHaveLength(2);
      expect(starts[1]! - starts[0]!).toBe(80);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(starts).toHaveLength(2);
      await loop.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
