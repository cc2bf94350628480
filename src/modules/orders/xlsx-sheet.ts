import { Unzip, UnzipInflate } from 'fflate';

/**
 * The first sheet of an .xlsx read as its XML streams out of the zip: inflated chunk by chunk, decoded, and
 * scanned tag by tag, so neither the sheet's XML nor its shared strings' are ever held whole. Cells come back
 * as read-excel-file returned them (its reading recursed once per chunk and blew the stack on 200,000 rows):
 * strings trimmed and '' as null, numbers as the text Excel stored, date-formatted numbers as Dates (their
 * wall-clock time in UTC fields), booleans 'TRUE'/'FALSE', row 1 first, every row as wide as the widest,
 * trailing empty rows dropped. Error cells (#N/A) keep their text, so a bad formula is reported, not emptied.
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

/** The sheet's XML or the zip holding it cannot be read. */
export class SheetError extends Error {}

/** What `onRow` or `onBytes` throw stops the reading and comes out of readSheetRows as is. */
export interface ReadSheetOptions {
  /** Called when a row holding a value is read, with how many such rows so far (the header included). */
  onRow?: (rowsWithValue: number) => void;
  /** Called with each inflated chunk's size, of the sheet and its shared strings. */
  onBytes?: (bytes: number) => void;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Days from Excel's day 0 (1899-12-30, counting its 1900-02-29) to 1970-01-01. */
const UNIX_EPOCH_SERIAL = 25_569;
/** 1904-01-01 as a day of the 1900 system. */
const EPOCH_1904_SERIAL = 1_462;

/** The built-in number formats that show a date or a time (locale-independent, zh/ja/ko and Thai ids). */
const BUILT_IN_DATE_FORMATS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54,
  55, 56, 57, 58, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81,
]);
const DATE_TOKENS = new Set(
  's ss m mm h hh am pm a p d dd ddd dddd aaa aaaa aaaaa mmm mmmm mmmmm y yy yyyy e ee eeee'.split(' '),
);

/**
 * A custom number format shows a date when, its quoted text, escapes and [colour]/[$-locale] brackets taken
 * out, what letters remain in one of its sections are all date or time tokens (as read-excel-file decides).
 */
export function isDateFormatCode(code: string): boolean {
  const cleaned = code.toLowerCase().replace(/;@$/, '').replace(/\\./g, ' ');
  return cleaned.split(';').some((section) => {
    const s = section
      .replace(/"[^"]*"/g, ' ')
      .replace(/(\[?[smhd]{1,2}\]?)[.,]00?0?/g, '$1')
      .replace(/\[([smhd]{1,2})\]/g, '$1')
      .replace(/\[[^\]]*\]/g, '');
    const tokens = s.split(/[^a-z0#?%]+/).filter(Boolean);
    return tokens.length > 0 && tokens.every((t) => DATE_TOKENS.has(t));
  });
}

const ENTITY = /&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML character and entity references, then the `_xHHHH_` escapes of ST_Xstring (`_x005F_` escapes a `_`). */
export function xmlText(raw: string): string {
  let s = raw;
  if (s.includes('&')) {
    s = s.replace(
      ENTITY,
      (whole, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
        if (name) return NAMED[name.toLowerCase()] ?? whole;
        const code = hex ? Number.parseInt(hex, 16) : Number(dec);
        return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      },
    );
  }
  if (s.includes('_x'))
    s = s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return s;
}

/** An element's attributes by their name as written (`r`, `r:id`). */
export function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  for (let m = re.exec(tag); m; m = re.exec(tag)) out[m[1]!] = xmlText(m[2] ?? m[3] ?? '');
  return out;
}

const CELL_ATTRIBUTE = {
  r: /\sr\s*=\s*(?:"([^"]*)"|'([^']*)')/,
  t: /\st\s*=\s*(?:"([^"]*)"|'([^']*)')/,
  s: /\ss\s*=\s*(?:"([^"]*)"|'([^']*)')/,
};

/** One attribute of a `<c>` or `<row>` (the hot path: no map of them all). */
function attribute(tag: string, name: keyof typeof CELL_ATTRIBUTE): string | undefined {
  const m = CELL_ATTRIBUTE[name].exec(tag);
  return m ? xmlText(m[1] ?? m[2] ?? '') : undefined;
}

interface TagHandler {
  /** An element opens (`selfClosing`: it closes at once, `close` is called too); `name` without its prefix. */
  open(name: string, tag: string): void;
  close(name: string): void;
  /** Raw text between tags (entities not yet resolved), maybe in several pieces. */
  text(raw: string): void;
}

const TAG = /<[^<>"']*(?:(?:"[^"]*"|'[^']*')[^<>"']*)*>/y;

/** Scans XML as its text arrives: tags, and the text between them. Comments, PIs and DOCTYPE are skipped. */
export class XmlScanner {
  private buf = '';
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly handler: TagHandler) {}

  pushBytes(chunk: Uint8Array, final: boolean): void {
    this.push(this.decoder.decode(chunk, { stream: !final }), final);
  }

  push(text: string, final: boolean): void {
    const buf = this.buf + text;
    const h = this.handler;
    let i = 0;
    for (;;) {
      const lt = buf.indexOf('<', i);
      if (lt < 0) {
        // text may end mid-entity: held for the next chunk unless this is the last
        if (final) {
          if (i < buf.length) h.text(buf.slice(i));
          i = buf.length;
        }
        break;
      }
      if (lt > i) h.text(buf.slice(i, lt));
      i = lt;
      const c1 = buf.charCodeAt(lt + 1);
      if (c1 === 0x21 /* ! */ || c1 === 0x3f /* ? */) {
        const special = this.special(buf, lt);
        if (special < 0) break;
        i = special;
        continue;
      }
      TAG.lastIndex = lt;
      const m = TAG.exec(buf);
      if (!m) {
        if (Number.isNaN(c1) || !final) break; // the tag goes on in the next chunk
        throw new SheetError('unclosed tag');
      }
      i = TAG.lastIndex;
      const tag = m[0];
      if (tag.charCodeAt(1) === 0x2f /* / */) {
        h.close(localName(tag, 2));
      } else {
        const name = localName(tag, 1);
        h.open(name, tag);
        if (tag.charCodeAt(tag.length - 2) === 0x2f) h.close(name);
      }
    }
    this.buf = buf.slice(i);
    if (this.buf.length > 1024 * 1024) throw new SheetError('a tag or text longer than 1 MB');
    if (final && this.buf) throw new SheetError('the XML ends inside a tag');
  }

  /** `<!-- -->`, `<![CDATA[ ]]>` (its text, escaped as XML text), `<? ?>`, `<!DOCTYPE >`: where it ends, -1 if not yet. */
  private special(buf: string, lt: number): number {
    if (buf.startsWith('<!--', lt)) {
      const end = buf.indexOf('-->', lt + 4);
      return end < 0 ? -1 : end + 3;
    }
    if (buf.startsWith('<![CDATA[', lt)) {
      const end = buf.indexOf(']]>', lt + 9);
      if (end < 0) return -1;
      this.handler.text(buf.slice(lt + 9, end).replace(/&/g, '&amp;'));
      return end + 3;
    }
    if (buf.length - lt < 9) return -1;
    const end = buf.indexOf('>', lt);
    return end < 0 ? -1 : end + 1;
  }
}

function localName(tag: string, from: number): string {
  let end = from;
  while (end < tag.length) {
    const c = tag.charCodeAt(end);
    if (c === 0x20 || c === 0x3e || c === 0x2f || c === 0x09 || c === 0x0a || c === 0x0d) break;
    end++;
  }
  const name = tag.slice(from, end);
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** Scans a whole small part. */
function scan(xml: string, handler: TagHandler): void {
  new XmlScanner(handler).push(xml, true);
}

/** `<si>` by `<si>`: the text of its `<t>` (direct or in rich-text runs `<r>`), phonetic runs `<rPh>` left out. */
class SharedStrings implements TagHandler {
  readonly strings: string[] = [];
  done = false;
  private inSi = false;
  private inT = false;
  private inRPh = false;
  private current = '';

  open(name: string): void {
    if (name === 'si') {
      this.inSi = true;
      this.current = '';
    } else if (name === 't') this.inT = true;
    else if (name === 'rPh') this.inRPh = true;
  }
  close(name: string): void {
    if (name === 'si') {
      this.inSi = false;
      this.strings.push(xmlText(this.current));
    } else if (name === 't') this.inT = false;
    else if (name === 'rPh') this.inRPh = false;
  }
  text(raw: string): void {
    if (this.inSi && this.inT && !this.inRPh) this.current += raw;
  }
}

/** A shared-string cell read before the shared strings (Excel zips them after the sheet): resolved at the end. */
class SharedRef {
  constructor(readonly index: number) {}
}

type Pending = Cell | SharedRef;

/** Which cell styles (`s`, an index into cellXfs) show a date. */
export function dateStyles(stylesXml: string): boolean[] {
  const custom = new Map<number, string>();
  const base: (number | undefined)[] = [];
  const out: boolean[] = [];
  let section: 'cellStyleXfs' | 'cellXfs' | null = null;
  scan(stylesXml, {
    open(name, tag) {
      if (name === 'numFmt') {
        const a = attributes(tag);
        if (a.numFmtId && a.formatCode !== undefined) custom.set(Number(a.numFmtId), a.formatCode);
      } else if (name === 'cellStyleXfs' || name === 'cellXfs') section = name;
      else if (name === 'xf' && section) {
        const a = attributes(tag);
        const own = a.numFmtId === undefined ? undefined : Number(a.numFmtId);
        if (section === 'cellStyleXfs') base.push(own);
        else {
          const id = own ?? (a.xfId ? base[Number(a.xfId)] : undefined) ?? 0;
          const code = custom.get(id);
          out.push(
            code !== undefined
              ? isDateFormatCode(code) || BUILT_IN_DATE_FORMATS.has(id)
              : BUILT_IN_DATE_FORMATS.has(id),
          );
        }
      }
    },
    close(name) {
      if (name === section) section = null;
    },
    text() {},
  });
  return out;
}

/** Column number of a cell reference: "C5" → 3, "AA7" → 27; 0 if it has no letters. */
function columnOf(ref: string): number {
  let col = 0;
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i) | 0x20;
    if (c < 0x61 || c > 0x7a) break;
    col = col * 26 + (c - 0x60);
  }
  return col;
}

function rowOf(ref: string): number {
  const m = /\d+$/.exec(ref);
  return m ? Number(m[0]) : 0;
}

/** The sheet's `<sheetData>`: rows by their `r` (a skipped row empty), cells at their column (a gap null). */
class SheetRows implements TagHandler {
  readonly rows: Pending[][] = [];
  rowsWithValue = 0;
  private inData = false;
  private row: Pending[] | null = null;
  private rowNumber = 0;
  private rowHasValue = false;
  private cell: { col: number; t: string | undefined; s: number } | null = null;
  private inV = false;
  private v: string | undefined;
  private inIs = false;
  private inT = false;
  private inRPh = false;
  private is: string | undefined;

  constructor(
    private readonly shared: SharedStrings,
    private readonly dateStyle: boolean[],
    private readonly epoch1904: boolean,
    private readonly onRow?: (rows: number) => void,
  ) {}

  open(name: string, tag: string): void {
    if (name === 'sheetData') this.inData = true;
    if (!this.inData) return;
    if (name === 'c' && this.row) {
      const r = attribute(tag, 'r');
      const col = r ? columnOf(r) : 0;
      const t = attribute(tag, 't');
      const s = attribute(tag, 's');
      this.cell = { col: col || this.row.length + 1, t, s: s ? Number(s) : 0 };
      if (r && !this.rowNumber) this.rowNumber = rowOf(r);
      this.v = undefined;
      this.is = undefined;
    } else if (name === 'row') {
      const r = attribute(tag, 'r');
      this.rowNumber = r ? Number(r) : 0;
      this.row = [];
      this.rowHasValue = false;
    } else if (this.cell) {
      if (name === 'v') {
        this.inV = true;
        this.v = '';
      } else if (name === 'is') {
        this.inIs = true;
        this.is = '';
      } else if (name === 't') this.inT = true;
      else if (name === 'rPh') this.inRPh = true;
    }
  }

  close(name: string): void {
    if (name === 'sheetData') this.inData = false;
    if (!this.inData) return;
    if (name === 'c' && this.cell && this.row) {
      const value = this.value(this.cell.t, this.cell.s);
      if (value !== null) {
        while (this.row.length < this.cell.col - 1) this.row.push(null);
        this.row[this.cell.col - 1] = value;
        this.rowHasValue = true;
      } else if (this.cell.col > this.row.length) {
        // a valueless cell still moves the column on, for a following cell without `r`
        while (this.row.length < this.cell.col) this.row.push(null);
      }
      this.cell = null;
    } else if (name === 'row' && this.row) {
      const number = this.rowNumber || this.rows.length + 1;
      if (number <= this.rows.length) throw new SheetError(`row ${number} out of order`);
      while (this.rows.length < number - 1) this.rows.push([]);
      this.rows.push(this.row);
      this.row = null;
      if (this.rowHasValue) this.onRow?.(++this.rowsWithValue);
    } else if (name === 'v') this.inV = false;
    else if (name === 'is') this.inIs = false;
    else if (name === 't') this.inT = false;
    else if (name === 'rPh') this.inRPh = false;
  }

  text(raw: string): void {
    if (!this.cell) return;
    if (this.inV) this.v += raw;
    else if (this.inIs && this.inT && !this.inRPh) this.is += raw;
  }

  private value(t: string | undefined, s: number): Pending {
    const v = this.v === undefined ? undefined : xmlText(this.v);
    switch (t) {
      case 's': {
        if (!v?.trim()) return null;
        const index = Number(v);
        if (!Number.isInteger(index) || index < 0) throw new SheetError(`shared string "${v}"`);
        if (!this.shared.done) return new SharedRef(index);
        return sharedValue(this.shared, index);
      }
      case 'inlineStr':
        return text(this.is === undefined ? v : xmlText(this.is));
      case 'str':
      case 'e':
        return text(v);
      case 'b': {
        const b = v?.trim();
        if (!b) return null;
        return b === '1' || b.toLowerCase() === 'true'
          ? 'TRUE'
          : b === '0' || b.toLowerCase() === 'false'
            ? 'FALSE'
            : b;
      }
      case 'd': {
        const d = v?.trim();
        if (!d) return null;
        // an ISO date; without a zone it is the wall-clock time, kept in UTC fields as a date cell's is
        const date = new Date(/T.*(Z|[+-]\d\d:?\d\d)$/i.test(d) || !d.includes('T') ? d : `${d}Z`);
        return Number.isNaN(date.getTime()) ? d : roundToSecond(date.getTime());
      }
      default: {
        const n = v?.trim();
        if (!n) return null;
        if (this.dateStyle[s]) {
          const serial = Number(n);
          if (Number.isFinite(serial)) {
            const days = serial + (this.epoch1904 ? EPOCH_1904_SERIAL : 0) - UNIX_EPOCH_SERIAL;
            return roundToSecond(Math.floor(days * DAY_MS));
          }
        }
        return new ExcelNumber(n);
      }
    }
  }
}

/** A date cell is a float of days: 12:30 may come back as 12:29:59.999. */
const roundToSecond = (ms: number) => new Date(Math.round(ms / 1000) * 1000);

function text(s: string | undefined): string | null {
  const trimmed = s?.trim();
  return trimmed ? trimmed : null;
}

function sharedValue(shared: SharedStrings, index: number): string | null {
  const s = shared.strings[index];
  if (s === undefined) throw new SheetError(`no shared string ${index}`);
  return text(s);
}

/** Where the workbook's parts are: its first sheet, shared strings and styles (paths in the zip). */
export function workbookLayout(workbookXml: string, relsXml: string) {
  const rels = new Map<string, { type: string; target: string }>();
  scan(relsXml, {
    open(name, tag) {
      if (name !== 'Relationship') return;
      const a = attributes(tag);
      if (a.Id && a.Target) rels.set(a.Id, { type: a.Type ?? '', target: resolve(a.Target) });
    },
    close() {},
    text() {},
  });
  let sheetRid: string | undefined;
  let epoch1904 = false;
  scan(workbookXml, {
    open(name, tag) {
      if (name === 'sheet' && sheetRid === undefined) {
        const a = attributes(tag);
        sheetRid = Object.entries(a).find(([k]) => k === 'id' || k.endsWith(':id'))?.[1] ?? '';
      } else if (name === 'workbookPr') {
        const d = attributes(tag).date1904;
        epoch1904 = d === '1' || d === 'true';
      }
    },
    close() {},
    text() {},
  });
  const byType = (suffix: string) => [...rels.values()].find((r) => r.type.endsWith(suffix))?.target;
  return {
    sheet: sheetRid ? rels.get(sheetRid)?.target : undefined,
    sharedStrings: byType('/sharedStrings') ?? 'xl/sharedStrings.xml',
    styles: byType('/styles') ?? 'xl/styles.xml',
    epoch1904,
  };
}

/** A relationship target of xl/_rels/workbook.xml.rels as a path in the zip. */
function resolve(target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = ['xl'];
  for (const p of target.split('/')) {
    if (p === '..') parts.pop();
    else if (p !== '.' && p !== '') parts.push(p);
  }
  return parts.join('/');
}

/**
 * Streams the sheet (and its shared strings, whichever the zip holds first) out of `bytes`. Throws
 * SheetError on XML or a zip it cannot read; what `onRow`/`onBytes` throw comes through as is.
 */
export function readSheetRows(
  bytes: Uint8Array,
  layout: { sheet: string; sharedStrings: string; epoch1904: boolean; dateStyles: boolean[] },
  opts: ReadSheetOptions = {},
): Cell[][] {
  const shared = new SharedStrings();
  const sheet = new SheetRows(shared, layout.dateStyles, layout.epoch1904, opts.onRow);
  const scanners = new Map<string, XmlScanner>([
    [layout.sheet, new XmlScanner(sheet)],
    [layout.sharedStrings, new XmlScanner(shared)],
  ]);
  let sheetRead = false;
  let sharedSeen = false;
  let failure: unknown = null;
  const unzip = new Unzip((file) => {
    const scanner = scanners.get(file.name);
    if (!scanner) return;
    if (file.name === layout.sharedStrings) sharedSeen = true;
    file.ondata = (err, chunk, final) => {
      // fflate hands what a callback throws back to it as `err`: the first failure is the one told
      if (failure) throw failure;
      try {
        if (err) throw new SheetError(err.message);
        opts.onBytes?.(chunk.length);
        scanner.pushBytes(chunk, final);
        if (final && file.name === layout.sharedStrings) shared.done = true;
        if (final && file.name === layout.sheet) sheetRead = true;
      } catch (e) {
        failure = e;
        throw e;
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  const piece = 64 * 1024;
  try {
    for (let i = 0; i < bytes.length; i += piece)
      unzip.push(bytes.subarray(i, i + piece), i + piece >= bytes.length);
  } catch (e) {
    throw failure ?? new SheetError((e as Error).message);
  }
  if (!sheetRead) throw new SheetError(`${layout.sheet} missing or cut short`);
  shared.done = true;
  // rows as wide as the widest row's last value; the empty rows after the last with a value dropped
  let width = 0;
  let height = 0;
  for (let r = 0; r < sheet.rows.length; r++) {
    const row = sheet.rows[r]!;
    for (let c = 0; c < row.length; c++) {
      let v: Pending = row[c] ?? null;
      if (v instanceof SharedRef) {
        if (!sharedSeen) throw new SheetError('shared strings missing');
        v = row[c] = sharedValue(shared, v.index);
      }
      if (v !== null) {
        if (c + 1 > width) width = c + 1;
        height = r + 1;
      }
    }
  }
  const rows = sheet.rows as Cell[][];
  rows.length = height;
  for (const row of rows) {
    if (row.length > width) row.length = width;
    while (row.length < width) row.push(null);
  }
  return rows;
}
