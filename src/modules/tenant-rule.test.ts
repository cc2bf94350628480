import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../platform/db/connect.ts';
import { tenantRuleViolations } from '../platform/db/tenant-rule.ts';
import { openTestDatabase } from '../testing/db.ts';
import type { Tables } from './tables.ts';

let database: Database<Tables>;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

describe('the tenant rule', () => {
  it('holds for every table of the migrated schema', async () => {
    const tables = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.tables where table_schema = 'public'`.execute(
      database.db,
    );
    expect(tables.rows[0]!.n).toBeGreaterThanOrEqual(11);
    expect(await tenantRuleViolations(database.db as never)).toEqual([]);
  });

  it('catches a table that breaks it, in each of the three ways', async () => {
    const db = database.db;
    await sql`create schema probe`.execute(db);
    await sql`create table probe.parent (corp_id text, id int, primary key (corp_id, id))`.execute(db);
    await sql`create table probe.no_pk (corp_id text, id int)`.execute(db);
    await sql`create table probe.pk_first (id int, corp_id text, code text, parent_id int, primary key (id, corp_id),
      foreign key (corp_id, parent_id) references probe.parent (corp_id, id))`.execute(db);
    await sql`create unique index probe_code on probe.pk_first (code)`.execute(db);
    await sql`create table probe.bad_fk (corp_id text, id int, parent_id int, primary key (corp_id, id))`.execute(
      db,
    );
    await sql`create unique index parent_id_only on probe.parent (id)`.execute(db);
    await sql`alter table probe.bad_fk add foreign key (parent_id) references probe.parent (id)`.execute(db);
    const found = await tenantRuleViolations(db as never, 'probe');
    await sql`drop schema probe cascade`.execute(db);
    expect(found).toEqual(
      expect.arrayContaining([
        'no_pk: no primary key',
        'pk_first: primary key does not start with corp_id',
        'pk_first: unique index probe_code does not start with corp_id',
        'parent: unique index parent_id_only does not start with corp_id',
        expect.stringMatching(/^bad_fk: foreign key .* does not carry corp_id$/),
      ]),
    );
    expect(found.some((l) => l.startsWith('pk_first: foreign key'))).toBe(false);
  });
});
