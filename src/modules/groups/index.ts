export { type RoutingDecision, routeCustomerToGroup } from './routing.ts';
export { dismissGroupFromWecom, upsertGroupFromWecom, type WecomGroupChat } from './sync.ts';
