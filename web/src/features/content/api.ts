import { type Body, client, type Query, type Reply, unwrap } from '../../shared/api/client';

/** GET /content/:id, and every list's item. */
export type ContentItem = Reply<'/api/v1/content/{id}', 'get'>;
export type ContentKind = ContentItem['kind'];
export type ContentQuery = Query<'/api/v1/content', 'get'>;
export type ContentInput = Body<'/api/v1/content', 'post'>;
export type Attachment = ContentInput['attachments'] extends (infer A)[] | undefined ? A : never;
export type Rendered = Reply<'/api/v1/content/preview', 'post'>;
export type Variable = Reply<'/api/v1/content-variables', 'get'>['items'][number];

export const KINDS = [
  'coupon',
  'product',
  'trust',
  'persona',
  'event',
] as const satisfies readonly ContentKind[];
export const SCENES = [
  'welcome',
  'nurture',
  'first_order',
  'repurchase',
  'birthday',
  'anniversary',
  'win_back',
  'product_intro',
  'event',
  'service',
] as const;
export const PERSONAS = ['brand', 'expert', 'founder', 'sales', 'assistant'] as const;
export const STAGES = ['new', 'active', 'repeat', 'super', 'dormant', 'churned'] as const;

export const contentApi = {
  list: (query: ContentQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/content', { params: { query }, signal })),
  variables: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/content-variables', { signal })),
  /** The unsaved item rendered with sample values; a 400 names what is wrong. */
  preview: (input: ContentInput, signal?: AbortSignal) =>
    unwrap(client.POST('/api/v1/content/preview', { body: input, signal })),
  create: (input: ContentInput) => unwrap(client.POST('/api/v1/content', { body: input })),
  update: (id: number, input: ContentInput) =>
    unwrap(client.PUT('/api/v1/content/{id}', { params: { path: { id } }, body: input })),
  remove: (id: number) => unwrap(client.DELETE('/api/v1/content/{id}', { params: { path: { id } } })),
};
