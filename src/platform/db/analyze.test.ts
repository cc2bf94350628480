import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../testing/db.ts';
import { analyzeGrownTables, analyzeTables } from './analyze.ts';
import type { Database } from './connect.ts';
import { corpDb } from './corp-db.ts';
import { applyRowLevelSecurity } from './rls.ts';

let database: Database<unknown>;
let db: Kysely<unknown>;
beforeAll(async () => {
  database = (await openTestDatabase()) as Database<unknown>;
  db = database.db;
  // no autovacuum on a PostgreSQL server either, so only the function under test analyzes them
  for (const t of ['grown_probe', 'small_probe']) {
    await sql`create table ${sql.table(t)} (id int primary key, v text) with (autovacuum_enabled = false)`.execute(
      db,
    );
  }
});
afterAll(() => database.close());

const known = async (table: string, on: Kysely<unknown> = db) =>
  (
    await sql<{
      n: number;
    }>`select reltuples::int as n from pg_class where oid = to_regclass(${table})`.execute(on)
  ).rows[0]!.n;

describe('the analyze job', () => {
  it('analyzes the tables that grew past their statistics, once, and leaves small ones', async () => {
    await sql`insert into grown_probe select g, repeat('x', 40) from generate_series(1, 5000) g`.execute(db);
    await sql`insert into small_probe values (1, 'x')`.execute(db);
    expect(await known('grown_probe')).toBeLessThanOrEqual(0);

    const first = await analyzeGrownTables(db);
    expect(first).toContain('grown_probe');
    expect(first).not.toContain('small_probe');
    expect(await known('grown_probe')).toBe(5000);

    expect(await analyzeGrownTables(db)).not.toContain('grown_probe');
    // grown again by more than a fifth (and 8 pages) of what the statistics know
    await sql`insert into grown_probe select g, repeat('x', 40) from generate_series(5001, 8000) g`.execute(
      db,
    );
    expect(await analyzeGrownTables(db)).toContain('grown_probe');
    expect(await known('grown_probe')).toBe(8000);
  });

  it('analyzes for a brand-bound handle too, which does not own the tables, counting its own transaction’s rows', async () => {
    await sql`create table bound_probe (corp_id text not null, id int, primary key (corp_id, id))
      with (autovacuum_enabled = false)`.execute(db);
    await applyRowLevelSecurity(db);
    await corpDb(db, 'brand-a').transaction(async (tx) => {
      await sql`insert into bound_probe select 'brand-a', g from generate_series(1, 3000) g`.execute(tx.db);
      // a plain ANALYZE here is skipped with a warning: siyu_app is not the owner
      await sql`analyze bound_probe`.execute(tx.db);
      expect(await known('bound_probe', tx.db as Kysely<unknown>)).toBeLessThanOrEqual(0);
      await analyzeTables(tx.db as Kysely<unknown>, ['bound_probe']);
      expect(await known('bound_probe', tx.db as Kysely<unknown>)).toBe(3000);
    });
    expect(await known('bound_probe')).toBe(3000);
  });
});
