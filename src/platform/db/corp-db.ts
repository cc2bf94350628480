import { type Kysely, type RawBuilder, sql, type Transaction } from 'kysely';
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
   * Writes what `fn` returns at the end of the outermost transaction, after its work and before it commits:
   * the writes of every such hook go out together, as one statement (see gatheredUntilCommit). Outside a
   * transaction, or in one this handle was handed, they are written at once.
   */
  beforeCommit(fn: () => Write[]): Promise<void>;
}

/**
 * A data-modifying statement that goes out with others as one: `name` must be unique in the transaction's
 * final statement, and a later write may read an earlier one's RETURNING rows by its name.
 */
export interface Write {
  name: string;
  sql: RawBuilder<unknown>;
}

/** The writes as one statement: each a common table expression. */
async function runWrites<DB>(db: Kysely<DB>, writes: Write[]): Promise<void> {
  if (writes.length === 0) return;
  const names = new Set(writes.map((w) => w.name));
  if (names.size !== writes.length) throw new Error('two writes before commit have the same name');
  await sql`with ${sql.join(writes.map((w) => sql`${sql.ref(w.name)} as (${w.sql})`))} select 1`.execute(db);
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
  before: (() => Write[])[];
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
        await runWrites(
          tx,
          own.before.flatMap((write) => write()),
        );
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
      else await runWrites(db, fn());
    },
  };
}

/**
 * Writes of what a transaction gathers: every `add` in one transaction adds its items, and `toWrites` turns
 * them all into writes that go out with the transaction's others, as one statement, just before it commits
 * (outside a transaction, or in a handed one, at once). `flush` writes what the handle's transaction has
 * gathered now: before anything reads or changes those rows.
 */
// biome-ignore lint/suspicious/noExplicitAny: a handle over any schema
export function gatheredUntilCommit<T, H extends CorpDb<any>>(toWrites: (cdb: H, items: T[]) => Write[]) {
  const open = new WeakMap<object, T[]>();
  const take = (cdb: H) => {
    const items = open.get(cdb.db);
    open.delete(cdb.db);
    return items?.length ? toWrites(cdb, items) : [];
  };
  const flush = (cdb: H) => runWrites(cdb.db, take(cdb));
  const add = async (cdb: H, items: readonly T[]) => {
    const gathered = open.get(cdb.db);
    if (gathered) {
      gathered.push(...items);
      return;
    }
    open.set(cdb.db, [...items]);
    await cdb.beforeCommit(() => take(cdb));
  };
  return { add, flush };
}
