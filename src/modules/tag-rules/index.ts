export { applyKeywordRules, normalizeText } from './auto-rules.ts';
export type { TagRuleKind } from './schema.ts';
