import { Unzip, UnzipInflate, unzipSync } from 'fflate';
import { readSheet } from 'read-excel-file/node';
import { AppError } from '../../platform/http/errors.ts';

/**
 * Reading an uploaded order file into a grid of cells: .xlsx (first sheet) or delimited text (CSV in
 * UTF-8 with or without BOM, GBK/GB18030 as saved by Chinese Excel, UTF-16 "Unicode text"; comma, tab or
 * semicolon). Nothing here knows about orders.
 */

/** A numeric .xlsx cell, kept as the text Excel stored so money is never read through a float sum. */
export class ExcelNumber {
  constructor(readonly raw: string) {}
  /** As Excel shows it: 15 significant digits, so 12.300000000000001 (a formula's float noise) is 12.3. */
  get text(): string {
    if (/^-?\d+(\.\d+)?$/.test(this.raw) && this.raw.replace(/[-.]/g, '').length <= 15) return this.raw;
    const n = Number(this.raw);
    return Number.isFinite(n) ? String(Number(n.toPrecision(15))) : this.raw;
  }
}

/** string: text; ExcelNumber: a number cell; Date: an .xlsx date cell (its wall-clock time, in UTC fields). */
export type Cell = string | ExcelNumber | Date | null;

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
    if (limits) checkXlsxSize(bytes, limits);
    return { kind: 'xlsx', rows: await readXlsx(bytes) };
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
 * Before an .xlsx is read whole (read-excel-file holds every row): its parts' declared sizes, then its first
 * sheet inflated as a stream and its rows with a value counted, stopping at the first row over the limit. So
 * a file of a million rows, or one that unpacks to gigabytes, is refused after reading a fraction of it.
 */
function checkXlsxSize(bytes: Uint8Array, limits: GridLimits): void {
  let declared = 0;
  let parts: Record<string, Uint8Array>;
  try {
    parts = unzipSync(bytes, {
      filter: (f) => {
        declared += f.originalSize;
        return f.name === 'xl/workbook.xml' || f.name === 'xl/_rels/workbook.xml.rels';
      },
    });
  } catch {
    throw unreadable();
  }
  if (declared > MAX_XLSX_UNPACKED) throw unpacksTooLarge();
  const sheet = firstSheetPath(parts);
  if (!sheet) return; // not laid out as Excel lays it out: read-excel-file judges it
  const counter = new RowCounter();
  let unpacked = 0;
  const stop = new Error('stop');
  let refused: AppError | null = null;
  const unzip = new Unzip((file) => {
    if (file.name !== sheet) return;
    file.ondata = (err, chunk, final) => {
      if (err) throw err;
      unpacked += chunk.length;
      if (unpacked > MAX_XLSX_UNPACKED) refused = unpacksTooLarge();
      else if (counter.push(chunk, final) > limits.maxRows) refused = tooManyRows(limits.maxRows);
      if (refused) throw stop;
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  const piece = 64 * 1024;
  try {
    for (let i = 0; i < bytes.length; i += piece) {
      unzip.push(bytes.subarray(i, i + piece), i + piece >= bytes.length);
    }
  } catch (err) {
    if (refused) throw refused;
    if (err !== stop) throw unreadable();
  }
}

function firstSheetPath(parts: Record<string, Uint8Array>): string | null {
  const text = (name: string) => (parts[name] ? new TextDecoder().decode(parts[name]) : '');
  const sheetTag = /<(?:\w+:)?sheet\s[^>]*>/.exec(text('xl/workbook.xml'))?.[0];
  const rid = sheetTag && /\s(?:\w+:)?id="([^"]+)"/.exec(sheetTag)?.[1];
  if (!rid) return null;
  for (const tag of text('xl/_rels/workbook.xml.rels').match(/<(?:\w+:)?Relationship\s[^>]*>/g) ?? []) {
    if (/\sId="([^"]+)"/.exec(tag)?.[1] !== rid) continue;
    const target = /\sTarget="([^"]+)"/.exec(tag)?.[1];
    if (!target) return null;
    return target.startsWith('/') ? target.slice(1) : `xl/${target}`;
  }
  return null;
}

/** Counts a sheet's rows that hold a value (`<v>` or an inline string) as its XML streams by, any prefix (`<x:row>`). */
class RowCounter {
  private rows = 0;
  private rowHasValue = false;
  private carry = '';
  private readonly decoder = new TextDecoder('latin1');
  private static readonly TAG = /<(\/?)(?:\w{1,16}:)?(row|v|is)[\s>/]/g;

  /** Feeds the next bytes of sheet XML (`final`: the last); answers the rows with a value so far. */
  push(chunk: Uint8Array, final = false): number {
    // tags are ASCII: bytes read one to one as latin1 characters
    const text = this.carry + this.decoder.decode(chunk, { stream: !final });
    // a tag starting before safeEnd is whole in `text`; the rest waits for the next chunk
    const safeEnd = final ? text.length : text.length - 32;
    const tag = RowCounter.TAG;
    tag.lastIndex = 0;
    let next = 0;
    for (let m = tag.exec(text); m && m.index < safeEnd; m = tag.exec(text)) {
      next = tag.lastIndex;
      if (m[2] === 'row') {
        if (m[1]) {
          if (this.rowHasValue) this.rows++;
        }
        this.rowHasValue = false;
      } else if (!m[1]) this.rowHasValue = true;
    }
    this.carry = text.slice(Math.max(next, safeEnd, 0));
    return this.rows;
  }
}

async function readXlsx(bytes: Uint8Array): Promise<Cell[][]> {
  let data: unknown[][];
  try {
    data = await readSheet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 1, {
      parseNumber: (raw: string) => new ExcelNumber(raw),
    });
  } catch {
    throw unreadable();
  }
  return data.map((row) =>
    row.map((v): Cell => {
      if (v === null || v === undefined) return null;
      if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
      // a date cell is a float of days: 12:30 may come back as 12:29:59.999
      if (v instanceof Date) return new Date(Math.round(v.getTime() / 1000) * 1000);
      if (v instanceof ExcelNumber || typeof v === 'string') return v;
      return String(v);
    }),
  );
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
