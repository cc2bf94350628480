import { type Body, client, type Query, type Reply, unwrap } from '../../shared/api/client';

export type MomentPost = Reply<'/api/v1/moments/{id}', 'get'>;
export type MomentSummary = Reply<'/api/v1/moments', 'get'>['items'][number];
export type MomentInput = Body<'/api/v1/moments', 'post'>;
export type Axis = MomentSummary['axis'];
export type MomentKind = MomentSummary['kind'];
export type Sender = Reply<'/api/v1/moments/senders', 'get'>['items'][number];

export const AXES = ['product', 'persona', 'story'] as const satisfies readonly Axis[];
export const KINDS = ['text', 'images', 'video', 'link'] as const satisfies readonly MomentKind[];
/** The calendar's colour of each axis. */
export const AXIS_COLORS: Record<Axis, string> = { product: '#d46b08', persona: '#1677ff', story: '#389e0d' };

export const momentsApi = {
  list: (query: Query<'/api/v1/moments', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/moments', { params: { query }, signal })),
  post: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/moments/{id}', { params: { path: { id } }, signal })),
  senders: (query: Query<'/api/v1/moments/senders', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/moments/senders', { params: { query }, signal })),
  create: (input: MomentInput) => unwrap(client.POST('/api/v1/moments', { body: input })),
  update: (id: number, input: MomentInput) =>
    unwrap(client.PUT('/api/v1/moments/{id}', { params: { path: { id } }, body: input })),
  cancel: (id: number) => unwrap(client.POST('/api/v1/moments/{id}/cancel', { params: { path: { id } } })),
  /** Sends the file itself as the body, with its own type (image/jpeg, image/png, video/mp4). */
  upload: (file: File) =>
    unwrap(
      client.POST('/api/v1/moments/media', {
        params: { query: { fileName: file.name.slice(0, 200) || 'media' } },
        body: file as never,
        bodySerializer: (body: unknown) => body,
        headers: { 'Content-Type': file.type },
      } as never),
    ) as Promise<{ id: number; kind: 'image' | 'video'; fileName: string; size: number }>,
  mediaUrl: (id: number) => `/api/v1/moments/media/${id}`,
};
