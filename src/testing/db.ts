import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { MIGRATION_SOURCES } from '../modules/index.ts';
import type { Tables } from '../modules/tables.ts';
import { type Database, openDatabase } from '../platform/db/connect.ts';
import { loadMigrations, migrate } from '../platform/db/migrate.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Made once per run by global-setup.ts: what each test file's database starts from. */
    testDatabaseTemplate: TestDatabaseTemplate | null;
  }
}

/** A migrated database to copy: PGlite's data folder as a tarball, or a PostgreSQL template database. */
export type TestDatabaseTemplate = { tarball: string } | { database: string };

/**
 * A fresh, migrated database for one test file: PGlite in memory by default; with DATABASE_URL, a new
 * database on that PostgreSQL server, dropped again on close. Under Vitest each is a copy of the run's
 * migrated template (global-setup.ts), not migrated again file by file; elsewhere (a benchmark) it migrates.
 */
export async function openTestDatabase(): Promise<Database<Tables>> {
  const url = process.env.DATABASE_URL;
  const template = (process.env.VITEST && inject('testDatabaseTemplate')) || null;
  let database: Database<Tables>;
  let drop = async () => {};
  if (url) {
    const name = `siyu_test_${randomBytes(6).toString('hex')}`;
    const copy = template && 'database' in template ? ` template ${template.database}` : '';
    await adminQuery(url, `create database ${name}${copy}`);
    database = await openDatabase<Tables>({ url: databaseUrl(url, name) });
    drop = () => adminQuery(url, `drop database if exists ${name} with (force)`);
  } else if (template && 'tarball' in template) {
    const loadFrom = new Blob([readFileSync(template.tarball)]);
    database = await openDatabase<Tables>({ memory: true, loadFrom });
  } else {
    database = await openDatabase<Tables>({ memory: true });
  }
  // a no-op on a copy of the template (nothing is new), the whole schema otherwise
  await migrate(database.db as never, loadMigrations(MIGRATION_SOURCES));
  return {
    ...database,
    close: async () => {
      await database.close();
      await drop();
    },
  };
}

export function databaseUrl(serverUrl: string, name: string): string {
  const target = new URL(serverUrl);
  target.pathname = `/${name}`;
  return target.toString();
}

export async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
