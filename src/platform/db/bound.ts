import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDriver,
  type QueryCompiler,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import { SiyuPostgresDialect } from './dialect.ts';
import { APP_ROLE } from './rls.ts';

/**
 * Brand-bound connections: every statement of a corp-bound handle (corp-db.ts), in a transaction or not,
 * runs on a connection whose session is the role `siyu_app` with `siyu.corp_id` set to that brand, so the
 * row-level security policies (rls.ts) hold behind every query a service writes. The unbound handle
 * (migrations, workers, jobs spanning brands) runs as the connecting role.
 *
 * A connection is switched only when the binding it was last given differs from the one wanted: on a
 * PostgreSQL server the bound handles draw from a pool of their own, so a connection keeps its binding (and
 * PostgreSQL keeps its cached plans, which are made per role) from one statement to the next; PGlite has one
 * connection, switched when bound and unbound work alternate.
 */
type Binding = string | null;
/** Kysely's PostgresDriver, as the Driver it is (its connections typed as any connection). */
type PoolDriver = Required<Driver>;

const boundBy = new WeakMap<Kysely<unknown>, (corpId: string) => Kysely<unknown>>();

/**
 * The unbound handle over `system` connections, from which `brandBound` makes the bound ones over `brand`
 * connections (the same pool on PGlite).
 */
export function bindableKysely<DB>(pools: { system: pg.Pool; brand: pg.Pool }): Kysely<DB> {
  const driver = (pool: pg.Pool) => new PostgresDriver({ pool }) as unknown as PoolDriver;
  const system = driver(pools.system);
  const brand = pools.brand === pools.system ? system : driver(pools.brand);
  const bindings = new WeakMap<DatabaseConnection, Binding>();
  const open = (binding: Binding, inner: PoolDriver, owns: PoolDriver[]) =>
    new Kysely<DB>({ dialect: new BindingDialect(new BindingDriver(inner, binding, bindings, owns)) });
  const db = open(null, system, system === brand ? [system] : [system, brand]);
  const cache = new Map<string, Kysely<unknown>>();
  const bind = (corpId: string) => {
    let bound = cache.get(corpId);
    if (!bound) {
      bound = open(corpId, brand, []) as Kysely<unknown>;
      cache.set(corpId, bound);
      boundBy.set(bound, bind);
    }
    return bound;
  };
  boundBy.set(db as Kysely<unknown>, bind);
  return db;
}

/** The handle of `db` whose every statement is bound to `corpId`. */
export function brandBound<DB>(db: Kysely<DB>, corpId: string): Kysely<DB> {
  const bind = boundBy.get(db as Kysely<unknown>);
  if (!bind) throw new Error('brandBound: this handle was not opened by openDatabase (bindableKysely)');
  return bind(corpId) as Kysely<DB>;
}

function bindStatement(binding: Binding): CompiledQuery {
  return binding === null
    ? CompiledQuery.raw(`select set_config('role', 'none', false), set_config('siyu.corp_id', '', false)`)
    : CompiledQuery.raw(
        `select set_config('role', '${APP_ROLE}', false), set_config('siyu.corp_id', $1, false)`,
        [binding],
      );
}

class BindingDialect extends SiyuPostgresDialect {
  constructor(private readonly driver: BindingDriver) {
    super({ pool: {} as pg.Pool });
  }
  override createDriver(): Driver {
    return this.driver;
  }
}

class BindingDriver implements Driver {
  constructor(
    private readonly inner: PoolDriver,
    private readonly binding: Binding,
    private readonly bindings: WeakMap<DatabaseConnection, Binding>,
    /** The drivers (pools) this one ends on destroy: the unbound handle's; a bound handle ends none. */
    private readonly owns: PoolDriver[],
  ) {}

  init() {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    if ((this.bindings.get(connection) ?? null) !== this.binding) {
      try {
        // Outside any transaction, so it holds for the session: a rollback later cannot undo it.
        await connection.executeQuery(bindStatement(this.binding));
      } catch (err) {
        await this.inner.releaseConnection(connection);
        throw err;
      }
      this.bindings.set(connection, this.binding);
    }
    return connection;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    return this.inner.beginTransaction(connection, settings);
  }
  commitTransaction(connection: DatabaseConnection) {
    return this.inner.commitTransaction(connection);
  }
  rollbackTransaction(connection: DatabaseConnection) {
    return this.inner.rollbackTransaction(connection);
  }
  savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return this.inner.savepoint(connection, name, compile);
  }
  rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return this.inner.rollbackToSavepoint(connection, name, compile);
  }
  releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']) {
    return this.inner.releaseSavepoint(connection, name, compile);
  }
  releaseConnection(connection: DatabaseConnection) {
    return this.inner.releaseConnection(connection);
  }
  async destroy() {
    for (const driver of this.owns) await driver.destroy();
  }
}
