import {
  type Body,
  client,
  href,
  type PathParams,
  type Query,
  type Reply,
  undeclared,
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

// The routes below declare no response schema yet, so OpenAPI says nothing of their replies and these
// shapes are written by hand (see `undeclared`); once the server declares them, they become Reply<…>.

/** The funnel over a period: landing-page scans → adds → still friends 7 days on → follows ended. */
export interface ChannelFunnel {
  scans: number;
  adds: number;
  /** Adds at least 7 days old: the base of the 7-day retention. */
  adds7dOld: number;
  retained7d: number;
  deleted: number;
}

/** GET /channels */
export interface ChannelRow extends ChannelFunnel {
  id: number;
  name: string;
  scene: string;
  method: ChannelMethod;
  scalable: boolean;
  bait: string;
  unitId: number;
  unitName: string;
  assignMode: ChannelInput['assignMode'];
  status: 'active' | 'archived';
}

/** GET /channel-methods */
export interface MethodRow extends ChannelFunnel {
  method: ChannelMethod;
  channels: number;
  scalable: boolean;
  retention7d: number | null;
}

export interface ChannelCode {
  id: number;
  unitId: number;
  unitName: string;
  state: string;
  configId: string | null;
  qrCode: string | null;
  currentUserids: string[];
  currentStaffNames: string[];
  scans: number;
  sync: 'pending' | 'ready' | 'failed';
  syncError: string | null;
}

/** GET /channels/:id, and the reply of POST /channels and PUT /channels/:id. */
export type ChannelDetail = Required<Omit<ChannelInput, 'staff' | 'tagIds'>> & {
  id: number;
  codes: ChannelCode[];
  staff: { staffId: number; name: string; userid: string; backup: boolean }[];
  tags: { id: number; name: string }[];
};

/** GET and PUT /acquisition-settings/:unitId */
export interface AcquisitionSettings {
  unitId: number;
  own: LinkageInput | null;
  effective: Linkage;
  effectiveAddsModel: AddsModel;
  recommended: Linkage;
  businessType: string | null;
}

export const channelsApi = {
  channels: (period: Period, signal?: AbortSignal) =>
    undeclared<{ items: ChannelRow[] }>(
      client.GET('/api/v1/channels', { params: { query: period }, signal }),
    ),
  channelMethods: (period: Period, signal?: AbortSignal) =>
    undeclared<{ items: MethodRow[] }>(
      client.GET('/api/v1/channel-methods', { params: { query: period }, signal }),
    ),
  channel: (id: number, signal?: AbortSignal) =>
    undeclared<ChannelDetail>(client.GET('/api/v1/channels/{id}', { params: { path: { id } }, signal })),
  createChannel: (input: ChannelInput) =>
    undeclared<ChannelDetail>(client.POST('/api/v1/channels', { body: input })),
  updateChannel: (id: number, input: ChannelInput) =>
    undeclared<ChannelDetail>(client.PUT('/api/v1/channels/{id}', { params: { path: { id } }, body: input })),
  /** A plain link (the browser downloads it with the session cookie): the code's material as PNG. */
  materialUrl: (id: number, codeId: number, kind: MaterialKind) =>
    href('/api/v1/channels/{id}/codes/{codeId}/material/{kind}', { id, codeId, kind }),
  acquisitionSettings: (unitId: number, signal?: AbortSignal) =>
    undeclared<AcquisitionSettings>(
      client.GET('/api/v1/acquisition-settings/{unitId}', { params: { path: { unitId } }, signal }),
    ),
  setAcquisitionSettings: (unitId: number, input: LinkageInput) =>
    undeclared<AcquisitionSettings>(
      client.PUT('/api/v1/acquisition-settings/{unitId}', { params: { path: { unitId } }, body: input }),
    ),
  customerAcquisition: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/customers/{id}/acquisition', { params: { path: { id } }, signal })),
};
