export { attributeOrdersSince } from './attribution.ts';
export type { Audience } from './audience.ts';
export { type BudgetView, effectiveBudget, type OutreachSettings, outreachSettingsOf } from './budget.ts';
export { GROUP_CONFIRM_HOURS } from './group-sends.ts';
export {
  cancelMassSend,
  createMassSend,
  dispatchDue,
  followResults,
  getMassSend,
  MASS_SEND_JOB,
  type MassSendInput,
  remindMassSend,
} from './mass-sends.ts';
export { type ContentKind, type Plan, type PlanInput, planAudience } from './plan.ts';
export { ARCHIVE_JOB, readArchive } from './replies.ts';
export type { Budget, Refusal } from './rules.ts';
export type { TouchSourceKind } from './schema.ts';
export { pickSender, type SenderPick, type SenderRule } from './senders.ts';
export {
  type CustomerReply,
  markReplies,
  markTouchesSent,
  type ReserveTouchInput,
  type ReserveTouchResult,
  releaseTouch,
  reserveTouch,
  type TouchSource,
} from './touches.ts';
