import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { renderAsync } from '@resvg/resvg-js';
import { type Font, create as openFont, type PathCommand } from 'fontkit';
import QRCode from 'qrcode';
import { decompress } from 'wawoff2';

/**
 * Printable material for a channel code (渠道活码): a poster, a table card and a roll-up banner, drawn on the
 * server as PNG. Nothing comes from the machine: the Chinese font is Noto Sans SC from the npm package
 * `@fontsource-variable/noto-sans-sc` (its WOFF2 pieces, one per range of characters, unpacked with
 * `wawoff2` and read with `fontkit`, which also sets the variable font's weight), every line of text is
 * drawn as glyph outlines in an SVG, and `@resvg/resvg-js` rasterises it. The user's text never enters the
 * SVG as text, so `<`, `&` or `"` in a title cannot break it.
 */

export type MaterialKind = 'poster' | 'table_card' | 'rollup';

export interface MaterialInput {
  kind: MaterialKind;
  /** The text the QR code encodes (a URL). */
  qrText: string;
  brandName: string;
  /** The channel's name or a headline, e.g. 扫码加店长微信. */
  title: string;
  /** What the customer gets, e.g. 添加即送第二杯半价券 (may be empty). */
  bait: string;
  storeName?: string;
  staffName?: string;
}

export const MATERIAL_SIZES: Record<MaterialKind, { width: number; height: number }> = {
  poster: { width: 1080, height: 1920 },
  table_card: { width: 1200, height: 900 },
  rollup: { width: 800, height: 2000 },
};

/** A rectangle of the picture, in pixels. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A block of text as laid out: its lines, its font size and the box its lines may occupy. */
export interface TextBlock extends Box {
  lines: string[];
  size: number;
  /** The text did not fit and its last line ends with …. */
  truncated: boolean;
}

/** Where a material's parts went: what the tests (and anyone placing material) can check. */
export interface MaterialLayout {
  width: number;
  height: number;
  title: TextBlock;
  bait: TextBlock | null;
  /** The white card holding the QR, the store and the staff. */
  card: Box;
  /** The QR code including its quiet zone. */
  qr: Box;
}

export const SCAN_HINT = '微信扫码 · 添加企业微信';

const PALETTE = {
  deep: '#0b4a44',
  light: '#15957f',
  mint: '#c4eadf',
  pale: '#eef6f3',
  ink: '#15302b',
  muted: '#557069',
  rule: '#dbe9e5',
  band: '#ffdf95',
  bandInk: '#0b3f3a',
  qr: '#0b1f1c',
  white: '#ffffff',
};

// ---------------------------------------------------------------------------------------------------------
// The font: Noto Sans SC, variable weight, split by Google Fonts into ~100 WOFF2 files by character range.
// A file is unpacked the first time one of its characters is drawn, then kept for the life of the process.

const FONT_PACKAGE = '@fontsource-variable/noto-sans-sc';
const ELLIPSIS = '…';

interface FontIndex {
  dir: string;
  /** code point → the keys of the files that cover it */
  files: Map<number, string[]>;
}

let fontIndex: Promise<FontIndex> | undefined;
/** The index, once read: glyphs are looked up synchronously while laying out. */
let readyIndex: FontIndex | undefined;
const fontFiles = new Map<string, Promise<Font>>();
/** The files unpacked so far, by key. */
const readyFiles = new Map<string, Font>();
/** `${weight}:${file}` → the font at that weight */
const instances = new Map<string, Font>();
/** `${weight}:${codePoint}` → the glyph, or null when no file draws it */
const glyphs = new Map<string, Glyph | null>();

interface Glyph {
  /** advance in em */
  advance: number;
  commands: PathCommand[];
  unitsPerEm: number;
}

function loadFontIndex(): Promise<FontIndex> {
  fontIndex ??= (async () => {
    const unicodeJson = createRequire(import.meta.url).resolve(`${FONT_PACKAGE}/unicode.json`);
    const ranges = JSON.parse(await readFile(unicodeJson, 'utf8')) as Record<string, string>;
    const files = new Map<number, string[]>();
    for (const [key, list] of Object.entries(ranges)) {
      for (const part of list.split(',')) {
        const [from, to] = part.trim().replace(/^U\+/i, '').split('-');
        const start = Number.parseInt(from ?? '', 16);
        const end = to ? Number.parseInt(to, 16) : start;
        if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
        for (let cp = start; cp <= end; cp++) {
          const keys = files.get(cp);
          if (keys) keys.push(key);
          else files.set(cp, [key]);
        }
      }
    }
    readyIndex = { dir: dirname(unicodeJson), files };
    return readyIndex;
  })();
  return fontIndex;
}

function loadFontFile(index: FontIndex, key: string): Promise<Font> {
  let font = fontFiles.get(key);
  if (!font) {
    const name = `noto-sans-sc-${key.replace(/[[\]]/g, '')}-wght-normal.woff2`;
    font = (async () => {
      const woff2 = await readFile(join(index.dir, 'files', name));
      // wawoff2 answers a view on its WebAssembly memory, which the next call reuses: copy it at once.
      const ttf = Buffer.from(await decompress(woff2));
      const opened = openFont(ttf);
      const loaded = 'fonts' in opened ? opened.fonts[0] : opened;
      if (!loaded) throw new Error(`${FONT_PACKAGE}: ${name} holds no font`);
      readyFiles.set(key, loaded);
      return loaded;
    })();
    // A file that failed to load is tried again next time rather than remembered as missing.
    font.catch(() => fontFiles.delete(key));
    fontFiles.set(key, font);
  }
  return font;
}

/** Unpacks the font files that the texts need, so that laying them out can then run synchronously. */
async function loadFontFor(texts: string[]): Promise<void> {
  const index = await loadFontIndex();
  const keys = new Set<string>();
  for (const text of texts) {
    for (const ch of text) for (const key of index.files.get(ch.codePointAt(0)!) ?? []) keys.add(key);
  }
  await Promise.all([...keys].map((key) => loadFontFile(index, key)));
}

function glyphAt(cp: number, weight: number): Glyph | null {
  const id = `${weight}:${cp}`;
  let glyph = glyphs.get(id);
  if (glyph !== undefined) return glyph;
  glyph = null;
  for (const key of readyIndex?.files.get(cp) ?? []) {
    const base = readyFiles.get(key);
    if (!base?.hasGlyphForCodePoint(cp)) continue;
    let font = instances.get(`${weight}:${key}`);
    if (!font) {
      font = base.getVariation({ wght: weight });
      instances.set(`${weight}:${key}`, font);
    }
    const drawn = font.glyphForCodePoint(cp);
    glyph = {
      advance: drawn.advanceWidth / font.unitsPerEm,
      commands: drawn.path.commands,
      unitsPerEm: font.unitsPerEm,
    };
    break;
  }
  // Remembered only once the files that could draw it are in (loadFontFor runs before any layout).
  glyphs.set(id, glyph);
  return glyph;
}

/** The glyph of `ch`, or null for a character the font lacks (an emoji): it is left out. */
function glyphOf(ch: string, weight: number): Glyph | null {
  const glyph = glyphAt(ch.codePointAt(0)!, weight);
  // Tabs and other white space the font lacks take a space's room.
  return glyph ?? (/\s/u.test(ch) ? glyphAt(0x20, weight) : null);
}

// ---------------------------------------------------------------------------------------------------------
// Text: measuring, wrapping (Chinese breaks between any two characters, Latin words stay whole, no closing
// punctuation at a line's start and no opening one at its end), shrinking to fit, ellipsis, outlines.

interface TextStyle {
  size: number;
  weight: number;
  color: string;
  /** extra room between characters, in em */
  tracking?: number;
}

/** What a text's width depends on. */
type Metrics = Pick<TextStyle, 'size' | 'weight' | 'tracking'>;

const LINE_HEIGHT = 1.28;
/** Where the baseline sits in a line of `size`: the ideographic em box spans −0.12 em to 0.88 em. */
const ASCENT = 0.88;

const NO_LINE_START = new Set([...'，。、！？；：,.!?;:)]}）】」』》〉”’％%…·～-—']);
const NO_LINE_END = new Set([...'([{（【「『《〈“‘¥$#']);
const isWordChar = (ch: string) => /[\p{Script=Latin}\p{Nd}_'@./:&+-]/u.test(ch) && !/\s/u.test(ch);

function textWidth(chars: readonly string[], style: Metrics): number {
  let width = 0;
  for (const ch of chars) width += glyphOf(ch, style.weight)?.advance ?? 0;
  const tracking = (style.tracking ?? 0) * Math.max(0, chars.length - 1);
  return (width + tracking) * style.size;
}

/** Whether a line may break between `before` and `after`. */
function canBreak(before: string, after: string): boolean {
  if (/\s/u.test(before)) return true;
  if (/\s/u.test(after)) return false;
  if (NO_LINE_START.has(after) || NO_LINE_END.has(before)) return false;
  return !(isWordChar(before) && isWordChar(after));
}

const trimSpaces = (chars: string[]) => {
  let start = 0;
  let end = chars.length;
  while (start < end && /\s/u.test(chars[start]!)) start++;
  while (end > start && /\s/u.test(chars[end - 1]!)) end--;
  return chars.slice(start, end);
};

/** Breaks `text` into lines no wider than `maxWidth`, all of them (the caller cuts and ellipsises). */
function breakLines(text: string, style: Metrics, maxWidth: number): string[][] {
  const lines: string[][] = [];
  for (const paragraph of text.replace(/\r\n?/g, '\n').split('\n')) {
    const chars = trimSpaces([...paragraph]);
    let start = 0;
    while (start < chars.length) {
      let end = start + 1;
      let lastBreak = -1;
      while (end < chars.length && textWidth(chars.slice(start, end + 1), style) <= maxWidth) {
        if (canBreak(chars[end - 1]!, chars[end]!)) lastBreak = end;
        end++;
      }
      if (end < chars.length) {
        if (canBreak(chars[end - 1]!, chars[end]!)) lastBreak = end;
        if (lastBreak > start) end = lastBreak;
      }
      const line = trimSpaces(chars.slice(start, end));
      if (line.length) lines.push(line);
      start = end;
      while (start < chars.length && /\s/u.test(chars[start]!)) start++;
    }
  }
  return lines;
}

/** Cuts `chars` so that it and an ellipsis fit `maxWidth`. */
function ellipsise(chars: string[], style: Metrics, maxWidth: number): string[] {
  const cut = [...chars];
  while (cut.length && textWidth([...cut, ELLIPSIS], style) > maxWidth) cut.pop();
  // No "（…" nor "，…": what the ellipsis follows is text.
  while (cut.length && /[\s\p{Ps}\p{Pi},，、;；:：]/u.test(cut.at(-1)!)) cut.pop();
  return [...cut, ELLIPSIS];
}

interface Fitted {
  lines: string[];
  size: number;
  truncated: boolean;
  /** width of the widest line */
  width: number;
}

/**
 * Lays `text` out in `maxWidth` × `maxHeight`, at most `maxLines` lines, at the best of `sizes`: the largest,
 * less 12 % for each line beyond the first (a 7-character title stays on one line a size smaller rather
 * than breaking 4 + 3). Lines are balanced (9 characters give 5 + 4, not 8 + 1). When nothing fits, the
 * smallest size is cut with an ellipsis.
 */
function fitText(
  text: string,
  style: Omit<Metrics, 'size'>,
  box: { maxWidth: number; maxHeight: number; maxLines: number; sizes: number[] },
): Fitted {
  let best: { lines: string[][]; style: Metrics; score: number } | undefined;
  for (const size of box.sizes) {
    const s: Metrics = { ...style, size };
    const maxLines = Math.max(1, Math.min(box.maxLines, Math.floor(box.maxHeight / (size * LINE_HEIGHT))));
    const lines = breakLines(text, s, box.maxWidth);
    if (lines.length > maxLines) continue;
    const score = size * (1 - 0.12 * (lines.length - 1));
    if (!best || score > best.score) best = { lines, style: s, score };
  }
  let truncated = false;
  if (!best) {
    const s: Metrics = { ...style, size: box.sizes.at(-1) ?? 16 };
    const maxLines = Math.max(1, Math.min(box.maxLines, Math.floor(box.maxHeight / (s.size * LINE_HEIGHT))));
    const lines = breakLines(text, s, box.maxWidth).slice(0, maxLines);
    if (lines.length) lines[lines.length - 1] = ellipsise(lines[lines.length - 1]!, s, box.maxWidth);
    best = { lines, style: s, score: 0 };
    truncated = true;
  } else if (best.lines.length > 1) {
    // Balance: the narrowest width that still gives as many lines.
    let lo = box.maxWidth / best.lines.length;
    let hi = box.maxWidth;
    while (hi - lo > 2) {
      const mid = (lo + hi) / 2;
      if (breakLines(text, best.style, mid).length <= best.lines.length) hi = mid;
      else lo = mid;
    }
    best.lines = breakLines(text, best.style, hi);
  }
  const s = best.style;
  const width = Math.max(0, ...best.lines.map((line) => textWidth(line, s)));
  return { lines: best.lines.map((line) => line.join('')), size: s.size, truncated, width };
}

const round = (n: number) => Math.round(n * 10) / 10;

const SVG_COMMAND: Record<PathCommand['command'], string> = {
  moveTo: 'M',
  lineTo: 'L',
  quadraticCurveTo: 'Q',
  bezierCurveTo: 'C',
  closePath: 'Z',
};

/** One line of text as a filled path; `x` is its left edge, its centre or its right edge per `align`. */
function textPath(
  line: string,
  x: number,
  baseline: number,
  style: TextStyle,
  align: 'left' | 'center' | 'right' = 'left',
): string {
  const chars = [...line];
  const width = textWidth(chars, style);
  let pen = align === 'center' ? x - width / 2 : align === 'right' ? x - width : x;
  const d: string[] = [];
  for (const ch of chars) {
    const glyph = glyphOf(ch, style.weight);
    if (!glyph) continue;
    const scale = style.size / glyph.unitsPerEm;
    for (const { command, args } of glyph.commands) {
      const points: string[] = [];
      for (let i = 0; i + 1 < args.length; i += 2) {
        points.push(`${round(pen + args[i]! * scale)} ${round(baseline - args[i + 1]! * scale)}`);
      }
      d.push(SVG_COMMAND[command] + points.join(' '));
    }
    pen += (glyph.advance + (style.tracking ?? 0)) * style.size;
  }
  return d.length ? `<path fill="${style.color}" d="${d.join('')}"/>` : '';
}

/** A block of lines, each centred on `at.x` (or starting there), the first line's box at `at.top`. */
function textLines(
  fitted: Fitted,
  at: { x: number; top: number; align: 'left' | 'center' },
  style: Omit<TextStyle, 'size'>,
): string {
  const s: TextStyle = { ...style, size: fitted.size };
  const lineHeight = fitted.size * LINE_HEIGHT;
  const lead = (lineHeight - fitted.size) / 2;
  return fitted.lines
    .map((line, i) =>
      textPath(line, at.x, at.top + i * lineHeight + lead + ASCENT * fitted.size, s, at.align),
    )
    .join('');
}

const blockHeight = (fitted: Fitted) => fitted.lines.length * fitted.size * LINE_HEIGHT;

// ---------------------------------------------------------------------------------------------------------
// The QR code: error correction M, a quiet zone of 4 modules, whole pixels per module.

const QUIET_ZONE = 4;

interface Qr {
  text: string;
  modules: { size: number; get(row: number, col: number): number | boolean };
  cell: number;
  /** the side in pixels, quiet zone included */
  size: number;
}

/** The QR for `text` at whole pixels per module, as large as fits `target` pixels. */
function qrFor(text: string, target: number): Qr {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const cell = Math.floor(target / (modules.size + 2 * QUIET_ZONE));
  if (cell < 2) throw new Error(`the QR text is too long to print (${text.length} characters)`);
  return { text, modules, cell, size: cell * (modules.size + 2 * QUIET_ZONE) };
}

function qrSvg(qr: Qr, left: number, top: number): string {
  const { modules, cell } = qr;
  const n = modules.size;
  const d: string[] = [];
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && modules.get(row, col)) col++;
      const px = left + (QUIET_ZONE + start) * cell;
      const py = top + (QUIET_ZONE + row) * cell;
      d.push(`M${px} ${py}h${(col - start) * cell}v${cell}h${-(col - start) * cell}z`);
    }
  }
  return (
    `<rect x="${left}" y="${top}" width="${qr.size}" height="${qr.size}" fill="${PALETTE.white}"/>` +
    `<path fill="${PALETTE.qr}" shape-rendering="crispEdges" d="${d.join('')}"/>`
  );
}

// ---------------------------------------------------------------------------------------------------------
// The designs.

const WEIGHTS = { regular: 400, medium: 500, bold: 700, heavy: 800 };

const defs = `<defs>
<linearGradient id="bg" x1="0" y1="0" x2="0.35" y2="1"><stop offset="0" stop-color="${PALETTE.deep}"/><stop offset="1" stop-color="${PALETTE.light}"/></linearGradient>
</defs>`;

const rect = (b: Box, fill: string, radius = 0, extra = '') =>
  `<rect x="${round(b.x)}" y="${round(b.y)}" width="${round(b.width)}" height="${round(b.height)}"${radius ? ` rx="${radius}"` : ''} fill="${fill}"${extra}/>`;

const circle = (cx: number, cy: number, r: number, opacity: number) =>
  `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${PALETTE.white}" fill-opacity="${opacity}"/>`;

/** A white card with a soft shadow (rings of faint shade: a blur filter would cost 150 ms a render). */
function card(b: Box, radius: number): string {
  const shade: string[] = [];
  for (let i = 1; i <= 8; i++) {
    const grow = i * 2.5;
    shade.push(
      rect(
        { x: b.x - grow, y: b.y - grow + 10, width: b.width + 2 * grow, height: b.height + 2 * grow },
        '#00241f',
        radius + grow,
        ' fill-opacity="0.022"',
      ),
    );
  }
  return shade.join('') + rect(b, PALETTE.white, radius);
}

interface CardContent {
  width: number;
  /** the QR's side, quiet zone included, at most */
  qrSize: number;
  /** the room above the QR and around the text under it */
  pad: number;
  store: TextStyle;
  staff: TextStyle;
  hint: TextStyle;
}

/** The card's height for what it holds: the QR, then the store, the staff and the scan hint. */
function cardHeight(input: MaterialInput, c: CardContent, qr: Qr): number {
  let h = c.pad + qr.size;
  if (input.storeName) h += c.store.size * 1.45;
  if (input.staffName) h += c.staff.size * 1.45;
  h += c.pad * 0.45 + c.hint.size * 1.5 + c.pad * 0.55;
  return Math.round(h);
}

function cardWithQr(input: MaterialInput, box: Box, c: CardContent, qr: Qr): { svg: string; qr: Box } {
  const left = Math.round(box.x + (box.width - qr.size) / 2);
  const top = Math.round(box.y + c.pad);
  const center = box.x + box.width / 2;
  // The text and the rule under the QR line up with its modules.
  const inset = left - box.x + QUIET_ZONE * qr.cell;
  const textMax = box.width - 2 * inset + 2 * qr.cell;
  let y = top + qr.size;
  const parts = [card(box, Math.round(c.pad * 0.9)), qrSvg(qr, left, top)];
  for (const [text, style] of [
    [input.storeName, c.store],
    [input.staffName, c.staff],
  ] as const) {
    if (!text) continue;
    const sizes = [style.size, Math.round(style.size * 0.9), Math.round(style.size * 0.8)];
    const fitted = fitText(text, style, { maxWidth: textMax, maxHeight: style.size * 2, maxLines: 1, sizes });
    // A name shrunk to fit keeps the centre of its line.
    const baseline = y + style.size * 0.2 + (style.size - fitted.size) / 2 + fitted.size * ASCENT;
    parts.push(textPath(fitted.lines[0] ?? '', center, baseline, { ...style, size: fitted.size }, 'center'));
    y += style.size * 1.45;
  }
  y += c.pad * 0.45;
  parts.push(
    rect({ x: box.x + inset, y: y - 1, width: box.width - 2 * inset, height: 2 }, PALETTE.rule),
    textPath(SCAN_HINT, center, y + c.hint.size * (0.3 + ASCENT), c.hint, 'center'),
  );
  return { svg: parts.join(''), qr: { x: left, y: top, width: qr.size, height: qr.size } };
}

/** The bait in a rounded amber band. */
function baitBand(fitted: Fitted, b: Box, align: 'left' | 'center'): string {
  const style = { weight: WEIGHTS.bold, color: PALETTE.bandInk };
  const radius = Math.min(b.height / 2, fitted.size * 0.9);
  const x = align === 'center' ? b.x + b.width / 2 : b.x + fitted.size * 0.8;
  const top = b.y + (b.height - blockHeight(fitted)) / 2;
  return rect(b, PALETTE.band, radius) + textLines(fitted, { x, top, align }, style);
}

function header(
  input: MaterialInput,
  at: { x: number; baseline: number; size: number; maxWidth: number; align: 'left' | 'center' },
) {
  const { x, baseline, size, align } = at;
  const style: TextStyle = { size, weight: WEIGHTS.bold, color: PALETTE.mint, tracking: 0.2 };
  const fitted = fitText(input.brandName, style, {
    maxWidth: at.maxWidth,
    maxHeight: size * 2,
    maxLines: 1,
    sizes: [size],
  });
  const ruleX = align === 'center' ? x - 32 : x;
  return (
    textPath(fitted.lines[0] ?? '', x, baseline, style, align) +
    rect({ x: ruleX, y: baseline + size * 0.75, width: 64, height: 6 }, PALETTE.band, 3)
  );
}

interface PortraitSpec {
  margin: number;
  brandSize: number;
  brandBaseline: number;
  titleSizes: number[];
  titleLines: number;
  baitSizes: number[];
  card: CardContent;
  bottom: number;
}

const PORTRAIT: Record<'poster' | 'rollup', PortraitSpec> = {
  poster: {
    margin: 90,
    brandSize: 40,
    brandBaseline: 150,
    titleSizes: [132, 120, 112, 104, 96, 88, 80, 72, 64],
    titleLines: 3,
    baitSizes: [52, 48, 44, 40],
    card: {
      width: 720,
      qrSize: 660,
      pad: 40,
      store: { size: 44, weight: WEIGHTS.bold, color: PALETTE.ink },
      staff: { size: 34, weight: WEIGHTS.medium, color: PALETTE.muted },
      hint: { size: 30, weight: WEIGHTS.regular, color: PALETTE.muted },
    },
    bottom: 130,
  },
  rollup: {
    margin: 64,
    brandSize: 36,
    brandBaseline: 160,
    titleSizes: [116, 108, 100, 92, 84, 76, 68, 60, 54],
    titleLines: 4,
    baitSizes: [46, 42, 38, 34],
    card: {
      width: 620,
      qrSize: 570,
      pad: 34,
      store: { size: 40, weight: WEIGHTS.bold, color: PALETTE.ink },
      staff: { size: 32, weight: WEIGHTS.medium, color: PALETTE.muted },
      hint: { size: 28, weight: WEIGHTS.regular, color: PALETTE.muted },
    },
    // A roll-up's foot stands on the floor, where nobody looks: keep everything well above it.
    bottom: 300,
  },
};

function portrait(input: MaterialInput, kind: 'poster' | 'rollup'): { svg: string; layout: MaterialLayout } {
  const { width: W, height: H } = MATERIAL_SIZES[kind];
  const spec = PORTRAIT[kind];
  const column = W - 2 * spec.margin;

  const qr = qrFor(input.qrText, spec.card.qrSize);
  const ch = cardHeight(input, spec.card, qr);
  const cardBox: Box = {
    x: (W - spec.card.width) / 2,
    y: H - spec.bottom - ch,
    width: spec.card.width,
    height: ch,
  };
  const regionTop = spec.brandBaseline + spec.brandSize * 2.2;
  const regionBottom = cardBox.y - spec.brandSize * 1.6;
  const gap = spec.baitSizes[0]! * 0.9;

  const bait = input.bait.trim()
    ? fitText(
        input.bait,
        { weight: WEIGHTS.bold },
        {
          maxWidth: column - 2 * spec.baitSizes[0]!,
          maxHeight: Number.POSITIVE_INFINITY,
          maxLines: 2,
          sizes: spec.baitSizes,
        },
      )
    : null;
  const baitH = bait ? blockHeight(bait) + bait.size * 0.9 : 0;
  const title = fitText(
    input.title,
    { weight: WEIGHTS.heavy },
    {
      maxWidth: column,
      maxHeight: regionBottom - regionTop - (bait ? baitH + gap : 0),
      maxLines: spec.titleLines,
      sizes: spec.titleSizes,
    },
  );
  const titleH = blockHeight(title);
  const stackH = titleH + (bait ? gap + baitH : 0);
  const top = regionTop + Math.max(0, (regionBottom - regionTop - stackH) / 2);
  const titleBox: TextBlock = {
    x: spec.margin,
    y: top,
    width: column,
    height: titleH,
    lines: title.lines,
    size: title.size,
    truncated: title.truncated,
  };
  let baitBox: TextBlock | null = null;
  if (bait) {
    const bandW = Math.min(column, bait.width + bait.size * 2.4);
    baitBox = {
      x: (W - bandW) / 2,
      y: top + titleH + gap,
      width: bandW,
      height: baitH,
      lines: bait.lines,
      size: bait.size,
      truncated: bait.truncated,
    };
  }

  const content = cardWithQr(input, cardBox, spec.card, qr);
  const svg = [
    rect({ x: 0, y: 0, width: W, height: H }, 'url(#bg)'),
    circle(W * 0.92, H * 0.06, W * 0.3, 0.06),
    circle(W * 0.04, H * 0.5, W * 0.22, 0.05),
    circle(W * 0.85, H * 0.97, W * 0.35, 0.05),
    header(input, {
      x: W / 2,
      baseline: spec.brandBaseline,
      size: spec.brandSize,
      maxWidth: column,
      align: 'center',
    }),
    textLines(title, { x: W / 2, top, align: 'center' }, { weight: WEIGHTS.heavy, color: PALETTE.white }),
    bait && baitBox ? baitBand(bait, baitBox, 'center') : '',
    content.svg,
  ].join('');
  return {
    svg,
    layout: { width: W, height: H, title: titleBox, bait: baitBox, card: cardBox, qr: content.qr },
  };
}

function tableCard(input: MaterialInput): { svg: string; layout: MaterialLayout } {
  const { width: W, height: H } = MATERIAL_SIZES.table_card;
  const panel = 690;
  const margin = 76;
  const column = panel - 2 * margin;
  const brandSize = 32;
  const brandBaseline = 116;
  const regionTop = brandBaseline + brandSize * 2.4;
  const regionBottom = H - 150;
  const baitSizes = [40, 36, 32, 28];
  const gap = 40;

  const bait = input.bait.trim()
    ? fitText(
        input.bait,
        { weight: WEIGHTS.bold },
        {
          maxWidth: column - 1.6 * baitSizes[0]!,
          maxHeight: Number.POSITIVE_INFINITY,
          maxLines: 2,
          sizes: baitSizes,
        },
      )
    : null;
  const baitH = bait ? blockHeight(bait) + bait.size * 0.8 : 0;
  const title = fitText(
    input.title,
    { weight: WEIGHTS.heavy },
    {
      maxWidth: column,
      maxHeight: regionBottom - regionTop - (bait ? baitH + gap : 0),
      maxLines: 3,
      sizes: [100, 92, 84, 76, 68, 60, 54, 48, 44],
    },
  );
  const titleH = blockHeight(title);
  const stackH = titleH + (bait ? gap + baitH : 0);
  const top = regionTop + Math.max(0, (regionBottom - regionTop - stackH) / 2);
  const titleBox: TextBlock = {
    x: margin,
    y: top,
    width: column,
    height: titleH,
    lines: title.lines,
    size: title.size,
    truncated: title.truncated,
  };
  let baitBox: TextBlock | null = null;
  if (bait) {
    baitBox = {
      x: margin,
      y: top + titleH + gap,
      width: Math.min(column, bait.width + bait.size * 1.6),
      height: baitH,
      lines: bait.lines,
      size: bait.size,
      truncated: bait.truncated,
    };
  }

  const cardSpec: CardContent = {
    width: 420,
    qrSize: 372,
    pad: 26,
    store: { size: 32, weight: WEIGHTS.bold, color: PALETTE.ink },
    staff: { size: 26, weight: WEIGHTS.medium, color: PALETTE.muted },
    hint: { size: 24, weight: WEIGHTS.regular, color: PALETTE.muted },
  };
  const qr = qrFor(input.qrText, cardSpec.qrSize);
  const ch = cardHeight(input, cardSpec, qr);
  const cardBox: Box = {
    x: panel + (W - panel - cardSpec.width) / 2,
    y: (H - ch) / 2,
    width: cardSpec.width,
    height: ch,
  };
  const content = cardWithQr(input, cardBox, cardSpec, qr);
  const svg = [
    rect({ x: 0, y: 0, width: W, height: H }, PALETTE.pale),
    rect({ x: 0, y: 0, width: panel, height: H }, 'url(#bg)'),
    circle(panel * 0.95, H * 0.05, 220, 0.06),
    circle(panel * 0.1, H * 1.02, 200, 0.05),
    header(input, { x: margin, baseline: brandBaseline, size: brandSize, maxWidth: column, align: 'left' }),
    textLines(title, { x: margin, top, align: 'left' }, { weight: WEIGHTS.heavy, color: PALETTE.white }),
    bait && baitBox ? baitBand(bait, baitBox, 'left') : '',
    content.svg,
  ].join('');
  return {
    svg,
    layout: { width: W, height: H, title: titleBox, bait: baitBox, card: cardBox, qr: content.qr },
  };
}

async function compose(input: MaterialInput): Promise<{ svg: string; layout: MaterialLayout }> {
  if (!MATERIAL_SIZES[input.kind]) throw new Error(`unknown material kind: ${String(input.kind)}`);
  if (!input.qrText) throw new Error('the QR text is empty');
  const texts = [input.brandName, input.title, input.bait, input.storeName ?? '', input.staffName ?? ''];
  await loadFontFor([...texts, SCAN_HINT, ELLIPSIS, ' ']);
  const drawn = input.kind === 'table_card' ? tableCard(input) : portrait(input, input.kind);
  const { width, height } = drawn.layout;
  return {
    svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${defs}${drawn.svg}</svg>`,
    layout: drawn.layout,
  };
}

/** Where each part of a material goes, as `renderMaterial` draws it. */
export async function materialLayout(input: MaterialInput): Promise<MaterialLayout> {
  return (await compose(input)).layout;
}

/** Draws a channel code's poster, table card or roll-up as a PNG of `MATERIAL_SIZES[kind]`. */
export async function renderMaterial(input: MaterialInput): Promise<Buffer> {
  const { svg } = await compose(input);
  const image = await renderAsync(svg, { fitTo: { mode: 'original' }, font: { loadSystemFonts: false } });
  return image.asPng();
}
