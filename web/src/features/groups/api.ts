import { type Body, client, type Query, type Reply, unwrap } from '../../shared/api/client';

export type GroupList = Reply<'/api/v1/groups', 'get'>;
export type GroupSummary = GroupList['items'][number];
export type GroupQuery = Query<'/api/v1/groups', 'get'>;
export type GroupDetail = Reply<'/api/v1/groups/{id}', 'get'>;
export type GroupType = NonNullable<GroupSummary['type']>;
export type Persona = GroupDetail['persona'];
export type Rollup = Reply<'/api/v1/groups/persona', 'get'>['units'][number];
export type CustomerGroups = Reply<'/api/v1/groups/customers/{customerId}', 'get'>;
export type GroupCode = Reply<'/api/v1/group-codes/{id}', 'get'>;
export type GroupCodeInput = Body<'/api/v1/group-codes', 'post'>;
export type RoutingRules = Reply<'/api/v1/group-routing/{unitId}', 'get'>;
export type GroupStats = Reply<'/api/v1/groups/stats', 'get'>;
export type StoreDay = GroupStats['items'][number];
export type RuleKind = RoutingRules['rules'][number]['kind'];

export const GROUP_TYPES = [
  'store',
  'welfare',
  'interest',
  'vip',
  'new_customer',
] as const satisfies readonly GroupType[];
export const RULE_KINDS = [
  'top_store',
  'interest_tag',
  'high_frequency',
  'first_visit',
  'coupon_heavy',
  'default',
] as const satisfies readonly RuleKind[];

export const groupsApi = {
  list: (query: GroupQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/groups', { params: { query }, signal })),
  group: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/groups/{id}', { params: { path: { id } }, signal })),
  setType: (id: number, type: GroupType | null) =>
    unwrap(client.PUT('/api/v1/groups/{id}/type', { params: { path: { id } }, body: { type } })),
  rollup: (signal?: AbortSignal) => unwrap(client.GET('/api/v1/groups/persona', { signal })),
  ofCustomer: (customerId: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/groups/customers/{customerId}', { params: { path: { customerId } }, signal })),
  stats: (query: Query<'/api/v1/groups/stats', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/groups/stats', { params: { query }, signal })),
  codes: (signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/group-codes', { params: { query: {} }, signal })),
  createCode: (body: GroupCodeInput) => unwrap(client.POST('/api/v1/group-codes', { body })),
  updateCode: (id: number, body: Body<'/api/v1/group-codes/{id}', 'patch'>) =>
    unwrap(client.PATCH('/api/v1/group-codes/{id}', { params: { path: { id } }, body })),
  rules: (unitId: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/group-routing/{unitId}', { params: { path: { unitId } }, signal })),
  setRules: (unitId: number, rules: Body<'/api/v1/group-routing/{unitId}', 'put'>['rules']) =>
    unwrap(client.PUT('/api/v1/group-routing/{unitId}', { params: { path: { unitId } }, body: { rules } })),
};
