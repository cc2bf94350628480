export { customerOrders } from './following.ts';
export { importOrdersCli } from './import-cli.ts';
export { DEFAULT_SOURCE } from './import-service.ts';
export { ingestOrders, type OrderResult } from './ingest.ts';
export { SOURCE_PATTERN } from './integrations.ts';
export { ingestMembers, type MemberInput } from './members.ts';
export type { OrderInput } from './order-input.ts';
export type { IdentityKind } from './schema.ts';
