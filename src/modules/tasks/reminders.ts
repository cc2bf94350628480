import { type Kysely, sql } from 'kysely';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import { RETRYABLE_ERRCODES } from '../../wecom/errors.ts';
import { MESSAGE_SEND } from '../../wecom/paths.ts';
import type { Deps } from '../context.ts';
import type { Tables } from '../tables.ts';
import type { TaskKind } from './schema.ts';
import { kindText } from './service.ts';

export const REMINDER_JOB = 'tasks.reminders';
/** A reminder WeCom never got (network, busy, limits, its retries used up) is queued again, this many times in all. */
export const REMINDER_ROUNDS = 3;
/** WeCom drops the same app message within this many seconds (enable_duplicate_check): a resend after a lost answer is not a second reminder. */
const DUPLICATE_CHECK_SECONDS = 4 * 3600;
const BATCH = 200;
/** A round is looked at again this long after it was queued: the outbox has settled it well before. */
export const REMINDER_RETRY_WINDOW_MS = 6 * 3600_000;

/** Brand time (UTC+8), e.g. 12月06日 18:00. */
function brandTime(d: Date): string {
  const t = new Date(d.getTime() + 8 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(t.getUTCMonth() + 1)}月${p(t.getUTCDate())}日 ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}`;
}

interface Due {
  corp_id: string;
  id: number;
  kind: TaskKind;
  title: string;
  note: string;
  due_at: Date;
  reminder_rounds: number;
  userid: string;
  customer_name: string | null;
  agent_id: string;
}

/** The app message of a task's reminder: the same for every round, so WeCom's duplicate check holds. */
export function reminderMessage(task: Due, publicUrl: string | undefined): Record<string, unknown> {
  const lines = [
    `${kindText(task.kind).zh}${task.customer_name ? ` · 客户：${task.customer_name}` : ''}`,
    `截止：${brandTime(task.due_at)}`,
    ...(task.note ? [task.note.slice(0, 120)] : []),
  ];
  const common = {
    agentid: Number(task.agent_id),
    touser: task.userid,
    enable_duplicate_check: 1,
    duplicate_check_interval: DUPLICATE_CHECK_SECONDS,
  };
  if (!publicUrl)
    return { ...common, msgtype: 'text', text: { content: `【待办】${task.title}\n${lines.join('\n')}` } };
  return {
    ...common,
    msgtype: 'textcard',
    textcard: {
      title: `待办：${task.title}`,
      description: lines.join('\n'),
      url: `${publicUrl.replace(/\/+$/, '')}/tasks/mine?task=${task.id}`,
      btntxt: '去处理',
    },
  };
}

/**
 * Reminders through WeCom's app messages, each through the outbox: open tasks whose reminder time has come
 * get it queued (once: the task keeps its outbox row); a queued one WeCom never got (failed on a network or
 * retryable error, or expired) is queued again, up to REMINDER_ROUNDS in all; one that may have reached
 * WeCom (`unknown`, or refused for good) is not. A brand without an app (no agent id) keeps its reminders
 * scheduled. Across brands, in batches.
 */
export async function sendDueReminders(deps: Deps): Promise<boolean> {
  const now = deps.clock.now();
  const retryable = [...RETRYABLE_ERRCODES];
  const since = new Date(now.getTime() - REMINDER_RETRY_WINDOW_MS);
  const queued = await deps.db.transaction().execute(async (tx) => {
    const pick = sql`select t.corp_id, t.id, t.kind, t.title, t.note, t.due_at, t.reminder_rounds, s.userid,
        c.name as customer_name, w.agent_id
      from tasks t
      join staff s on s.corp_id = t.corp_id and s.id = t.staff_id
      join wecom_connections w on w.corp_id = t.corp_id and w.agent_id is not null
      left join customers c on c.corp_id = t.corp_id and c.id = t.customer_id`;
    // due and never queued; or queued lately, and WeCom never got it (a network or retryable error that
    // used up the outbox's attempts, or it expired): each set read through its partial index
    const due = await sql<Due>`${pick}
      where t.status = 'open' and t.reminder_outbox_id is null and t.remind_at <= ${now}
      order by t.remind_at, t.id limit ${BATCH}
      for update of t skip locked`.execute(tx);
    const missed = await sql<Due>`${pick}
      join wecom_outbox o on o.corp_id = t.corp_id and o.id = t.reminder_outbox_id
      where t.status = 'open' and t.reminder_outbox_id is not null
        and t.reminder_rounds < ${REMINDER_ROUNDS} and t.reminder_queued_at > ${since}
        and (o.status = 'expired'
          or (o.status = 'failed' and (o.errcode is null or o.errcode = any(${retryable}::int[]))))
      order by t.reminder_queued_at, t.id limit ${BATCH}
      for update of t skip locked`.execute(tx);
    const rows = [...due.rows, ...missed.rows];
    for (const task of rows) {
      const round = task.reminder_rounds + 1;
      const { id } = await enqueueOutbox(
        jobsDb(tx as Kysely<Tables>),
        task.corp_id,
        {
          idemKey: `task-reminder:${task.id}:${round}`,
          lane: 'normal',
          kind: MESSAGE_SEND,
          request: reminderMessage(task, deps.settings.publicUrl),
        },
        now,
      );
      await tx
        .updateTable('tasks')
        .set({ reminder_outbox_id: id, reminder_rounds: round, reminder_queued_at: now })
        .where('corp_id', '=', task.corp_id)
        .where('id', '=', task.id)
        .execute();
    }
    return rows.length;
  });
  if (queued > 0) deps.wake.outbox();
  return queued >= BATCH;
}
