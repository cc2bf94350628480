export { type BudgetView, effectiveBudget, type OutreachSettings, outreachSettingsOf } from './budget.ts';
export type { Budget, Refusal } from './rules.ts';
export type { TouchSourceKind } from './schema.ts';
export {
  markTouchesSent,
  type ReserveTouchInput,
  type ReserveTouchResult,
  releaseTouch,
  reserveTouch,
  type TouchSource,
} from './touches.ts';
