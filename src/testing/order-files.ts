import { Zip, ZipDeflate, ZipPassThrough, zipSync } from 'fflate';

/**
 * Large order files for tests and the import benchmark, made without holding the sheet in memory: one order
 * line per row, in the import template's columns, to stores sh1/sh2 of the fixture (or `stores`).
 */

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
  '手机号',
];

function* lines(rows: number, stores: readonly string[]): Generator<(string | number)[]> {
  for (let i = 0; i < rows; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    const phone = i % 3 === 0 ? `139${String(i % 100_000_000).padStart(8, '0')}` : '';
    yield [
      `F${i}`,
      stores[i % stores.length]!,
      'POS',
      `2026-06-${day} 12:30`,
      'T01',
      '杨枝甘露',
      1,
      18,
      18,
      phone,
    ];
  }
}

export function orderCsv(rows: number, stores: readonly string[] = ['sh1', 'sh2']): Buffer {
  const parts: string[] = [`\uFEFF${HEADER.join(',')}`];
  for (const l of lines(rows, stores)) parts.push(l.join(','));
  return Buffer.from(`${parts.join('\r\n')}\r\n`);
}

const xml = (s: string) => s.replace(/[<&>]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'));
const column = (i: number) => String.fromCharCode(65 + i);

function rowXml(r: number, cells: (string | number)[]): string {
  const cs = cells.map((v, i) => {
    const ref = `${column(i)}${r}`;
    if (v === '') return '';
    return typeof v === 'number'
      ? `<c r="${ref}"><v>${v}</v></c>`
      : `<c r="${ref}" t="inlineStr"><is><t>${xml(v)}</t></is></c>`;
  });
  return `<row r="${r}">${cs.join('')}</row>`;
}

/** An .xlsx of one sheet, with inline strings, deflated as Excel does. */
export function orderXlsx(rows: number, stores: readonly string[] = ['sh1', 'sh2']): Buffer {
  const out: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    out.push(chunk);
  });
  const small = (name: string, text: string) => {
    const f = new ZipPassThrough(name);
    zip.add(f);
    f.push(new TextEncoder().encode(text), true);
  };
  small(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
  );
  small(
    '_rels/.rels',
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  );
  small(
    'xl/workbook.xml',
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="订单" sheetId="1" r:id="rId1"/></sheets></workbook>',
  );
  small(
    'xl/_rels/workbook.xml.rels',
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
  );
  const sheet = new ZipDeflate('xl/worksheets/sheet1.xml', { level: 6 });
  zip.add(sheet);
  const enc = new TextEncoder();
  let batch: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
    rowXml(1, HEADER),
  ];
  let r = 2;
  for (const l of lines(rows, stores)) {
    batch.push(rowXml(r++, l));
    if (batch.length >= 5000) {
      sheet.push(enc.encode(batch.join('')));
      batch = [];
    }
  }
  batch.push('</sheetData></worksheet>');
  sheet.push(enc.encode(batch.join('')), true);
  zip.end();
  return Buffer.concat(out);
}

const WORKBOOK_RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>';

/**
 * An .xlsx of one sheet written part by part, as a test needs the XML Excel or WPS write: `sheetData` (the
 * rows' XML), and optionally `sharedStrings` and `styles` (whole parts), `workbookPr` (its attributes) and
 * the zip order of the parts (Excel writes the sheet before the shared strings).
 */
export function sheetXlsx(parts: {
  sheetData: string;
  sharedStrings?: string;
  styles?: string;
  workbookPr?: string;
  prefix?: string;
}): Uint8Array {
  const p = parts.prefix ? `${parts.prefix}:` : '';
  const ns = parts.prefix ? `xmlns:${parts.prefix}` : 'xmlns';
  const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const files: Record<string, Uint8Array> = {};
  const add = (name: string, text: string) => {
    files[name] = new TextEncoder().encode(text);
  };
  add(
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>',
  );
  add(
    '_rels/.rels',
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  );
  add(
    'xl/workbook.xml',
    `<?xml version="1.0" encoding="UTF-8"?><${p}workbook ${ns}="${main}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><${p}workbookPr ${parts.workbookPr ?? ''}/><${p}sheets><${p}sheet name="Sheet1" sheetId="1" r:id="rId1"/></${p}sheets></${p}workbook>`,
  );
  add('xl/_rels/workbook.xml.rels', WORKBOOK_RELS);
  add(
    'xl/worksheets/sheet1.xml',
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<${p}worksheet ${ns}="${main}"><${p}dimension ref="A1"/><${p}sheetData>${parts.sheetData}</${p}sheetData></${p}worksheet>`,
  );
  if (parts.styles) add('xl/styles.xml', parts.styles);
  if (parts.sharedStrings) add('xl/sharedStrings.xml', parts.sharedStrings);
  return zipSync(files, { level: 6 });
}
