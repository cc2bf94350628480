import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { amcheck } from '@electric-sql/pglite/contrib/amcheck';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { bindableKysely } from './bound.ts';
import { checkDatabase, type DatabaseCheck } from './check.ts';
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
  /** The server's URL (postgres only): for a dedicated connection, e.g. to LISTEN. */
  url?: string;
  /** Flushes (PGlite: CHECKPOINT) and closes; safe to call twice. */
  close(): Promise<void>;
  /** PGlite in a data folder: that folder. */
  dataDir?: string;
  /**
   * PGlite in a data folder whose lock was left by a process that is gone (killed, crashed): the previous
   * run did not stop cleanly. The database was checked on opening (checkDatabase).
   */
  uncleanStop?: { pid: number; check: DatabaseCheck };
  /** PGlite: CHECKPOINT, then the data folder (or the in-memory one) as an uncompressed tarball (dumpDataDir). */
  dumpDataDir?(): Promise<Uint8Array>;
}

export type DatabaseTarget =
  | { url: string }
  /**
   * `amcheck`: load the extension so that checkDatabase can verify deeply. `loadFrom`: a tarball of
   * dumpDataDir to fill the (empty) folder with.
   */
  | { dataDir: string; amcheck?: boolean; loadFrom?: Blob }
  | { memory: true; loadFrom?: Blob };

export async function openDatabase<DB>(target: DatabaseTarget): Promise<Database<DB>> {
  if ('url' in target) {
    // A connection caches the plans of its prepared statements (prepared.ts); renewing connections every half
    // hour bounds how long a plan made for tables of another size can outlive autoanalyze's corrections.
    // Two pools: the brand-bound handles' connections keep their binding (bound.ts), the others never take one.
    const [system, brand] = [0, 1].map(() => {
      const pool = new pg.Pool({ connectionString: target.url, max: 10, maxLifetimeSeconds: 1800 });
      // An idle connection the server closes (a restart, a dropped database) must not crash the process:
      // the pool drops it and opens a new one on the next query.
      pool.on('error', (err) => console.warn(`siyu: PostgreSQL connection lost: ${err.message}`));
      pool.on('connect', prepareRepeatedStatements);
      return pool;
    }) as [pg.Pool, pg.Pool];
    const db = bindableKysely<DB>({ system, brand });
    await sql`select 1`.execute(db);
    return { kind: 'postgres', db, url: target.url, close: once(() => db.destroy()) };
  }
  if ('memory' in target) {
    return openPglite<DB>(
      await PGlite.create('memory://', target.loadFrom ? { loadDataDir: target.loadFrom } : {}),
    );
  }
  const { dataDir } = target;
  mkdirSync(dirname(dataDir), { recursive: true });
  const lock = lockDataDir(dataDir);
  let lite: PGlite;
  try {
    lite = await PGlite.create(dataDir, {
      ...(target.amcheck ? { extensions: { amcheck } } : {}),
      ...(target.loadFrom ? { loadDataDir: target.loadFrom } : {}),
    });
  } catch (err) {
    lock.release();
    throw cannotOpen(dataDir, lock.stalePid, err);
  }
  const database = openPglite<DB>(lite, lock.release);
  database.dataDir = dataDir;
  if (lock.stalePid !== null) {
    database.uncleanStop = {
      pid: lock.stalePid,
      check: await checkDatabase(database.db as Kysely<unknown>),
    };
  }
  return database;
}

function openPglite<DB>(lite: PGlite, releaseLock = () => {}): Database<DB> {
  yieldBetweenStatements(lite);
  const pool = new pg.Pool(createPgConfig(lite));
  pool.on('connect', prepareRepeatedStatements);
  const db = bindableKysely<DB>({ system: pool, brand: pool });
  return {
    kind: 'pglite',
    db,
    dumpDataDir: async () => {
      // Flushed first, so the copy needs little WAL replay; dumpDataDir holds the query lock while it reads.
      await sql`checkpoint`.execute(db);
      const tar = await lite.dumpDataDir('none');
      return new Uint8Array(await tar.arrayBuffer());
    },
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
}

/**
 * PGlite runs each statement synchronously on this thread and answers through promises only: a job that runs
 * statement after statement (an import's batches, a subscriber's work) is one chain of microtasks, and the
 * event loop never reaches its I/O phase until the chain ends, so no request is even read meanwhile, however
 * short each statement. Every message to PGlite first waits for the loop's next turn (setImmediate, after
 * pending I/O), so requests interleave with the work statement by statement. A transaction still holds the
 * single connection: what yields there is the loop, not the connection.
 */
function yieldBetweenStatements(lite: PGlite) {
  const exec = lite.execProtocolStream.bind(lite);
  lite.execProtocolStream = async (...args) => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    return exec(...args);
  };
}

/** What to do when the data folder does not open: the error says where the way back is. */
function cannotOpen(dataDir: string, stalePid: number | null, err: unknown): Error {
  const unclean = stalePid === null ? '' : ` after an unclean stop (process ${stalePid} did not close it)`;
  return new Error(
    `The embedded database at ${dataDir} does not open${unclean}: ${(err as Error).message ?? err}\n` +
      'Run "siyu doctor" to list the backups, then "siyu doctor --restore latest" to restore the newest ' +
      '(the current folder is moved aside, not deleted).',
    { cause: err },
  );
}

const heldHere = new Set<string>();

/**
 * PGlite is one opener per data directory: two corrupt it, so the second one is refused. A lock whose process
 * is gone is taken over, and its pid returned: that process never closed the database.
 */
export function lockDataDir(dataDir: string): { release: () => void; stalePid: number | null } {
  const lockPath = `${dataDir}.lock`;
  if (heldHere.has(lockPath)) throw inUse(dataDir, process.pid);
  let stalePid: number | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(lockPath);
      const release = () => {
        heldHere.delete(lockPath);
        rmSync(lockPath, { force: true });
      };
      return { release, stalePid };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockPath, 'utf8'));
      // Our own pid in a lock we do not hold is a leftover of an earlier run that had the same pid.
      if (holder && holder !== process.pid && isAlive(holder)) throw inUse(dataDir, holder);
      stalePid = holder || 0;
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

/** The live process holding the data folder's lock, if any. */
export function lockHolder(dataDir: string): number | null {
  const lockPath = `${dataDir}.lock`;
  if (heldHere.has(lockPath)) return process.pid;
  let holder: number;
  try {
    holder = Number(readFileSync(lockPath, 'utf8'));
  } catch {
    return null;
  }
  return holder && holder !== process.pid && isAlive(holder) ? holder : null;
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
