import { sql } from 'kysely';
import type { Ctx } from '../context.ts';
import {
  type Activity,
  activity,
  addDays,
  addMonths,
  brandDay,
  type GmvCompare,
  gmvCompare,
  monthOf,
  rollup,
  type Scope,
  stages,
} from './service.ts';

export type Alert =
  | { kind: 'deletions_spike'; channelId: number; channelName: string; deletions: number; baseline: number }
  | { kind: 'no_adds'; unitId: number; unitName: string };

export interface Home {
  today: string;
  weekStart: string;
  activity: { today: Activity; yesterday: Activity; week: Activity; lastWeek: Activity };
  gmv: { month: string; previousMonth: string; total: GmvCompare };
  stages: Record<string, number>;
  tasks: { dueToday: number; overdue: number; open: number };
  customers: number;
  alerts: Alert[];
}

/** Monday of the brand week of a day. */
export function weekStartOf(day: string): string {
  const dow = (new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7;
  return addDays(day, -dow);
}

/**
 * The home page (工作台) of a scope: today and this week against yesterday and last week, last month's GMV and
 * its factors against the month before's, customers by stage, tasks, and alerts.
 */
export async function home(ctx: Ctx, scope: Scope): Promise<Home> {
  const now = ctx.clock.now();
  const today = brandDay(now);
  const week = weekStartOf(today);
  // the last complete month against the one before: a month under way against a whole one misleads
  const month = addMonths(monthOf(today), -1);
  const prevMonth = addMonths(month, -1);
  const [t, y, w, lw, gmv, st, tasks, customers, alerts] = await Promise.all([
    activity(ctx, scope, today, addDays(today, 1)),
    activity(ctx, scope, addDays(today, -1), today),
    activity(ctx, scope, week, addDays(today, 1)),
    activity(ctx, scope, addDays(week, -7), week),
    gmvCompare(ctx, scope, month, prevMonth, 'total'),
    stages(ctx, scope),
    taskCounts(ctx, scope, today, now),
    ownedCustomers(ctx, scope),
    alertsOf(ctx, scope, today),
  ]);
  return {
    today,
    weekStart: week,
    activity: { today: t, yesterday: y, week: w, lastWeek: lw },
    gmv: { month, previousMonth: prevMonth, total: gmv[0]! },
    stages: st,
    tasks,
    customers,
    alerts,
  };
}

async function ownedCustomers(ctx: Ctx, scope: Scope): Promise<number> {
  const r = await sql<{ n: unknown }>`select sum(r.customers) n from ${rollup(scope, 'total', 'cohorts')} r
    where r.corp_id = ${ctx.cdb.corpId} and r.lost_month = '9999-12-01' ${scopeSql(scope)}`.execute(
    ctx.cdb.db,
  );
  return Number(r.rows[0]?.n ?? 0);
}

function scopeSql(scope: Scope) {
  return sql.join(
    [
      scope.units ? sql`and r.unit_id = any(${[...scope.units]}::bigint[])` : sql``,
      scope.staffId !== null ? sql`and r.staff_id = ${scope.staffId}` : sql``,
    ],
    sql` `,
  );
}

async function taskCounts(ctx: Ctx, scope: Scope, today: string, now: Date) {
  const dayStart = new Date(Date.parse(`${today}T00:00:00+08:00`));
  const dayEnd = new Date(dayStart.getTime() + 86_400_000);
  const r = await sql<{ due: unknown; overdue: unknown; open: unknown }>`
    select count(*) filter (where r.due_at >= ${now} and r.due_at < ${dayEnd}) due,
      count(*) filter (where r.due_at < ${now}) overdue, count(*) open
    from tasks r where r.corp_id = ${ctx.cdb.corpId} and r.status = 'open' ${scopeSql(scope)}`.execute(
    ctx.cdb.db,
  );
  const x = r.rows[0];
  return { dueToday: Number(x?.due ?? 0), overdue: Number(x?.overdue ?? 0), open: Number(x?.open ?? 0) };
}

/**
 * A channel whose customers' deletions over the last 7 days are at least 5 and more than twice its weekly
 * average of the 4 weeks before; a store of the scope with no add in the last 7 days.
 */
async function alertsOf(ctx: Ctx, scope: Scope, today: string): Promise<Alert[]> {
  const corp = ctx.cdb.corpId;
  const from = addDays(today, -6);
  const base = addDays(from, -28);
  const spikes = await sql<{ id: unknown; name: string; recent: unknown; before: unknown }>`
    select r.channel_id id, ch.name, sum(r.deletions) filter (where r.day >= ${from}::date) recent,
      sum(r.deletions) filter (where r.day < ${from}::date) before
    from ${rollup(scope, 'channel', 'daily')} r join channels ch on ch.corp_id = r.corp_id and ch.id = r.channel_id
    where r.corp_id = ${corp} and r.day >= ${base}::date and r.channel_id <> 0 and r.deletions > 0 ${scopeSql(scope)}
    group by 1, 2`.execute(ctx.cdb.db);
  const alerts: Alert[] = [];
  for (const s of spikes.rows) {
    const recent = Number(s.recent ?? 0);
    const baseline = Number(s.before ?? 0) / 4;
    if (recent >= 5 && recent > 2 * baseline)
      alerts.push({
        kind: 'deletions_spike',
        channelId: Number(s.id),
        channelName: s.name,
        deletions: recent,
        baseline,
      });
  }
  if (scope.staffId === null) {
    const quiet = await sql<{ id: unknown; name: string }>`
      select u.id, u.name from org_units u
      where u.corp_id = ${corp} and u.kind = 'store'
        ${scope.units ? sql`and u.id = any(${[...scope.units]}::bigint[])` : sql``}
        and not exists (select 1 from insight_unit_daily r where r.corp_id = u.corp_id and r.unit_id = u.id
          and r.day >= ${from}::date and r.adds > 0)
      order by u.id limit 20`.execute(ctx.cdb.db);
    for (const q of quiet.rows) alerts.push({ kind: 'no_adds', unitId: Number(q.id), unitName: q.name });
  }
  return alerts;
}
