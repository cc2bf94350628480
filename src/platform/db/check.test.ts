import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATION_SOURCES } from '../../modules/index.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { checkDatabase, describeCheck } from './check.ts';
import type { Database } from './connect.ts';
import { loadMigrations } from './migrate.ts';

let database: Database<unknown>;
beforeAll(async () => {
  database = (await openTestDatabase()) as Database<unknown>;
});
afterAll(() => database.close());

describe('the quick database check', () => {
  it('reads the migrations ledger and every table', async () => {
    const { migrations } = loadMigrations(MIGRATION_SOURCES);
    const tables = await sql<{ n: number }>`
      select count(*)::int as n from pg_tables where schemaname in ('public', 'siyu_meta')`.execute(
      database.db,
    );
    const check = await checkDatabase(database.db);
    expect(check).toEqual({
      ok: true,
      migrations: { count: migrations.length, latest: migrations.at(-1)!.id },
      tables: tables.rows[0]!.n,
      verified: 0,
      problems: [],
    });
    expect(describeCheck(check)).toMatch(
      /^opens; \d+ migrations in the ledger \(latest [a-z-]+\/\d{4}_\w+\); \d+ tables/,
    );
  });
});
