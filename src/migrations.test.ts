import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import { MIGRATION_SOURCES } from './modules/index.ts';
import type { Tables } from './modules/tables.ts';
import { openDatabase } from './platform/db/connect.ts';
import { loadMigrations, migrate } from './platform/db/migrate.ts';
import { seedFixture } from './testing/fixture.ts';
import { tempDir } from './testing/temp-dir.ts';

/**
 * A database made before migrations were numbered per module (one global sequence, ids like `0004_tags`)
 * upgrades in place: its ledger is rewritten to the new ids, nothing it has is applied again, only what is
 * new is, and its data stays. The legacy schema is rebuilt from the legacy map itself: each legacy
 * migration is the files that replace it, run in the old global order under the old id.
 */
const plan = loadMigrations(MIGRATION_SOURCES);
const byId = new Map(plan.migrations.map((m) => [m.id, m.sql]));
const legacyIds = [...plan.legacy.keys()].sort();
const replaced = new Set([...plan.legacy.values()].flat());

async function makeLegacy(db: Kysely<unknown>): Promise<void> {
  await sql`create schema siyu_meta`.execute(db);
  await sql`create table siyu_meta.migrations (id text primary key, applied_at timestamptz not null default now())`.execute(
    db,
  );
  for (const id of legacyIds) {
    await db.transaction().execute(async (trx) => {
      for (const newId of plan.legacy.get(id)!) await sql.raw(byId.get(newId)!).execute(trx);
      await sql`insert into siyu_meta.migrations (id) values (${id})`.execute(trx);
    });
  }
}

const TABLES = ['customers', 'follows', 'customer_tags', 'tags', 'staff', 'accounts', 'org_units', 'corps'];
async function counts(db: Kysely<Tables>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) {
    out[t] = Number(
      (await sql<{ n: number }>`select count(*) as n from ${sql.table(t)}`.execute(db)).rows[0]!.n,
    );
  }
  return out;
}

async function upgradeCheck(open: () => Promise<{ db: Kysely<Tables>; close(): Promise<void> }>) {
  let database = await open();
  await makeLegacy(database.db as Kysely<unknown>);
  await seedFixture(database.db);
  const before = await counts(database.db);
  expect(before.customers).toBeGreaterThan(0);
  await database.close();

  // the new code starts on it
  database = await open();
  try {
    const applied = await migrate(database.db as Kysely<unknown>, plan);
    expect(applied).toEqual(plan.migrations.map((m) => m.id).filter((id) => !replaced.has(id)));
    expect(applied.length).toBeGreaterThan(0); // the domain event log, at least
    const ledger = (
      await sql<{ id: string }>`select id from siyu_meta.migrations order by id`.execute(database.db)
    ).rows.map((r) => r.id);
    expect(ledger).toEqual(plan.migrations.map((m) => m.id).sort());
    expect(await counts(database.db)).toEqual(before);
    // and the upgraded schema works: the new tables are there
    await sql`select count(*) from domain_events`.execute(database.db);
    expect(await migrate(database.db as Kysely<unknown>, plan)).toEqual([]);
  } finally {
    await database.close();
  }
}

describe('a database made before per-module migrations', () => {
  it('every legacy id is replaced by files that exist, and every legacy number is accounted for', () => {
    expect(legacyIds).toHaveLength(23); // 0001–0024 without 0010, which never existed
    for (const ids of plan.legacy.values()) for (const id of ids) expect(byId.has(id), id).toBe(true);
  });

  it('upgrades an embedded (PGlite) data folder in place, keeping its data', async () => {
    const dataDir = `${tempDir('legacy')}/data`;
    await upgradeCheck(() => openDatabase<Tables>({ dataDir }));
  });

  const url = process.env.DATABASE_URL;
  it.runIf(url)('upgrades a PostgreSQL database in place, keeping its data', async () => {
    const name = `siyu_legacy_${randomBytes(6).toString('hex')}`;
    const admin = async (text: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(text).finally(() => client.end());
    };
    await admin(`create database ${name}`);
    onTestFinished(() => admin(`drop database if exists ${name} with (force)`));
    const target = new URL(url!);
    target.pathname = `/${name}`;
    await upgradeCheck(() => openDatabase<Tables>({ url: target.toString() }));
  });
});
