import { normalizePhone } from '../../platform/pii.ts';
import { type Cell, ExcelNumber, fileError, type Grid } from './import-file.ts';
import { ORDERS_AHEAD_MS, ORDERS_FROM_MS, type OrderInput } from './order-input.ts';

/**
 * From a grid of cells (row 1 the header) to orders: one row per order line, the rows sharing an 订单号 are
 * one order. Every problem is a RowError naming the row as Excel numbers it, the column as the file names
 * it, and why, in Chinese and English. An order with any bad row is left out whole.
 */

export type ColumnKey =
  | 'orderNo'
  | 'storeCode'
  | 'channel'
  | 'orderedAt'
  | 'productCode'
  | 'productName'
  | 'quantity'
  | 'price'
  | 'paid'
  | 'total'
  | 'couponCode'
  | 'coupon'
  | 'phone'
  | 'unionid'
  | 'openid'
  | 'externalUserid';

export interface ColumnDef {
  key: ColumnKey;
  /** The template's header. */
  zh: string;
  en: string;
  /** Other headers accepted (compared without case, spaces, _ or -, full-width forms folded). */
  aliases: string[];
  required: boolean;
  /** Order columns repeat on each line of the order (or stay blank after its first line). */
  level: 'order' | 'line';
  note: { zh: string; en: string };
}

export const COLUMNS: readonly ColumnDef[] = [
  {
    key: 'orderNo',
    zh: '订单号',
    en: 'order_no',
    aliases: ['订单编号', 'order_id', 'source_order_id', 'order number'],
    required: true,
    level: 'order',
    note: {
      zh: '来源系统的订单号；同一订单的多个商品写多行、订单号相同。同一来源重复导入不会重复创建',
      en: "The source system's order number; an order with several products is several rows with the same number. Importing it again under the same source creates nothing new",
    },
  },
  {
    key: 'storeCode',
    zh: '门店编码',
    en: 'store_code',
    aliases: ['门店代码', '门店编号', 'store'],
    required: false,
    level: 'order',
    note: {
      zh: '组织架构中门店的编码；电商订单可留空（仅总部可导入无门店订单）',
      en: "The store's code in the org chart; blank for e-commerce orders (only HQ may import orders without a store)",
    },
  },
  {
    key: 'channel',
    zh: '渠道',
    en: 'channel',
    aliases: ['销售渠道', '订单渠道'],
    required: true,
    level: 'order',
    note: {
      zh: '小程序 / 电商 / POS（或 miniprogram / ecommerce / pos）',
      en: '小程序 / 电商 / POS, or miniprogram / ecommerce / pos',
    },
  },
  {
    key: 'orderedAt',
    zh: '下单时间',
    en: 'ordered_at',
    aliases: ['订单时间', '下单日期', 'order_time', 'order time', 'time'],
    required: true,
    level: 'order',
    note: {
      zh: 'Excel 日期时间，或文本如 2026-06-01 12:30:00；未写时区按北京时间',
      en: 'An Excel date-time, or text such as 2026-06-01 12:30:00; Beijing time unless an offset is given',
    },
  },
  {
    key: 'productCode',
    zh: '商品编码',
    en: 'product_code',
    aliases: ['商品代码', '商品编号', 'sku', 'sku_code'],
    required: true,
    level: 'line',
    note: { zh: '商品的编码（SKU）', en: "The product's code (SKU)" },
  },
  {
    key: 'productName',
    zh: '商品名称',
    en: 'product_name',
    aliases: ['商品名', '品名', 'product'],
    required: true,
    level: 'line',
    note: { zh: '商品名称', en: "The product's name" },
  },
  {
    key: 'quantity',
    zh: '数量',
    en: 'quantity',
    aliases: ['商品数量', '购买数量', 'qty'],
    required: true,
    level: 'line',
    note: { zh: '正整数', en: 'A whole number, at least 1' },
  },
  {
    key: 'price',
    zh: '单价(元)',
    en: 'price_yuan',
    aliases: ['单价', '商品单价', '单价（元）', 'price', 'unit_price'],
    required: true,
    level: 'line',
    note: { zh: '元，最多两位小数', en: 'Yuan, at most 2 decimals' },
  },
  {
    key: 'paid',
    zh: '实付金额(元)',
    en: 'paid_yuan',
    aliases: ['实付金额', '实付', '支付金额', 'paid', 'paid_amount'],
    required: true,
    level: 'order',
    note: {
      zh: '整单实付，元；不超过订单金额减优惠金额',
      en: 'Paid for the whole order, yuan; at most the total less the coupon',
    },
  },
  {
    key: 'total',
    zh: '订单金额(元)',
    en: 'total_yuan',
    aliases: ['订单金额', '订单总额', '商品总额', 'total', 'total_amount'],
    required: false,
    level: 'order',
    note: {
      zh: '整单金额，元；须等于各行 数量×单价 之和，留空则按此计算',
      en: "The order's amount, yuan; must equal the sum of quantity × price over its rows, computed so when blank",
    },
  },
  {
    key: 'couponCode',
    zh: '优惠券',
    en: 'coupon_code',
    aliases: ['优惠券码', '优惠券编码', 'coupon'],
    required: false,
    level: 'order',
    note: {
      zh: '使用的优惠券编码；有优惠金额时必填',
      en: 'The coupon used; required when there is a coupon amount',
    },
  },
  {
    key: 'coupon',
    zh: '优惠金额(元)',
    en: 'coupon_yuan',
    aliases: ['优惠金额', '优惠券金额', 'discount', 'coupon_amount'],
    required: false,
    level: 'order',
    note: { zh: '优惠券抵扣的金额，元', en: 'The amount the coupon took off, yuan' },
  },
  {
    key: 'phone',
    zh: '手机号',
    en: 'phone',
    aliases: ['手机', '手机号码', '联系电话', 'mobile'],
    required: false,
    level: 'order',
    note: {
      zh: '顾客手机号（仅保存加密哈希，用于识别客户）；请把该列设为文本，避免被显示成科学计数法',
      en: "The customer's mobile (only its keyed hash is kept, to recognise the customer); format the column as text so Excel keeps every digit",
    },
  },
  {
    key: 'unionid',
    zh: 'unionid',
    en: 'unionid',
    aliases: [],
    required: false,
    level: 'order',
    note: { zh: '顾客的微信 unionid', en: "The customer's WeChat unionid" },
  },
  {
    key: 'openid',
    zh: 'openid',
    en: 'openid',
    aliases: [],
    required: false,
    level: 'order',
    note: {
      zh: '顾客在小程序/公众号的 openid',
      en: "The customer's openid in the mini-program or official account",
    },
  },
  {
    key: 'externalUserid',
    zh: 'external_userid',
    en: 'external_userid',
    aliases: ['外部联系人id', '企业微信客户id'],
    required: false,
    level: 'order',
    note: { zh: '企业微信外部联系人 ID（最可信）', en: 'The WeCom external contact id (the most trusted)' },
  },
];

const COLUMN_OF = new Map(COLUMNS.map((c) => [c.key, c]));

export interface RowError {
  /** The row as Excel numbers it (the header is row 1); 1 for problems of the header itself. */
  row: number;
  /** The column's header as written in the file (the template's name when the column is missing). */
  column: string;
  field: ColumnKey;
  orderNo: string | null;
  zh: string;
  en: string;
}

/** An order ready for ingestOrders, with the rows it came from (rows[i] is the row of items[i]). */
export interface ParsedOrder {
  input: OrderInput;
  rows: number[];
}

export interface ParseResult {
  kind: Grid['kind'];
  /** Order lines read (non-empty rows under the header). */
  lines: number;
  /** Distinct 订单号 seen, valid or not. */
  orderCount: number;
  orders: ParsedOrder[];
  /** Orders rejected here, by 订单号 (the rows without an 订单号 are not orders and count as none). */
  invalidOrders: number;
  errors: RowError[];
  /** Headers that match no column: ignored, listed so a typo is noticed. */
  ignoredColumns: string[];
}

export const MAX_LINES = 200_000;
/** Brand time: Shanghai is UTC+8 all year. A time without an offset is read there. */
const BRAND_OFFSET_MS = 8 * 3_600_000;

const fold = (s: string) =>
  s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_\-*]/g, '');

/** Header text → column; a header naming a column twice is refused (which one would win?). */
export function mapHeader(header: Cell[]): { index: Map<ColumnKey, number>; ignored: string[] } {
  const byName = new Map<string, ColumnKey>();
  for (const c of COLUMNS)
    for (const name of [c.zh, c.en, c.key, ...c.aliases]) byName.set(fold(name), c.key);
  const index = new Map<ColumnKey, number>();
  const ignored: string[] = [];
  header.forEach((cell, i) => {
    const text = cellText(cell);
    if (!text) return;
    const key = byName.get(fold(text));
    if (!key) {
      ignored.push(text);
      return;
    }
    const previous = index.get(key);
    if (previous !== undefined) {
      const c = COLUMN_OF.get(key)!;
      throw fileError(
        `第 1 行有两列都是「${c.zh}」：第 ${columnLetter(previous)} 列和第 ${columnLetter(i)} 列，请删去一列`,
        `Row 1 has two "${c.en}" columns (${columnLetter(previous)} and ${columnLetter(i)}): remove one`,
      );
    }
    index.set(key, i);
  });
  const missing = COLUMNS.filter((c) => c.required && !index.has(c.key));
  if (missing.length) {
    throw fileError(
      `第 1 行（表头）缺少必填列：${missing.map((c) => c.zh).join('、')}。请使用导入模板`,
      `Row 1 (the header) lacks required columns: ${missing.map((c) => c.en).join(', ')}. Use the import template`,
    );
  }
  return { index, ignored };
}

/** A, B, … Z, AA: the column letters Excel shows. */
export function columnLetter(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

function cellText(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof ExcelNumber) return cell.text;
  if (cell instanceof Date) return cell.toISOString();
  return cell.trim();
}

type Problem = { zh: string; en: string };
type Parsed<T> = { ok: T } | { problem: Problem };

/** 元 → 分 by string arithmetic: digits, at most 2 decimals (trailing zeros aside); ¥, 元 and 1,234 accepted. */
export function yuanToFen(cell: Cell): Parsed<number> {
  let text = cellText(cell)
    .replace(/^(¥|￥|rmb)\s*/i, '')
    .replace(/\s*元$/, '')
    .replace(/\s/g, '');
  if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) text = text.replaceAll(',', '');
  if (/^-\d/.test(text))
    return { problem: { zh: `金额不能为负数（${text}）`, en: `An amount cannot be negative (${text})` } };
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return { problem: { zh: `「${text}」不是金额`, en: `"${text}" is not an amount` } };
  const decimals = (m[2] ?? '').replace(/0+$/, '');
  if (decimals.length > 2) {
    return {
      problem: {
        zh: `金额最多两位小数（到分），「${text}」有 ${decimals.length} 位`,
        en: `An amount has at most 2 decimals (fen); "${text}" has ${decimals.length}`,
      },
    };
  }
  const yuan = m[1]!.replace(/^0+(?=\d)/, '');
  if (yuan.length > 10)
    return { problem: { zh: `金额过大（${text}）`, en: `The amount is too large (${text})` } };
  return { ok: Number(`${yuan}${decimals.padEnd(2, '0')}`) };
}

export function parseQuantity(cell: Cell): Parsed<number> {
  const text = cellText(cell);
  const m = /^(\d+)(?:\.0*)?$/.exec(text);
  if (!m)
    return {
      problem: {
        zh: `数量须为正整数，「${text}」不是`,
        en: `A quantity is a whole number; "${text}" is not`,
      },
    };
  const n = Number(m[1]);
  if (n < 1) return { problem: { zh: '数量至少为 1', en: 'A quantity is at least 1' } };
  if (n > 1_000_000) return { problem: { zh: `数量过大（${n}）`, en: `The quantity is too large (${n})` } };
  return { ok: n };
}

const CHANNELS: Record<string, OrderInput['channel']> = {};
for (const [channel, names] of Object.entries({
  miniprogram: ['miniprogram', 'mini-program', 'mini_program', 'mp', '小程序', '微信小程序'],
  ecommerce: ['ecommerce', 'e-commerce', 'online', '电商', '网店', '线上商城', '商城'],
  pos: ['pos', '门店', '线下', '收银', '门店pos', 'pos机'],
}))
  for (const name of names) CHANNELS[fold(name)] = channel as OrderInput['channel'];

export function parseChannel(cell: Cell): Parsed<OrderInput['channel']> {
  const text = cellText(cell);
  const channel = CHANNELS[fold(text)];
  return channel
    ? { ok: channel }
    : {
        problem: {
          zh: `渠道「${text}」无法识别，应为 小程序、电商 或 POS`,
          en: `Channel "${text}" is not known: use miniprogram, ecommerce or pos (小程序, 电商, POS)`,
        },
      };
}

/**
 * An .xlsx date cell (wall-clock time), an Excel serial number, or text: 2026-06-01 12:30[:00],
 * 2026/6/1 12:30, 2026年6月1日 12:30, ISO 8601 with T and an offset. Without an offset: Beijing time.
 */
export function parseOrderedAt(cell: Cell, now: Date): Parsed<Date> {
  let at: Date | null = null;
  if (cell instanceof Date) at = new Date(roundToSecond(cell.getTime()) - BRAND_OFFSET_MS);
  else if (cell instanceof ExcelNumber) {
    const serial = Number(cell.raw);
    // 1954 … 2119: a number outside is no date, and Excel's serials start at 1900-01-00
    if (serial > 20_000 && serial < 80_000)
      at = new Date(roundToSecond((serial - 25_569) * 86_400_000) - BRAND_OFFSET_MS);
  } else if (cell !== null) at = parseTimeText(cell.trim());
  const text = cellText(cell);
  if (!at) {
    return {
      problem: {
        zh: `「${text}」不是有效的时间，请写成 2026-06-01 12:30:00`,
        en: `"${text}" is not a valid time; write it as 2026-06-01 12:30:00`,
      },
    };
  }
  if (at.getTime() > now.getTime() + ORDERS_AHEAD_MS) {
    return {
      problem: { zh: `下单时间「${text}」晚于现在`, en: `The order time "${text}" is in the future` },
    };
  }
  if (at.getTime() < ORDERS_FROM_MS) {
    return {
      problem: { zh: `下单时间「${text}」早于 2000 年`, en: `The order time "${text}" is before 2000` },
    };
  }
  return { ok: at };
}

const roundToSecond = (ms: number) => Math.round(ms / 1000) * 1000;

function parseTimeText(text: string): Date | null {
  const m =
    /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:(?:\s+|T)(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.(\d{1,3}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
      text,
    );
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m
    .slice(1, 7)
    .map((v) => (v === undefined ? undefined : Number(v)));
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h > 23 || mi > 59 || s > 59) return null;
  const wall = Date.UTC(y!, mo! - 1, d!, h, mi, s, Number((m[7] ?? '0').padEnd(3, '0')));
  if (new Date(wall).getUTCDate() !== d) return null; // 2026-02-30
  const zone = m[8];
  let offset = BRAND_OFFSET_MS;
  if (zone) {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone);
    offset = z ? (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3])) * 60_000 : 0;
  }
  return new Date(wall - offset);
}

/** Codes and ids: text; a number cell Excel has rounded (over 15 digits, or shown as 1.2E+19) is refused. */
function parseCode(cell: Cell, max: number): Parsed<string> {
  if (cell instanceof ExcelNumber && (/e/i.test(cell.raw) || cell.raw.replace(/\D/g, '').length > 15)) {
    return {
      problem: {
        zh: `「${cell.raw}」被 Excel 当作数字保存、超过 15 位的部分已丢失；请把该列设为文本后重新填写`,
        en: `"${cell.raw}" was saved by Excel as a number and lost its digits beyond 15: format the column as text and enter it again`,
      },
    };
  }
  const text = cellText(cell);
  if (text.length > max)
    return { problem: { zh: `不能超过 ${max} 个字符`, en: `At most ${max} characters` } };
  return { ok: text };
}

export function parsePhone(cell: Cell): Parsed<string> {
  const text = cellText(cell);
  if (/^\d(\.\d+)?e\+?\d+$/i.test(text)) {
    return {
      problem: {
        zh: `手机号被显示成了科学计数法（${text}），数字已丢失；请把该列设为文本后重新填写`,
        en: `The phone was turned into scientific notation (${text}) and lost digits: format the column as text and enter it again`,
      },
    };
  }
  const phone = normalizePhone(text);
  return /^1\d{10}$/.test(phone)
    ? { ok: phone }
    : {
        problem: {
          zh: '手机号须为 11 位中国大陆手机号',
          en: 'The phone must be an 11-digit mainland mobile number',
        },
      };
}

interface Line {
  row: number;
  values: Partial<Record<ColumnKey, string | number | Date>>;
  /** The columns with a problem on this row. */
  bad: Set<ColumnKey>;
}

const VALUE_PARSERS: Record<ColumnKey, (cell: Cell, now: Date) => Parsed<string | number | Date>> = {
  orderNo: (c) => parseCode(c, 64),
  storeCode: (c) => parseCode(c, 64),
  channel: parseChannel,
  orderedAt: parseOrderedAt,
  productCode: (c) => parseCode(c, 64),
  productName: (c) => parseCode(c, 128),
  quantity: parseQuantity,
  price: yuanToFen,
  paid: yuanToFen,
  total: yuanToFen,
  couponCode: (c) => parseCode(c, 64),
  coupon: yuanToFen,
  phone: parsePhone,
  unionid: (c) => parseCode(c, 64),
  openid: (c) => parseCode(c, 64),
  externalUserid: (c) => parseCode(c, 64),
};

const comparable = (v: string | number | Date) => (v instanceof Date ? v.getTime() : v);

const isEmpty = (cell: Cell | undefined) => cell === null || cell === undefined || cellText(cell) === '';

export function parseOrders(grid: Grid, now: Date): ParseResult {
  const [header, ...body] = grid.rows;
  if (!header || header.every(isEmpty))
    throw fileError('文件没有表头（第 1 行为空）', 'The file has no header (row 1 is empty)');
  const { index, ignored } = mapHeader(header);
  const columnName = (key: ColumnKey) => {
    const i = index.get(key);
    return i === undefined ? COLUMN_OF.get(key)!.zh : cellText(header[i]);
  };
  const errors: RowError[] = [];
  const fail = (row: number, field: ColumnKey, orderNo: string | null, p: Problem) =>
    errors.push({ row, column: columnName(field), field, orderNo, zh: p.zh, en: p.en });

  // 1. each row on its own: every cell of a known column parsed
  const lines: Line[] = [];
  body.forEach((cells, i) => {
    const row = i + 2;
    if ([...index.values()].every((col) => isEmpty(cells[col]))) return;
    const line: Line = { row, values: {}, bad: new Set() };
    const orderNoCell = cells[index.get('orderNo')!];
    const orderNoText = cellText(orderNoCell ?? null) || null;
    for (const [key, col] of index) {
      const cell = cells[col] ?? null;
      if (isEmpty(cell)) continue;
      const parsed = VALUE_PARSERS[key](cell, now);
      if ('ok' in parsed) line.values[key] = parsed.ok;
      else {
        line.bad.add(key);
        fail(row, key, orderNoText, parsed.problem);
      }
    }
    for (const key of ['orderNo', 'productCode', 'productName', 'quantity', 'price'] as const) {
      if (isEmpty(cells[index.get(key)!] ?? null)) {
        line.bad.add(key);
        const c = COLUMN_OF.get(key)!;
        fail(row, key, orderNoText, { zh: `「${c.zh}」不能为空`, en: `"${c.en}" is required` });
      }
    }
    lines.push(line);
  });
  if (lines.length > MAX_LINES) {
    throw fileError(
      `文件有 ${lines.length} 行订单明细，单次最多 ${MAX_LINES} 行，请拆分后导入`,
      `The file has ${lines.length} order lines; at most ${MAX_LINES} per import: split it`,
    );
  }

  // 2. rows → orders by 订单号, in the order of their first row
  const groups = new Map<string, Line[]>();
  for (const line of lines) {
    const no = line.values.orderNo as string | undefined;
    if (no === undefined) continue;
    const group = groups.get(no);
    if (group) group.push(line);
    else groups.set(no, [line]);
  }
  const orders: ParsedOrder[] = [];
  let invalidOrders = 0;
  for (const [orderNo, group] of groups) {
    let bad = group.some((l) => l.bad.size > 0);
    const problem = (row: number, field: ColumnKey, p: Problem) => {
      bad = true;
      fail(row, field, orderNo, p);
    };
    // order-level values: from the first row holding one; a different value on a later row is a conflict
    const order: Partial<Record<ColumnKey, { value: string | number | Date; row: number }>> = {};
    for (const c of COLUMNS.filter((col) => col.level === 'order')) {
      for (const line of group) {
        const value = line.values[c.key];
        if (value === undefined) continue;
        const first = order[c.key];
        if (!first) order[c.key] = { value, row: line.row };
        else if (comparable(first.value) !== comparable(value)) {
          problem(line.row, c.key, {
            zh: `同一订单 ${orderNo} 的「${c.zh}」与第 ${first.row} 行不一致`,
            en: `"${c.en}" differs from row ${first.row} of the same order ${orderNo}`,
          });
        }
      }
    }
    const firstRow = group[0]!.row;
    for (const key of ['channel', 'orderedAt', 'paid'] as const) {
      if (!order[key] && !group.some((l) => l.bad.has(key))) {
        const c = COLUMN_OF.get(key)!;
        problem(firstRow, key, { zh: `「${c.zh}」不能为空`, en: `"${c.en}" is required` });
      }
    }
    if (group.length > 200) {
      problem(group[200]!.row, 'orderNo', {
        zh: `订单 ${orderNo} 超过 200 行商品`,
        en: `Order ${orderNo} has more than 200 lines`,
      });
    }
    if (bad) {
      invalidOrders++;
      continue;
    }
    const value = <T>(key: ColumnKey) => order[key]?.value as T | undefined;
    const items = group.map((l) => ({
      productCode: l.values.productCode as string,
      productName: l.values.productName as string,
      quantity: l.values.quantity as number,
      priceFen: l.values.price as number,
    }));
    const sum = items.reduce((s, i) => s + i.quantity * i.priceFen, 0);
    const totalFen = value<number>('total') ?? sum;
    const couponFen = value<number>('coupon') ?? 0;
    const paidFen = value<number>('paid')!;
    const at = (key: ColumnKey) => order[key]?.row ?? firstRow;
    if (totalFen !== sum) {
      problem(at('total'), 'total', {
        zh: `订单金额 ${yuan(totalFen)} 元不等于各行 数量×单价 之和 ${yuan(sum)} 元`,
        en: `The total ${yuan(totalFen)} does not equal the sum of quantity × price over the order's rows, ${yuan(sum)}`,
      });
    }
    if (couponFen > totalFen) {
      problem(at('coupon'), 'coupon', {
        zh: `优惠金额 ${yuan(couponFen)} 元超过订单金额 ${yuan(totalFen)} 元`,
        en: `The coupon amount ${yuan(couponFen)} exceeds the total ${yuan(totalFen)}`,
      });
    } else if (paidFen > totalFen - couponFen) {
      problem(at('paid'), 'paid', {
        zh: `实付金额 ${yuan(paidFen)} 元超过订单金额减优惠金额（${yuan(totalFen - couponFen)} 元）`,
        en: `The paid amount ${yuan(paidFen)} exceeds the total less the coupon (${yuan(totalFen - couponFen)})`,
      });
    }
    if (couponFen > 0 && !order.couponCode) {
      problem(at('coupon'), 'couponCode', {
        zh: '有优惠金额时须填写优惠券',
        en: 'A coupon amount needs the coupon code',
      });
    }
    if (bad) {
      invalidOrders++;
      continue;
    }
    const customer: OrderInput['customer'] = {};
    if (order.externalUserid) customer.externalUserid = value('externalUserid');
    if (order.unionid) customer.unionid = value('unionid');
    if (order.openid) customer.openid = value('openid');
    if (order.phone) customer.phone = value('phone');
    orders.push({
      rows: group.map((l) => l.row),
      input: {
        sourceOrderId: orderNo,
        ...(order.storeCode ? { storeCode: value<string>('storeCode') } : {}),
        channel: value('channel')!,
        orderedAt: isoInBrandTime(value<Date>('orderedAt')!),
        items,
        totalFen,
        paidFen,
        ...(order.couponCode ? { couponCode: value<string>('couponCode') } : {}),
        ...(couponFen ? { couponFen } : {}),
        customer,
      },
    });
  }
  errors.sort((a, b) => a.row - b.row);
  return {
    kind: grid.kind,
    lines: lines.length,
    orderCount: groups.size,
    orders,
    invalidOrders,
    errors,
    ignoredColumns: ignored,
  };
}

/** 1234 → '12.34' */
export const yuan = (fen: number) => `${Math.trunc(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

/** 2026-06-01T12:30:00+08:00: the time as the brand reads it, with its offset. */
export function isoInBrandTime(at: Date): string {
  return `${new Date(at.getTime() + BRAND_OFFSET_MS).toISOString().slice(0, 19)}+08:00`;
}

/** One of ingestOrders' field errors for an order of the file, as a row of the report. */
export function ingestError(
  order: ParsedOrder,
  e: { field: string; message: string },
  columns: Record<ColumnKey, string>,
): RowError {
  const { row, key } = locateField(order, e.field);
  return {
    row,
    column: columns[key],
    field: key,
    orderNo: order.input.sourceOrderId,
    zh: `订单未导入：${e.message}`,
    en: `Order not imported: ${e.message}`,
  };
}

/** A field of ingestOrders' errors ('items.2.quantity', 'customer.phone') → the column and the row it came from. */
export function locateField(order: ParsedOrder, field: string): { row: number; key: ColumnKey } {
  const item = /^items\.(\d+)(?:\.(\w+))?/.exec(field);
  if (item) {
    const row = order.rows[Number(item[1])] ?? order.rows[0]!;
    const key = (
      {
        productCode: 'productCode',
        productName: 'productName',
        quantity: 'quantity',
        priceFen: 'price',
      } as const
    )[item[2] as 'productCode'];
    return { row, key: key ?? 'productCode' };
  }
  const keys: Record<string, ColumnKey> = {
    sourceOrderId: 'orderNo',
    storeCode: 'storeCode',
    channel: 'channel',
    orderedAt: 'orderedAt',
    totalFen: 'total',
    paidFen: 'paid',
    couponCode: 'couponCode',
    couponFen: 'coupon',
    'customer.phone': 'phone',
    'customer.unionid': 'unionid',
    'customer.openid': 'openid',
    'customer.externalUserid': 'externalUserid',
  };
  return { row: order.rows[0]!, key: keys[field] ?? 'orderNo' };
}

/** The header as the file names a column (the template's name when absent): used for errors found later. */
export function headerNames(grid: Grid): Record<ColumnKey, string> {
  const { index } = mapHeader(grid.rows[0] ?? []);
  return Object.fromEntries(
    COLUMNS.map((c) => {
      const i = index.get(c.key);
      return [c.key, i === undefined ? c.zh : cellText(grid.rows[0]![i] ?? null)];
    }),
  ) as Record<ColumnKey, string>;
}
