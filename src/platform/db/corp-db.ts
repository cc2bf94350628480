import type { Kysely, Transaction } from 'kysely';
import { brandStatement } from './rls.ts';

/**
 * The only way services reach data: a handle bound to one corp. Every query a service writes filters on
 * `corpId` from here (and the tenant tests check that brands never see each other's rows).
 */
export interface CorpDb<DB> {
  readonly corpId: string;
  readonly db: Kysely<DB>;
  /**
   * Runs `fn` in a transaction (the current one when this handle is already in one). A transaction this
   * opens is bound to the brand (rls.ts): under row-level security, a query in it that forgets the corp
   * filter still sees and changes only this brand's rows. One it was handed (a worker's cross-brand
   * transaction) is left as it is.
   */
  transaction<T>(fn: (tx: CorpDb<DB>) => Promise<T>): Promise<T>;
  /** Runs `fn` once the outermost transaction has committed (at once outside a transaction); never on rollback. */
  onCommit(fn: () => void): void;
}

export function corpDb<DB>(db: Kysely<DB>, corpId: string): CorpDb<DB> {
  return handle(db, corpId, null);
}

function handle<DB>(db: Kysely<DB>, corpId: string, committed: (() => void)[] | null): CorpDb<DB> {
  return {
    corpId,
    db,
    transaction: async (fn) => {
      if (db.isTransaction) return fn(handle(db, corpId, committed ?? []));
      const hooks: (() => void)[] = [];
      const result = await db.transaction().execute(async (tx: Transaction<DB>) => {
        await brandStatement(corpId).execute(tx);
        return fn(handle(tx, corpId, hooks));
      });
      for (const hook of hooks) hook();
      return result;
    },
    onCommit: (fn) => {
      if (committed) committed.push(fn);
      else fn();
    },
  };
}
