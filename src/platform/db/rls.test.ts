import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tables } from '../../modules/tables.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { tempDir } from '../../testing/temp-dir.ts';
import type { Database } from './connect.ts';
import { corpDb } from './corp-db.ts';
import { loadMigrations, migrate } from './migrate.ts';
import { rowLevelSecurityGaps } from './rls.ts';

// Runs on PGlite and on a PostgreSQL server alike (DATABASE_URL): both enforce roles and policies. Nothing
// here applies row-level security by hand: migrate() (in openTestDatabase) and the corp-bound handle do.
let database: Database<Tables>;
beforeAll(async () => {
  database = await openTestDatabase();
  await database.db
    .insertInto('corps')
    .values([
      { corp_id: 'brand-a', name: 'A' },
      { corp_id: 'brand-b', name: 'B' },
    ])
    .execute();
  await database.db
    .insertInto('customers')
    .values([
      { corp_id: 'brand-a', external_userid: 'wm-a1', name: '甲一' },
      { corp_id: 'brand-a', external_userid: 'wm-a2', name: '甲二' },
      { corp_id: 'brand-b', external_userid: 'wm-b1', name: '乙一' },
    ])
    .execute();
});
afterAll(() => database.close());

/** A brand-bound transaction: the one CorpDb.transaction opens. */
function asBrand<T>(corpId: string, fn: (db: typeof database.db) => Promise<T>): Promise<T> {
  return corpDb(database.db, corpId).transaction((cdb) => fn(cdb.db));
}

describe('row-level security', () => {
  it('is on, with its policy, for every tenant table', async () => {
    const tenant = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.columns
      where table_schema = 'public' and column_name = 'corp_id'`.execute(database.db);
    expect(tenant.rows[0]!.n).toBeGreaterThanOrEqual(70);
    expect(await rowLevelSecurityGaps(database.db as never)).toEqual([]);
  });

  it('reports a new tenant table created without it', async () => {
    await sql`create table rls_probe (corp_id text not null, id int, primary key (corp_id, id))`.execute(
      database.db,
    );
    try {
      expect(await rowLevelSecurityGaps(database.db as never)).toEqual([
        'rls_probe: no corp_isolation policy',
        'rls_probe: row-level security is off',
      ]);
    } finally {
      await sql`drop table rls_probe`.execute(database.db);
    }
  });

  it('covers a tenant table a later migration adds, when migrate() runs again', async () => {
    const d = tempDir('rls-mig');
    mkdirSync(d, { recursive: true });
    writeFileSync(
      join(d, '0001_rls_later.sql'),
      'create table rls_later (corp_id text not null, id int, primary key (corp_id, id));',
    );
    try {
      await migrate(database.db as never, loadMigrations([{ name: 'rls_later', dir: d }]));
      expect(await rowLevelSecurityGaps(database.db as never)).toEqual([]);
      await sql`insert into rls_later values ('brand-a', 1), ('brand-b', 2)`.execute(database.db);
      const seen = await asBrand('brand-b', (tx) =>
        sql<{ id: number }>`select id from rls_later`.execute(tx),
      );
      expect(seen.rows).toEqual([{ id: 2 }]);
    } finally {
      await sql`drop table rls_later`.execute(database.db);
    }
  });

  it('shows a customers query missing its corp filter only the brand’s own customers', async () => {
    const seen = await asBrand('brand-a', (tx) =>
      tx.selectFrom('customers').select('external_userid').orderBy('external_userid').execute(),
    );
    expect(seen.map((r) => r.external_userid)).toEqual(['wm-a1', 'wm-a2']);
    const other = await asBrand('brand-b', (tx) =>
      tx.selectFrom('customers').select('external_userid').where('external_userid', '=', 'wm-a1').execute(),
    );
    expect(other).toEqual([]);
    // A brand-bound transaction cannot move a row to another brand either.
    await expect(
      asBrand('brand-a', (tx) =>
        tx
          .updateTable('customers')
          .set({ corp_id: 'brand-b' })
          .where('external_userid', '=', 'wm-a2')
          .execute(),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('keeps a transaction it was handed as it is (a worker spanning brands)', async () => {
    const seen = await database.db
      .transaction()
      .execute((tx) =>
        corpDb<Tables>(tx, 'brand-a').transaction((cdb) =>
          cdb.db.selectFrom('customers').select('external_userid').orderBy('external_userid').execute(),
        ),
      );
    expect(seen.map((r) => r.external_userid)).toEqual(['wm-a1', 'wm-a2', 'wm-b1']);
  });

  it('shows a brand-bound query without a corp filter nothing of another brand', async () => {
    const seen = await asBrand('brand-a', async (tx) => {
      const corps = await sql<{ corp_id: string }>`select corp_id from corps order by corp_id`.execute(tx);
      const counted = await tx
        .selectFrom('corps')
        .select((e) => e.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return { corps: corps.rows.map((r) => r.corp_id), n: Number(counted!.n) };
    });
    expect(seen).toEqual({ corps: ['brand-a'], n: 1 });
    // The unbound handle (workers, migrations) still spans brands.
    const all = await database.db.selectFrom('corps').select('corp_id').orderBy('corp_id').execute();
    expect(all.map((r) => r.corp_id)).toEqual(['brand-a', 'brand-b']);
  });

  it('refuses to write, update or delete another brand’s rows in a brand-bound transaction', async () => {
    await expect(
      asBrand('brand-a', (tx) => tx.insertInto('corps').values({ corp_id: 'brand-c', name: 'C' }).execute()),
    ).rejects.toThrow(/row-level security/);
    const changed = await asBrand('brand-a', async (tx) => {
      const u = await tx
        .updateTable('corps')
        .set({ name: 'taken' })
        .where('corp_id', '=', 'brand-b')
        .execute();
      const d = await tx.deleteFrom('corps').where('corp_id', '=', 'brand-b').execute();
      return [Number(u[0]!.numUpdatedRows), Number(d[0]!.numDeletedRows)];
    });
    expect(changed).toEqual([0, 0]);
    const b = await database.db
      .selectFrom('corps')
      .select('name')
      .where('corp_id', '=', 'brand-b')
      .executeTakeFirst();
    expect(b?.name).toBe('B');
  });

  it('binds a brand-bound handle’s statements outside transactions too, and never leaks the binding', async () => {
    const a = corpDb(database.db, 'brand-a').db;
    const b = corpDb(database.db, 'brand-b').db;
    const names = (db: typeof database.db) =>
      db
        .selectFrom('customers')
        .select('external_userid')
        .orderBy('external_userid')
        .execute()
        .then((rows) => rows.map((r) => r.external_userid));
    // Interleaved and concurrent: every statement runs with its own handle's binding (PGlite switches its one
    // connection between them; a PostgreSQL server's bound connections switch brands).
    const seen = await Promise.all([names(a), names(database.db), names(b), names(a), names(database.db)]);
    expect(seen).toEqual([
      ['wm-a1', 'wm-a2'],
      ['wm-a1', 'wm-a2', 'wm-b1'],
      ['wm-b1'],
      ['wm-a1', 'wm-a2'],
      ['wm-a1', 'wm-a2', 'wm-b1'],
    ]);
    const who = await sql<{ role: string; corp: string }>`
      select current_user as role, current_setting('siyu.corp_id', true) as corp`.execute(b);
    expect(who.rows[0]).toEqual({ role: 'siyu_app', corp: 'brand-b' });
    await expect(
      a.updateTable('customers').set({ name: 'taken' }).where('external_userid', '=', 'wm-b1').execute(),
    ).resolves.toMatchObject([{ numUpdatedRows: 0n }]);
  });

  it('leaves nothing of the brand on the pooled connection after the transaction', async () => {
    await asBrand('brand-b', async () => {});
    const after = await sql<{ role: string; corp: string | null }>`
      select current_user as role, current_setting('siyu.corp_id', true) as corp`.execute(database.db);
    expect(after.rows[0]!.role).not.toBe('siyu_app');
    expect(after.rows[0]!.corp ?? '').toBe('');
  });
});
