export {
  audienceIds,
  type Complement,
  complementFor,
  countAudience,
  listAudience,
  scopeCte,
} from './compile.ts';
export { exportSegmentMembers } from './members.ts';
export { checkRule, conditionsOf, type Rule, ruleSchema, ruleTree } from './rule.ts';
export { createLayering, createSegment, layerRule, storedRule, visibleSegment } from './service.ts';
