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

export async function readGrid(bytes: Uint8Array): Promise<Grid> {
  if (bytes.length === 0) throw fileError('文件为空', 'The file is empty');
  const head = bytes.subarray(0, 4);
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return { kind: 'xlsx', rows: await readXlsx(bytes) };
  }
  if (head[0] === 0xd0 && head[1] === 0xcf && head[2] === 0x11 && head[3] === 0xe0) {
    throw fileError(
      '不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入',
      'Old .xls files are not supported: save the file as .xlsx or CSV in Excel and import that',
    );
  }
  return { kind: 'csv', rows: parseDelimited(decodeText(bytes)) };
}

async function readXlsx(bytes: Uint8Array): Promise<Cell[][]> {
  let data: unknown[][];
  try {
    data = await readSheet(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 1, {
      parseNumber: (raw: string) => new ExcelNumber(raw),
    });
  } catch {
    throw fileError(
      '无法读取该 Excel 文件（文件损坏或不是 .xlsx）',
      'Cannot read this Excel file (damaged, or not .xlsx)',
    );
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

/** RFC 4180: quoted fields may hold the delimiter, "" and line breaks. The delimiter is guessed from row 1. */
export function parseDelimited(text: string): string[][] {
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
