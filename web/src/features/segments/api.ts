import { type Body, client, type Reply, undeclared, unwrap } from '../../shared/api/client';
import { saveDownload } from '../../shared/download';
import type { LifecycleStage } from '../customers/api';

export type SegmentInput = Omit<Body<'/api/v1/segments', 'post'>, 'rule'> & { rule: Rule };
export type LayeringInput = Body<'/api/v1/layerings', 'post'>;
export type LayerInput = LayeringInput['layers'][number];

// The segment routes declare no response schema yet, and a rule is `unknown` in their request bodies, so
// OpenAPI says nothing of these shapes and they are written by hand (see `undeclared`); once the server
// declares them, they become Reply<…> and Body<…>.

/** A segment's rule tree: groups (and / or), a negation, or one condition on a field. */
export type Rule =
  | { op: 'and' | 'or'; rules: Rule[] }
  | { op: 'not'; rule: Rule }
  | { field: string; cmp: string; value?: unknown };

export type SegmentFieldGroup =
  | 'tags'
  | 'rfm'
  | 'lifecycle'
  | 'org'
  | 'channel'
  | 'orders'
  | 'groups'
  | 'price';
export type SegmentFieldType =
  | 'tag'
  | 'number'
  | 'money'
  | 'days'
  | 'enum'
  | 'unit'
  | 'staff'
  | 'channel'
  | 'method'
  | 'product'
  | 'group'
  | 'share';

/** GET /segment-fields: a field a condition can test, with the comparisons it allows and, for pickers, its choices. */
export interface SegmentField {
  key: string;
  group: SegmentFieldGroup;
  label: { zh: string; en: string };
  type: SegmentFieldType;
  cmps: string[];
  /** Tags carry their tag group's name. */
  options?: { value: string | number; label: string; group?: string }[];
}

export interface SegmentMember {
  id: number;
  name: string;
  avatar: string | null;
  stage: LifecycleStage;
  ltvFen: number;
  lastOrderAt: string | null;
}

/** POST /segments/preview */
export interface SegmentPreview {
  count: number;
  sample: SegmentMember[];
}

/** GET /segments/:id, and the reply of POST /segments and PUT /segments/:id. */
export interface Segment {
  id: number;
  name: string;
  description: string;
  rule: Rule;
  /** The audience now, within the caller's scope. */
  count: number;
  /** The unit that owns it (the creator's). */
  unitId: number;
  unitName: string;
  createdByName: string | null;
  createdAt: string;
  updatedAt: string;
  /** The caller may change or delete it (its unit is in the caller's subtree, and not as staff). */
  editable: boolean;
}

export interface Layer extends LayerInput {
  segmentName: string;
  size: number;
  gmvFen: number;
  /** 0..1 of the layering's total GMV. */
  gmvShare: number;
}

export interface LayeringWarning {
  /** Two layers receive the same operation, or two audiences share customers (`overlap` of them). */
  kind: 'same_operation' | 'overlap';
  operation: string;
  segmentIds: number[];
  overlap?: number;
  message: string;
}

/** GET /layerings/:id, and the reply of POST /layerings and PUT /layerings/:id. */
export interface Layering {
  id: number;
  name: string;
  unitId: number;
  unitName: string;
  editable: boolean;
  createdAt: string;
  updatedAt: string;
  /** GMV is over the paid orders of the last `days` days. */
  days: number;
  layers: Layer[];
  /** The GMV of every customer in the caller's scope: the base of each layer's share. */
  totalGmvFen: number;
  warnings: LayeringWarning[];
}

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
  /** Saves its members as .xlsx or CSV (managers; 422 past the export limit). */
  exportSegmentMembers: (id: number, format: 'xlsx' | 'csv') =>
    saveDownload(
      client.GET('/api/v1/segments/{id}/members/export', {
        params: { path: { id }, query: { format } },
        parseAs: 'blob',
      }),
      `segment-${id}.${format}`,
    ),
  segmentFields: (signal?: AbortSignal) =>
    undeclared<{ fields: SegmentField[] }>(client.GET('/api/v1/segment-fields', { signal })),
  /** The exact audience of a rule and a few of its members; 400 naming the bad node's path when invalid. */
  previewSegment: (rule: Rule, signal?: AbortSignal) =>
    undeclared<SegmentPreview>(client.POST('/api/v1/segments/preview', { body: { rule }, signal })),
  segments: (signal?: AbortSignal) =>
    undeclared<{ items: Segment[] }>(client.GET('/api/v1/segments', { signal })),
  segment: (id: number, signal?: AbortSignal) =>
    undeclared<Segment>(client.GET('/api/v1/segments/{id}', { params: { path: { id } }, signal })),
  createSegment: (input: SegmentInput) =>
    undeclared<Segment>(client.POST('/api/v1/segments', { body: input })),
  updateSegment: (id: number, input: SegmentInput) =>
    undeclared<Segment>(client.PUT('/api/v1/segments/{id}', { params: { path: { id } }, body: input })),
  deleteSegment: async (id: number) => {
    await client.DELETE('/api/v1/segments/{id}', { params: { path: { id } } });
  },
  /** `days`: the GMV window (the server's default is 365). */
  layerings: (days: number, signal?: AbortSignal) =>
    undeclared<{ items: Layering[] }>(
      client.GET('/api/v1/layerings', { params: { query: { days } }, signal }),
    ),
  layering: (id: number, days: number, signal?: AbortSignal) =>
    undeclared<Layering>(
      client.GET('/api/v1/layerings/{id}', { params: { path: { id }, query: { days } }, signal }),
    ),
  createLayering: (input: LayeringInput, days: number) =>
    undeclared<Layering>(client.POST('/api/v1/layerings', { params: { query: { days } }, body: input })),
  updateLayering: (id: number, input: LayeringInput, days: number) =>
    undeclared<Layering>(
      client.PUT('/api/v1/layerings/{id}', { params: { path: { id }, query: { days } }, body: input }),
    ),
  deleteLayering: async (id: number) => {
    await client.DELETE('/api/v1/layerings/{id}', { params: { path: { id } } });
  },
};
