import { type Body, client, type Query, type Reply, unwrap } from '../../shared/api/client';

export type Unassigned = Reply<'/api/v1/transfers/unassigned', 'get'>;
export type UnassignedOwner = Unassigned['items'][number];
export type DepartureInput = Body<'/api/v1/transfers/departure', 'post'>;
export type ReassignInput = Body<'/api/v1/transfers/reassign', 'post'>;
export type Started = Reply<'/api/v1/transfers/departure', 'post'>;
export type TransferQuery = Query<'/api/v1/transfers', 'get'>;
export type Transfer = Reply<'/api/v1/transfers', 'get'>['items'][number];
export type TransferStatus = Transfer['status'];

export const TRANSFER_STATUSES = [
  'queued',
  'waiting',
  'done',
  'refused',
  'over_limit',
  'failed',
] as const satisfies readonly TransferStatus[];

export const transfersApi = {
  /** Departed members in scope whose customers and groups wait for a new owner. */
  unassigned: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/transfers/unassigned', { signal })),
  /** 离职继承 (dryRun: the plan only). */
  departure: (body: DepartureInput) => unwrap(client.POST('/api/v1/transfers/departure', { body })),
  /** 在职转接 (dryRun: the plan only, with the customers the 90-day protection excludes). */
  reassign: (body: ReassignInput) => unwrap(client.POST('/api/v1/transfers/reassign', { body })),
  list: (query: TransferQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/transfers', { params: { query }, signal })),
  followUp: () => unwrap(client.POST('/api/v1/transfers/follow-up')),
};
