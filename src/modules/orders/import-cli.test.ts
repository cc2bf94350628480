import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import writeXlsxFile from 'write-excel-file/node';
import { openDatabase } from '../../platform/db/connect.ts';
import { loadMigrations, migrate } from '../../platform/db/migrate.ts';
import { seedFixture, TEST_KEY } from '../../testing/fixture.ts';
import { tempDir } from '../../testing/temp-dir.ts';
import { MIGRATION_SOURCES } from '../index.ts';
import type { Tables } from '../tables.ts';

const BIN = resolve(import.meta.dirname, '../../../bin/siyu.js');
const dir = tempDir('import');
const dataDir = join(dir, 'data');
const file = join(dir, '六月订单.xlsx');

/** The command on the embedded database of this test, whatever database the suite runs on. */
function siyu(args: string[]): Promise<{ code: number | null; out: string }> {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...env, SIYU_DATA_DIR: dataDir, SIYU_SECRET_KEY: TEST_KEY, SIYU_LOG_LEVEL: 'warn' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => done({ code, out }));
  });
}

async function withDb<T>(
  fn: (db: Awaited<ReturnType<typeof openDatabase<Tables>>>) => Promise<T>,
): Promise<T> {
  const database = await openDatabase<Tables>({ dataDir });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

const ordersOf = (source: string) =>
  withDb((d) =>
    d.db
      .selectFrom('orders')
      .select(['source_order_id', 'paid_fen'])
      .where('corp_id', '=', 'acme')
      .where('source', '=', source)
      .orderBy('source_order_id')
      .execute(),
  );

beforeAll(async () => {
  await withDb(async (d) => {
    await migrate(d.db as never, loadMigrations(MIGRATION_SOURCES));
    await seedFixture(d.db);
  });
  const at = (h: number) => ({ value: new Date(Date.UTC(2026, 5, 1, h, 0)), format: 'yyyy-mm-dd hh:mm' });
  await writeXlsxFile([
    [
      '订单号',
      '门店编码',
      '渠道',
      '下单时间',
      '商品编码',
      '商品名称',
      '数量',
      '单价(元)',
      '实付金额(元)',
      '手机号',
    ],
    ['N1', 'sh1', 'POS', at(9), 'T1', '奶茶', 2, 9.9, 19.8, '13812345678'],
    ['N2', 'sh2', '小程序', at(10), 'T2', '果茶', 1, 12, 10, null],
    ['N1', null, null, null, 'T3', '小料', 1, 0, null, null],
    ['N3', 'nowhere', 'POS', at(11), 'T1', '奶茶', 1, 9.9, 9.9, null],
  ]).toFile(file);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('siyu import orders', () => {
  it('is listed in siyu --help and explains itself', async () => {
    const top = await siyu(['--help']);
    expect(top.out).toMatch(/import\s+import orders from an \.xlsx or CSV file/);
    const help = await siyu(['import', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: siyu import orders FILE [--source NAME] [--dry-run] [--brand ID]');
    const bad = await siyu(['import', 'customers', file]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('siyu import orders FILE');
  }, 60_000);

  it('dry-runs a real .xlsx without writing, then imports it with progress and a saved report, then again with no doubles', async () => {
    const noBrand = await siyu(['import', 'orders', file, '--dry-run']);
    expect(noBrand.code).toBe(1);
    expect(noBrand.out).toContain('--brand (brands: acme, other)');

    const dry = await siyu(['import', 'orders', file, '--brand', 'acme', '--source', 'xlsx', '--dry-run']);
    expect(dry.code, dry.out).toBe(2);
    expect(dry.out).toContain(
      'lines 4 · 订单 orders 3 · 将新建 would create 2 · 已导入 duplicates 0 · 有错 invalid 1',
    );
    expect(dry.out).toContain('2 | N1 | sh1 | pos | 2026-06-01T09:00:00+08:00 | T1 奶茶 | 2 | 9.90 | 19.80');
    expect(dry.out).toContain('第 5 行 row 5, 门店编码 [N3]: 门店编码「nowhere」不存在');
    expect(dry.out).toContain('Nothing was written');
    expect(await ordersOf('import:xlsx')).toEqual([]);
    const report = join(dir, '六月订单-errors.csv');
    expect(readFileSync(report, 'utf8')).toContain('5,门店编码,N3,门店编码「nowhere」不存在');

    const run = await siyu([
      'import',
      'orders',
      file,
      '--brand',
      'acme',
      '--source',
      'xlsx',
      '--report',
      join(dir, 'r.csv'),
    ]);
    expect(run.code, run.out).toBe(2);
    expect(run.out).toMatch(/\[█+\] 100% 3\/3 orders · created 2 · duplicates 0 · invalid 1/);
    expect(run.out).toContain('完成 Done: 新建 created 2 · 已存在 duplicates 0 · 有错 invalid 1');
    expect(existsSync(join(dir, 'r.csv'))).toBe(true);
    expect(await ordersOf('import:xlsx')).toEqual([
      { source_order_id: 'N1', paid_fen: 1980 },
      { source_order_id: 'N2', paid_fen: 1000 },
    ]);

    const again = await siyu(['import', 'orders', file, '--brand', 'acme', '--source', 'xlsx']);
    expect(again.out).toContain('新建 created 0 · 已存在 duplicates 2 · 有错 invalid 1');
    expect(await ordersOf('import:xlsx')).toHaveLength(2);
    const jobs = await withDb((d) =>
      d.db
        .selectFrom('order_imports')
        .select(['status', 'created_by_name', 'file'])
        .where('corp_id', '=', 'acme')
        .execute(),
    );
    expect(jobs).toEqual([
      { status: 'done', created_by_name: 'CLI', file: null },
      { status: 'done', created_by_name: 'CLI', file: null },
    ]);
  }, 120_000);

  it('says what is wrong with a file it cannot import, in both languages', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'name,amount\nx,1\n');
    const res = await siyu(['import', 'orders', csv, '--brand', 'acme']);
    expect(res.code).toBe(1);
    expect(res.out).toContain('缺少必填列');
    expect(res.out).toContain('lacks required columns');
  }, 60_000);
});
