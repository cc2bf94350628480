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
  /**
   * Runs `fn` inside the outermost transaction, after its work and before it commits (writes a transaction
   * gathers, such as its domain events, go out as one statement); resolves once queued. Outside a
   * transaction, or in one this handle was handed, it runs at once and resolves when done.
   */
  beforeCommit(fn: () => Promise<void>): Promise<void>;
}

/**
 * `db`'s handle for one brand: bound to it (bound.ts), so that under row-level security every statement,
 * in a transaction or not, sees and changes only this brand's rows. A transaction it is handed (a worker's,
 * spanning brands) is kept as it is.
 */
export function corpDb<DB>(db: Kysely<DB>, corpId: string): CorpDb<DB> {
  return handle(db.isTransaction ? db : brandBound(db, corpId), corpId, null);
}

/** An own transaction's hooks; a handed one (or none) has none. */
interface Hooks {
  before: (() => Promise<void>)[];
  committed: (() => void)[];
}

function handle<DB>(db: Kysely<DB>, corpId: string, hooks: Hooks | null): CorpDb<DB> {
  return {
    corpId,
    db,
    transaction: async (fn) => {
      if (db.isTransaction) return fn(handle(db, corpId, hooks));
      const own: Hooks = { before: [], committed: [] };
      const result = await db.transaction().execute(async (tx: Transaction<DB>) => {
        const out = await fn(handle(tx, corpId, own));
        // a hook may queue another (its own writes gathered meanwhile): run until none is left
        for (let fn = own.before.shift(); fn; fn = own.before.shift()) await fn();
        return out;
      });
      for (const hook of own.committed) hook();
      return result;
    },
    onCommit: (fn) => {
      if (hooks) hooks.committed.push(fn);
      else fn();
    },
    beforeCommit: async (fn) => {
      if (hooks) hooks.before.push(fn);
      else await fn();
    },
  };
}

/**
 * `write` for what a transaction gathers: every `add` in one transaction adds its items, and they are
 * written together, once, just before it commits (outside a transaction, or in a handed one, at once).
 * `flush` writes what the handle's transaction has gathered now: before anything reads or changes the rows.
 */
// biome-ignore lint/suspicious/noExplicitAny: a handle over any schema
export function gatheredUntilCommit<T, H extends CorpDb<any>>(write: (cdb: H, items: T[]) => Promise<void>) {
  const open = new WeakMap<object, T[]>();
  const flush = async (cdb: H) => {
    const items = open.get(cdb.db);
    open.delete(cdb.db);
    if (items?.length) await write(cdb, items);
  };
  const add = async (cdb: H, items: readonly T[]) => {
    const gathered = open.get(cdb.db);
    if (gathered) {
      gathered.push(...items);
      return;
    }
    open.set(cdb.db, [...items]);
    await cdb.beforeCommit(() => flush(cdb));
  };
  return { add, flush };
}
