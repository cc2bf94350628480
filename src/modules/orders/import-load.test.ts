import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { seedFixture } from '../../testing/fixture.ts';
import { orderCsv } from '../../testing/order-files.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import type { Tables } from '../tables.ts';
import { createImport, runImport } from './import-service.ts';

/**
 * A fresh database of its own: its tables have never been analyzed, as on a new brand's first import. PGlite
 * runs no autovacuum, so without the import analyzing the tables it fills, the planner would believe orders
 * empty throughout, and each batch's foreign-key checks (order_items → orders) would scan every order
 * written before it: the import quadratic, PGlite's one connection held for seconds a batch.
 */
let database: Database<Tables>;
beforeAll(async () => {
  database = await openTestDatabase();
  await seedFixture(database.db);
});
afterAll(() => database.close());

const stats = async () => {
  const { rows } = await sql<{ known: number; actual: number }>`
    select greatest(c.reltuples, 0)::float8 as known, (select count(*)::int from orders) as actual
    from pg_class c where c.oid = 'orders'::regclass`.execute(database.db);
  return rows[0]!;
};

it("keeps the planner's statistics of the tables it fills within autovacuum's threshold, batch after batch", async () => {
  const ctx = syncCtx(database);
  const { job } = await createImport(
    ctx,
    { accountId: null, scopeUnitId: null },
    { fileName: 'big.csv', source: 'stats', bytes: orderCsv(1_200) },
  );
  const seen: { known: number; actual: number }[] = [];
  const done = await runImport(ctx, job.id, {
    batchSize: 200,
    onProgress: async () => {
      seen.push(await stats());
    },
  });
  expect(done).toMatchObject({ status: 'done', created: 1_200 });
  expect(seen.length).toBeGreaterThanOrEqual(6);
  for (const { known, actual } of seen) {
    // what autovacuum_analyze_threshold (50) and _scale_factor (0.1) would allow before analyzing
    expect(actual - known).toBeLessThanOrEqual(50 + 0.1 * known);
  }
});

it('lets the event loop turn between its batches: a timer due at its start fires before it is done', async () => {
  const ctx = syncCtx(database);
  const { job, checked } = await createImport(
    ctx,
    { accountId: null, scopeUnitId: null },
    { fileName: 'turns.csv', source: 'turns', bytes: orderCsv(600) },
  );
  let batches = 0;
  let firedAfter: number | null = null;
  // On PGlite every statement runs on this thread and answers through promises: without a turn of the loop
  // between them, the whole import (the stored file already read: `checked`) would be one chain of
  // microtasks, and neither this timer nor any request would run until its end.
  setTimeout(() => {
    firedAfter = batches;
  }, 0);
  const done = await runImport(ctx, job.id, {
    checked,
    batchSize: 100,
    onProgress: (j) => {
      if (j.status === 'running') batches++;
    },
  });
  expect(done).toMatchObject({ status: 'done', created: 600 });
  expect(batches).toBe(6);
  expect(firedAfter).not.toBeNull();
  expect(firedAfter!).toBeLessThanOrEqual(1);
});
