import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Kysely, sql } from 'kysely';

export interface Migration {
  id: string;
  sql: string;
}

const FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** Reads `NNNN_name.sql` files from the given folders; the four-digit prefix orders them across folders. */
export function loadMigrations(dirs: string[]): Migration[] {
  const all = dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => {
        if (!FILE.test(f))
          throw new Error(`Migration file name must look like 0001_name.sql: ${join(dir, f)}`);
        return { id: basename(f, '.sql'), sql: readFileSync(join(dir, f), 'utf8') };
      }),
  );
  all.sort((a, b) => a.id.localeCompare(b.id));
  for (let i = 1; i < all.length; i++) {
    if (all[i]!.id.slice(0, 4) === all[i - 1]!.id.slice(0, 4)) {
      throw new Error(
        `Two migrations share the number ${all[i]!.id.slice(0, 4)}: ${all[i - 1]!.id}, ${all[i]!.id}`,
      );
    }
  }
  return all;
}

/** Forward-only: applies each migration not yet recorded, each in its own transaction. Returns the ids applied. */
export async function migrate(db: Kysely<unknown>, migrations: Migration[]): Promise<string[]> {
  await sql`create schema if not exists siyu_meta`.execute(db);
  await sql`create table if not exists siyu_meta.migrations (id text primary key, applied_at timestamptz not null default now())`.execute(
    db,
  );
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction().execute(async (trx) => {
      // Several processes may start at once on a PostgreSQL server: one migrates, the others wait and skip.
      await sql`select pg_advisory_xact_lock(7242001)`.execute(trx);
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
  return applied;
}
