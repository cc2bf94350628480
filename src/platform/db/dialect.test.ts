import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './connect.ts';

let database: Database;
let db: Kysely<{ t: { n: number } }>;
beforeAll(async () => {
  const url = process.env.DATABASE_URL;
  database = await openDatabase(url ? { url } : { memory: true });
  db = database.db as never;
});
afterAll(() => database.close());

const numbers = () =>
  db.selectFrom(sql<{ n: number }>`(select generate_series(1, 3) as n)`.as('t')).select('t.n').orderBy('t.n');

describe('an empty list', () => {
  it('matches nothing with in, and everything with not in', async () => {
    expect(await numbers().where('t.n', 'in', []).execute()).toEqual([]);
    expect((await numbers().where('t.n', 'not in', []).execute()).map((r) => r.n)).toEqual([1, 2, 3]);
    const mixed = await numbers()
      .where((eb) => eb.or([eb('t.n', 'in', []), eb('t.n', '=', 2)]))
      .execute();
    expect(mixed).toEqual([{ n: 2 }]);
  });

  it('leaves non-empty lists alone', async () => {
    expect((await numbers().where('t.n', 'in', [1, 3]).execute()).map((r) => r.n)).toEqual([1, 3]);
    expect((await numbers().where('t.n', 'not in', [1, 3]).execute()).map((r) => r.n)).toEqual([2]);
  });
});
