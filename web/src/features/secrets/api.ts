import { client, type Reply, unwrap } from '../../shared/api/client';

export type Integration = Reply<'/api/v1/integrations', 'get'>['items'][number];

export const secretsApi = {
  /** Integrator secrets for /hooks, newest first (never the secret itself). */
  list: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/integrations', { signal })),
  /** A new secret for a source: the answer is the only time it is shown. */
  create: (source: string) => unwrap(client.POST('/api/v1/integrations', { body: { source } })),
  revoke: (id: number) =>
    unwrap(client.POST('/api/v1/integrations/{id}/revoke', { params: { path: { id } } })),
};
