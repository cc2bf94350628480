import {
  type Body,
  client,
  href,
  type PathParams,
  type Query,
  type Reply,
  unwrap,
} from '../../shared/api/client';

export type ChannelInput = Body<'/api/v1/channels', 'post'>;
export type ChannelMethod = ChannelInput['method'];
export type WelcomeTemplate = NonNullable<ChannelInput['welcome']>;
export type Period = Query<'/api/v1/channels', 'get'>;
export type LinkageInput = Body<'/api/v1/acquisition-settings/{unitId}', 'put'>;
export type Linkage = LinkageInput['linkage'];
export type AddsModel = LinkageInput['addsModel'];
/** A channel code the customer came through (attribution). */
export type Acquisition = Reply<'/api/v1/customers/{id}/acquisition', 'get'>['items'][number];

export type MaterialKind = PathParams<'/api/v1/channels/{id}/codes/{codeId}/material/{kind}', 'get'>['kind'];
export const MATERIAL_KINDS = ['poster', 'table_card', 'rollup'] as const satisfies readonly MaterialKind[];

export type ChannelRow = Reply<'/api/v1/channels', 'get'>['items'][number];
export type MethodRow = Reply<'/api/v1/channel-methods', 'get'>['items'][number];
/** The funnel over a period: landing-page scans → adds → still friends 7 days on → follows ended. */
export type ChannelFunnel = Pick<
  ChannelRow,
  'scans' | 'adds' | 'welcomeMissed' | 'adds7dOld' | 'retained7d' | 'deleted'
>;
/** GET /channels/:id, and the reply of POST /channels and PUT /channels/:id. */
export type ChannelDetail = Reply<'/api/v1/channels/{id}', 'get'>;
/** GET and PUT /acquisition-settings/:unitId */
export type AcquisitionSettings = Reply<'/api/v1/acquisition-settings/{unitId}', 'get'>;

export const channelsApi = {
  channels: (period: Period, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/channels', { params: { query: period }, signal })),
  channelMethods: (period: Period, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/channel-methods', { params: { query: period }, signal })),
  channel: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/channels/{id}', { params: { path: { id } }, signal })),
  createChannel: (input: ChannelInput) => unwrap(client.POST('/api/v1/channels', { body: input })),
  /** Its codes stop working in WeCom; its customers and figures stay. */
  archiveChannel: (id: number) =>
    unwrap(client.POST('/api/v1/channels/{id}/archive', { params: { path: { id } } })),
  updateChannel: (id: number, input: ChannelInput) =>
    unwrap(client.PUT('/api/v1/channels/{id}', { params: { path: { id } }, body: input })),
  /** A plain link (the browser downloads it with the session cookie): the code's material as PNG. */
  materialUrl: (id: number, codeId: number, kind: MaterialKind) =>
    href('/api/v1/channels/{id}/codes/{codeId}/material/{kind}', { id, codeId, kind }),
  acquisitionSettings: (unitId: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/acquisition-settings/{unitId}', { params: { path: { unitId } }, signal })),
  setAcquisitionSettings: (unitId: number, input: LinkageInput) =>
    unwrap(
      client.PUT('/api/v1/acquisition-settings/{unitId}', { params: { path: { unitId } }, body: input }),
    ),
  customerAcquisition: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/customers/{id}/acquisition', { params: { path: { id } }, signal })),
};
