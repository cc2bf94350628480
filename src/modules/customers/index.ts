export { assertMayAsk, type CustomerQuestion, tagsInView } from './access.ts';
export { changeCustomerTags, editCustomerTags, type TagChange } from './customer-tags.ts';
export {
  assertPhoneMode,
  customersFile,
  exportCustomers,
  PHONE_EXPORT_ROLES,
  PHONE_MODES,
  type PhoneMode,
  tooManyToExport,
} from './export.ts';
export { recomputeAllFacts, STAGE_ZH, stageCounts } from './facts.ts';
export { followUpNote, type QuoteInput, quoteInput } from './quotes.ts';
export { DAY_MS, STAGES } from './rfm.ts';
export { namePinyin, searchText } from './rules.ts';
export {
  assertCustomerVisible,
  type CustomerScope,
  customerScopeOf,
  customersVisibleIn,
  listCustomers,
  visibleIn,
  visibleTo,
} from './service.ts';
export {
  customerIdByExternalUserid,
  endFollowFromWecom,
  endFollowsMissingFromSync,
  type StaffRef,
  setFollowRemark,
  upsertCustomerFromWecom,
  upsertCustomersFromWecom,
  type WecomContact,
  type WecomFollow,
} from './sync.ts';
export { startTagJob } from './tag-jobs.ts';
export { addTimeline, removeTimeline, type TimelineEntry, type TimelineKind } from './timeline.ts';
export { carryOverTransfers, type FollowTransfer } from './transfer-follow.ts';
