import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { MIGRATION_SOURCES } from '../modules/index.ts';
import type { Tables } from '../modules/tables.ts';
import { type Database, openDatabase } from '../platform/db/connect.ts';
import { loadMigrations, migrate } from '../platform/db/migrate.ts';

/**
 * A fresh, migrated database for one test file: PGlite in memory by default; with DATABASE_URL, a new
 * database on that PostgreSQL server, dropped again on close.
 */
export async function openTestDatabase(): Promise<Database<Tables>> {
  const url = process.env.DATABASE_URL;
  let database: Database<Tables>;
  let drop = async () => {};
  if (url) {
    const name = `siyu_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(url, `create database ${name}`);
    const target = new URL(url);
    target.pathname = `/${name}`;
    database = await openDatabase<Tables>({ url: target.toString() });
    drop = () => adminQuery(url, `drop database if exists ${name} with (force)`);
  } else {
    database = await openDatabase<Tables>({ memory: true });
  }
  await migrate(database.db as never, loadMigrations(MIGRATION_SOURCES));
  return {
    ...database,
    close: async () => {
      await database.close();
      await drop();
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
