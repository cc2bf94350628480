import { unzipSync } from 'fflate';
import { AppError } from '../../platform/http/errors.ts';
import { type Cell, dateStyles, readSheetRows, workbookLayout } from './xlsx-sheet.ts';

/**
 * Reading an uploaded order file into a grid of cells: .xlsx (first sheet) or delimited text (CSV in
 * UTF-8 with or without BOM, GBK/GB18030 as saved by Chinese Excel, UTF-16 "Unicode text"; comma, tab or
 * semicolon). Nothing here knows about orders.
 */

export { type Cell, ExcelNumber } from './xlsx-sheet.ts';

export interface Grid {
  kind: 'xlsx' | 'csv';
  /** Row 1 (the header) first, as the user sees the rows in Excel. */
  rows: Cell[][];
}

export const fileError = (zh: string, en: string) => new AppError('bad_request', { zh, en });

export interface GridLimits {
  /** Rows holding a value, the header included: one more and the file is refused before it is read whole. */
  maxRows: number;
}

/** The uncompressed size an .xlsx may unpack to (its sheet read as it streams; all its parts by their headers). */
export const MAX_XLSX_UNPACKED = 1024 * 1024 * 1024;

export const tooManyRows = (maxRows: number) =>
  fileError(
    `文件超过 ${maxRows - 1} 行明细（不含表头），单次最多 ${maxRows - 1} 行，请拆分后分批导入`,
    `The file has more than ${maxRows - 1} rows under its header; at most ${maxRows - 1} per import: split it`,
  );

export async function readGrid(bytes: Uint8Array, limits?: GridLimits): Promise<Grid> {
  if (bytes.length === 0) throw fileError('文件为空', 'The file is empty');
  const head = bytes.subarray(0, 4);
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return { kind: 'xlsx', rows: readXlsx(bytes, limits?.maxRows ?? Number.POSITIVE_INFINITY) };
  }
  if (head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0) {
    throw fileError(
      '不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入',
      'Old .xls files are not supported: save the file as .xlsx or CSV in Excel and import that',
    );
  }
  return { kind: 'csv', rows: parseDelimited(decodeText(bytes), limits?.maxRows) };
}

const unreadable = () =>
  fileError(
    '无法读取该 Excel 文件（文件损坏或不是 .xlsx）',
    'Cannot read this Excel file (damaged, or not .xlsx)',
  );
const unpacksTooLarge = () =>
  new AppError('payload_too_large', {
    zh: `该 Excel 文件解压后超过 ${MAX_XLSX_UNPACKED / 1024 ** 3} GB，请拆分后分批导入`,
    en: `This Excel file unpacks to more than ${MAX_XLSX_UNPACKED / 1024 ** 3} GB: split it and import the parts`,
  });

/**
 * The first sheet of an .xlsx in one streaming pass (xlsx-sheet.ts): first its parts' declared sizes, then
 * the sheet and its shared strings inflated as they stream, refused at the first row with a value over
 * `maxRows` or the first byte past MAX_XLSX_UNPACKED. So a file of a million rows, or one that unpacks to
 * gigabytes, is refused after reading a fraction of it.
 */
function readXlsx(bytes: Uint8Array, maxRows: number): Cell[][] {
  let unpacked = 0;
  try {
    return readSheetRows(bytes, xlsxLayout(bytes), {
      onBytes: (n) => {
        unpacked += n;
        if (unpacked > MAX_XLSX_UNPACKED) throw unpacksTooLarge();
      },
      onRow: (rows) => {
        if (rows > maxRows) throw tooManyRows(maxRows);
      },
    });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw unreadable();
  }
}

/** Where the first sheet and its shared strings are, and how dates are told: from the small parts. */
function xlsxLayout(bytes: Uint8Array) {
  let declared = 0;
  const wanted = (names: string[]) =>
    unzipSync(bytes, {
      filter: (f) => {
        declared += f.originalSize;
        return names.includes(f.name);
      },
    });
  const text = (part: Uint8Array | undefined) => (part ? new TextDecoder().decode(part) : '');
  const parts = wanted(['xl/workbook.xml', 'xl/_rels/workbook.xml.rels']);
  if (declared > MAX_XLSX_UNPACKED) throw unpacksTooLarge();
  const layout = workbookLayout(text(parts['xl/workbook.xml']), text(parts['xl/_rels/workbook.xml.rels']));
  if (!layout.sheet) throw unreadable();
  const styles = text(wanted([layout.styles])[layout.styles]);
  return { ...layout, sheet: layout.sheet, dateStyles: dateStyles(styles) };
}

/** UTF-8 (BOM or not), UTF-16 with a BOM, otherwise GB18030 (a superset of GBK, what Chinese Excel saves). */
export function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return utf8(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
  function utf8(b: Uint8Array) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      throw fileError('文件不是有效的 UTF-8 文本', 'The file is not valid UTF-8 text');
    }
  }
}

/**
 * RFC 4180: quoted fields may hold the delimiter, "" and line breaks. The delimiter is guessed from row 1.
 * With `maxRows`, reading stops at the first row holding a value past it, and the file is refused.
 */
export function parseDelimited(text: string, maxRows = Number.POSITIVE_INFINITY): string[][] {
  if (text.includes('\u0000'))
    throw fileError('无法识别的文件格式：请上传 .xlsx 或 CSV', 'Unknown file format: upload .xlsx or CSV');
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const delimiter = [',', '\t', ';'].reduce((best, d) =>
    firstLine.split(d).length > firstLine.split(best).length ? d : best,
  );
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let filled = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === delimiter) {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      if (row.some((f) => f.trim() !== '') && ++filled > maxRows) throw tooManyRows(maxRows);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw fileError('CSV 文件中有未闭合的引号', 'The CSV file has an unclosed quote');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * One CSV (UTF-8 with BOM, CRLF: what Excel opens correctly). A cell starting with = + - @ is prefixed
 * with ' so Excel does not run it as a formula.
 */
export function toCsv(rows: (string | number | null)[][]): string {
  const cell = (v: string | number | null) => {
    let s = v === null ? '' : String(v);
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return `\uFEFF${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}
