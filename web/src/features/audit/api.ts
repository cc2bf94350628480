import { client, type Query, type Reply, unwrap } from '../../shared/api/client';

export type AuditQuery = Query<'/api/v1/audit', 'get'>;
export type AuditEntry = Reply<'/api/v1/audit', 'get'>['items'][number];

export const auditApi = {
  /** The brand's audit log, newest first (HQ admins). */
  entries: (query: AuditQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/audit', { params: { query }, signal })),
};
