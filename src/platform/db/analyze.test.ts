import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../testing/db.ts';
import { analyzeGrownTables } from './analyze.ts';
import type { Database } from './connect.ts';

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

const known = async (table: string) =>
  (
    await sql<{
      n: number;
    }>`select reltuples::int as n from pg_class where oid = to_regclass(${table})`.execute(db)
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
});
