import { sql } from 'kysely';
import readXlsxFile from 'read-excel-file/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EXPORT_ROWS } from '../../platform/export.ts';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { parseDelimited } from '../orders/import-file.ts';

let t: TestApp;
let admin: TestSession;
let sh1: TestSession;

beforeAll(async () => {
  t = await openTestApp();
  [admin, sh1] = await Promise.all([t.login(t.fx.logins.admin), t.login(t.fx.logins.sh1)]);
  // text a spreadsheet would run: a name, a remark-free tag, a leading tab
  await t.database.db
    .updateTable('customers')
    .set({ name: '=HYPERLINK("http://evil","李娜")' })
    .where('id', '=', t.fx.customers.li)
    .execute();
  await t.database.db.updateTable('tags').set({ name: '@SUM(1)' }).where('id', '=', t.fx.tags.vip).execute();
  await t.database.db
    .updateTable('customers')
    .set({ name: '\t-2+3' })
    .where('id', '=', t.fx.customers.hqonly)
    .execute();
});
afterAll(() => t.close());

const exportAs = (s: TestSession, query: string) =>
  t.app.inject({ method: 'GET', url: `/api/v1/customers/export?${query}`, headers: { cookie: s.cookie } });

/** The CSV as the order import reads one (tests may reach into another module to check a case). */
const parseCsv = (text: string) => parseDelimited(text).filter((r) => r.some((c) => c !== ''));

const exports = () =>
  t.database.db
    .selectFrom('audit_log')
    .selectAll()
    .where('corp_id', '=', 'acme')
    .where('action', '=', 'customers.export')
    .orderBy('id')
    .execute();

describe('exporting the customer list', () => {
  it('writes CSV in UTF-8 with BOM for Excel: every customer in scope, phones masked, formulas defused', async () => {
    const res = await exportAs(admin, 'format=csv');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; .*filename\*=UTF-8''%E5%AE%A2/);
    expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = res.rawPayload.toString('utf8').slice(1);
    expect(text).not.toContain('13812345678');
    expect(text).not.toContain('13900001111');
    const [header, ...rows] = parseCsv(text);
    expect(header![3]).toBe('手机号(脱敏) Phone (masked)');
    expect(rows).toHaveLength(5);
    const byId = new Map(rows.map((r) => [Number(r[0]), r]));
    expect(byId.get(t.fx.customers.wang)!.slice(1, 4)).toEqual(['王芳', '未知', '138****5678']);
    expect(byId.get(t.fx.customers.wang)![8]).toBe("'@SUM(1)");
    expect(byId.get(t.fx.customers.wang)![9]).toBe('张丽');
    expect(byId.get(t.fx.customers.li)![1]).toBe(`'=HYPERLINK("http://evil","李娜")`);
    expect(byId.get(t.fx.customers.hqonly)![1]).toBe("'\t-2+3");
  });

  it('writes .xlsx by default, its text cells defused the same way', async () => {
    const res = await exportAs(admin, `tagId=${t.fx.tags.vip}`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    const sheet = await readXlsxFile(res.rawPayload);
    const rows = sheet[0]!.data;
    expect(rows).toHaveLength(3); // the header and the two VIPs
    expect(rows.slice(1).map((r) => r[3])).toEqual(expect.arrayContaining(['138****5678', '139****1111']));
    expect(rows.slice(1).every((r) => r[8] === "'@SUM(1)")).toBe(true);
  });

  it('exports only the caller’s scope, refuses front-line staff, and audits who, which filter, how many', async () => {
    const res = await exportAs(sh1, 'format=csv&q=13812345678');
    expect(res.statusCode, res.body).toBe(200);
    expect(
      parseCsv(res.rawPayload.toString('utf8').slice(1))
        .slice(1)
        .map((r) => r[1]),
    ).toEqual(['王芳']);
    const mine = await exportAs(sh1, 'format=csv');
    expect(parseCsv(mine.rawPayload.toString('utf8').slice(1))).toHaveLength(3);
    expect((await exportAs(await t.login(t.fx.logins.sh1a), 'format=csv')).statusCode).toBe(403);
    expect((await exportAs(sh1, `unitId=${t.fx.units.gz1}`)).statusCode).toBe(403);

    const entries = await exports();
    expect(entries.map((e) => [e.role, e.details])).toEqual([
      ['hq_admin', { filter: {}, format: 'csv', phones: 'masked', rows: 5 }],
      ['hq_admin', { filter: { tagId: t.fx.tags.vip }, format: 'xlsx', phones: 'masked', rows: 2 }],
      ['store_manager', { filter: { q: '138****5678' }, format: 'csv', phones: 'masked', rows: 1 }],
      ['store_manager', { filter: {}, format: 'csv', phones: 'masked', rows: 2 }],
    ]);
    expect(JSON.stringify(entries)).not.toContain('13812345678');
  });

  it(`refuses more than ${MAX_EXPORT_ROWS} rows with how many there are, and audits nothing`, async () => {
    await sql`insert into customers (corp_id, external_userid, name, name_pinyin, search_text)
      select 'other', 'bulk-' || i, '客户' || i, '', '' from generate_series(1, ${MAX_EXPORT_ROWS}) i`.execute(
      t.database.db,
    );
    const other = await t.login('admin@other');
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/customers/export?format=csv',
      headers: { cookie: other.cookie, 'accept-language': 'zh-CN' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'too_many_rows',
      message: `共 ${MAX_EXPORT_ROWS + 1} 位客户，超过单次导出上限 ${MAX_EXPORT_ROWS} 位：请缩小筛选范围后分批导出`,
    });
    const otherExports = await t.database.db
      .selectFrom('audit_log')
      .select('id')
      .where('corp_id', '=', 'other')
      .where('action', '=', 'customers.export')
      .execute();
    expect(otherExports).toEqual([]);
  });
});
