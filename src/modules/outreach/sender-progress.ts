import { sql } from 'kysely';
import type { Ctx } from '../context.ts';

/**
 * A mass send's progress per sender: their WeCom tasks, those they confirmed, their recipients (customers, or
 * groups for a group send), those sent, and why their latest failed task failed (e.g. a file not uploaded). One query for both kinds of send.
 */
export function senderProgress(ctx: Ctx, massSendId: number, target: 'customers' | 'groups') {
  const corpId = ctx.cdb.corpId;
  const [table, key] =
    target === 'groups' ? ['mass_send_groups', 'r.group_id'] : ['mass_send_recipients', 'r.customer_id'];
  return sql<{
    staff_id: number;
    name: string;
    unit_name: string;
    tasks: string;
    confirmed: string;
    expired: string;
    recipients: string;
    sent: string;
    error: string | null;
  }>`select s.id as staff_id, s.name, u.name as unit_name,
      (select count(*) from mass_send_tasks t where t.corp_id = ${corpId} and t.mass_send_id = ${massSendId} and t.staff_id = s.id) as tasks,
      (select count(*) from mass_send_tasks t where t.corp_id = ${corpId} and t.mass_send_id = ${massSendId} and t.staff_id = s.id and t.status = 'sent') as confirmed,
      (select count(*) from mass_send_tasks t where t.corp_id = ${corpId} and t.mass_send_id = ${massSendId} and t.staff_id = s.id and t.status = 'expired') as expired,
      count(${sql.ref(key)}) as recipients,
      count(${sql.ref(key)}) filter (where r.status = 'sent') as sent,
      (select t.error from mass_send_tasks t where t.corp_id = ${corpId} and t.mass_send_id = ${massSendId}
        and t.staff_id = s.id and t.status = 'failed' order by t.id desc limit 1) as error
    from ${sql.table(table)} r
    join staff s on s.corp_id = r.corp_id and s.id = r.staff_id
    join org_units u on u.corp_id = s.corp_id and u.id = s.unit_id
    where r.corp_id = ${corpId} and r.mass_send_id = ${massSendId} and r.task_id is not null
    group by s.id, s.name, u.name
    order by s.id`.execute(ctx.cdb.db);
}
