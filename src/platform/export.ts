import writeXlsxFile, { type Row } from 'write-excel-file/node';

/** Files people download: a sheet of text and numbers as CSV (for Excel: UTF-8 with BOM) or .xlsx. */
export const EXPORT_FORMATS = ['xlsx', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type Cell = string | number | null;

/** Rows one export may hold: beyond it the caller narrows the filter. */
export const MAX_EXPORT_ROWS = 20_000;

/**
 * A text cell that a spreadsheet would run as a formula (= + - @, or a leading tab or carriage return, which
 * some spreadsheets skip before reading the rest) starts with an apostrophe instead: shown as text, never run.
 */
export function safeText(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

export function toCsv(header: readonly string[], rows: readonly Cell[][]): Buffer {
  const cell = (v: Cell) => {
    const s = v === null ? '' : typeof v === 'number' ? String(v) : safeText(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [header, ...rows].map((r) => r.map(cell).join(','));
  return Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
}

export async function toXlsx(
  sheet: string,
  header: readonly string[],
  rows: readonly Cell[][],
  widths: readonly number[] = [],
): Promise<Buffer> {
  const data: Row[] = [
    header.map((value) => ({ value, fontWeight: 'bold' as const, backgroundColor: '#E6F4FF' })),
    ...rows.map((r) =>
      r.map((v) =>
        v === null
          ? null
          : typeof v === 'number'
            ? { value: v, type: Number }
            : { value: safeText(v), type: String, format: '@' },
      ),
    ),
  ];
  return writeXlsxFile([
    {
      sheet,
      data,
      columns: header.map((h, i) => ({ width: widths[i] ?? Math.max(10, h.length + 2) })),
      stickyRowsCount: 1,
    },
  ]).toBuffer();
}

export interface ExportFile {
  fileName: string;
  contentType: string;
  body: Buffer;
}

/** The sheet in the chosen format, named `<base>.<format>`. */
export async function exportFile(
  format: ExportFormat,
  base: string,
  sheet: { name: string; header: readonly string[]; rows: readonly Cell[][]; widths?: readonly number[] },
): Promise<ExportFile> {
  return format === 'csv'
    ? {
        fileName: `${base}.csv`,
        contentType: 'text/csv; charset=utf-8',
        body: toCsv(sheet.header, sheet.rows),
      }
    : {
        fileName: `${base}.xlsx`,
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        body: await toXlsx(sheet.name, sheet.header, sheet.rows, sheet.widths),
      };
}

/** Content-Disposition for a download whose name may hold Chinese. */
export const attachment = (fileName: string) =>
  `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;

/** `2026-07-01 18:00` in Beijing time (UTC+8, no daylight saving), as the brand reads times. */
export function beijingTime(at: Date | null): string | null {
  if (!at) return null;
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
}
