import { type Kysely, sql } from 'kysely';

export interface DatabaseCheck {
  ok: boolean;
  /** The migrations ledger (siyu_meta.migrations); null when there is none yet (a new database). */
  migrations: { count: number; latest: string | null } | null;
  /** Tables read (public and siyu_meta). */
  tables: number;
  /** Relations amcheck verified (deep check only). */
  verified: number;
  /** What failed, one line each. */
  problems: string[];
}

const SAMPLE_ROWS = 100;

/**
 * Reads the migrations ledger and a sample of every table: what a database that opens but lost pages after a
 * crash fails first. Runs on both engines. `deep` (PGlite opened with amcheck) also verifies every table's
 * heap and every btree index against it, in a transaction rolled back so the extension leaves no trace.
 */
export async function checkDatabase(
  db: Kysely<unknown>,
  opts: { deep?: boolean } = {},
): Promise<DatabaseCheck> {
  const problems: string[] = [];
  let migrations: DatabaseCheck['migrations'] = null;
  try {
    const ledger = await sql<{ count: number; latest: string | null }>`
      select count(*)::int as count,
        (select id from siyu_meta.migrations order by applied_at desc, id desc limit 1) as latest
      from siyu_meta.migrations`.execute(db);
    migrations = ledger.rows[0]!;
  } catch (err) {
    if ((err as { code?: string }).code !== '42P01') problems.push(`migrations ledger: ${message(err)}`);
  }
  const tables = await sql<{ name: string }>`
    select format('%I.%I', n.nspname, c.relname) as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'r' and n.nspname in ('public', 'siyu_meta')
    order by 1`.execute(db);
  for (const { name } of tables.rows) {
    try {
      await sql`select * from ${sql.raw(name)} limit ${SAMPLE_ROWS}`.execute(db);
    } catch (err) {
      problems.push(`${name}: ${message(err)}`);
    }
  }
  const verified = opts.deep ? await verifyWithAmcheck(db, problems) : 0;
  return { ok: problems.length === 0, migrations, tables: tables.rows.length, verified, problems };
}

class Rollback extends Error {}

async function verifyWithAmcheck(db: Kysely<unknown>, problems: string[]): Promise<number> {
  let verified = 0;
  try {
    await db.transaction().execute(async (trx) => {
      await sql`create extension if not exists amcheck`.execute(trx);
      const relations = await sql<{ name: string; kind: string }>`
        select c.oid::regclass::text as name, c.relkind::text as kind
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('public', 'siyu_meta')
          and (c.relkind = 'r' or (c.relkind = 'i' and c.relam = (select oid from pg_am where amname = 'btree')))
        order by c.relkind desc, 1`.execute(trx);
      for (const { name, kind } of relations.rows) {
        // A savepoint each: one broken relation must not hide the others.
        await sql`savepoint amcheck_one`.execute(trx);
        try {
          if (kind === 'r') {
            const bad = await sql<{ msg: string }>`
              select msg from verify_heapam(${name}::regclass) limit 3`.execute(trx);
            for (const b of bad.rows) problems.push(`${name}: ${b.msg}`);
          } else {
            await sql`select bt_index_check(${name}::regclass, true)`.execute(trx);
          }
          await sql`release savepoint amcheck_one`.execute(trx);
        } catch (err) {
          problems.push(`${name}: ${message(err)}`);
          await sql`rollback to savepoint amcheck_one`.execute(trx);
        }
        verified++;
      }
      throw new Rollback();
    });
  } catch (err) {
    if (!(err instanceof Rollback)) problems.push(`amcheck: ${message(err)}`);
  }
  return verified;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One line: "opens; 37 migrations (latest 0037_x); 52 tables read" and the verdict. */
export function describeCheck(check: DatabaseCheck): string {
  const ledger = check.migrations
    ? `${check.migrations.count} migrations in the ledger (latest ${check.migrations.latest ?? 'none'})`
    : 'no migrations ledger yet';
  const deep = check.verified ? `, ${check.verified} tables and indexes verified (amcheck)` : '';
  const verdict = check.ok ? 'OK' : `${check.problems.length} problem(s)`;
  return `opens; ${ledger}; ${check.tables} tables read (a sample of each)${deep}: ${verdict}`;
}

/** What to print on opening a data folder the previous run did not close, and whether to go on. */
export function uncleanStopReport(
  dataDir: string,
  stop: { pid: number; check: DatabaseCheck },
): { ok: boolean; lines: string[] } {
  const lines = [
    `The previous run (process ${stop.pid}) did not stop cleanly: the embedded database at ${dataDir} was not closed.`,
    `Checked it: ${describeCheck(stop.check)}`,
    ...stop.check.problems.map((p) => `  ${p}`),
  ];
  if (!stop.check.ok) {
    lines.push(
      'Not starting on it. Run "siyu doctor" for a full check and the list of backups, then ' +
        '"siyu doctor --restore latest" to restore the newest (the current folder is moved aside, not deleted).',
    );
  }
  return { ok: stop.check.ok, lines };
}
