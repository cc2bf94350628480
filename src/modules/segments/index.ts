export { audienceIds, countAudience, listAudience } from './compile.ts';
export { exportSegmentMembers } from './members.ts';
export type { Rule } from './rule.ts';
export { createLayering, createSegment } from './service.ts';
