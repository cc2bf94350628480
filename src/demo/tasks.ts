import { type Ctx, syncCtxOf } from '../modules/context.ts';
import { subtreeUnitIds } from '../modules/org/index.ts';
import {
  completeTask,
  createTaskFor,
  dismissTask,
  REMINDER_JOB,
  type TaskKind,
} from '../modules/tasks/index.ts';
import type { Actor } from '../platform/actor.ts';
import { AppError } from '../platform/http/errors.ts';
import type { Runtime } from '../runtime.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BRAND_OFFSET = 8 * HOUR;

/** `days` days before today (brand time, UTC+8) at `hour`:`minute` brand time, as an instant. */
function brandDay(now: Date, days: number, hour: number, minute = 0): Date {
  const local = new Date(now.getTime() + BRAND_OFFSET);
  const day = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - days * DAY;
  return new Date(day + hour * HOUR + minute * 60_000 - BRAND_OFFSET);
}

/** At most `now`: a demo action never happens in the future. */
const notAfter = (at: Date, now: Date) => new Date(Math.min(at.getTime(), now.getTime()));

interface Plan {
  kind: TaskKind;
  title: string;
  note?: string;
  created: Date;
  due: Date;
  remindAt?: Date | null;
  /** done at, or dismissed with a reason; open otherwise */
  done?: Date;
  dismissed?: { at: Date; reason: string };
}

/** What a store's manager gives each of her front-line members, over the last days and the next two. */
function plansFor(now: Date, first: boolean): Plan[] {
  const plans: Plan[] = [
    {
      kind: 'call',
      title: '回访：新品杨枝甘露试饮感受',
      note: '问口味和甜度，记下少糖偏好',
      created: brandDay(now, 4, 10),
      due: brandDay(now, 3, 18),
      done: brandDay(now, 3, 15, 20),
    },
    {
      kind: 'send_script',
      title: '发送会员日话术：周三第二杯半价',
      created: brandDay(now, 3, 9, 30),
      due: brandDay(now, 2, 12),
      done: brandDay(now, 1, 11, 5),
    },
    {
      kind: 'birthday_care',
      title: '生日关怀：送生日券并问候',
      note: '生日券在会员中心可领，提醒 7 天内使用',
      created: brandDay(now, 2, 9),
      due: brandDay(now, 1, 20),
    },
    {
      kind: 'invite_group',
      title: '邀请加入门店福利群',
      created: brandDay(now, 0, 8, 30),
      due: new Date(Math.max(brandDay(now, 0, 21).getTime(), now.getTime() + 2 * HOUR)),
      remindAt: notAfter(brandDay(now, 0, 9), new Date(now.getTime() - 10 * 60_000)),
    },
    {
      kind: 'call',
      title: '回访：沉睡客唤醒，介绍秋季新品',
      created: brandDay(now, 0, 8, 40),
      due: brandDay(now, -2, 18),
    },
  ];
  if (first)
    plans.push({
      kind: 'custom',
      title: '更新朋友圈海报',
      created: brandDay(now, 3, 10),
      due: brandDay(now, 2, 18),
      dismissed: { at: brandDay(now, 2, 16), reason: '总部已统一发布，本店无需重复' },
    });
  return plans;
}

/**
 * Staff tasks (待办) of the demo brand, each through the services the console calls: every store's manager
 * gives two of her front-line members a call, a script to send, a birthday care, a group invitation and a
 * win-back call for customers they follow — done on time, done late, overdue, due today (its reminder time
 * passed), due in two days — and dismisses one. The members complete theirs at the times planned (a done
 * script takes a touch of the customer's budget; one the budget refuses stays open). Then the reminders
 * whose time has come go out through the outbox as WeCom app messages, into the simulator.
 */
export async function createDemoTasks(
  runtime: Runtime,
  corpId: string,
  now: Date,
): Promise<{ tasks: number; reminders: number }> {
  const base = syncCtxOf(runtime.deps, corpId);
  const { cdb } = base;
  const at = (actor: Actor, when: Date): Ctx => ({ ...base, actor, clock: { now: () => when } });
  const managers = await cdb.db
    .selectFrom('accounts')
    .select(['id', 'unit_id'])
    .where('corp_id', '=', corpId)
    .where('role', '=', 'store_manager')
    .orderBy('unit_id')
    .execute();
  let tasks = 0;
  for (const m of managers) {
    const manager: Actor = {
      corpId,
      accountId: m.id,
      role: 'store_manager',
      unitId: m.unit_id,
      unitIds: await subtreeUnitIds(cdb, m.unit_id),
      seesWholeCorp: false,
      staffId: null,
    };
    const members = await cdb.db
      .selectFrom('staff as s')
      .leftJoin('accounts as a', (j) =>
        j.onRef('a.corp_id', '=', 's.corp_id').onRef('a.staff_id', '=', 's.id').on('a.role', '=', 'staff'),
      )
      .select(['s.id', 'a.id as account_id'])
      .where('s.corp_id', '=', corpId)
      .where('s.unit_id', '=', m.unit_id)
      .where('s.status', '=', 'active')
      .where('s.journey_role', '=', 'store_staff')
      .where('s.title', 'is distinct from', '店长')
      .orderBy('a.id')
      .orderBy('s.id')
      .limit(2)
      .execute();
    for (const [i, member] of members.entries()) {
      const plans = plansFor(now, i === 0);
      const customers = await cdb.db
        .selectFrom('follows')
        .select('customer_id')
        .where('corp_id', '=', corpId)
        .where('staff_id', '=', member.id)
        .where('status', '=', 'active')
        .orderBy('customer_id', 'desc')
        .limit(plans.length)
        .execute();
      // the member acts as themself: with their login where they have one (the demo's front-line logins)
      const self: Actor = {
        corpId,
        accountId: member.account_id ?? 0,
        role: 'staff',
        unitId: m.unit_id,
        unitIds: [m.unit_id],
        seesWholeCorp: false,
        staffId: member.id,
      };
      for (const [j, plan] of plans.entries()) {
        const customerId = plan.kind === 'custom' ? null : customers[j]?.customer_id;
        if (customerId === undefined) continue;
        const task = await createTaskFor(at(manager, notAfter(plan.created, now)), {
          staffId: member.id,
          customerId,
          kind: plan.kind,
          title: plan.title,
          note: plan.note,
          dueAt: plan.due,
          remindAt: plan.remindAt,
        });
        tasks++;
        try {
          if (plan.done) await completeTask(at(self, plan.done), task.id, {});
          if (plan.dismissed)
            await dismissTask(at(manager, plan.dismissed.at), task.id, { reason: plan.dismissed.reason });
        } catch (err) {
          // a script the customer's touch budget refuses stays open, as it would in the console
          if (!(err instanceof AppError && err.code === 'conflict')) throw err;
        }
      }
    }
  }
  await runtime.runJob(REMINDER_JOB);
  await runtime.drain();
  const { n } = await cdb.db
    .selectFrom('tasks as t')
    .innerJoin('wecom_outbox as o', (j) =>
      j.onRef('o.corp_id', '=', 't.corp_id').onRef('o.id', '=', 't.reminder_outbox_id'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('t.corp_id', '=', corpId)
    .where('o.status', '=', 'done')
    .executeTakeFirstOrThrow();
  return { tasks, reminders: Number(n) };
}
