import type { Kysely, Transaction } from 'kysely';

/**
 * The only way services reach data: a handle bound to one corp. Every query a service writes filters on
 * `corpId` from here (and the tenant tests check that brands never see each other's rows).
 */
export interface CorpDb<DB> {
  readonly corpId: string;
  readonly db: Kysely<DB>;
  transaction<T>(fn: (tx: CorpDb<DB>) => Promise<T>): Promise<T>;
}

export function corpDb<DB>(db: Kysely<DB>, corpId: string): CorpDb<DB> {
  return {
    corpId,
    db,
    transaction: (fn) =>
      db.isTransaction
        ? fn(corpDb(db, corpId))
        : db.transaction().execute((tx: Transaction<DB>) => fn(corpDb(tx, corpId))),
  };
}
