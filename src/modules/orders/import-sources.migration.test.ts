import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { openDatabase } from '../../platform/db/connect.ts';
import { loadMigrations, migrate } from '../../platform/db/migrate.ts';
import { seedFixture } from '../../testing/fixture.ts';
import { MIGRATION_SOURCES } from '../index.ts';
import type { Tables } from '../tables.ts';

const NAMESPACE = 'orders/0005_import_scope_and_sources';

it('moves the orders, identities and imports of earlier imports into the import:<name> namespace', async () => {
  const plan = loadMigrations(MIGRATION_SOURCES);
  expect(plan.migrations.map((m) => m.id)).toContain(NAMESPACE);
  const database = await openDatabase<Tables>({ memory: true });
  try {
    const db = database.db;
    const before = { ...plan, migrations: plan.migrations.filter((m) => m.id !== NAMESPACE) };
    await migrate(db as Kysely<unknown>, before);
    const fx = await seedFixture(db);
    const at = new Date('2026-06-01T00:00:00Z');
    const job = (source: string) => ({
      corp_id: 'acme',
      file_name: 'f.csv',
      source,
      status: 'done' as const,
      created_by_name: 'CLI',
      total_lines: 1,
      total_orders: 1,
      valid_orders: 1,
      started_at: at,
      updated_at: at,
    });
    await db
      .insertInto('order_imports')
      .values([job('shop'), job('pos')])
      .execute();
    await db
      .insertInto('integrations')
      .values({ corp_id: 'acme', source: 'pos', secret_cipher: 'x', created_at: at })
      .execute();
    const order = (source: string) => ({
      corp_id: 'acme',
      source,
      source_order_id: 'N1',
      channel: 'pos' as const,
      total_fen: 100,
      paid_fen: 100,
      ordered_at: at,
      customer_id: fx.customers.wang,
    });
    await db
      .insertInto('orders')
      .values([order('shop'), order('pos'), order('miniprogram')])
      .execute();
    await db
      .insertInto('customer_identities')
      .values([
        {
          corp_id: 'acme',
          customer_id: fx.customers.wang,
          kind: 'unionid',
          value: 'u1',
          source: 'order:shop',
        },
        { corp_id: 'acme', customer_id: fx.customers.wang, kind: 'openid', value: 'o1', source: 'order:pos' },
      ])
      .execute();

    expect(await migrate(db as Kysely<unknown>, plan)).toEqual([NAMESPACE]);
    const sources = (table: 'orders' | 'order_imports' | 'customer_identities') =>
      db
        .selectFrom(table as 'orders')
        .select('source')
        .where('corp_id', '=', 'acme')
        .orderBy('source')
        .execute()
        .then((rows) => rows.map((r) => r.source));
    // an import-only source moves; one an integration also used stays the integration's
    expect(await sources('orders')).toEqual(['import:shop', 'miniprogram', 'pos']);
    expect(await sources('order_imports')).toEqual(['import:pos', 'import:shop']);
    expect(await sources('customer_identities')).toEqual(['order:import:shop', 'order:pos']);
  } finally {
    await database.close();
  }
});
