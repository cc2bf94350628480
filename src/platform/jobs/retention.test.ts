import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tables } from '../../modules/tables.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { seedFixture } from '../../testing/fixture.ts';
import type { Database } from '../db/connect.ts';
import { purgeWecomQueues } from './retention.ts';

let database: Database<Tables>;
const old = new Date('2026-01-01T00:00:00Z');
const recent = new Date('2026-06-20T00:00:00Z');
const cutoff = new Date('2026-06-01T00:00:00Z');

beforeAll(async () => {
  database = await openTestDatabase();
  await seedFixture(database.db);
  const db = database.db;
  const inbox = (key: string, status: 'pending' | 'done' | 'parked', at: Date) => ({
    corp_id: 'acme',
    dedup_key: key,
    event_type: 'test',
    event: '{}',
    received_at: at,
    status,
    next_attempt_at: at,
    last_error: null,
    done_at: status === 'done' ? at : null,
  });
  await db
    .insertInto('wecom_inbox')
    .values([
      ...Array.from({ length: 5 }, (_, i) => inbox(`old-done-${i}`, 'done', old)),
      inbox('old-parked', 'parked', old),
      inbox('old-pending', 'pending', old),
      inbox('recent-done', 'done', recent),
    ])
    .execute();
  const outbox = (key: string, status: 'pending' | 'done' | 'failed' | 'unknown', at: Date) => ({
    corp_id: 'acme',
    idem_key: key,
    lane: 'normal' as const,
    kind: '/cgi-bin/test',
    request: '{}',
    status,
    next_attempt_at: at,
    deadline_at: null,
    result: null,
    errcode: null,
    last_error: null,
    created_at: at,
    done_at: status === 'pending' ? null : at,
  });
  await db
    .insertInto('wecom_outbox')
    .values([
      ...Array.from({ length: 5 }, (_, i) => outbox(`old-done-${i}`, 'done', old)),
      outbox('old-failed', 'failed', old),
      outbox('old-unknown', 'unknown', old),
      outbox('old-pending', 'pending', old),
      outbox('recent-done', 'done', recent),
      outbox('tag-sync', 'failed', old),
    ])
    .execute();
  await db
    .updateTable('tags')
    .set({ sync_key: 'tag-sync' })
    .where('corp_id', '=', 'acme')
    .where('name', '=', 'VIP')
    .execute();
});
afterAll(() => database.close());

describe('retention of the WeCom queues', () => {
  it('purges finished rows past the retention in small batches, keeping parked, pending, recent and sync_key rows', async () => {
    expect(await purgeWecomQueues(database.db as never, cutoff, 2)).toEqual({ inbox: 5, outbox: 7 });
    const inbox = await database.db
      .selectFrom('wecom_inbox')
      .select('dedup_key')
      .orderBy('dedup_key')
      .execute();
    expect(inbox.map((r) => r.dedup_key)).toEqual(['old-parked', 'old-pending', 'recent-done']);
    const outbox = await database.db
      .selectFrom('wecom_outbox')
      .select('idem_key')
      .orderBy('idem_key')
      .execute();
    expect(outbox.map((r) => r.idem_key)).toEqual(['old-pending', 'recent-done', 'tag-sync']);
    // nothing more to do
    expect(await purgeWecomQueues(database.db as never, cutoff, 2)).toEqual({ inbox: 0, outbox: 0 });
  });
});
