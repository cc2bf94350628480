import { client, type Query, type Reply, unwrap } from '../../shared/api/client';

export type Staff = Reply<'/api/v1/staff/{id}', 'get'>;
export type Persona = Staff['persona'];
export type JourneyRole = Staff['journeyRole'];
export type StaffStatus = Staff['status'];
export type StaffQuery = Query<'/api/v1/staff', 'get'>;

export const staffApi = {
  staff: (query: StaffQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/staff', { params: { query }, signal })),
  staffById: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/staff/{id}', { params: { path: { id } }, signal })),
};
