import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { MIGRATION_SOURCES } from '../modules/index.ts';
import { openDatabase } from '../platform/db/connect.ts';
import { loadMigrations, migrate } from '../platform/db/migrate.ts';
import { adminQuery, databaseUrl } from './db.ts';

/**
 * Migrates one database for the whole run, which every test file's database then copies (openTestDatabase):
 * on PGlite a tarball of the migrated data folder, on PostgreSQL a template database. Migrating 60 files
 * once instead of once per file is most of what the PGlite run spent outside its tests.
 */
export default async function setup(project: TestProject) {
  const plan = loadMigrations(MIGRATION_SOURCES);
  const url = process.env.DATABASE_URL;
  if (url) {
    const name = `siyu_template_${randomBytes(6).toString('hex')}`;
    await adminQuery(url, `create database ${name}`);
    const database = await openDatabase({ url: databaseUrl(url, name) });
    try {
      await migrate(database.db as never, plan);
    } finally {
      await database.close();
    }
    project.provide('testDatabaseTemplate', { database: name });
    return () => adminQuery(url, `drop database if exists ${name} with (force)`);
  }
  const database = await openDatabase({ memory: true });
  const dir = mkdtempSync(join(tmpdir(), 'siyu-test-template-'));
  const tarball = join(dir, 'migrated.tar');
  try {
    await migrate(database.db as never, plan);
    writeFileSync(tarball, await database.dumpDataDir!());
  } finally {
    await database.close();
  }
  project.provide('testDatabaseTemplate', { tarball });
  return () => rmSync(dir, { recursive: true, force: true });
}
