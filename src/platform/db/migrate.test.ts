import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationDirs } from '../../modules/index.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { tempDir } from '../../testing/temp-dir.ts';
import type { Database } from './connect.ts';
import { loadMigrations, migrate } from './migrate.ts';

let database: Database<unknown>;
beforeAll(async () => {
  database = (await openTestDatabase()) as Database<unknown>;
});
afterAll(() => database.close());

function dir(files: Record<string, string>): string {
  const d = tempDir('mig');
  mkdirSync(d, { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(d, name), body);
  return d;
}

describe('migrations', () => {
  it('orders files across module folders by their number', () => {
    const ids = loadMigrations(migrationDirs).map((m) => m.id);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    expect(ids).toEqual([...ids].sort());
    expect(ids[0]).toBe('0001_org');
  });

  it('refuses a badly named file and two files with one number', () => {
    expect(() => loadMigrations([dir({ 'create.sql': 'select 1' })])).toThrow(/0001_name\.sql/);
    expect(() =>
      loadMigrations([dir({ '0900_a.sql': 'select 1' }), dir({ '0900_b.sql': 'select 1' })]),
    ).toThrow(/share the number 0900/);
  });

  it('applies pending ones once, and a failing one leaves nothing behind', async () => {
    const again = await migrate(database.db, loadMigrations(migrationDirs));
    expect(again).toEqual([]);
    const extra = dir({
      '9001_probe.sql': 'create table probe_one (corp_id text, id int, primary key (corp_id, id));',
      '9002_broken.sql': 'create table probe_two (corp_id text primary key); select no_such_function();',
    });
    await expect(migrate(database.db, loadMigrations([extra]))).rejects.toThrow(/no_such_function/);
    const tables = await sql<{ t: string }>`
      select table_name as t from information_schema.tables where table_name like 'probe_%' order by 1`.execute(
      database.db,
    );
    expect(tables.rows.map((r) => r.t)).toEqual(['probe_one']);
    const recorded = await sql<{
      id: string;
    }>`select id from siyu_meta.migrations where id like '9%'`.execute(database.db);
    expect(recorded.rows.map((r) => r.id)).toEqual(['9001_probe']);
    await sql`drop table probe_one`.execute(database.db);
    await sql`delete from siyu_meta.migrations where id like '9%'`.execute(database.db);
  });
});
