import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { applyRowLevelSecurity } from './rls.ts';

export interface Migration {
  /** `<source>/<NNNN_name>`, e.g. `customers/0003_customer_facts`. */
  id: string;
  sql: string;
}

/** A folder of migrations owned by one module (or the platform), numbered on its own. */
export interface MigrationSource {
  name: string;
  dir: string;
  /**
   * Ids the migration runner of before per-module numbering recorded (one global sequence, `0004_tags`), each
   * with this source's files that hold what it did (`0001_tags`): a database made then upgrades in place.
   */
  legacy?: Readonly<Record<string, readonly string[]>>;
}

export interface MigrationPlan {
  migrations: Migration[];
  /** A legacy ledger id → the ids that replace it. */
  legacy: Map<string, string[]>;
}

const FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/**
 * Reads each source's `NNNN_name.sql` files: sources in the order given (the platform, then modules in
 * dependency order), each source's files by number.
 */
export function loadMigrations(sources: readonly MigrationSource[]): MigrationPlan {
  const migrations: Migration[] = [];
  const legacy = new Map<string, string[]>();
  for (const source of sources) {
    const files = readdirSync(source.dir)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    for (const [i, f] of files.entries()) {
      if (!FILE.test(f))
        throw new Error(`Migration file name must look like 0001_name.sql: ${join(source.dir, f)}`);
      if (i > 0 && files[i - 1]!.slice(0, 4) === f.slice(0, 4)) {
        throw new Error(
          `Two migrations of ${source.name} share the number ${f.slice(0, 4)}: ${files[i - 1]}, ${f}`,
        );
      }
      migrations.push({
        id: `${source.name}/${basename(f, '.sql')}`,
        sql: readFileSync(join(source.dir, f), 'utf8'),
      });
    }
    const names = new Set(files.map((f) => basename(f, '.sql')));
    for (const [old, replacing] of Object.entries(source.legacy ?? {})) {
      for (const name of replacing) {
        if (!names.has(name))
          throw new Error(`${source.name}: legacy migration ${old} names no file ${name}`);
      }
      legacy.set(old, [...(legacy.get(old) ?? []), ...replacing.map((name) => `${source.name}/${name}`)]);
    }
  }
  return { migrations, legacy };
}

/** Several processes may start at once on a PostgreSQL server: one migrates, the others wait and skip. */
const LOCK = sql`select pg_advisory_xact_lock(7242001)`;

/**
 * Forward-only: applies each migration not yet recorded, each in its own transaction. A ledger written with
 * legacy ids is first rewritten to the ids that replace them (what they did is there already). Ends by
 * putting row-level security on every tenant table (rls.ts), those added later included. Returns the ids
 * applied.
 */
export async function migrate(db: Kysely<unknown>, plan: MigrationPlan): Promise<string[]> {
  await sql`create schema if not exists siyu_meta`.execute(db);
  await sql`create table if not exists siyu_meta.migrations (id text primary key, applied_at timestamptz not null default now())`.execute(
    db,
  );
  if (plan.legacy.size > 0) await upgradeLedger(db, plan.legacy);
  const applied: string[] = [];
  for (const m of plan.migrations) {
    const done = await db.transaction().execute(async (trx) => {
      await LOCK.execute(trx);
      const seen = await sql<{ id: string }>`select id from siyu_meta.migrations where id = ${m.id}`.execute(
        trx,
      );
      if (seen.rows.length > 0) return false;
      await sql.raw(m.sql).execute(trx);
      await sql`insert into siyu_meta.migrations (id) values (${m.id})`.execute(trx);
      return true;
    });
    if (done) applied.push(m.id);
  }
  // Row-level security on every tenant table, those just created included (rls.ts); idempotent.
  await db.transaction().execute(async (trx) => {
    await LOCK.execute(trx);
    await applyRowLevelSecurity(trx);
  });
  return applied;
}

async function upgradeLedger(db: Kysely<unknown>, legacy: Map<string, string[]>): Promise<void> {
  const old = [...legacy.keys()];
  await db.transaction().execute(async (trx) => {
    await LOCK.execute(trx);
    const found = await sql<{ id: string; applied_at: Date }>`
      select id, applied_at from siyu_meta.migrations where id in (${sql.join(old)})`.execute(trx);
    for (const row of found.rows) {
      for (const id of legacy.get(row.id)!) {
        await sql`insert into siyu_meta.migrations (id, applied_at) values (${id}, ${row.applied_at})
          on conflict (id) do nothing`.execute(trx);
      }
      await sql`delete from siyu_meta.migrations where id = ${row.id}`.execute(trx);
    }
  });
}
