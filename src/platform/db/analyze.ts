import { type Kysely, sql } from 'kysely';
import { ANALYZE_FUNCTION } from './rls.ts';

/**
 * Planner statistics for a bulk writer. PGlite runs no autovacuum, so a table it fills is never analyzed:
 * the planner keeps believing the table is (nearly) empty, and a plan a connection caches for it, such as the
 * foreign-key check that every order_items row runs against orders, stays a sequential scan however large
 * the table grows. A batch then costs O(rows already written) and an import O(rows²), holding PGlite's single
 * connection (and the event loop it runs on) for seconds per batch. PostgreSQL's autovacuum corrects this a
 * minute or so later; a bulk writer need not wait for it.
 *
 * `written` counts the rows the caller added since the last call that analyzed; when they exceed
 * autovacuum's own threshold (50 rows + 10 % of the rows the statistics know), the tables are analyzed (which
 * also makes cached plans on them be planned again). Returns whether it analyzed.
 */
export async function analyzeIfGrown(
  db: Kysely<unknown>,
  tables: string[],
  written: number,
): Promise<boolean> {
  if (written <= ANALYZE_BASE || tables.length === 0) return false;
  const { rows } = await sql<{ known: number }>`
    select coalesce(max(greatest(c.reltuples, 0)), 0)::float8 as known from pg_class c
    where c.oid = to_regclass(${tables[0]!})`.execute(db);
  if (written <= ANALYZE_BASE + ANALYZE_SCALE * (rows[0]?.known ?? 0)) return false;
  await analyzeTables(db, tables);
  return true;
}

/**
 * ANALYZE on tables of `public`, for any handle: a brand-bound one (bound.ts) is not the tables' owner, and
 * PostgreSQL skips, with a mere warning, a table its caller does not own. In a transaction, it counts the
 * rows that transaction wrote.
 */
export async function analyzeTables(db: Kysely<unknown>, tables: readonly string[]): Promise<void> {
  await sql`select ${sql.raw(ANALYZE_FUNCTION)}(${tables}::text[])`.execute(db);
}

/** autovacuum_analyze_threshold and autovacuum_analyze_scale_factor's defaults. */
const ANALYZE_BASE = 50;
const ANALYZE_SCALE = 0.1;

/**
 * Analyzes the tables that grew since the planner last looked at them: on disk more than 8 pages (64 KiB)
 * and 20 % beyond the pages their statistics know. The file size is free to read, where PGlite's row
 * counters (pg_stat_user_tables) are flushed too rarely to tell. Returns the tables it analyzed.
 */
export async function analyzeGrownTables(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = current_schema() and c.relkind = 'r'
      and pg_relation_size(c.oid) / 8192 > ${sql.lit(GROWN_MIN_PAGES)} + ${sql.lit(GROWN_SCALE)} * greatest(c.relpages, 0)
    order by c.relname`.execute(db);
  const names = rows.map((r) => r.name);
  if (names.length > 0) await analyzeTables(db, names);
  return names;
}

const GROWN_MIN_PAGES = 8;
const GROWN_SCALE = 1.2;
