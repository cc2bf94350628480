import type { CorpDb } from '../../platform/db/corp-db.ts';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import { CANCEL_GROUPMSG_SEND } from '../../wecom/paths.ts';
import type { Tables } from '../tables.ts';

/** Withdraws a mass send's WeCom task (cancel_groupmsg_send) through the outbox, once per task. */
export function queueTaskCancel(tx: CorpDb<Tables>, taskId: number, msgid: string, now: Date) {
  return enqueueOutbox(
    jobsDb(tx.db),
    tx.corpId,
    { idemKey: `outreach:cancel:${taskId}`, lane: 'normal', kind: CANCEL_GROUPMSG_SEND, request: { msgid } },
    now,
  );
}
