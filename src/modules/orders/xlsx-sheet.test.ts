import { describe, expect, it } from 'vitest';
import writeXlsxFile from 'write-excel-file/node';
import { orderXlsx, sheetXlsx } from '../../testing/order-files.ts';
import { type Cell, ExcelNumber, readGrid } from './import-file.ts';
import { isDateFormatCode, xmlText } from './xlsx-sheet.ts';

/** Cells as plain values to compare: a number as N:<its text>, a date as D:<ISO>. */
const plain = (rows: Cell[][]) =>
  rows.map((r) =>
    r.map((c) => (c instanceof ExcelNumber ? `N:${c.raw}` : c instanceof Date ? `D:${c.toISOString()}` : c)),
  );
const read = async (bytes: Uint8Array) => plain((await readGrid(bytes)).rows);

const STYLES = `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="3"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="177" formatCode="[Red]0.00;[Blue]-0.00"/><numFmt numFmtId="178" formatCode="[$-F800]dddd\\,\\ mmmm\\ dd\\,\\ yyyy"/></numFmts><cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="6"><xf numFmtId="0" xfId="0"/><xf numFmtId="14" xfId="0" applyNumberFormat="1"/><xf numFmtId="176" xfId="0"/><xf numFmtId="177" xfId="0"/><xf numFmtId="22" xfId="0"/><xf numFmtId="178" xfId="0"/></cellXfs></styleSheet>`;
const SST = (strings: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${strings.length}">${strings.join('')}</sst>`;

describe('reading the first sheet of an .xlsx', () => {
  it('reads 200,000 order lines whole, header first', { timeout: 300_000 }, async () => {
    const grid = await readGrid(orderXlsx(200_000), { maxRows: 200_001 });
    expect(grid.rows).toHaveLength(200_001);
    const [header, first] = plain(grid.rows.slice(0, 2));
    expect(header).toEqual([
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
    ]);
    expect(first).toEqual([
      'F0',
      'sh1',
      'POS',
      '2026-06-01 12:30',
      'T01',
      '杨枝甘露',
      'N:1',
      'N:18',
      'N:18',
      '13900000000',
    ]);
    expect(plain(grid.rows.slice(-1))[0]).toEqual([
      'F199999',
      'sh2',
      'POS',
      '2026-06-24 12:30',
      'T01',
      '杨枝甘露',
      'N:1',
      'N:18',
      'N:18',
      null,
    ]);
  });

  it('reads shared strings (zipped after the sheet, rich text runs, phonetic runs left out) and inline strings', async () => {
    const bytes = sheetXlsx({
      sharedStrings: SST([
        '<si><t>订单号</t></si>',
        '<si><r><rPr><b/></rPr><t xml:space="preserve">杨枝 </t></r><r><t>甘露</t></r><rPh sb="0" eb="1"><t>ヨウシ</t></rPh></si>',
        '<si><t xml:space="preserve">  spaced  </t></si>',
        '<si><t/></si>',
      ]),
      sheetData:
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>商品名称</t></is></c></row>' +
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>3</v></c></row>' +
        '<row r="3"><c r="A3" t="inlineStr"><is><r><t>ri</t></r><r><t>ch</t></r><rPh><t>x</t></rPh></is></c><c r="B3" t="str"><f>A3</f><v>formula</v></c></row>',
    });
    expect(await read(bytes)).toEqual([
      ['订单号', '商品名称'],
      ['spaced', '杨枝 甘露'],
      ['rich', 'formula'],
    ]);
  });

  it('places cells by their reference: a gap is null, a skipped row empty, trailing empty rows and columns dropped', async () => {
    const bytes = sheetXlsx({
      sheetData:
        '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="C1" t="inlineStr"><is><t>c</t></is></c></row>' +
        '<row r="3" spans="1:5"><c r="B3"><v>2</v></c><c r="D3"/><c r="E3" t="inlineStr"><is><t>  </t></is></c></row>' +
        '<row r="4"/>' +
        '<row r="6"><c r="A6" t="str"><f>X</f></c></row>',
    });
    expect(await read(bytes)).toEqual([
      ['a', null, 'c'],
      [null, null, null],
      [null, 'N:2', null],
    ]);
    // as write-excel-file writes gaps and empty rows
    const written = await writeXlsxFile([
      ['a', null, 'c', null],
      [null, null, null, null],
      [null, 2, null, null],
      [null, null, null, null],
    ]).toBuffer();
    expect(await read(written)).toEqual([
      ['a', null, 'c'],
      [null, null, null],
      [null, 'N:2', null],
    ]);
  });

  it('reads a number in a date format as a Date of its wall-clock time: built-in and custom formats, 1904 dates', async () => {
    const written = await writeXlsxFile([
      ['下单时间', '日期', '金额'],
      [
        { value: new Date(Date.UTC(2026, 5, 1, 12, 30)), format: 'yyyy-mm-dd hh:mm' },
        { value: new Date(Date.UTC(2026, 0, 2, 8, 0, 0, 400)), format: 'yyyy"年"m"月"d"日" h:mm:ss' },
        { value: 1234.5, format: '#,##0.00' },
      ],
    ]).toBuffer();
    expect(await read(written)).toEqual([
      ['下单时间', '日期', '金额'],
      ['D:2026-06-01T12:30:00.000Z', 'D:2026-01-02T08:00:00.000Z', 'N:1234.5'],
    ]);

    const sheetData =
      '<row r="1"><c r="A1" s="1"><v>46174</v></c><c r="B1" s="2"><v>46174.5</v></c><c r="C1" s="3"><v>-12.5</v></c>' +
      '<c r="D1" s="4"><v>46174.520833333336</v></c><c r="E1" s="5"><v>46174</v></c><c r="F1" t="d"><v>2026-06-01T12:30:00</v></c><c r="G1"><v>46174</v></c></row>';
    expect(await read(sheetXlsx({ styles: STYLES, sheetData }))).toEqual([
      [
        'D:2026-06-01T00:00:00.000Z',
        'D:2026-06-01T12:00:00.000Z',
        'N:-12.5',
        'D:2026-06-01T12:30:00.000Z',
        'D:2026-06-01T00:00:00.000Z',
        'D:2026-06-01T12:30:00.000Z',
        'N:46174',
      ],
    ]);
    const in1904 = await read(sheetXlsx({ styles: STYLES, sheetData, workbookPr: 'date1904="1"' }));
    expect(in1904[0]![0]).toBe('D:2030-06-02T00:00:00.000Z');
  });

  it('tells date formats from number formats', () => {
    for (const code of [
      'yyyy-mm-dd',
      'yyyy"年"m"月"d"日"',
      'h:mm:ss;@',
      '[$-F800]dddd\\,\\ mmmm\\ dd',
      '[h]:mm',
      'mm:ss.0',
    ])
      expect(isDateFormatCode(code), code).toBe(true);
    for (const code of ['General', '0.00', '[Red]0.00;[Blue]-0.00', '#,##0.00"元"', '0%', '@', '"date"0'])
      expect(isDateFormatCode(code), code).toBe(false);
  });

  it('resolves entities, character references and _xHHHH_ escapes; booleans as TRUE/FALSE; error cells as their text', async () => {
    expect(
      xmlText('A&amp;B &lt;x&gt; &quot;q&quot; &apos;s&apos; &#20013;&#x6587; _x000D_ _x005F_x0041_'),
    ).toBe('A&B <x> "q" \'s\' 中文 \r _x0041_');
    const bytes = sheetXlsx({
      prefix: 'x',
      sharedStrings: SST(['<si><t>R&amp;D &#x4E2D;_x000A_line</t></si>']),
      sheetData:
        '<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>&lt;b&gt; &quot;q&quot;</x:t></x:is></x:c>' +
        '<x:c r="C1" t="b"><x:v>1</x:v></x:c><x:c r="D1" t="b"><x:v>0</x:v></x:c><x:c r="E1" t="e"><x:v>#N/A</x:v></x:c>' +
        '<x:c r="F1" t="inlineStr"><x:is><x:t><![CDATA[a&amp;<b>]]></x:t></x:is></x:c></x:row>',
    });
    expect(await read(bytes)).toEqual([['R&D 中\nline', '<b> "q"', 'TRUE', 'FALSE', '#N/A', 'a&amp;<b>']]);
    const written = await writeXlsxFile([[true, false, 'A&B <x> "q"']]).toBuffer();
    expect(await read(written)).toEqual([['TRUE', 'FALSE', 'A&B <x> "q"']]);
  });

  it('refuses a damaged file with 400', async () => {
    const good = orderXlsx(2_000);
    const cut = good.subarray(0, Math.floor(good.length * 0.6));
    const scrambled = Uint8Array.from(good);
    for (let i = 2_000; i < 2_400; i++) scrambled[i] = (scrambled[i]! * 7 + 13) & 0xff;
    const broken = sheetXlsx({ sheetData: '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"' });
    for (const bytes of [
      cut,
      scrambled,
      broken,
      sheetXlsx({ sheetData: '<row r="1"><c r="A1" t="s"><v>4</v></c></row>' }),
    ]) {
      await expect(readGrid(bytes), String(bytes.length)).rejects.toMatchObject({
        code: 'bad_request',
        detail: { en: 'Cannot read this Excel file (damaged, or not .xlsx)' },
      });
    }
  });

  it('refuses a sheet over the row limit at the row over it, never reading the rest', async () => {
    const rows = (from: number, n: number) =>
      Array.from(
        { length: n },
        (_, i) => `<row r="${from + i}"><c r="A${from + i}"><v>${i}</v></c></row>`,
      ).join('');
    // what follows the rows is damaged: reading stopped before it, at the 4th row
    const bytes = sheetXlsx({ sheetData: `${rows(1, 5)}<row r="9"><c r="A9" t="s"><v>x</v` });
    await expect(readGrid(bytes, { maxRows: 3 })).rejects.toMatchObject({
      code: 'bad_request',
      detail: { en: expect.stringContaining('more than 2 rows') },
    });
    // rows without a value are not counted
    const sparse = sheetXlsx({ sheetData: `<row r="1"/><row r="2"><c r="A2"/></row>${rows(11, 3)}` });
    expect((await readGrid(sparse, { maxRows: 3 })).rows).toHaveLength(13);
  });
});
