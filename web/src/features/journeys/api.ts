import { type Body, client, type Reply, unwrap } from '../../shared/api/client';

/** GET /journeys/:id: the graph, its versions and the live counts per node. */
export type Journey = Reply<'/api/v1/journeys/{id}', 'get'>;
export type JourneySummary = Reply<'/api/v1/journeys', 'get'>['items'][number];
export type JourneyStatus = Journey['status'];
export type Graph = Journey['graph'];
export type GraphNode = Graph['nodes'][number];
export type NodeKind = GraphNode['kind'];
export type Trigger = Graph['trigger'];
export type NodeCounts = Journey['counts'][number];
export type GraphIssue = Reply<'/api/v1/journey-graph/check', 'post'>['issues'][number];
export type DryRun = Reply<'/api/v1/journeys/{id}/dry-run', 'post'>;
export type JourneyTemplate = Reply<'/api/v1/journey-templates', 'get'>['items'][number];
export type JourneyInput = Body<'/api/v1/journeys', 'post'>;

export const STATUS_COLOR: Record<JourneyStatus, string> = {
  draft: 'default',
  active: 'green',
  paused: 'gold',
  archived: 'default',
};

export const NODE_KINDS = [
  'send',
  'wait',
  'branch',
  'split',
  'task',
  'tag',
  'notify',
  'exit',
] as const satisfies readonly NodeKind[];

export const journeysApi = {
  list: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/journeys', { signal })),
  templates: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/journey-templates', { signal })),
  journey: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/journeys/{id}', { params: { path: { id } }, signal })),
  create: (input: JourneyInput) => unwrap(client.POST('/api/v1/journeys', { body: input })),
  /** A new graph is a new version once anyone entered the current one. */
  update: (id: number, input: Partial<JourneyInput>) =>
    unwrap(client.PUT('/api/v1/journeys/{id}', { params: { path: { id } }, body: input })),
  setStatus: (id: number, status: 'active' | 'paused' | 'archived') =>
    unwrap(client.POST('/api/v1/journeys/{id}/status', { params: { path: { id } }, body: { status } })),
  counts: (id: number, version: number, signal?: AbortSignal) =>
    unwrap(
      client.GET('/api/v1/journeys/{id}/versions/{version}/counts', {
        params: { path: { id, version } },
        signal,
      }),
    ),
  /** Every problem of a graph, each naming its node; nothing is saved. */
  check: (graph: unknown, signal?: AbortSignal) =>
    unwrap(client.POST('/api/v1/journey-graph/check', { body: { graph }, signal })),
  dryRun: (id: number, customerId: number) =>
    unwrap(client.POST('/api/v1/journeys/{id}/dry-run', { params: { path: { id } }, body: { customerId } })),
};
