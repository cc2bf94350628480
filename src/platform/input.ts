/**
 * What every input must be, whatever its schema says, before it reaches the database: text PostgreSQL can
 * store (no NUL character) that is Unicode (no lone UTF-16 surrogate, which the driver would silently turn
 * into U+FFFD), and dates PostgreSQL and JavaScript both handle with room for date arithmetic.
 */
export type TextProblem = 'nul' | 'surrogate';

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function textProblem(s: string): TextProblem | null {
  if (s.includes('\u0000')) return 'nul';
  if (LONE_SURROGATE.test(s)) return 'surrogate';
  return null;
}

export const TEXT_PROBLEM_MESSAGES: Record<TextProblem, { zh: string; en: string }> = {
  nul: { zh: '不能包含空字符（U+0000）', en: 'must not contain the NUL character (U+0000)' },
  surrogate: {
    zh: '含有无效的 Unicode 字符（孤立的代理项）',
    en: 'contains invalid Unicode (a lone surrogate)',
  },
};

export const EARLIEST_DATE = '1900-01-01';
export const LATEST_DATE = '9999-12-31';
const EARLIEST_MS = Date.parse(`${EARLIEST_DATE}T00:00:00Z`);
const LATEST_MS = Date.parse(`${LATEST_DATE}T23:59:59.999Z`);

/** A valid Date from 1900-01-01 to 9999-12-31 (UTC). */
export function dateInRange(d: Date): boolean {
  const ms = d.getTime();
  return ms >= EARLIEST_MS && ms <= LATEST_MS;
}

export const DATE_RANGE_MESSAGE = {
  zh: `日期须在 ${EARLIEST_DATE} 至 ${LATEST_DATE} 之间`,
  en: `must be a date from ${EARLIEST_DATE} to ${LATEST_DATE}`,
};

export type InputProblem = { path: (string | number)[]; message: { zh: string; en: string } };

/** Deeper than this, a JSON input is refused: the deepest real one (a segment rule tree) is far shallower. */
export const MAX_INPUT_DEPTH = 64;

export const TOO_DEEP_MESSAGE = {
  zh: `嵌套层级不能超过 ${MAX_INPUT_DEPTH} 层`,
  en: `must not be nested deeper than ${MAX_INPUT_DEPTH} levels`,
};

interface Node {
  value: unknown;
  key: string | number | null;
  parent: Node | null;
  depth: number;
}

const pathOf = (node: Node, last?: string): (string | number)[] => {
  const path: (string | number)[] = last === undefined ? [] : [last];
  for (let n: Node | null = node; n && n.key !== null; n = n.parent) path.unshift(n.key);
  return path;
};

/**
 * Walks a parsed JSON, query or params value without recursion (a hostile depth cannot overflow the stack)
 * and returns the first problem: a string (value or object key) with a text problem, nesting deeper than
 * MAX_INPUT_DEPTH or, with `dates`, a Date out of range. Null when there is none.
 */
export function findInputProblem(value: unknown, opts: { dates?: boolean } = {}): InputProblem | null {
  const stack: Node[] = [{ value, key: null, parent: null, depth: 0 }];
  while (stack.length) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p) return { path: pathOf(node), message: TEXT_PROBLEM_MESSAGES[p] };
    } else if (v instanceof Date) {
      if (opts.dates && !dateInRange(v)) return { path: pathOf(node), message: DATE_RANGE_MESSAGE };
    } else if (Array.isArray(v) || isPlainObject(v)) {
      if (node.depth >= MAX_INPUT_DEPTH) return { path: pathOf(node), message: TOO_DEEP_MESSAGE };
      const entries: [string | number, unknown][] = Array.isArray(v)
        ? v.map((child, i) => [i, child])
        : Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        if (typeof key === 'string') {
          const p = textProblem(key);
          if (p) return { path: pathOf(node, key), message: TEXT_PROBLEM_MESSAGES[p] };
        }
        stack.push({ value: child, key, parent: node, depth: node.depth + 1 });
      }
    }
  }
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
