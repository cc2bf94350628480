import { z } from 'zod';
import { PERSONA_LIST } from '../staff/index.ts';

export const MAX_DEPTH = 6;
export const MAX_CONDITIONS = 100;
export const MAX_CHILDREN = 50;
export const MAX_VALUES = 200;

export const FIELD_GROUPS = [
  'tags',
  'rfm',
  'lifecycle',
  'org',
  'channel',
  'orders',
  'groups',
  'price',
  'acquisition',
] as const;
export type FieldGroup = (typeof FIELD_GROUPS)[number];
export const FIELD_TYPES = [
  'tag',
  'number',
  'money',
  'days',
  'enum',
  'unit',
  'staff',
  'channel',
  'method',
  'product',
  'group',
  'share',
  'mass_send',
  'journey',
  'month',
  'persona',
  'flag',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** How a field is stored, which decides its comparisons and how absence reads. */
export type FieldKind =
  /** a number every customer has (customer_facts, default 0) */
  | { kind: 'fact'; column: 'order_count' | 'paid_fen' }
  /** a number a customer may lack (customer_facts, null or no row) */
  | { kind: 'nullable_fact'; column: 'r_score' | 'f_score' | 'm_score' | 'coupon_share' }
  /** whole days since customer_facts.last_order_at */
  | { kind: 'days_since'; column: 'last_order_at' }
  /** the lifecycle stage, 'new' without facts */
  | { kind: 'stage' }
  /** customer_facts.top_unit_id, by subtree */
  | { kind: 'top_unit' }
  /** count or paid sum of the customer's orders in the last N days */
  | { kind: 'window'; measure: 'count' | 'spend'; days: number }
  /** a set of values per customer */
  | {
      kind: 'set';
      of:
        | 'tag'
        | 'staff'
        | 'follow_unit'
        | 'channel'
        | 'method'
        | 'product'
        | 'group'
        | 'mass_send'
        | 'journey';
    }
  /**
   * Of the customer's acquisition, their first follow (the earliest added, any status since): its brand month
   * (UTC+8), its member, the member's unit (by subtree) and persona, the channel and method it came through.
   * Customers never followed have none.
   */
  | { kind: 'acquired'; of: 'month' | 'staff' | 'unit' | 'persona' | 'channel' | 'method' }
  /** a yes / no fact of the customer's follows or group memberships */
  | { kind: 'flag'; of: 'retained_7d' | 'joined_group' }
  /** orders placed while a friend: from the acquisition day, up to the brand month they were lost (0: none) */
  | { kind: 'private_orders' };

export interface FieldDef {
  key: string;
  group: FieldGroup;
  label: { zh: string; en: string };
  type: FieldType;
  cmps: readonly Cmp[];
  store: FieldKind;
}

export const STAGES = ['new', 'active', 'repeat', 'super', 'dormant', 'churned'] as const;

const NUMBER_CMPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between'] as const;
const NULLABLE_NUMBER_CMPS = [...NUMBER_CMPS, 'is_null', 'not_null'] as const;
const SET_CMPS = ['in', 'all', 'not_in', 'any', 'none'] as const;
const FLAG_CMPS = ['is_true', 'is_false'] as const;
/** Every comparison; each field allows some of them (FieldDef.cmps). */
export const CMPS = [...NULLABLE_NUMBER_CMPS, ...SET_CMPS, ...FLAG_CMPS] as const;
export type Cmp = (typeof CMPS)[number];

const scalar = z.union([z.number(), z.string()]);

/**
 * A segment's rule: a tree of and / or / not over conditions on one customer. The same meaning is given twice,
 * by the SQL compiler (compile.ts, the reference) and by a brute-force evaluator (evaluate.ts, the test oracle);
 * what follows is that meaning.
 *
 * - A customer without a customer_facts row has the table's defaults: 0 orders, 0 fen, stage 'new', and no
 *   RFM scores, coupon share, last order or top store.
 * - A comparison on an absent value (no R score, never ordered, no top store) is false; `is_null` /
 *   `not_null` ask for absence itself, and `not` includes the absent ones.
 * - Set fields (tags, staff, stores followed by, channels, methods, products, groups): `in` = at least one of
 *   the values, `all` = every value, `not_in` = none of them, `any` / `none` = at least one / none at all.
 * - A unit stands for its subtree (a region includes its stores). Follows count only while active; group
 *   membership only while the customer has not left.
 * - Windows (`orders_30d`, `spend_90d_fen`…) count paid orders with ordered_at ≥ now − N days.
 * - Acquisition is the customer's first follow (earliest added_at, then id; ended or not), as insight reads
 *   it: `acquired_month` is its brand month (UTC+8, 'YYYY-MM'); `acquired_staff`, `acquired_unit` (a unit
 *   stands for its subtree), `acquired_persona` its member, the member's unit and persona now;
 *   `acquired_channel` / `acquired_method` the channel it came through (absent when it came through none).
 *   Lost = no active follow, since the brand day the last one ended; `private_orders` counts the orders of
 *   brand days from the acquisition day on, and of brand months up to the one lost in (0 for the others).
 *   `retained_7d`: a follow is active, or the last one ended on or after the brand day of acquisition + 7.
 *   `joined_group`: ever a member of a customer group (having left since included). Flags take `is_true` /
 *   `is_false`; a customer never followed is not retained.
 * - `last_order_days` is whole days since the last order: floor((now − last_order_at) / 24 h).
 * - An empty `and` is everyone in scope, an empty `or` no one (the API asks for at least one child).
 *
 * This schema is the tree's shape, for OpenAPI (the component `Rule`) and for the type; what a request may
 * hold is decided by checkRule, node by node: the fields, each field's comparisons and values, the limits.
 */
export const ruleTree = z
  .union([
    z.strictObject({
      op: z.enum(['and', 'or']),
      get rules() {
        return z.array(ruleTree);
      },
    }),
    z.strictObject({
      op: z.literal('not'),
      get rule() {
        return ruleTree;
      },
    }),
    z.strictObject({
      field: z.string().describe('a key of GET /segment-fields'),
      cmp: z.enum(CMPS).describe("one of the field's cmps"),
      value: z
        .union([scalar, z.array(scalar)])
        .optional()
        .describe('one value; [low, high] for between; a list for in, all, not_in; none for the others'),
    }),
  ])
  .meta({ id: 'Rule', description: 'A rule tree: and / or over rules, not over a rule, or one condition' });
export type Rule = z.output<typeof ruleTree>;
export type Condition = Extract<Rule, { field: string }>;

const windowFields = [30, 90, 365].flatMap((days): FieldDef[] => [
  {
    key: `orders_${days}d`,
    group: 'orders',
    label: { zh: `近${days}天订单数`, en: `Orders in the last ${days} days` },
    type: 'number',
    cmps: NUMBER_CMPS,
    store: { kind: 'window', measure: 'count', days },
  },
  {
    key: `spend_${days}d_fen`,
    group: 'orders',
    label: { zh: `近${days}天消费金额`, en: `Spend in the last ${days} days` },
    type: 'money',
    cmps: NUMBER_CMPS,
    store: { kind: 'window', measure: 'spend', days },
  },
]);

export const FIELDS: readonly FieldDef[] = [
  {
    key: 'tag',
    group: 'tags',
    label: { zh: '客户标签', en: 'Tags' },
    type: 'tag',
    cmps: SET_CMPS,
    store: { kind: 'set', of: 'tag' },
  },
  ...(['r', 'f', 'm'] as const).map(
    (s): FieldDef => ({
      key: `${s}_score`,
      group: 'rfm',
      label: {
        zh: { r: 'R 最近消费得分', f: 'F 消费频次得分', m: 'M 消费金额得分' }[s],
        en: { r: 'R (recency) score', f: 'F (frequency) score', m: 'M (monetary) score' }[s],
      },
      type: 'number',
      cmps: NULLABLE_NUMBER_CMPS,
      store: { kind: 'nullable_fact', column: `${s}_score` },
    }),
  ),
  {
    key: 'stage',
    group: 'lifecycle',
    label: { zh: '生命周期阶段', en: 'Lifecycle stage' },
    type: 'enum',
    cmps: ['in', 'not_in'],
    store: { kind: 'stage' },
  },
  {
    key: 'ltv_fen',
    group: 'lifecycle',
    label: { zh: '累计消费（LTV）', en: 'Lifetime value (LTV)' },
    type: 'money',
    cmps: NUMBER_CMPS,
    store: { kind: 'fact', column: 'paid_fen' },
  },
  {
    key: 'coupon_share',
    group: 'price',
    label: { zh: '用券订单占比（价格敏感度）', en: 'Share of orders with a coupon (price sensitivity)' },
    type: 'share',
    cmps: NULLABLE_NUMBER_CMPS,
    store: { kind: 'nullable_fact', column: 'coupon_share' },
  },
  {
    key: 'follow_unit',
    group: 'org',
    label: { zh: '所属门店/组织（添加的员工所在）', en: 'Followed by staff of' },
    type: 'unit',
    cmps: SET_CMPS,
    store: { kind: 'set', of: 'follow_unit' },
  },
  {
    key: 'top_unit',
    group: 'org',
    label: { zh: '最常消费门店', en: 'Most-frequent store' },
    type: 'unit',
    cmps: ['in', 'not_in', 'is_null', 'not_null'],
    store: { kind: 'top_unit' },
  },
  {
    key: 'staff',
    group: 'org',
    label: { zh: '跟进员工', en: 'Followed by staff member' },
    type: 'staff',
    cmps: SET_CMPS,
    store: { kind: 'set', of: 'staff' },
  },
  {
    key: 'channel',
    group: 'channel',
    label: { zh: '来源渠道', en: 'Came through channel' },
    type: 'channel',
    cmps: SET_CMPS,
    store: { kind: 'set', of: 'channel' },
  },
  {
    key: 'channel_method',
    group: 'channel',
    label: { zh: '引流方式', en: 'Came through method' },
    type: 'method',
    cmps: SET_CMPS,
    store: { kind: 'set', of: 'method' },
  },
  {
    key: 'order_count',
    group: 'orders',
    label: { zh: '累计订单数', en: 'Orders (all time)' },
    type: 'number',
    cmps: NUMBER_CMPS,
    store: { kind: 'fact', column: 'order_count' },
  },
  ...windowFields,
  {
    key: 'last_order_days',
    group: 'orders',
    label: { zh: '距上次消费天数', en: 'Days since the last order' },
    type: 'days',
    cmps: NULLABLE_NUMBER_CMPS,
    store: { kind: 'days_since', column: 'last_order_at' },
  },
  {
    key: 'product',
    group: 'orders',
    label: { zh: '购买过的商品', en: 'Bought product' },
    type: 'product',
    cmps: SET_CMPS,
    store: { kind: 'set', of: 'product' },
  },
  {
    // the mass sends (群发) an order of the customer's was credited to (touch_attributions)
    key: 'mass_send',
    group: 'orders',
    label: { zh: '带来订单的群发', en: 'Ordered after mass send' },
    type: 'mass_send',
    cmps: SET_CMPS,
    store: { kind: 'set', of: 'mass_send' },
  },
  {
    // the journeys (客户旅程) whose touches an order of the customer's was credited to
    key: 'journey',
    group: 'orders',
    label: { zh: '带来订单的旅程', en: 'Ordered after journey' },
    type: 'journey',
    cmps: SET_CMPS,
    store: { kind: 'set', of: 'journey' },
  },
  {
    key: 'group',
    group: 'groups',
    label: { zh: '所在客户群', en: 'Member of group' },
    type: 'group',
    cmps: SET_CMPS,
    store: { kind: 'set', of: 'group' },
  },
  {
    // insight's funnel step 入群: any membership, left since or not
    key: 'joined_group',
    group: 'groups',
    label: { zh: '进过客户群（含已退群）', en: 'Ever joined a customer group' },
    type: 'flag',
    cmps: FLAG_CMPS,
    store: { kind: 'flag', of: 'joined_group' },
  },
  {
    key: 'acquired_month',
    group: 'acquisition',
    label: { zh: '获客月份（首次添加）', en: 'Acquisition month (first added)' },
    type: 'month',
    cmps: ['eq', 'between', 'gte', 'lte', 'is_null', 'not_null'],
    store: { kind: 'acquired', of: 'month' },
  },
  {
    key: 'acquired_persona',
    group: 'acquisition',
    label: { zh: '获客员工人设', en: 'Persona of the member who acquired them' },
    type: 'persona',
    cmps: ['in', 'not_in'],
    store: { kind: 'acquired', of: 'persona' },
  },
  {
    key: 'acquired_staff',
    group: 'acquisition',
    label: { zh: '获客员工（首次添加的员工）', en: 'Acquired by member (first added by)' },
    type: 'staff',
    cmps: ['in', 'not_in'],
    store: { kind: 'acquired', of: 'staff' },
  },
  {
    key: 'acquired_unit',
    group: 'acquisition',
    label: { zh: '获客门店/组织（获客员工所在）', en: 'Acquired by staff of' },
    type: 'unit',
    cmps: ['in', 'not_in'],
    store: { kind: 'acquired', of: 'unit' },
  },
  {
    key: 'acquired_channel',
    group: 'acquisition',
    label: { zh: '获客渠道', en: 'Acquisition channel' },
    type: 'channel',
    cmps: ['in', 'not_in', 'is_null', 'not_null'],
    store: { kind: 'acquired', of: 'channel' },
  },
  {
    key: 'acquired_method',
    group: 'acquisition',
    label: { zh: '获客引流方式', en: 'Acquisition method' },
    type: 'method',
    cmps: ['in', 'not_in', 'is_null', 'not_null'],
    store: { kind: 'acquired', of: 'method' },
  },
  {
    key: 'retained_7d',
    group: 'acquisition',
    label: { zh: '7 天留存（添加 7 天后仍是好友）', en: 'Retained 7 days (still a friend 7 days on)' },
    type: 'flag',
    cmps: FLAG_CMPS,
    store: { kind: 'flag', of: 'retained_7d' },
  },
  {
    // insight's first order (首单) and repurchase (复购) steps: 1 and 2 or more
    key: 'private_orders',
    group: 'acquisition',
    label: { zh: '私域订单数（添加好友后）', en: 'Orders while a friend (since acquisition)' },
    type: 'number',
    cmps: NUMBER_CMPS,
    store: { kind: 'private_orders' },
  },
];

export const FIELD_BY_KEY: ReadonlyMap<string, FieldDef> = new Map(FIELDS.map((f) => [f.key, f]));

/** The methods a channel can have (channels.method); kept equal to the channels module's list by a test. */
export const METHODS = [
  'package_card',
  'sms',
  'ai_call',
  'rollup_banner',
  'table_card',
  'poster',
  'wangwang',
  'livestream',
  'mini_program',
  'other',
] as const;

/** Bounds per type: integers where the column is an integer, so parameters bind to the column's type. */
const scalarOf: Record<FieldType, z.ZodType<number | string> | null> = {
  number: z.number().int().min(-1_000_000_000).max(1_000_000_000),
  money: z.number().int().min(-1e15).max(1e15),
  days: z.number().int().min(-36_500).max(36_500),
  share: z.number().min(0).max(1),
  tag: z.number().int().positive(),
  unit: z.number().int().positive(),
  staff: z.number().int().positive(),
  channel: z.number().int().positive(),
  group: z.number().int().positive(),
  mass_send: z.number().int().positive(),
  journey: z.number().int().positive(),
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM'),
  persona: z.enum(PERSONA_LIST),
  flag: null,
  enum: z.enum(STAGES),
  method: z.enum(METHODS),
  product: z.string().min(1).max(64),
};

function valueSchema(field: FieldDef, cmp: Cmp): z.ZodType<NonNullable<Condition['value']>> | null {
  const scalar = scalarOf[field.type];
  if (!scalar) return null;
  switch (cmp) {
    case 'eq':
    case 'ne':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return scalar;
    case 'between':
      return (
        z
          .tuple([scalar, scalar])
          // numbers, or months as YYYY-MM (which order as strings do)
          .refine(([a, b]) => (a as number) <= (b as number), 'the lower bound must not exceed the upper')
      );
    case 'in':
    case 'all':
    case 'not_in':
      return z.array(scalar).min(1).max(MAX_VALUES);
    default:
      return null; // is_null, not_null, any, none, is_true, is_false take no value
  }
}

const conditionShape = z.strictObject({
  field: z.string().max(40),
  cmp: z.string().max(20),
  value: z.unknown().optional(),
});
const groupShape = z.strictObject({
  op: z.enum(['and', 'or']),
  rules: z.array(z.unknown()).min(1).max(MAX_CHILDREN),
});
const notShape = z.strictObject({ op: z.literal('not'), rule: z.unknown() });

export interface RuleIssue {
  /** Where in the rule, e.g. `rules[2].value` ('' for the root). */
  path: string;
  message: string;
}

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

function issuesOf(error: z.ZodError, at: string): RuleIssue[] {
  return error.issues.map((i) => ({
    path: i.path.reduce<string>((p, k) => join(p, k as string | number), at),
    message: i.message,
  }));
}

/** Checks a rule; every problem comes with the path of the node that has it. */
export function checkRule(input: unknown): { rule: Rule; issues: [] } | { rule: null; issues: RuleIssue[] } {
  const issues: RuleIssue[] = [];
  let conditions = 0;
  const fail = (error: z.ZodError, path: string) => {
    issues.push(...issuesOf(error, path));
    return null;
  };
  const walk = (node: unknown, path: string, depth: number): Rule | null => {
    if (depth > MAX_DEPTH) {
      issues.push({ path, message: `the rule is nested deeper than ${MAX_DEPTH} levels` });
      return null;
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      issues.push({ path, message: 'expected a rule object' });
      return null;
    }
    if ('op' in node) {
      if ((node as { op: unknown }).op === 'not') {
        const parsed = notShape.safeParse(node);
        if (!parsed.success) return fail(parsed.error, path);
        const child = walk(parsed.data.rule, join(path, 'rule'), depth + 1);
        return child && { op: 'not', rule: child };
      }
      const parsed = groupShape.safeParse(node);
      if (!parsed.success) return fail(parsed.error, path);
      const children = parsed.data.rules.map((c, i) => walk(c, join(join(path, 'rules'), i), depth + 1));
      return children.every((c): c is Rule => c !== null) ? { op: parsed.data.op, rules: children } : null;
    }
    conditions++;
    const parsed = conditionShape.safeParse(node);
    if (!parsed.success) return fail(parsed.error, path);
    const { field: key, cmp, value } = parsed.data;
    const field = FIELD_BY_KEY.get(key);
    if (!field) {
      issues.push({ path: join(path, 'field'), message: `unknown field "${key}"` });
      return null;
    }
    const allowed = field.cmps.find((c) => c === cmp);
    if (!allowed) {
      issues.push({
        path: join(path, 'cmp'),
        message: `"${cmp}" does not apply to ${key}; use one of ${field.cmps.join(', ')}`,
      });
      return null;
    }
    const schema = valueSchema(field, allowed);
    if (!schema) return { field: key, cmp: allowed };
    const v = schema.safeParse(value);
    if (!v.success) return fail(v.error, join(path, 'value'));
    return { field: key, cmp: allowed, value: v.data };
  };
  const rule = walk(input, '', 1);
  if (conditions > MAX_CONDITIONS) {
    issues.push({ path: '', message: `the rule has ${conditions} conditions; at most ${MAX_CONDITIONS}` });
  }
  return rule && issues.length === 0 ? { rule, issues: [] } : { rule: null, issues };
}

/**
 * The rule as a zod schema for request bodies: checkRule decides, and a bad rule is a 400 naming the path of
 * the bad node; OpenAPI shows the tree (a preprocess step is documented by the schema it hands on to).
 */
export const ruleSchema = z
  .preprocess((input, ctx) => {
    const checked = checkRule(input);
    if (checked.rule) return checked.rule;
    for (const issue of checked.issues.slice(0, 5)) {
      ctx.addIssue({ code: 'custom', message: `${issue.path || '(root)'}: ${issue.message}` });
    }
    return z.NEVER;
  }, ruleTree)
  .describe(
    `At most ${MAX_DEPTH} levels and ${MAX_CONDITIONS} conditions; GET /segment-fields lists the fields, ` +
      "their comparisons and their values' choices.",
  );

/** Every condition of a rule, in order. */
export function conditionsOf(rule: Rule): Condition[] {
  if ('field' in rule) return [rule];
  if (rule.op === 'not') return conditionsOf(rule.rule);
  return rule.rules.flatMap(conditionsOf);
}
