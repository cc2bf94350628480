export { audienceIds, countAudience, listAudience } from './compile.ts';
export type { Rule } from './rule.ts';
export { createLayering, createSegment } from './service.ts';
