import { describe, expect, it } from 'vitest';
import writeXlsxFile from 'write-excel-file/node';
import { AppError } from '../../platform/http/errors.ts';
import { type Cell, decodeText, ExcelNumber, parseDelimited, readGrid, toCsv } from './import-file.ts';
import { type ParseResult, parseOrderedAt, parseOrders, yuanToFen } from './import-rows.ts';

const NOW = new Date('2026-07-01T10:00:00Z');
const HEADER = [
  '订单号',
  '门店编码',
  '渠道',
  '下单时间',
  '商品编码',
  '商品名称',
  '数量',
  '单价(元)',
  '实付金额(元)',
  '订单金额(元)',
  '优惠券',
  '优惠金额(元)',
  '手机号',
];

const csv = (rows: string[][]) => new TextEncoder().encode(rows.map((r) => r.join(',')).join('\r\n'));
const parse = async (bytes: Uint8Array): Promise<ParseResult> => parseOrders(await readGrid(bytes), NOW);

/** GBK bytes for a text, built from the decoder (Node has no GBK encoder). */
function encodeGbk(text: string): Uint8Array {
  const table = new Map<string, number[]>();
  const decoder = new TextDecoder('gb18030');
  for (let hi = 0x81; hi <= 0xfe; hi++)
    for (let lo = 0x40; lo <= 0xfe; lo++) {
      const ch = decoder.decode(new Uint8Array([hi, lo]));
      if (ch.length === 1 && !table.has(ch)) table.set(ch, [hi, lo]);
    }
  return new Uint8Array(
    [...text].flatMap((ch) => (ch.charCodeAt(0) < 0x80 ? [ch.charCodeAt(0)] : table.get(ch)!)),
  );
}

describe('reading the file', () => {
  it('reads an .xlsx: text, numbers as Excel stored them, date cells, the first sheet', async () => {
    const bytes = await writeXlsxFile([
      ['订单号', '下单时间', '单价(元)'],
      ['A1', { value: new Date(Date.UTC(2026, 5, 1, 12, 30)), format: 'yyyy-mm-dd hh:mm' }, 0.1 + 0.2],
    ]).toBuffer();
    const grid = await readGrid(bytes);
    expect(grid.kind).toBe('xlsx');
    const [, row] = grid.rows as [Cell[], Cell[]];
    expect(row[0]).toBe('A1');
    expect(row[1]).toBeInstanceOf(Date);
    expect((row[1] as Date).toISOString()).toBe('2026-06-01T12:30:00.000Z');
    expect(row[2]).toBeInstanceOf(ExcelNumber);
    expect((row[2] as ExcelNumber).raw).toBe('0.30000000000000004');
    expect((row[2] as ExcelNumber).text).toBe('0.3');
  });

  it('reads CSV in UTF-8 with and without BOM, in GBK, and UTF-16 tab-separated text', async () => {
    const text = '订单号,商品名称\r\nA1,"杨枝甘露, 大杯"\r\nA2,"说""好""的"\n';
    const utf8 = new TextEncoder().encode(text);
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]);
    const gbk = encodeGbk(text);
    expect(gbk.length).toBeLessThan(utf8.length); // really two bytes a character
    const expected = [
      ['订单号', '商品名称'],
      ['A1', '杨枝甘露, 大杯'],
      ['A2', '说"好"的'],
    ];
    for (const bytes of [utf8, withBom, gbk]) expect((await readGrid(bytes)).rows).toEqual(expected);
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('订单号\t商品名称\r\nA1\t奶茶\r\n', 'utf16le'),
    ]);
    expect((await readGrid(utf16)).rows).toEqual([
      ['订单号', '商品名称'],
      ['A1', '奶茶'],
    ]);
    expect(parseDelimited('a;b\n1;"x\ny"')).toEqual([
      ['a', 'b'],
      ['1', 'x\ny'],
    ]);
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]))).toBe('A');
  });

  it('refuses an empty file, an old .xls and a broken .xlsx with a message in both languages', async () => {
    const refused = async (bytes: Uint8Array) => {
      const err = await readGrid(bytes).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AppError);
      return (err as AppError).detail!;
    };
    expect((await refused(new Uint8Array())).zh).toContain('文件为空');
    expect((await refused(new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 1, 2]))).en).toContain('.xls');
    expect((await refused(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 9, 9, 9]))).zh).toContain('无法读取');
  });

  it('writes a CSV Excel opens in Chinese, without running formulas', () => {
    const out = toCsv([
      ['行号', 'why'],
      [2, '=HYPERLINK("x")'],
      [3, 'a,"b"'],
    ]);
    expect(out.startsWith('\uFEFF')).toBe(true);
    expect(out).toBe('\uFEFF行号,why\r\n2,"\'=HYPERLINK(""x"")"\r\n3,"a,""b"""\r\n');
  });
});

describe('values', () => {
  it('turns 元 into 分 exactly, refusing more than two decimals and anything not an amount', () => {
    const ok = (cell: Cell) => {
      const r = yuanToFen(cell);
      if (!('ok' in r)) throw new Error(r.problem.en);
      return r.ok;
    };
    expect(ok('18.5')).toBe(1850);
    expect(ok('0.07')).toBe(7);
    expect(ok('19.99')).toBe(1999);
    expect(ok('1,234.50')).toBe(123450);
    expect(ok('¥ 12')).toBe(1200);
    expect(ok('12元')).toBe(1200);
    expect(ok('12.300')).toBe(1230);
    expect(ok('0')).toBe(0);
    expect(ok('9999999999.99')).toBe(999999999999);
    // what 0.1 + 0.2 leaves in a formula cell is read as Excel shows it
    expect(ok(new ExcelNumber('0.30000000000000004'))).toBe(30);
    expect(ok(new ExcelNumber('1.15'))).toBe(115);
    expect(ok(new ExcelNumber('4.35'))).toBe(435); // 4.35 * 100 is 434.99999999999994 in floats
    for (const bad of ['12.345', '-1', 'abc', '1.2.3', '', new ExcelNumber('0.125'), '12345678901'])
      expect(yuanToFen(bad), String(bad)).toHaveProperty('problem');
    expect(yuanToFen('12.345')).toMatchObject({ problem: { zh: expect.stringContaining('两位小数') } });
  });

  it('reads times as Excel dates, serial numbers or text, in Beijing time unless an offset says otherwise', () => {
    const at = (cell: Cell) => {
      const r = parseOrderedAt(cell, NOW);
      if (!('ok' in r)) throw new Error(r.problem.en);
      return r.ok.toISOString();
    };
    expect(at(new Date(Date.UTC(2026, 5, 1, 12, 30)))).toBe('2026-06-01T04:30:00.000Z');
    expect(at(new ExcelNumber('46174.5208333333'))).toBe('2026-06-01T04:30:00.000Z');
    expect(at('2026-06-01 12:30')).toBe('2026-06-01T04:30:00.000Z');
    expect(at('2026/6/1 12:30:15')).toBe('2026-06-01T04:30:15.000Z');
    expect(at('2026年6月1日 12:30')).toBe('2026-06-01T04:30:00.000Z');
    expect(at('2026-06-01')).toBe('2026-05-31T16:00:00.000Z');
    expect(at('2026-06-01T12:30:00Z')).toBe('2026-06-01T12:30:00.000Z');
    expect(at('2026-06-01T12:30:00+09:00')).toBe('2026-06-01T03:30:00.000Z');
    for (const bad of [
      '2026-02-30 10:00',
      '2026-13-01',
      '昨天',
      '12:30',
      '2027-01-01 00:00',
      '1999-12-31',
      new ExcelNumber('3'),
    ])
      expect(parseOrderedAt(bad, NOW), String(bad)).toHaveProperty('problem');
  });
});

describe('rows into orders', () => {
  it('groups the rows of an 订单号 into one order (wherever they are), with English headers too', async () => {
    const r = await parse(
      csv([
        [
          'order_no',
          'Store Code',
          'channel',
          'ordered_at',
          'SKU',
          'product_name',
          'qty',
          'price',
          'paid',
          'total',
          'coupon_code',
          'coupon_yuan',
          'mobile',
          'remark',
        ],
        [
          'A1',
          'sh1',
          '小程序',
          '2026-06-01 12:30',
          'P1',
          '杨枝甘露',
          '2',
          '18.5',
          '30',
          '37',
          'C10',
          '7',
          '138 0013 8000',
          'x',
        ],
        ['B1', '', 'ecommerce', '2026-06-02 09:00', 'P2', '芒果冰', '1', '12', '12', '', '', '', '', ''],
        ['A1', '', '', '', 'P3', '吸管', '1', '0', '', '', '', '', '', ''],
      ]),
    );
    expect(r.errors).toEqual([]);
    expect(r.ignoredColumns).toEqual(['remark']);
    expect(r).toMatchObject({ kind: 'csv', lines: 3, orderCount: 2, invalidOrders: 0 });
    expect(r.orders).toEqual([
      {
        rows: [2, 4],
        input: {
          sourceOrderId: 'A1',
          storeCode: 'sh1',
          channel: 'miniprogram',
          orderedAt: '2026-06-01T12:30:00+08:00',
          items: [
            { productCode: 'P1', productName: '杨枝甘露', quantity: 2, priceFen: 1850 },
            { productCode: 'P3', productName: '吸管', quantity: 1, priceFen: 0 },
          ],
          totalFen: 3700,
          paidFen: 3000,
          couponCode: 'C10',
          couponFen: 700,
          customer: { phone: '13800138000' },
        },
      },
      {
        rows: [3],
        input: {
          sourceOrderId: 'B1',
          channel: 'ecommerce',
          orderedAt: '2026-06-02T09:00:00+08:00',
          items: [{ productCode: 'P2', productName: '芒果冰', quantity: 1, priceFen: 1200 }],
          totalFen: 1200,
          paidFen: 1200,
          customer: {},
        },
      },
    ]);
  });

  it('rejects a whole order for one bad row and names each row, column and reason', async () => {
    const r = await parse(
      csv([
        HEADER,
        ['G1', 'sh1', 'POS', '2026-06-01 10:00', 'P1', '奶茶', '1', '10', '10', '10', '', '', ''],
        ['X1', 'sh1', 'POS', '2026-06-01 10:00', 'P1', '奶茶', '1', '10.005', '20', '', '', '', ''],
        ['X1', 'sh1', 'POS', '2026-06-01 11:00', 'P2', '', '0', '10', '20', '', '', '', ''],
        ['X2', 'sh1', '抖音', '明天', 'P1', '奶茶', '1', '10', '10', '10', '', '', '1.38E+10'],
        ['X3', 'sh1', 'POS', '2026-06-01 10:00', 'P1', '奶茶', '2', '10', '25', '21', '', '', ''],
        ['X4', 'sh1', 'POS', '2026-06-01 10:00', 'P1', '奶茶', '1', '10', '10', '10', '', '3', ''],
        ['', 'sh1', 'POS', '2026-06-01 10:00', 'P1', '奶茶', '1', '10', '10', '10', '', '', ''],
        ['', '', '', '', '', '', '', '', '', '', '', '', ''],
        ['G2', '', 'pos', '2026-06-01 10:00', 'P1', '奶茶', '3', '1', '3', '', '', '', ''],
      ]),
    );
    expect(r.orders.map((o) => o.input.sourceOrderId)).toEqual(['G1', 'G2']);
    expect(r.orders[1]!.rows).toEqual([10]);
    expect(r).toMatchObject({ lines: 8, orderCount: 6, invalidOrders: 4 });
    const where = r.errors.map((e) => `${e.row} ${e.column} ${e.orderNo ?? '-'}`);
    expect(where).toEqual([
      '3 单价(元) X1',
      '4 数量 X1',
      '4 商品名称 X1',
      '4 下单时间 X1',
      '5 渠道 X2',
      '5 下单时间 X2',
      '5 手机号 X2',
      '6 订单金额(元) X3',
      '6 实付金额(元) X3',
      '7 实付金额(元) X4',
      '7 优惠券 X4',
      '8 订单号 -',
    ]);
    const byWhere = (row: number, column: string) =>
      r.errors.find((e) => e.row === row && e.column === column)!;
    expect(byWhere(3, '单价(元)')).toMatchObject({
      field: 'price',
      zh: expect.stringContaining('两位小数'),
      en: expect.stringContaining('2 decimals'),
    });
    expect(byWhere(4, '下单时间').zh).toContain('与第 3 行不一致');
    expect(byWhere(4, '数量').en).toBe('A quantity is at least 1');
    expect(byWhere(5, '渠道').zh).toContain('抖音');
    expect(byWhere(5, '手机号').zh).toContain('科学计数法');
    expect(byWhere(6, '订单金额(元)').zh).toBe('订单金额 21.00 元不等于各行 数量×单价 之和 20.00 元');
    expect(byWhere(7, '优惠券').en).toBe('A coupon amount needs the coupon code');
    expect(byWhere(8, '订单号').zh).toBe('「订单号」不能为空');
  });

  it('reads an .xlsx laid out like the template, with date cells, numbers and float noise', async () => {
    const bytes = await writeXlsxFile([
      HEADER,
      [
        'A1',
        'sh1',
        'POS',
        { value: new Date(Date.UTC(2026, 5, 1, 9, 5)), format: 'yyyy/mm/dd hh:mm' },
        100234,
        '拿铁',
        3,
        0.1 + 0.2,
        0.9,
        0.9,
        null,
        null,
        13800138000,
      ],
      [2.0260601e19, 'sh1', 'POS', '2026-06-01 10:00', 'P1', '拿铁', 1, 1, 1, 1, null, null, null],
    ]).toBuffer();
    const r = await parse(bytes);
    expect(r.orders).toHaveLength(1);
    expect(r.orders[0]!.input).toMatchObject({
      sourceOrderId: 'A1',
      orderedAt: '2026-06-01T09:05:00+08:00',
      items: [{ productCode: '100234', quantity: 3, priceFen: 30 }],
      totalFen: 90,
      customer: { phone: '13800138000' },
    });
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({
      row: 3,
      column: '订单号',
      zh: expect.stringContaining('超过 15 位'),
    });
  });

  it('refuses a header without the required columns, or naming one twice, before any row', async () => {
    const err = (bytes: Uint8Array) =>
      parse(bytes).then(
        () => null,
        (e: AppError) => e.detail,
      );
    expect(
      await err(
        csv([
          ['订单号', '商品编码'],
          ['A', 'B'],
        ]),
      ),
    ).toMatchObject({
      zh: expect.stringContaining('缺少必填列：渠道、下单时间、商品名称、数量、单价(元)、实付金额(元)'),
      en: expect.stringContaining('channel, ordered_at'),
    });
    expect(await err(csv([[...HEADER, 'order_no']]))).toMatchObject({
      en: expect.stringContaining('(A and N)'),
    });
    expect(await err(csv([['', '']]))).toMatchObject({ en: expect.stringContaining('no header') });
  });
});
