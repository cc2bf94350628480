import { createHash } from 'node:crypto';
import { z } from 'zod';
import { checkRule, ruleTree } from '../segments/index.ts';

/**
 * A journey's graph (pure: no I/O). A trigger says who enters and when; `start` names the first node; each
 * node names the node(s) after it (`next`, a branch's `yes`/`no`, a split's arms), so the edges are part of
 * the nodes. A node without a `next` ends the journey there (as `exit` does).
 *
 * Checked by `checkGraph`, which names the bad node or edge: unknown kinds, ids used twice, edges to nodes
 * that do not exist, nodes the start cannot reach, a split whose arms do not add up to 100 %, and cycles
 * that have no wait on them (a customer would go round them without end in one go).
 */

export const MAX_NODES = 100;
const nodeId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,40}$/, 'a node id is 1–40 letters, digits, _ or -')
  .describe('unique in the graph');
const edge = nodeId.optional();
const text = z.string().trim().min(1).max(2000);
const position = z.strictObject({ x: z.number().finite(), y: z.number().finite() }).optional();
const common = { id: nodeId, label: z.string().trim().max(60).optional(), position };

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day is HH:MM (brand time)');
const ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD (brand time)');

export const waitSpec = z.union([
  z
    .strictObject({
      days: z.number().int().min(0).max(3650).default(0),
      hours: z
        .number()
        .int()
        .min(0)
        .max(23 * 10)
        .default(0),
      minutes: z
        .number()
        .int()
        .min(0)
        .max(59 * 10)
        .default(0),
      /** At this time of day (brand time) on the day the duration ends: "3 days, at 10:00" is day 3 at 10:00. */
      at: hhmm.optional(),
    })
    .refine((w) => w.days + w.hours + w.minutes > 0 || w.at !== undefined, 'a wait is at least one minute'),
  z.strictObject({ untilTime: hhmm.describe('the next time the brand’s clock shows this') }),
  z.strictObject({ untilDate: ymd, at: hhmm.optional() }),
]);
export type WaitSpec = z.output<typeof waitSpec>;

export const TASK_KINDS = ['call', 'send_script', 'invite_group', 'birthday_care', 'custom'] as const;

export const nodeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...common, kind: z.literal('wait'), wait: waitSpec, next: edge }),
  z.strictObject({
    ...common,
    kind: z.literal('branch'),
    rule: ruleTree.describe('a segment rule, evaluated for the one customer'),
    yes: edge,
    no: edge,
  }),
  z.strictObject({
    ...common,
    kind: z.literal('split'),
    arms: z
      .array(z.strictObject({ percent: z.number().int().min(0).max(100), next: edge }))
      .min(2)
      .max(10),
  }),
  z.strictObject({
    ...common,
    kind: z.literal('send'),
    /** A content item of the library (the content module), or the text itself with {{variables}}. */
    contentId: z.number().int().positive().optional(),
    text: text.optional().describe('{{name}} the customer, {{staff}} the sender'),
    contentKind: z.enum(['coupon', 'product', 'trust', 'persona', 'event']).optional(),
    next: edge,
  }),
  z.strictObject({
    ...common,
    kind: z.literal('tag'),
    add: z.array(z.number().int().positive()).max(20).default([]),
    remove: z.array(z.number().int().positive()).max(20).default([]),
    next: edge,
  }),
  z.strictObject({
    ...common,
    kind: z.literal('task'),
    taskKind: z.enum(TASK_KINDS),
    title: z.string().trim().min(1).max(100),
    contentId: z.number().int().positive().optional(),
    dueInHours: z
      .number()
      .int()
      .min(0)
      .max(24 * 90)
      .default(24),
    next: edge,
  }),
  z.strictObject({ ...common, kind: z.literal('notify'), text, next: edge }),
  z.strictObject({ ...common, kind: z.literal('exit') }),
]);
export type JourneyNode = z.output<typeof nodeSchema>;
export type NodeKind = JourneyNode['kind'];
export const NODE_KINDS = nodeSchema.options.map((o) => o.shape.kind.value) as NodeKind[];

const ids = z.array(z.number().int().positive()).max(200);
const filter = ruleTree.optional().describe('only customers this segment rule holds for enter');

export const triggerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('channel_add'),
    channelIds: ids.default([]),
    methods: z.array(z.string().max(40)).max(20).default([]),
    scenes: z.array(z.string().max(60)).max(50).default([]),
    filter,
  }),
  z.strictObject({ kind: z.literal('tag_added'), tagIds: ids.min(1), filter }),
  z.strictObject({ kind: z.literal('tag_removed'), tagIds: ids.min(1), filter }),
  z.strictObject({ kind: z.literal('first_order'), filter }),
  z.strictObject({ kind: z.literal('order'), minPaidFen: z.number().int().min(0).optional(), filter }),
  z.strictObject({
    kind: z.literal('stage_changed'),
    to: z.array(z.enum(['new', 'active', 'repeat', 'super', 'dormant', 'churned'])).min(1),
    filter,
  }),
  z.strictObject({ kind: z.literal('member_joined'), filter }),
  z.strictObject({
    kind: z.literal('date'),
    date: z.enum(['birthday', 'member_anniversary']),
    daysAhead: z.number().int().min(0).max(60),
    filter,
  }),
  z.strictObject({ kind: z.literal('no_order'), days: z.number().int().min(1).max(730), filter }),
  z.strictObject({ kind: z.literal('segment_entry'), segmentId: z.number().int().positive(), filter }),
  z.strictObject({
    kind: z.literal('broadcast'),
    audience: z.union([
      z.strictObject({ segmentId: z.number().int().positive() }),
      z.strictObject({ layeringId: z.number().int().positive(), segmentId: z.number().int().positive() }),
    ]),
    at: z.iso.datetime({ offset: true }).describe('the first (or only) run'),
    repeat: z.enum(['daily', 'weekly', 'monthly']).nullable().default(null),
    filter,
  }),
]);
export type Trigger = z.output<typeof triggerSchema>;
export type TriggerKind = Trigger['kind'];
export const EVENT_TRIGGERS: readonly TriggerKind[] = [
  'channel_add',
  'tag_added',
  'tag_removed',
  'first_order',
  'order',
  'stage_changed',
  'member_joined',
];
export const SCANNED_TRIGGERS: readonly TriggerKind[] = ['date', 'no_order', 'segment_entry', 'broadcast'];

export const graphShape = z
  .strictObject({
    trigger: triggerSchema,
    /** May a customer enter again (a new order, next year's birthday) once their enrolment is over? */
    reentry: z.boolean().default(false),
    start: nodeId,
    nodes: z.array(nodeSchema).min(1).max(MAX_NODES),
  })
  .meta({ id: 'JourneyGraph', description: 'A trigger, then nodes linked by their next / yes / no / arms' });
export type Graph = z.output<typeof graphShape>;

export interface GraphIssue {
  /** The node (or `trigger`, `start`) with the problem, '' for the whole graph. */
  node: string;
  path: string;
  message: string;
}

/** The nodes after a node, with the edge's name. */
export function edgesOf(n: JourneyNode): { edge: string; to: string }[] {
  switch (n.kind) {
    case 'branch':
      return [...(n.yes ? [{ edge: 'yes', to: n.yes }] : []), ...(n.no ? [{ edge: 'no', to: n.no }] : [])];
    case 'split':
      return n.arms.flatMap((a, i) => (a.next ? [{ edge: `arms[${i}]`, to: a.next }] : []));
    case 'exit':
      return [];
    default:
      return n.next ? [{ edge: 'next', to: n.next }] : [];
  }
}

/**
 * Checks a graph's shape (zod, each problem at its node) and then its structure. Returns the graph or every
 * problem, each naming its node.
 */
export function checkGraph(
  input: unknown,
): { graph: Graph; issues: [] } | { graph: null; issues: GraphIssue[] } {
  const issues: GraphIssue[] = [];
  // Nodes one by one first, so that a bad node is named by its id, not by its index alone.
  const raw = input as { nodes?: unknown };
  if (raw && typeof raw === 'object' && Array.isArray(raw.nodes)) {
    raw.nodes.forEach((n, i) => {
      const id =
        n && typeof n === 'object' && typeof (n as { id?: unknown }).id === 'string'
          ? (n as { id: string }).id
          : `#${i}`;
      const kind = n && typeof n === 'object' ? (n as { kind?: unknown }).kind : undefined;
      if (typeof kind !== 'string' || !NODE_KINDS.includes(kind as NodeKind)) {
        issues.push({
          node: id,
          path: `nodes[${i}].kind`,
          message: `unknown node kind ${JSON.stringify(kind)}; use one of ${NODE_KINDS.join(', ')}`,
        });
        return;
      }
      const parsed = nodeSchema.safeParse(n);
      if (!parsed.success) {
        for (const e of parsed.error.issues) {
          issues.push({ node: id, path: [`nodes[${i}]`, ...e.path].join('.'), message: e.message });
        }
      } else if (parsed.data.kind === 'branch') {
        const checked = checkRule(parsed.data.rule);
        for (const r of checked.issues) {
          issues.push({
            node: id,
            path: `nodes[${i}].rule${r.path ? `.${r.path}` : ''}`,
            message: r.message,
          });
        }
      }
    });
  }
  const parsed = graphShape.safeParse(input);
  if (!parsed.success) {
    for (const e of parsed.error.issues) {
      if (e.path[0] === 'nodes' && e.path.length > 1) continue; // named above
      issues.push({ node: String(e.path[0] ?? ''), path: e.path.join('.'), message: e.message });
    }
    return { graph: null, issues: dedupe(issues) };
  }
  if (issues.length) return { graph: null, issues: dedupe(issues) };
  const graph = parsed.data;
  const filter = graph.trigger.filter;
  if (filter) {
    for (const r of checkRule(filter).issues) {
      issues.push({
        node: 'trigger',
        path: `trigger.filter${r.path ? `.${r.path}` : ''}`,
        message: r.message,
      });
    }
  }

  const byId = new Map<string, JourneyNode>();
  for (const n of graph.nodes) {
    if (byId.has(n.id))
      issues.push({ node: n.id, path: 'nodes', message: `node id "${n.id}" is used twice` });
    byId.set(n.id, n);
  }
  if (!byId.has(graph.start)) {
    issues.push({ node: 'start', path: 'start', message: `the start node "${graph.start}" does not exist` });
  }
  for (const n of graph.nodes) {
    for (const e of edgesOf(n)) {
      if (!byId.has(e.to)) {
        issues.push({
          node: n.id,
          path: `${n.id}.${e.edge}`,
          message: `edge ${n.id}.${e.edge} → "${e.to}" leads to no node`,
        });
      }
    }
    if (n.kind === 'split') {
      const total = n.arms.reduce((s, a) => s + a.percent, 0);
      if (total !== 100) {
        issues.push({
          node: n.id,
          path: `${n.id}.arms`,
          message: `the split's arms add up to ${total}%, not 100%`,
        });
      }
    }
    if (n.kind === 'send' && n.contentId === undefined && n.text === undefined) {
      issues.push({ node: n.id, path: `${n.id}.text`, message: 'a send needs a content item or a text' });
    }
    if (n.kind === 'tag' && n.add.length + n.remove.length === 0) {
      issues.push({
        node: n.id,
        path: `${n.id}.add`,
        message: 'a tag step adds or removes at least one tag',
      });
    }
  }
  if (issues.length) return { graph: null, issues };

  // Reachable from the start.
  const seen = new Set<string>();
  const stack = [graph.start];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const e of edgesOf(byId.get(id)!)) stack.push(e.to);
  }
  for (const n of graph.nodes) {
    if (!seen.has(n.id)) {
      issues.push({ node: n.id, path: n.id, message: `node "${n.id}" cannot be reached from the start` });
    }
  }
  // A cycle must pass through a wait: among the nodes that are not waits, the edges must form no cycle.
  const state = new Map<string, 'open' | 'closed'>();
  const visit = (id: string, path: string[]): string[] | null => {
    const n = byId.get(id)!;
    if (n.kind === 'wait') return null;
    if (state.get(id) === 'closed') return null;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    for (const e of edgesOf(n)) {
      const found = visit(e.to, [...path, id]);
      if (found) return found;
    }
    state.set(id, 'closed');
    return null;
  };
  for (const n of graph.nodes) {
    const cycle = visit(n.id, []);
    if (cycle) {
      issues.push({
        node: cycle[0]!,
        path: cycle[0]!,
        message: `the cycle ${cycle.join(' → ')} has no wait on it`,
      });
      break;
    }
  }
  return issues.length ? { graph: null, issues } : { graph, issues: [] };
}

function dedupe(issues: GraphIssue[]): GraphIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\n${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The graph as a request body: checkGraph decides; a bad graph is a 400 naming each bad node or edge. */
export const graphSchema = z
  .preprocess((input, ctx) => {
    const checked = checkGraph(input);
    if (checked.graph) return checked.graph;
    for (const issue of checked.issues.slice(0, 10)) {
      ctx.addIssue({
        code: 'custom',
        message: `${issue.node ? `node ${issue.node}: ` : ''}${issue.message}`,
        path: issue.path ? issue.path.split('.') : [],
      });
    }
    return z.NEVER;
  }, graphShape)
  .describe(`At most ${MAX_NODES} nodes; every cycle passes through a wait.`);

export function nodeOf(graph: Graph, id: string): JourneyNode | undefined {
  return graph.nodes.find((n) => n.id === id);
}

/** A stored graph, checked again (a stored graph outlives the code that checked it). */
export function storedGraph(value: unknown): Graph {
  const checked = checkGraph(value);
  if (!checked.graph) throw new Error(`stored journey graph is invalid: ${JSON.stringify(checked.issues)}`);
  return checked.graph;
}

// ---- time, in brand time (UTC+8 all year, as the rest of Siyu) ----

const BRAND_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The moment the brand's clock shows `hh:mm` on the brand day of `day` (a moment). */
function atBrandTime(day: number, hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const local = day + BRAND_OFFSET_MS;
  const midnight = local - (((local % DAY_MS) + DAY_MS) % DAY_MS);
  return midnight - BRAND_OFFSET_MS + h * 3_600_000 + m * 60_000;
}

/** The first moment at or after `from` when the brand's clock shows `hh:mm`. */
export function nextBrandTime(from: Date, hhmm: string): Date {
  const today = atBrandTime(from.getTime(), hhmm);
  return new Date(today >= from.getTime() ? today : atBrandTime(from.getTime() + DAY_MS, hhmm));
}

/** When a wait that starts at `from` is over. */
export function waitUntil(wait: WaitSpec, from: Date): Date {
  if ('untilTime' in wait) return nextBrandTime(from, wait.untilTime);
  if ('untilDate' in wait) {
    const [y, mo, d] = wait.untilDate.split('-').map(Number) as [number, number, number];
    const day = Date.UTC(y, mo - 1, d) - BRAND_OFFSET_MS;
    const at = atBrandTime(day, wait.at ?? '00:00');
    return new Date(Math.max(at, from.getTime()));
  }
  const after = from.getTime() + ((wait.days * 24 + wait.hours) * 60 + wait.minutes) * 60_000;
  if (!wait.at) return new Date(after);
  // "3 days, at 10:00": 10:00 on the brand day three days on (day 3 of the journey), never before `from`
  const sameDay = atBrandTime(after, wait.at);
  return sameDay >= from.getTime() ? new Date(sameDay) : nextBrandTime(from, wait.at);
}

/** The arm of a split a customer takes: sticky (a hash of journey, node and customer), by percentage. */
export function splitArm(journeyId: number, nodeId: string, customerId: number, percents: number[]): number {
  const h = createHash('sha256').update(`${journeyId}:${nodeId}:${customerId}`).digest().readUInt32BE(0);
  const bucket = h % 100;
  let acc = 0;
  for (const [i, p] of percents.entries()) {
    acc += p;
    if (bucket < acc) return i;
  }
  return percents.length - 1;
}

/** The text of a send with its variables filled ({{name}}, {{staff}}); unknown ones stay as written. */
export function fillText(text: string, vars: Record<string, string>): string {
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (all, k: string) => vars[k] ?? all);
}
