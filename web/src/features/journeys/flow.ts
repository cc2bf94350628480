import type { GraphIssue, GraphNode, Graph as JourneyGraph } from './api';

/** The canvas's id of the trigger (not a node of the graph: it points at the graph's start). */
export const TRIGGER_ID = '__trigger';
const COL = 260;
const ROW = 190;
/** About the size of a card on the canvas (JourneyNodeCard). */
const CARD = { width: 220, height: 130 };

export interface OutEdge {
  /** The source handle: next, yes, no, arm-<i>. */
  handle: string;
  to: string | undefined;
  label?: string;
}

/** The edges a node may have, set or not, as the canvas's source handles. */
export function outEdges(n: GraphNode): OutEdge[] {
  switch (n.kind) {
    case 'branch':
      return [
        { handle: 'yes', to: n.yes },
        { handle: 'no', to: n.no },
      ];
    case 'split':
      return n.arms.map((a, i) => ({ handle: `arm-${i}`, to: a.next, label: `${a.percent}%` }));
    case 'exit':
      return [];
    default:
      return [{ handle: 'next', to: n.next }];
  }
}

/** The node with one edge (a source handle) pointing at `to` (undefined: removed). */
export function withEdge(n: GraphNode, handle: string, to: string | undefined): GraphNode {
  switch (n.kind) {
    case 'branch':
      return handle === 'yes' ? { ...n, yes: to } : handle === 'no' ? { ...n, no: to } : n;
    case 'split': {
      const i = Number(handle.replace('arm-', ''));
      return { ...n, arms: n.arms.map((a, j) => (j === i ? { ...a, next: to } : a)) };
    }
    case 'exit':
      return n;
    default:
      return handle === 'next' ? { ...n, next: to } : n;
  }
}

/** Every edge into `id` removed (the node is being deleted). */
export function withoutEdgesTo(n: GraphNode, id: string): GraphNode {
  return outEdges(n).reduce((acc, e) => (e.to === id ? withEdge(acc, e.handle, undefined) : acc), n);
}

/**
 * Where each node sits: its stored position, else a layered layout from the start (a node's row is its
 * distance from the start, nodes of one row side by side).
 */
export function layout(graph: JourneyGraph): Map<string, { x: number; y: number }> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const queue: string[] = [];
  if (byId.has(graph.start)) {
    depth.set(graph.start, 0);
    queue.push(graph.start);
  }
  while (queue.length) {
    const id = queue.shift()!;
    for (const e of outEdges(byId.get(id)!)) {
      if (e.to && byId.has(e.to) && !depth.has(e.to)) {
        depth.set(e.to, depth.get(id)! + 1);
        queue.push(e.to);
      }
    }
  }
  let maxDepth = Math.max(0, ...depth.values());
  for (const n of graph.nodes) if (!depth.has(n.id)) depth.set(n.id, ++maxDepth);
  const perRow = new Map<number, string[]>();
  for (const n of graph.nodes) {
    const d = depth.get(n.id)!;
    perRow.set(d, [...(perRow.get(d) ?? []), n.id]);
  }
  // Stored positions that would make cards overlap (a template drawn for smaller cards) are not used.
  const stored = graph.nodes.flatMap((n) => (n.position ? [n.position] : []));
  const crowded = stored.some((a, i) =>
    stored.some((b, j) => j > i && Math.abs(a.x - b.x) < CARD.width && Math.abs(a.y - b.y) < CARD.height),
  );
  const out = new Map<string, { x: number; y: number }>();
  for (const n of graph.nodes) {
    if (n.position && !crowded) {
      out.set(n.id, n.position);
      continue;
    }
    const d = depth.get(n.id)!;
    const row = perRow.get(d)!;
    const i = row.indexOf(n.id);
    out.set(n.id, { x: (i - (row.length - 1) / 2) * COL, y: d * ROW });
  }
  return out;
}

/** Where the trigger sits: above the start. */
export function triggerPosition(positions: Map<string, { x: number; y: number }>, start: string) {
  const p = positions.get(start) ?? { x: 0, y: 0 };
  return { x: p.x, y: p.y - ROW };
}

/** A fresh node id: the kind and the first free number. */
export function freshId(graph: JourneyGraph, kind: string): string {
  const used = new Set(graph.nodes.map((n) => n.id));
  for (let i = 1; ; i++) if (!used.has(`${kind}${i}`)) return `${kind}${i}`;
}

/** A new node of a kind, with what it needs to be valid where it can (a send still needs its text). */
export function newNode(graph: JourneyGraph, kind: GraphNode['kind'], position: { x: number; y: number }) {
  const id = freshId(graph, kind);
  const base = { id, position };
  switch (kind) {
    case 'send':
      return { ...base, kind, text: '{{name}}，' } as GraphNode;
    case 'wait':
      return { ...base, kind, wait: { days: 1, hours: 0, minutes: 0 } } as GraphNode;
    case 'branch':
      return { ...base, kind, rule: { field: 'coupon_share', cmp: 'gte', value: 0.5 } } as GraphNode;
    case 'split':
      return { ...base, kind, arms: [{ percent: 50 }, { percent: 50 }] } as GraphNode;
    case 'task':
      return { ...base, kind, taskKind: 'call', title: '电话回访', dueInHours: 24 } as GraphNode;
    case 'tag':
      return { ...base, kind, add: [], remove: [] } as GraphNode;
    case 'notify':
      return { ...base, kind, text: '请关注这位客户' } as GraphNode;
    default:
      return { ...base, kind: 'exit' } as GraphNode;
  }
}

/** The problems per canvas node (trigger and start problems on the trigger); those of the whole graph apart. */
export function issuesByNode(issues: GraphIssue[], graph: JourneyGraph) {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const map = new Map<string, string[]>();
  const general: string[] = [];
  for (const i of issues) {
    const key = i.node === 'trigger' || i.node === 'start' ? TRIGGER_ID : i.node;
    if (key === TRIGGER_ID || ids.has(key)) map.set(key, [...(map.get(key) ?? []), i.message]);
    else general.push(i.node ? `${i.node}: ${i.message}` : i.message);
  }
  return { map, general };
}
