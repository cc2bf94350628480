import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../testing/db.ts';
import type { Database } from './connect.ts';
import { type CorpDb, corpDb, gatheredUntilCommit } from './corp-db.ts';

let database: Database<unknown>;
beforeAll(async () => {
  database = (await openTestDatabase()) as Database<unknown>;
});
afterAll(() => database.close());

describe('a brand’s handle', () => {
  it('runs onCommit hooks after the outermost transaction commits, never on rollback', async () => {
    const ran: string[] = [];
    await corpDb(database.db, 'acme').transaction(async (tx) => {
      tx.onCommit(() => ran.push('outer'));
      await tx.transaction(async (inner) => {
        inner.onCommit(() => ran.push('inner'));
      });
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['outer', 'inner']);
    await expect(
      corpDb(database.db, 'acme').transaction(async (tx) => {
        tx.onCommit(() => ran.push('rolled back'));
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(ran).toEqual(['outer', 'inner']);
  });

  it('on a transaction it was handed (whose commit it does not see), runs them at once, nested or not', async () => {
    const ran: string[] = [];
    await database.db.transaction().execute(async (handed) => {
      const cdb = corpDb(handed, 'acme');
      cdb.onCommit(() => ran.push('handed'));
      await cdb.transaction(async (tx) => {
        tx.onCommit(() => ran.push('nested'));
      });
      expect(ran).toEqual(['handed', 'nested']);
    });
  });

  describe('writes gathered until commit', () => {
    // a scratch table: which gatherer wrote what, in which statement
    beforeAll(async () => {
      await sql`create table gathered_writes (source text, n int, stmt timestamptz)`.execute(database.db);
    });
    const rows = async (db: Kysely<unknown> = database.db) =>
      (
        await sql<{ source: string; n: number; stmt: Date }>`
          select source, n, stmt from gathered_writes order by source, n`.execute(db)
      ).rows;
    const gatherer = (source: string) =>
      gatheredUntilCommit((_cdb: CorpDb<unknown>, ns: number[]) => [
        {
          name: `${source}_rows`,
          sql: sql`insert into gathered_writes (source, n, stmt)
            select ${source}, unnest(${ns}::int[]), statement_timestamp() returning n`,
        },
        // a later write reads an earlier one's RETURNING rows by name
        {
          name: `${source}_total`,
          sql: sql`insert into gathered_writes (source, n, stmt)
            select ${`${source}:total`}, sum(n), statement_timestamp() from ${sql.ref(`${source}_rows`)}`,
        },
      ]);

    it('writes every gatherer’s items of a transaction in one statement after its work, before onCommit', async () => {
      await sql`delete from gathered_writes`.execute(database.db);
      const a = gatherer('a');
      const b = gatherer('b');
      const seen: string[] = [];
      await corpDb(database.db, 'acme').transaction(async (tx) => {
        await a.add(tx, [1, 2]);
        await tx.transaction(async (inner) => {
          await b.add(inner, [10]);
          await a.add(inner, [3]);
        });
        tx.onCommit(() => seen.push('committed'));
        expect(await rows(tx.db)).toEqual([]); // nothing written during the work
      });
      expect(seen).toEqual(['committed']);
      const written = await rows();
      expect(written.map((r) => [r.source, r.n])).toEqual([
        ['a', 1],
        ['a', 2],
        ['a', 3],
        ['a:total', 6],
        ['b', 10],
        ['b:total', 10],
      ]);
      // one statement: PostgreSQL's statement timestamp is the same on every row
      expect(new Set(written.map((r) => new Date(r.stmt).getTime())).size).toBe(1);
    });

    it('flush writes what the transaction gathered at once; a failing write rolls it all back', async () => {
      await sql`delete from gathered_writes`.execute(database.db);
      const a = gatherer('a');
      await corpDb(database.db, 'acme').transaction(async (tx) => {
        await a.add(tx, [1]);
        await a.flush(tx);
        expect((await rows(tx.db)).map((r) => r.n)).toEqual([1, 1]);
        await a.add(tx, [5]); // gathered again: written before commit
      });
      expect((await rows()).map((r) => [r.source, r.n])).toEqual([
        ['a', 1],
        ['a', 5],
        ['a:total', 1],
        ['a:total', 5],
      ]);

      await sql`delete from gathered_writes`.execute(database.db);
      const broken = gatheredUntilCommit((_cdb: CorpDb<unknown>, ns: number[]) => [
        { name: 'broken', sql: sql`insert into gathered_writes (source, n) select 'x', ${ns[0]}::int / 0` },
      ]);
      const after: string[] = [];
      await expect(
        corpDb(database.db, 'acme').transaction(async (tx) => {
          await a.add(tx, [7]);
          await broken.add(tx, [1]);
          tx.onCommit(() => after.push('committed'));
        }),
      ).rejects.toThrow(/division by zero/);
      expect(after).toEqual([]);
      expect(await rows()).toEqual([]);
    });

    it('writes at once outside a transaction and in one it was handed', async () => {
      await sql`delete from gathered_writes`.execute(database.db);
      const a = gatherer('a');
      await a.add(corpDb(database.db, 'acme'), [1]);
      expect((await rows()).map((r) => r.n)).toEqual([1, 1]);
      await database.db.transaction().execute(async (t) => {
        await a.add(corpDb(t, 'acme'), [2]);
        expect((await rows(t)).map((r) => r.n)).toEqual([1, 2, 1, 2]);
      });
    });
  });
});
