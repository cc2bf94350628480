import { client, type Reply, unwrap } from '../../shared/api/client';

export type WecomStatus = Reply<'/api/v1/wecom/status', 'get'>;
export type WecomSyncRun = NonNullable<WecomStatus['sync']>;
export type WecomSyncPhase = WecomSyncRun['phase'];

/** The phases of a full sync, in order; `done` once the last one finished. */
export const WECOM_SYNC_PHASES = [
  'staff',
  'tags',
  'customers',
  'groups',
  'done',
] as const satisfies readonly WecomSyncPhase[];

export const connectorApi = {
  /** hq_admin only (403 otherwise). */
  wecomStatus: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/wecom/status', { signal })),
  /** Starts (or resumes) a full sync; `started` is false when one is already running; 409 when not connected. */
  startWecomSync: () => unwrap(client.POST('/api/v1/wecom/sync')),
};
