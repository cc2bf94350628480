import { client, type Reply, unwrap } from '../../shared/api/client';

export type Unit = Reply<'/api/v1/org/units', 'get'>['items'][number];
export type UnitKind = Unit['kind'];

export const orgApi = {
  units: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/org/units', { signal })),
};
