export { createGroupCode } from './codes.ts';
export { changeGroupOwners } from './owner.ts';
export { type RoutingDecision, routeCustomerToGroup, setRoutingRules } from './routing.ts';
export { dismissGroupFromWecom, upsertGroupFromWecom, type WecomGroupChat } from './sync.ts';
