import type { Kysely, Transaction } from 'kysely';
import { brandBound } from './bound.ts';

/**
 * The only way services reach data: a handle bound to one corp. Every query a service writes filters on
 * `corpId` from here (and the tenant tests check that brands never see each other's rows).
 */
export interface CorpDb<DB> {
  readonly corpId: string;
  readonly db: Kysely<DB>;
  /**
   * Runs `fn` in a transaction (the current one when this handle is already in one).
   */
  transaction<T>(fn: (tx: CorpDb<DB>) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` once the outermost transaction has committed (at once outside a transaction); never on
   * rollback. In a transaction this handle was handed (a worker's), whose commit it does not see: at once.
   */
  onCommit(fn: () => void): void;
}

/**
 * `db`'s handle for one brand: bound to it (bound.ts), so that under row-level security every statement,
 * in a transaction or not, sees and changes only this brand's rows. A transaction it is handed (a worker's,
 * spanning brands) is kept as it is.
 */
export function corpDb<DB>(db: Kysely<DB>, corpId: string): CorpDb<DB> {
  return handle(db.isTransaction ? db : brandBound(db, corpId), corpId, null);
}

function handle<DB>(db: Kysely<DB>, corpId: string, committed: (() => void)[] | null): CorpDb<DB> {
  return {
    corpId,
    db,
    transaction: async (fn) => {
      if (db.isTransaction) return fn(handle(db, corpId, committed));
      const hooks: (() => void)[] = [];
      const result = await db
        .transaction()
        .execute(async (tx: Transaction<DB>) => fn(handle(tx, corpId, hooks)));
      for (const hook of hooks) hook();
      return result;
    },
    onCommit: (fn) => {
      if (committed) committed.push(fn);
      else fn();
    },
  };
}
