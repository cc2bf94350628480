import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../testing/db.ts';
import type { Database } from './connect.ts';
import { corpDb } from './corp-db.ts';

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

  it('runs beforeCommit hooks inside the outermost transaction, after its work, in order; at once when handed', async () => {
    const ran: string[] = [];
    await corpDb(database.db, 'acme').transaction(async (tx) => {
      await tx.beforeCommit(async () => {
        ran.push('first');
        // a hook queued by a hook still runs before the commit
        await tx.beforeCommit(async () => {
          ran.push('queued by a hook');
        });
      });
      tx.onCommit(() => ran.push('committed'));
      await tx.transaction(async (inner) => {
        await inner.beforeCommit(async () => {
          ran.push('inner');
        });
      });
      ran.push('work done');
    });
    expect(ran).toEqual(['work done', 'first', 'inner', 'queued by a hook', 'committed']);

    // a hook that fails rolls the transaction back: its onCommit hooks never run
    const after: string[] = [];
    await expect(
      corpDb(database.db, 'acme').transaction(async (tx) => {
        tx.onCommit(() => after.push('committed'));
        await tx.beforeCommit(async () => {
          throw new Error('flush failed');
        });
      }),
    ).rejects.toThrow('flush failed');
    expect(after).toEqual([]);

    const handed: string[] = [];
    await database.db.transaction().execute(async (t) => {
      await corpDb(t, 'acme').beforeCommit(async () => {
        handed.push('at once');
      });
      expect(handed).toEqual(['at once']);
    });
  });
});
