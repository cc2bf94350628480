import { client, type Query, type Reply, unwrap } from '../../shared/api/client';
import { saveDownload } from '../../shared/download';

export type AuditQuery = Query<'/api/v1/audit', 'get'>;
export type AuditEntry = Reply<'/api/v1/audit', 'get'>['items'][number];

export const auditApi = {
  /** The brand's audit log, newest first (HQ admins). */
  entries: (query: AuditQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/audit', { params: { query }, signal })),
  /** The entries a filter finds as a file (itself an audited action). */
  export: (query: Omit<AuditQuery, 'cursor' | 'limit'>, format: 'xlsx' | 'csv') =>
    saveDownload(
      client.GET('/api/v1/audit/export', { params: { query: { ...query, format } }, parseAs: 'blob' }),
      `audit.${format}`,
    ),
};
