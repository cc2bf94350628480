import { type Kysely, sql } from 'kysely';

/**
 * Row-level security, the second wall behind the corp-bound handle (corp-db.ts). On PostgreSQL and PGlite
 * alike, every table of `public` with a corp_id column gets row-level security and one policy,
 * `corp_isolation`, for the role `siyu_app`: a row is visible and writable only when its corp_id is the
 * session's `siyu.corp_id` setting. The corp-bound handle runs every statement on a connection switched to
 * that role and brand (bound.ts).
 *
 * The connecting role (the tables' owner, or a superuser) is not subject to these policies: it is the
 * cross-brand path that migrations, workers and background jobs take through the unbound handle. Under
 * `siyu_app`, an unset `siyu.corp_id` matches no row at all: a brand-bound query never sees everything.
 *
 * Wired in: migrate() ends with `applyRowLevelSecurity` in a transaction holding its advisory lock.
 */
export const APP_ROLE = 'siyu_app';
export const POLICY = 'corp_isolation';
/** Analyzes tables as their owner, for a brand-bound handle too (analyze.ts). */
export const ANALYZE_FUNCTION = 'siyu_analyze';

/**
 * Creates the role if missing, grants it the tables (and, by default privileges, those the connecting user
 * creates later outside migrations), and puts the policy on every tenant table that lacks it. Idempotent; run after the migrations (each run covers the tables they just created).
 */
export async function applyRowLevelSecurity(db: Kysely<unknown>): Promise<void> {
  await ensureAppRole(db);
  await sql
    .raw(`grant usage on schema public to ${APP_ROLE};
    grant select, insert, update, delete on all tables in schema public to ${APP_ROLE};
    grant usage, select, update on all sequences in schema public to ${APP_ROLE};
    alter default privileges in schema public grant select, insert, update, delete on tables to ${APP_ROLE};
    alter default privileges in schema public grant usage, select, update on sequences to ${APP_ROLE}`)
    .execute(db);
  // Only a table's owner may analyze it, and a bulk writer under siyu_app must (analyze.ts): through this
  // function, which runs as the owner and does nothing else, in the writer's own transaction.
  await sql
    .raw(`create or replace function ${ANALYZE_FUNCTION}(tables text[]) returns void
      language plpgsql security definer set search_path = public as $$
      declare t text;
      begin foreach t in array tables loop execute format('analyze public.%I', t); end loop; end $$;
    revoke all on function ${ANALYZE_FUNCTION}(text[]) from public;
    grant execute on function ${ANALYZE_FUNCTION}(text[]) to ${APP_ROLE}`)
    .execute(db);
  const { rows } = await sql<{ table_name: string; rls: boolean; has_policy: boolean }>`
    select c.relname as table_name, c.relrowsecurity as rls,
           exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = ${POLICY}) as has_policy
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attname = 'corp_id' and not a.attisdropped
    where n.nspname = 'public' and c.relkind in ('r', 'p')
  `.execute(db);
  for (const t of rows) {
    const table = sql.table(t.table_name);
    if (!t.rls) await sql`alter table ${table} enable row level security`.execute(db);
    if (!t.has_policy) {
      const brand = sql`corp_id = current_setting('siyu.corp_id', true)`;
      await sql`create policy ${sql.id(POLICY)} on ${table} to ${sql.id(APP_ROLE)}
        using (${brand}) with check (${brand})`.execute(db);
    }
  }
}

async function ensureAppRole(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ exists: boolean; superuser: boolean; member: boolean }>`
    select exists (select 1 from pg_roles where rolname = ${APP_ROLE}) as exists,
           (select rolsuper from pg_roles where rolname = current_user) as superuser,
           exists (select 1 from pg_roles r where r.rolname = ${APP_ROLE}
                   and pg_has_role(current_user, r.oid, 'MEMBER')) as member
  `.execute(db);
  const state = rows[0]!;
  if (state.exists && (state.superuser || state.member)) return;
  try {
    // Roles belong to the whole server: several databases (test files) may create it at the same moment.
    if (!state.exists) {
      await sql
        .raw(`do $$ begin
          create role ${APP_ROLE} nologin;
        exception when duplicate_object or unique_violation then null;
        end $$`)
        .execute(db);
    }
    if (!state.superuser) await sql.raw(`grant ${APP_ROLE} to current_user`).execute(db);
  } catch (err) {
    throw new Error(
      `Row-level security needs the role ${APP_ROLE}, which this database user may not create or join ` +
        `(${(err as Error).message}). As a superuser, run: create role ${APP_ROLE} nologin; ` +
        `grant ${APP_ROLE} to <Siyu's database user>;`,
      { cause: err },
    );
  }
}

/**
 * Tenant tables (a corp_id column) of a schema without row-level security or without the policy, one
 * readable line each (empty when every one has both).
 */
export async function rowLevelSecurityGaps(db: Kysely<unknown>, schema = 'public'): Promise<string[]> {
  const { rows } = await sql<{ table_name: string; rls: boolean; has_policy: boolean }>`
    select c.relname as table_name, c.relrowsecurity as rls,
           exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = ${POLICY}) as has_policy
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attname = 'corp_id' and not a.attisdropped
    where n.nspname = ${schema} and c.relkind in ('r', 'p')
  `.execute(db);
  const out: string[] = [];
  for (const t of rows) {
    if (!t.rls) out.push(`${t.table_name}: row-level security is off`);
    if (!t.has_policy) out.push(`${t.table_name}: no ${POLICY} policy`);
  }
  return out.sort();
}
