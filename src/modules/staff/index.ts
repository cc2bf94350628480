export { cardPath, PERSONA_LIST, type Persona } from './persona.ts';
export { JOURNEY_ROLES, PERSONAS } from './routes.ts';
export type { StaffTable } from './schema.ts';
export { staffCountsByUnit } from './service.ts';
export { unitsByDepartment, upsertStaffFromWecom, type WecomUser } from './sync.ts';
