import { type Body, client, type Query, type Reply, unwrap } from '../../shared/api/client';

export type Staff = Reply<'/api/v1/staff/{id}', 'get'>;
export type Persona = Staff['persona'];
export type JourneyRole = Staff['journeyRole'];
export type StaffStatus = Staff['status'];
export type PersonaMatrix = Reply<'/api/v1/staff/persona-matrix', 'get'>;
export type StaffCard = Reply<'/api/v1/staff/{id}/persona', 'get'>;
export type StaffQuery = Query<'/api/v1/staff', 'get'>;

export const staffApi = {
  staff: (query: StaffQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/staff', { params: { query }, signal })),
  staffById: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/staff/{id}', { params: { path: { id } }, signal })),
  personaMatrix: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/staff/persona-matrix', { signal })),
  myCard: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/staff/me/card', { signal })),
  card: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/staff/{id}/persona', { params: { path: { id } }, signal })),
  setPersona: (id: number, body: Body<'/api/v1/staff/{id}/persona', 'put'>) =>
    unwrap(client.PUT('/api/v1/staff/{id}/persona', { params: { path: { id } }, body })),
};
