export {
  type AuditEntry,
  type Budget,
  type BudgetAnswer,
  recordAudit,
  recordWithinBudget,
} from './service.ts';
