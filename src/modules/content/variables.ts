/**
 * The variables a content item's text may hold, written `{{name}}` or `{{name|fallback}}`. Each has a label,
 * a sample (the console's preview), the longest value a render puts in (longer values are cut with …) and
 * the fallback used when a send has no value and the text gives none. Pure: no I/O.
 */
export const VARIABLES = {
  customer_name: {
    zh: '客户称呼',
    en: "Customer's name",
    sample: '王芳',
    maxChars: 20,
    fallback: '亲',
  },
  staff_name: { zh: '员工姓名', en: "Staff member's name", sample: '张丽', maxChars: 20, fallback: '' },
  persona_name: {
    zh: '人设昵称',
    en: "Staff persona's name",
    sample: '小禾',
    maxChars: 20,
    fallback: '',
  },
  store_name: { zh: '门店名称', en: 'Store name', sample: '上海一店', maxChars: 30, fallback: '门店' },
  brand_name: { zh: '品牌名称', en: 'Brand name', sample: '禾茶', maxChars: 30, fallback: '' },
  member_level: { zh: '会员等级', en: 'Member level', sample: '金卡', maxChars: 10, fallback: '会员' },
  coupon_name: { zh: '券名称', en: 'Coupon name', sample: '第二杯半价券', maxChars: 30, fallback: '' },
  group_name: { zh: '群名称', en: 'Group name', sample: '西湖店福利群', maxChars: 30, fallback: '本群' },
} as const satisfies Record<
  string,
  { zh: string; en: string; sample: string; maxChars: number; fallback: string }
>;

export type VariableName = keyof typeof VARIABLES;
export const VARIABLE_NAMES = Object.keys(VARIABLES) as VariableName[];
export type Vars = Partial<Record<VariableName, string | null | undefined>>;

/** The longest fallback written inside a text (`{{x|…}}`), in characters. */
export const MAX_FALLBACK_CHARS = 20;

export interface Placeholder {
  /** The whole `{{…}}` as written. */
  raw: string;
  name: string;
  fallback: string | null;
  index: number;
}

// `{{ name }}` or `{{ name | fallback }}`; the fallback may not hold braces.
const PLACEHOLDER = /\{\{\s*([^{}|]*?)\s*(?:\|\s*([^{}]*?)\s*)?\}\}/g;

export function placeholdersOf(text: string): Placeholder[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({
    raw: m[0],
    name: m[1]!,
    fallback: m[2] ?? null,
    index: m.index,
  }));
}

export const isVariable = (name: string): name is VariableName => Object.hasOwn(VARIABLES, name);

export interface TemplateIssue {
  code: 'unknown_variable' | 'fallback_too_long' | 'unclosed_braces';
  /** The variable, or the text near the problem. */
  at: string;
}

/** What is wrong with a text's placeholders: unknown names, over-long fallbacks, `{{` left open. */
export function templateIssues(text: string): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  for (const p of placeholdersOf(text)) {
    if (!isVariable(p.name)) issues.push({ code: 'unknown_variable', at: p.name || p.raw });
    else if (p.fallback !== null && [...p.fallback].length > MAX_FALLBACK_CHARS)
      issues.push({ code: 'fallback_too_long', at: p.name });
  }
  const rest = text.replace(PLACEHOLDER, '');
  const open = rest.indexOf('{{');
  if (open >= 0) issues.push({ code: 'unclosed_braces', at: rest.slice(open, open + 20) });
  return issues;
}

const cut = (value: string, max: number) => {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
};

export interface Filled {
  text: string;
  /** Variables the text names that had no value (their fallback was used). */
  missing: VariableName[];
}

/** Puts the values in: trimmed, cut to the variable's length, else the text's fallback, else the variable's. */
export function fillTemplate(text: string, vars: Vars): Filled {
  const missing = new Set<VariableName>();
  const out = text.replace(PLACEHOLDER, (raw, rawName: string, fallback: string | undefined) => {
    const name = rawName.trim();
    if (!isVariable(name)) return raw; // refused on save; left as written if a stored text predates a rename
    const value = vars[name]?.trim();
    if (value) return cut(value, VARIABLES[name].maxChars);
    missing.add(name);
    return fallback?.trim() ?? VARIABLES[name].fallback;
  });
  return { text: out, missing: [...missing] };
}

/** The most UTF-8 bytes a text can take once filled: each placeholder at its variable's longest value. */
export function worstCaseBytes(text: string): number {
  let bytes = Buffer.byteLength(text.replace(PLACEHOLDER, ''), 'utf8');
  for (const p of placeholdersOf(text)) {
    if (!isVariable(p.name)) continue;
    const v = VARIABLES[p.name];
    // a CJK character is 3 bytes; … is 3 bytes
    const longest = Math.max(v.maxChars * 3, Buffer.byteLength(p.fallback ?? v.fallback, 'utf8'));
    bytes += longest;
  }
  return bytes;
}

/** The sample values, for a preview. */
export const SAMPLE_VARS: Vars = Object.fromEntries(VARIABLE_NAMES.map((n) => [n, VARIABLES[n].sample]));
