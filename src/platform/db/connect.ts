import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { SiyuPostgresDialect } from './dialect.ts';
import { prepareRepeatedStatements } from './prepared.ts';

// int8 and numeric come back as strings from pg by default; our ids and money fit in JS numbers safely
// (ids are identities, money is fen), so parse them once here for every query on both engines.
pg.types.setTypeParser(20, (v) => Number(v));
// A date (a birthday, a membership anniversary) has no time zone: keep it as the 'YYYY-MM-DD' text it is.
pg.types.setTypeParser(1082, (v) => v);

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database<DB = unknown> {
  kind: DatabaseKind;
  db: Kysely<DB>;
  /** Flushes (PGlite: CHECKPOINT) and closes; safe to call twice. */
  close(): Promise<void>;
}

export type DatabaseTarget = { url: string } | { dataDir: string } | { memory: true };

export async function openDatabase<DB>(target: DatabaseTarget): Promise<Database<DB>> {
  if ('url' in target) {
    // A connection caches the plans of its prepared statements (prepared.ts); renewing connections every half
    // hour bounds how long a plan made for tables of another size can outlive autoanalyze's corrections.
    const pool = new pg.Pool({ connectionString: target.url, max: 10, maxLifetimeSeconds: 1800 });
    // An idle connection the server closes (a restart, a dropped database) must not crash the process:
    // the pool drops it and opens a new one on the next query.
    pool.on('error', (err) => console.warn(`siyu: PostgreSQL connection lost: ${err.message}`));
    pool.on('connect', prepareRepeatedStatements);
    const db = new Kysely<DB>({ dialect: new SiyuPostgresDialect({ pool }) });
    await sql`select 1`.execute(db);
    return { kind: 'postgres', db, close: once(() => db.destroy()) };
  }
  let releaseLock = () => {};
  let location = 'memory://';
  if ('dataDir' in target) {
    mkdirSync(dirname(target.dataDir), { recursive: true });
    releaseLock = lockDataDir(target.dataDir);
    location = target.dataDir;
  }
  try {
    const lite = await PGlite.create(location);
    const pool = new pg.Pool(createPgConfig(lite));
    pool.on('connect', prepareRepeatedStatements);
    const db = new Kysely<DB>({ dialect: new SiyuPostgresDialect({ pool }) });
    return {
      kind: 'pglite',
      db,
      close: once(async () => {
        try {
          await sql`checkpoint`.execute(db);
        } finally {
          await db.destroy();
          await lite.close();
          releaseLock();
        }
      }),
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

const heldHere = new Set<string>();

/** PGlite is one opener per data directory: two corrupt it, so the second one is refused. */
function lockDataDir(dataDir: string): () => void {
  const lockPath = `${dataDir}.lock`;
  if (heldHere.has(lockPath)) throw inUse(dataDir, process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(lockPath);
      return () => {
        heldHere.delete(lockPath);
        rmSync(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockPath, 'utf8'));
      // Our own pid in a lock we do not hold is a leftover of an earlier run that had the same pid.
      if (holder && holder !== process.pid && isAlive(holder)) throw inUse(dataDir, holder);
      rmSync(lockPath, { force: true }); // stale lock from a process that is gone
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

function inUse(dataDir: string, pid: number): Error {
  return new Error(
    `The embedded database at ${dataDir} is in use by process ${pid}. ` +
      'Stop that Siyu first, or point SIYU_DATA_DIR elsewhere.',
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= fn();
    return done;
  };
}
