import { type Kysely, sql } from 'kysely';

/**
 * The tenant rule of DESIGN.md, read from the catalogue of one schema: every table has corp_id first in its
 * primary key and in every unique index, and every foreign key carries corp_id to corp_id. Returns the
 * breaches, one readable line each (empty when the rule holds).
 */
export async function tenantRuleViolations(db: Kysely<unknown>, schema = 'public'): Promise<string[]> {
  const indexes = await sql<{
    table_name: string;
    index_name: string;
    is_primary: boolean;
    first_column: string | null;
  }>`
    select t.relname as table_name, i.relname as index_name, x.indisprimary as is_primary,
           a.attname as first_column
    from pg_index x
    join pg_class t on t.oid = x.indrelid
    join pg_class i on i.oid = x.indexrelid
    join pg_namespace n on n.oid = t.relnamespace
    left join pg_attribute a on a.attrelid = t.oid and a.attnum = x.indkey[0]
    where n.nspname = ${schema} and t.relkind in ('r', 'p') and (x.indisunique or x.indisprimary)
  `.execute(db);
  const tables = await sql<{ table_name: string; has_pk: boolean }>`
    select c.relname as table_name,
           exists (select 1 from pg_index x where x.indrelid = c.oid and x.indisprimary) as has_pk
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${schema} and c.relkind in ('r', 'p')
  `.execute(db);
  const foreignKeys = await sql<{ table_name: string; name: string; pairs: string[] }>`
    select t.relname as table_name, c.conname as name,
           array(select a.attname || '->' || b.attname
                 from unnest(c.conkey, c.confkey) as k(l, r)
                 join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.l
                 join pg_attribute b on b.attrelid = c.confrelid and b.attnum = k.r) as pairs
    from pg_constraint c
    join pg_class t on t.oid = c.conrelid
    join pg_namespace n on n.oid = t.relnamespace
    where n.nspname = ${schema} and c.contype = 'f'
  `.execute(db);

  const out: string[] = [];
  for (const t of tables.rows) {
    if (!t.has_pk) out.push(`${t.table_name}: no primary key`);
  }
  for (const ix of indexes.rows) {
    if (ix.first_column !== 'corp_id') {
      out.push(
        `${ix.table_name}: ${ix.is_primary ? 'primary key' : `unique index ${ix.index_name}`} does not start with corp_id`,
      );
    }
  }
  for (const fk of foreignKeys.rows) {
    if (!fk.pairs.includes('corp_id->corp_id'))
      out.push(`${fk.table_name}: foreign key ${fk.name} does not carry corp_id`);
  }
  return out.sort();
}
