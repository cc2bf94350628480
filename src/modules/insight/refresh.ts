import { sql } from 'kysely';
import { type CorpDb, corpDb } from '../../platform/db/corp-db.ts';
import type { Deps } from '../context.ts';
import type { Tables } from '../tables.ts';

/** A brand day (UTC+8) of a timestamptz, whatever the session's time zone. */
export const bday = (col: string) => sql.raw(`((${col} at time zone 'UTC') + interval '8 hours')::date`);
/** The first day of the brand month of a timestamptz. */
const bmonth = (col: string) =>
  sql.raw(`date_trunc('month', (${col} at time zone 'UTC') + interval '8 hours')::date`);
/** Stands for "never lost" in insight_cohorts.lost_month. */
export const NEVER = '9999-12-01';

type Db = CorpDb<Tables>;

/**
 * Adds (sign 1) or subtracts (sign −1) the contribution of customers' mirror rows to every rollup. The key
 * of a follow is its member's; of a customer, their owner's (the member who added them first).
 */
async function contribute(cdb: Db, ids: readonly number[], sign: 1 | -1): Promise<void> {
  const corp = cdb.corpId;
  const arr = sql`${[...ids]}::bigint[]`;
  const s = sql.lit(sign);
  await sql`
    insert into insight_daily as d (corp_id, day, staff_id, unit_id, channel_id, method, adds, deletions,
      staff_deletions, welcomed, new_customers, lost_customers, first_buyers)
    select ${corp}, day, staff_id, unit_id, channel_id, method, ${s} * sum(a), ${s} * sum(del), ${s} * sum(sd),
      ${s} * sum(w), ${s} * sum(nc), ${s} * sum(lc), ${s} * sum(fb)
    from (
      select added_day as day, staff_id, unit_id, channel_id, method, 1 as a, 0 as del, 0 as sd,
        welcomed::int as w, 0 as nc, 0 as lc, 0 as fb
      from insight_follows where corp_id = ${corp} and customer_id = any(${arr})
      union all
      select ended_day, staff_id, unit_id, channel_id, method, 0, coalesce((ended_by = 'customer')::int, 0),
        coalesce((ended_by = 'staff')::int, 0), 0, 0, 0, 0
      from insight_follows where corp_id = ${corp} and customer_id = any(${arr}) and ended_day is not null
      union all
      select acquired_day, staff_id, unit_id, channel_id, method, 0, 0, 0, 0, 1, 0, 0
      from insight_customers where corp_id = ${corp} and customer_id = any(${arr})
      union all
      select lost_day, staff_id, unit_id, channel_id, method, 0, 0, 0, 0, 0, 1, 0
      from insight_customers where corp_id = ${corp} and customer_id = any(${arr}) and lost_day is not null
      union all
      select first_order_day, staff_id, unit_id, channel_id, method, 0, 0, 0, 0, 0, 0, 1
      from insight_customers where corp_id = ${corp} and customer_id = any(${arr}) and first_order_day is not null
    ) x
    group by day, staff_id, unit_id, channel_id, method
    on conflict (corp_id, day, unit_id, staff_id, channel_id, method) do update set
      adds = d.adds + excluded.adds, deletions = d.deletions + excluded.deletions,
      staff_deletions = d.staff_deletions + excluded.staff_deletions, welcomed = d.welcomed + excluded.welcomed,
      new_customers = d.new_customers + excluded.new_customers,
      lost_customers = d.lost_customers + excluded.lost_customers,
      first_buyers = d.first_buyers + excluded.first_buyers`.execute(cdb.db);
  await sql`
    insert into insight_monthly as m (corp_id, month, acq_month, staff_id, unit_id, channel_id, method, buyers,
      repeat_buyers, orders, paid_fen)
    select ${corp}, b.month, date_trunc('month', c.acquired_day)::date, c.staff_id, c.unit_id, c.channel_id,
      c.method, ${s} * count(*), ${s} * count(*) filter (where b.orders >= 2), ${s} * sum(b.orders),
      ${s} * sum(b.paid_fen)
    from insight_buyer_months b
    join insight_customers c on c.corp_id = b.corp_id and c.customer_id = b.customer_id
    where b.corp_id = ${corp} and b.customer_id = any(${arr})
    group by 2, 3, 4, 5, 6, 7
    on conflict (corp_id, month, unit_id, staff_id, channel_id, method, acq_month) do update set
      buyers = m.buyers + excluded.buyers, repeat_buyers = m.repeat_buyers + excluded.repeat_buyers,
      orders = m.orders + excluded.orders, paid_fen = m.paid_fen + excluded.paid_fen`.execute(cdb.db);
  await sql`
    insert into insight_cohorts as h (corp_id, acq_month, lost_month, staff_id, unit_id, channel_id, method,
      customers, retained_7d, in_group, buyers, repeat_buyers)
    select ${corp}, date_trunc('month', acquired_day)::date,
      coalesce(date_trunc('month', lost_day)::date, ${NEVER}::date), staff_id, unit_id, channel_id, method,
      ${s} * count(*), ${s} * count(*) filter (where retained_7d), ${s} * count(*) filter (where in_group),
      ${s} * count(*) filter (where order_count >= 1), ${s} * count(*) filter (where order_count >= 2)
    from insight_customers where corp_id = ${corp} and customer_id = any(${arr})
    group by 2, 3, 4, 5, 6, 7
    on conflict (corp_id, acq_month, unit_id, staff_id, channel_id, method, lost_month) do update set
      customers = h.customers + excluded.customers, retained_7d = h.retained_7d + excluded.retained_7d,
      in_group = h.in_group + excluded.in_group, buyers = h.buyers + excluded.buyers,
      repeat_buyers = h.repeat_buyers + excluded.repeat_buyers`.execute(cdb.db);
  await sql`
    insert into insight_active as v (corp_id, staff_id, unit_id, channel_id, method, follows)
    select ${corp}, staff_id, unit_id, channel_id, method, ${s} * count(*)
    from insight_follows where corp_id = ${corp} and customer_id = any(${arr}) and ended_day is null
    group by 2, 3, 4, 5
    on conflict (corp_id, unit_id, staff_id, channel_id, method) do update set
      follows = v.follows + excluded.follows`.execute(cdb.db);
  await sql`
    insert into insight_stages as g (corp_id, stage, staff_id, unit_id, channel_id, method, customers)
    select ${corp}, stage, staff_id, unit_id, channel_id, method, ${s} * count(*)
    from insight_customers where corp_id = ${corp} and customer_id = any(${arr})
    group by 2, 3, 4, 5, 6
    on conflict (corp_id, unit_id, staff_id, channel_id, method, stage) do update set
      customers = g.customers + excluded.customers`.execute(cdb.db);
}

/** Rebuilds the mirror rows of these customers from the raw tables (follows, channel adds, orders, facts). */
async function mirror(cdb: Db, ids: readonly number[]): Promise<void> {
  const corp = cdb.corpId;
  const arr = sql`${[...ids]}::bigint[]`;
  for (const t of ['insight_buyer_months', 'insight_customers', 'insight_follows'])
    await sql`delete from ${sql.table(t)} where corp_id = ${corp} and customer_id = any(${arr})`.execute(
      cdb.db,
    );
  await sql`
    insert into insight_follows (corp_id, follow_id, customer_id, staff_id, unit_id, channel_id, method,
      added_day, ended_day, ended_by, welcomed)
    select f.corp_id, f.id, f.customer_id, f.staff_id, s.unit_id, coalesce(ca.channel_id, 0),
      coalesce(ch.method, 'none'), ${bday('f.added_at')},
      case when f.status <> 'active' then ${bday('coalesce(f.ended_at, f.added_at)')} end,
      -- a follow ended 'transferred' (客户继承) is neither side's deletion: ended_by stays null
      case f.status when 'deleted_by_customer' then 'customer' when 'deleted_by_staff' then 'staff' end,
      coalesce(ca.welcome_key is not null and exists (
        select 1 from wecom_outbox o where o.corp_id = ca.corp_id and o.idem_key = ca.welcome_key
          and o.status = 'done'), false)
    from follows f
    join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
    left join channel_adds ca on ca.corp_id = f.corp_id and ca.customer_id = f.customer_id
      and ca.staff_id = f.staff_id and ca.added_at = f.added_at
    left join channels ch on ch.corp_id = ca.corp_id and ch.id = ca.channel_id
    where f.corp_id = ${corp} and f.customer_id = any(${arr})`.execute(cdb.db);
  await sql`
    insert into insight_customers (corp_id, customer_id, staff_id, unit_id, channel_id, method, acquired_day,
      lost_day, retained_7d, in_group, first_order_day, order_count, stage)
    select ${corp}, o.customer_id, o.staff_id, o.unit_id, o.channel_id, o.method, o.added_day,
      case when a.active = 0 then a.last_end end,
      a.active > 0 or a.last_end >= o.added_day + 7,
      exists (select 1 from group_members gm where gm.corp_id = ${corp} and gm.customer_id = o.customer_id),
      null, 0, coalesce(cf.stage, 'new')
    from (
      select distinct on (f.customer_id) f.customer_id, i.staff_id, i.unit_id, i.channel_id, i.method, i.added_day
      from follows f join insight_follows i on i.corp_id = f.corp_id and i.follow_id = f.id
      where f.corp_id = ${corp} and f.customer_id = any(${arr})
      order by f.customer_id, f.added_at, f.id
    ) o
    join (
      select customer_id, count(*) filter (where ended_day is null) as active, max(ended_day) as last_end
      from insight_follows where corp_id = ${corp} and customer_id = any(${arr}) group by customer_id
    ) a on a.customer_id = o.customer_id
    left join customer_facts cf on cf.corp_id = ${corp} and cf.customer_id = o.customer_id`.execute(cdb.db);
  // Private-domain orders: placed from the day the customer came, up to the month they left.
  await sql`
    insert into insight_buyer_months (corp_id, customer_id, month, orders, paid_fen)
    select ${corp}, o.customer_id, ${bmonth('o.ordered_at')}, count(*), sum(o.paid_fen)
    from orders o join insight_customers c on c.corp_id = o.corp_id and c.customer_id = o.customer_id
    where o.corp_id = ${corp} and o.customer_id = any(${arr})
      and ${bday('o.ordered_at')} >= c.acquired_day
      and (c.lost_day is null or ${bmonth('o.ordered_at')} <= date_trunc('month', c.lost_day)::date)
    group by 2, 3`.execute(cdb.db);
  await sql`
    update insight_customers c set order_count = x.n, first_order_day = x.first
    from (
      select o.customer_id, count(*) as n, min(${bday('o.ordered_at')}) as first
      from orders o join insight_customers c2 on c2.corp_id = o.corp_id and c2.customer_id = o.customer_id
      where o.corp_id = ${corp} and o.customer_id = any(${arr})
        and ${bday('o.ordered_at')} >= c2.acquired_day
        and (c2.lost_day is null or ${bmonth('o.ordered_at')} <= date_trunc('month', c2.lost_day)::date)
      group by o.customer_id
    ) x
    where c.corp_id = ${corp} and c.customer_id = x.customer_id`.execute(cdb.db);
}

/** Brings these customers' contributions up to date: old out, mirrors rebuilt, new in, in one transaction. */
export async function refreshCustomers(cdb: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await cdb.transaction(async (tx) => {
    await sql`select pg_advisory_xact_lock(hashtext('siyu.insight'), hashtext(${tx.corpId}))`.execute(tx.db);
    await contribute(tx, ids, -1);
    await mirror(tx, ids);
    await contribute(tx, ids, 1);
  });
}

/** Marks customers stale (a subscriber does, in the transaction of the change). */
export async function markDirty(cdb: Db, ids: readonly number[]): Promise<void> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  await sql`insert into insight_dirty (corp_id, customer_id)
    select ${cdb.corpId}, unnest(${unique}::bigint[]) on conflict do nothing`.execute(cdb.db);
}

/**
 * Refreshes up to `batch` stale customers of a brand: the marks are deleted first (locking them), so a change
 * committed while this runs marks the customer again and the next pass takes it. True when more remain.
 */
export async function refreshDirty(cdb: Db, batch = 2000): Promise<boolean> {
  return cdb.transaction(async (tx) => {
    const rows = await sql<{ customer_id: string | number }>`
      delete from insight_dirty where corp_id = ${tx.corpId} and customer_id in (
        select customer_id from insight_dirty where corp_id = ${tx.corpId} order by customer_id limit ${batch}
        for update skip locked)
      returning customer_id`.execute(tx.db);
    await refreshCustomers(
      tx,
      rows.rows.map((r) => Number(r.customer_id)),
    );
    return rows.rows.length === batch;
  });
}

/** Marks every customer whose group membership no longer matches their mirror (no event says it). */
export async function markGroupChanges(cdb: Db): Promise<void> {
  await sql`insert into insight_dirty (corp_id, customer_id)
    select c.corp_id, c.customer_id from insight_customers c
    where c.corp_id = ${cdb.corpId} and c.in_group <> exists (select 1 from group_members gm
      where gm.corp_id = c.corp_id and gm.customer_id = c.customer_id)
    on conflict do nothing`.execute(cdb.db);
}

/**
 * Marks the recent adds whose welcome went out after their customer was refreshed (the outbox sends it
 * within 20 s of the add, after the add's transaction): no event says it either.
 */
export async function markLateWelcomes(cdb: Db): Promise<void> {
  await sql`insert into insight_dirty (corp_id, customer_id)
    select distinct i.corp_id, i.customer_id from insight_follows i
    join follows f on f.corp_id = i.corp_id and f.id = i.follow_id
    join channel_adds ca on ca.corp_id = f.corp_id and ca.customer_id = f.customer_id
      and ca.staff_id = f.staff_id and ca.added_at = f.added_at
    join wecom_outbox o on o.corp_id = ca.corp_id and o.idem_key = ca.welcome_key and o.status = 'done'
    where i.corp_id = ${cdb.corpId} and not i.welcomed and i.added_day >= current_date - 2
    on conflict do nothing`.execute(cdb.db);
}

/** Builds a brand's rollups from nothing (the demo build, a first start): every customer, in batches. */
export async function rebuildInsight(cdb: Db, batch = 5000): Promise<number> {
  await cdb.transaction(async (tx) => {
    for (const t of [
      'insight_daily',
      'insight_monthly',
      'insight_cohorts',
      'insight_stages',
      'insight_active',
      'insight_buyer_months',
      'insight_customers',
      'insight_follows',
      'insight_dirty',
    ])
      await sql`delete from ${sql.table(t)} where corp_id = ${tx.corpId}`.execute(tx.db);
  });
  let after = 0;
  let n = 0;
  for (;;) {
    const r = await sql<{ id: string | number }>`
      select id from customers where corp_id = ${cdb.corpId} and id > ${after} order by id limit ${batch}`.execute(
      cdb.db,
    );
    if (r.rows.length === 0) return n;
    const ids = r.rows.map((x) => Number(x.id));
    await refreshCustomers(cdb, ids);
    n += ids.length;
    after = ids[ids.length - 1]!;
  }
}

export const INSIGHT_JOB = 'insight.rollups';

let lastGroupSweep = 0;
/** The job: every brand's stale customers, and once an hour the group memberships no event reports. */
export async function runInsightJob(deps: Deps): Promise<boolean> {
  const sweep = deps.clock.now().getTime() - lastGroupSweep > 3_600_000;
  const corps = await deps.db.selectFrom('corps').select('corp_id').execute();
  let more = false;
  for (const { corp_id } of corps) {
    const cdb = corpDb(deps.db, corp_id);
    if (sweep) await markGroupChanges(cdb);
    await markLateWelcomes(cdb);
    if (await refreshDirty(cdb)) more = true;
  }
  if (sweep) lastGroupSweep = deps.clock.now().getTime();
  return more;
}
