export { type AudienceGroup, type GroupAudience, groupAudience } from './audience.ts';
export { createGroupCode } from './codes.ts';
export { changeGroupOwners } from './owner.ts';
export { type PersonaFigures, personaOfAdmittedGroup, personaSchema } from './persona.ts';
export { type RoutingDecision, routeCustomerToGroup, setRoutingRules } from './routing.ts';
export { GROUP_TYPES, type GroupType } from './schema.ts';
export { pullGroupStats, STATS_JOB } from './stats.ts';
export { dismissGroupFromWecom, upsertGroupFromWecom, type WecomGroupChat } from './sync.ts';
