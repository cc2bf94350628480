import { spawn } from 'node:child_process';

import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATION_SOURCES } from '../modules/index.ts';
import type { Tables } from '../modules/tables.ts';
import { openDatabase } from '../platform/db/connect.ts';
import { loadMigrations, migrate } from '../platform/db/migrate.ts';
import { seedFixture } from '../testing/fixture.ts';
import { tempDir } from '../testing/temp-dir.ts';

const BIN = resolve(import.meta.dirname, '../../bin/siyu.js');

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...rest, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => done({ code, out }));
  });
}

describe('siyu facts recompute', () => {
  it('recomputes a brand’s facts with a progress line, and asks which brand when there are several', async () => {
    const dataDir = join(tempDir('facts'), 'data');
    const env = { SIYU_DATA_DIR: dataDir, SIYU_LOG_LEVEL: 'warn' };
    const database = await openDatabase<Tables>({ dataDir });
    await migrate(database.db as never, loadMigrations(MIGRATION_SOURCES));
    const fx = await seedFixture(database.db);
    const now = Date.now();
    await database.db
      .insertInto('orders')
      .values(
        [1, 3, 5].map((daysAgo, i) => ({
          corp_id: 'acme',
          source: 'pos',
          source_order_id: `cli${i}`,
          channel: 'pos' as const,
          unit_id: fx.units.sh1,
          customer_id: fx.customers.wang,
          total_fen: 3_000,
          paid_fen: 3_000,
          ordered_at: new Date(now - daysAgo * 86_400_000),
        })),
      )
      .execute();
    await database.close();

    const top = await run(['--help'], env);
    expect(top.out).toMatch(/facts\s+recompute a brand/);
    const help = await run(['facts', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: siyu facts recompute [--brand ID]');

    const which = await run(['facts', 'recompute'], env);
    expect(which.code).toBe(1);
    expect(which.out).toContain('Name the brand with --brand (brands: acme, other)');
    const what = await run(['facts'], env);
    expect(what.code).toBe(1);
    expect(what.out).toContain('siyu facts recompute');

    const done = await run(['facts', 'recompute', '--brand', 'acme'], env);
    expect(done.code, done.out).toBe(0);
    expect(done.out).toContain('Facts of acme: 100% (5/5)');
    expect(done.out).toMatch(
      /Facts of acme recomputed: 5 customers, 5 changed — new \d, active 0, repeat 1, super 0/,
    );

    const after = await openDatabase<Tables>({ dataDir });
    try {
      const wang = await after.db
        .selectFrom('customer_facts')
        .selectAll()
        .where('corp_id', '=', 'acme')
        .where('customer_id', '=', fx.customers.wang)
        .executeTakeFirstOrThrow();
      expect(wang).toMatchObject({
        order_count: 3,
        paid_fen: 9_000,
        stage: 'repeat',
        r_score: 5,
        f_score: 2,
      });
      const others = await after.db
        .selectFrom('customer_facts')
        .select('customer_id')
        .where('corp_id', '=', 'other')
        .execute();
      expect(others).toEqual([]); // only the brand named
    } finally {
      await after.close();
    }
  }, 120_000);
});
