import { type Body, client, type Reply, unwrap } from '../../shared/api/client';
import { saveDownload } from '../../shared/download';

/** A segment's rule tree: groups (and / or), a negation, or one condition on a field. */
export type Rule = Body<'/api/v1/segments/preview', 'post'>['rule'];
export type Condition = Extract<Rule, { field: string }>;
export type Cmp = Condition['cmp'];
/** One value, [low, high] for `between`, a list for `in` / `all` / `not_in`. */
export type RuleValue = NonNullable<Condition['value']>;
export type SegmentInput = Body<'/api/v1/segments', 'post'>;
export type LayeringInput = Body<'/api/v1/layerings', 'post'>;
export type LayerInput = LayeringInput['layers'][number];

/** GET /segment-fields: a field a condition can test, with the comparisons it allows and, for pickers, its choices. */
export type SegmentField = Reply<'/api/v1/segment-fields', 'get'>['fields'][number];
export type SegmentFieldGroup = SegmentField['group'];
/** POST /segments/preview */
export type SegmentPreview = Reply<'/api/v1/segments/preview', 'post'>;
export type SegmentMember = SegmentPreview['sample'][number];
/** GET /segments/:id, and the reply of POST /segments and PUT /segments/:id. */
export type Segment = Reply<'/api/v1/segments/{id}', 'get'>;
/** GET /layerings/:id, and the reply of POST /layerings and PUT /layerings/:id. */
export type Layering = Reply<'/api/v1/layerings/{id}', 'get'>;
export type Layer = Layering['layers'][number];

export type SegmentMembersPage = Reply<'/api/v1/segments/{id}/members', 'get'>;

export const segmentsApi = {
  /** A saved segment's members in scope, newest first, a page at a time. */
  segmentMembers: (id: number, cursor: string | null, signal?: AbortSignal) =>
    unwrap(
      client.GET('/api/v1/segments/{id}/members', {
        params: { path: { id }, query: { cursor: cursor ?? undefined, limit: 20 } },
        signal,
      }),
    ),
  /** Saves its members as .xlsx or CSV (managers; 422 past the limit); full phones: HQ admins, audited. */
  exportSegmentMembers: (id: number, format: 'xlsx' | 'csv', phones: 'masked' | 'full' = 'masked') =>
    saveDownload(
      client.GET('/api/v1/segments/{id}/members/export', {
        params: { path: { id }, query: { format, phones } },
        parseAs: 'blob',
      }),
      `segment-${id}.${format}`,
    ),
  segmentFields: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/segment-fields', { signal })),
  /** The exact audience of a rule and a few of its members; 400 naming the bad node's path when invalid. */
  previewSegment: (rule: Rule, signal?: AbortSignal) =>
    unwrap(client.POST('/api/v1/segments/preview', { body: { rule }, signal })),
  segments: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/segments', { signal })),
  segment: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/segments/{id}', { params: { path: { id } }, signal })),
  createSegment: (input: SegmentInput) => unwrap(client.POST('/api/v1/segments', { body: input })),
  updateSegment: (id: number, input: SegmentInput) =>
    unwrap(client.PUT('/api/v1/segments/{id}', { params: { path: { id } }, body: input })),
  deleteSegment: async (id: number) => {
    await client.DELETE('/api/v1/segments/{id}', { params: { path: { id } } });
  },
  /** `days`: the GMV window (the server's default is 365). */
  layerings: (days: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/layerings', { params: { query: { days } }, signal })),
  layering: (id: number, days: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/layerings/{id}', { params: { path: { id }, query: { days } }, signal })),
  createLayering: (input: LayeringInput, days: number) =>
    unwrap(client.POST('/api/v1/layerings', { params: { query: { days } }, body: input })),
  updateLayering: (id: number, input: LayeringInput, days: number) =>
    unwrap(client.PUT('/api/v1/layerings/{id}', { params: { path: { id }, query: { days } }, body: input })),
  deleteLayering: async (id: number) => {
    await client.DELETE('/api/v1/layerings/{id}', { params: { path: { id } } });
  },
};
