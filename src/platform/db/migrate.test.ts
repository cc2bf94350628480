import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const ledger = async (prefix: string) =>
  (
    await sql<{
      id: string;
    }>`select id from siyu_meta.migrations where id like ${`${prefix}%`} order by id`.execute(database.db)
  ).rows.map((r) => r.id);

describe('migrations', () => {
  it('orders sources as given and each source’s files by number, named by source', () => {
    const plan = loadMigrations([
      { name: 'b', dir: dir({ '0002_two.sql': 'select 2', '0001_one.sql': 'select 1' }) },
      { name: 'a', dir: dir({ '0001_first.sql': 'select 1' }) },
    ]);
    expect(plan.migrations.map((m) => m.id)).toEqual(['b/0001_one', 'b/0002_two', 'a/0001_first']);
  });

  it('refuses a badly named file, two files of one source with one number, and a legacy id naming no file', () => {
    expect(() => loadMigrations([{ name: 'x', dir: dir({ 'create.sql': 'select 1' }) }])).toThrow(
      /0001_name\.sql/,
    );
    expect(() =>
      loadMigrations([{ name: 'x', dir: dir({ '0900_a.sql': 'select 1', '0900_b.sql': 'select 1' }) }]),
    ).toThrow(/share the number 0900/);
    // two modules may both have a 0001: numbers are per module
    expect(
      loadMigrations([
        { name: 'x', dir: dir({ '0001_a.sql': 'select 1' }) },
        { name: 'y', dir: dir({ '0001_a.sql': 'select 1' }) },
      ]).migrations,
    ).toHaveLength(2);
    expect(() =>
      loadMigrations([
        { name: 'x', dir: dir({ '0001_a.sql': 'select 1' }), legacy: { '0042_a': ['0002_b'] } },
      ]),
    ).toThrow(/names no file 0002_b/);
  });

  it('applies pending ones once, and a failing one leaves nothing behind', async () => {
    const extra = {
      name: 'probe',
      dir: dir({
        '0001_one.sql': 'create table probe_one (corp_id text, id int, primary key (corp_id, id));',
        '0002_broken.sql': 'create table probe_two (corp_id text primary key); select no_such_function();',
      }),
    };
    await expect(migrate(database.db, loadMigrations([extra]))).rejects.toThrow(/no_such_function/);
    const tables = await sql<{ t: string }>`
      select table_name as t from information_schema.tables where table_name like 'probe_%' order by 1`.execute(
      database.db,
    );
    expect(tables.rows.map((r) => r.t)).toEqual(['probe_one']);
    expect(await ledger('probe/')).toEqual(['probe/0001_one']);
    await sql`drop table probe_one`.execute(database.db);
    await sql`delete from siyu_meta.migrations where id like 'probe/%'`.execute(database.db);
  });

  it('rewrites a ledger of legacy ids to the ids that replace them, applying nothing they did again', async () => {
    await sql`insert into siyu_meta.migrations (id) values ('7001_old_global')`.execute(database.db);
    const source = {
      name: 'legacyprobe',
      dir: dir({
        // would fail if run: what 7001 did is there already
        '0001_split_a.sql': 'select no_such_function();',
        '0002_split_b.sql': 'select no_such_function();',
        '0003_new.sql': 'create table legacy_probe_new (corp_id text primary key);',
      }),
      legacy: { '7001_old_global': ['0001_split_a', '0002_split_b'] },
    };
    expect(await migrate(database.db, loadMigrations([source]))).toEqual(['legacyprobe/0003_new']);
    expect(await ledger('7001')).toEqual([]);
    expect(await ledger('legacyprobe/')).toEqual([
      'legacyprobe/0001_split_a',
      'legacyprobe/0002_split_b',
      'legacyprobe/0003_new',
    ]);
    expect(await migrate(database.db, loadMigrations([source]))).toEqual([]);
    await sql`drop table legacy_probe_new`.execute(database.db);
    await sql`delete from siyu_meta.migrations where id like 'legacyprobe/%'`.execute(database.db);
  });
});
