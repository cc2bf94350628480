import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tables } from '../../modules/tables.ts';
import { openTestDatabase } from '../../testing/db.ts';
import type { Database } from './connect.ts';
import { AD_HOC } from './prepared.ts';

let database: Database<Tables>;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database.close());

describe('statements the process runs again and again', () => {
  it('are prepared on the connection from their third run, and keep answering right', async () => {
    await database.db.connection().execute(async (conn) => {
      const preparedCount = async (marker: string) =>
        (
          await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements
            where statement like ${`%${marker}%`} and statement not like '%pg_prepared_statements%'`.execute(
            conn,
          )
        ).rows[0]!.n;
      const plusOne = (v: number) =>
        sql<{ v: number }>`select ${v}::int + 1 as v /* marker-a */`.execute(conn);
      expect((await plusOne(1)).rows).toEqual([{ v: 2 }]);
      expect((await plusOne(2)).rows).toEqual([{ v: 3 }]);
      expect(await preparedCount('marker-a')).toBe(0);
      expect((await plusOne(3)).rows).toEqual([{ v: 4 }]);
      expect(await preparedCount('marker-a')).toBe(1);
      expect((await plusOne(41)).rows).toEqual([{ v: 42 }]);
      expect(await preparedCount('marker-a')).toBe(1);
    });
  });

  it('leave ad hoc statements alone however often they run (segments: planned for their values)', async () => {
    await database.db.connection().execute(async (conn) => {
      for (let i = 0; i < 5; i++) {
        await sql`${sql.raw(AD_HOC)} select ${i}::int as v /* marker-c */`.execute(conn);
      }
      const n = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements
        where statement like '%marker-c%' and statement not like '%pg_prepared_statements%'`.execute(conn);
      expect(n.rows[0]!.n).toBe(0);
    });
  });

  it('leave statements without parameters alone, so scripts of several statements still run', async () => {
    await database.db.connection().execute(async (conn) => {
      for (let i = 0; i < 4; i++) {
        await sql
          .raw(`create temp table if not exists scratch_${i} (v int); select 1 /* marker-b */`)
          .execute(conn);
      }
      const n = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements
        where statement like '%marker-b%' and statement not like '%pg_prepared_statements%'`.execute(conn);
      expect(n.rows[0]!.n).toBe(0);
    });
  });
});
