export { TRANSFER_STATUSES, type TransferKind, type TransferStatus } from './schema.ts';
export { FOLLOW_UP_JOB, followUp, startDeparture, startReassign } from './service.ts';
