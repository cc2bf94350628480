import { type Kysely, sql } from 'kysely';
import { analyzeTables } from '../../platform/db/analyze.ts';
import { type CorpDb, corpDb, gatheredUntilCommit } from '../../platform/db/corp-db.ts';
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

/** Which customers a refresh takes: these ids, or every customer of the brand (a build from nothing). */
type Who = readonly number[] | 'all';

/** `and <col> = any(ids)`, or nothing for every customer. */
const among = (who: Who, col: string) =>
  who === 'all' ? sql`` : sql`and ${sql.ref(col)} = any(${[...who]}::bigint[])`;

/**
 * The rollups' levels and their key columns: per member, unit, channel and method (a member's own numbers);
 * per unit (HQ and region reads by total or store); per unit and member; per unit and channel; per channel
 * over the whole brand (HQ's reads by channel or method).
 */
const LEVELS = {
  key: ['staff_id', 'unit_id', 'channel_id', 'method'],
  unit: ['unit_id'],
  staff: ['staff_id', 'unit_id'],
  channel: ['unit_id', 'channel_id', 'method'],
  brand_channel: ['channel_id', 'method'],
} as const;
export type Level = keyof typeof LEVELS;
const ROLLUPS = ['daily', 'monthly', 'cohorts', 'stages', 'active'] as const;
export type Rollup = (typeof ROLLUPS)[number];
/** A rollup's table at a level: insight_daily (per key), insight_unit_daily, … */
export const rollupTable = (level: Level, name: Rollup) =>
  level === 'key' ? `insight_${name}` : `insight_${level}_${name}`;

/**
 * The set-based build of the (empty) rollups from every customer's mirror rows: one grouped insert per
 * per-key rollup over the whole brand, then the coarser levels summed from those. The key of a follow is its
 * member's; of a customer, their owner's (the member who added them first).
 */
async function buildRollups(cdb: Db): Promise<void> {
  await contributeTo(cdb, 'all', 1, 'key');
  for (const level of Object.keys(LEVELS) as Level[]) if (level !== 'key') await deriveLevel(cdb, level);
}

/** Each rollup's figures; the rest of its columns are its key. */
const MEASURES: Record<Rollup, string[]> = {
  daily: [
    'adds',
    'deletions',
    'staff_deletions',
    'welcomed',
    'new_customers',
    'lost_customers',
    'first_buyers',
  ],
  monthly: ['buyers', 'repeat_buyers', 'orders', 'paid_fen'],
  cohorts: ['customers', 'retained_7d', 'in_group', 'buyers', 'repeat_buyers'],
  stages: ['customers'],
  active: ['follows'],
};
const PERIODS: Record<Rollup, string[]> = {
  daily: ['day'],
  monthly: ['month', 'acq_month'],
  cohorts: ['acq_month', 'lost_month'],
  stages: ['stage'],
  active: [],
};

/**
 * The build's coarser levels (empty, like the rest): summed from the per-key rollups just built, which are
 * far fewer rows than the mirrors they came from.
 */
async function deriveLevel(cdb: Db, level: Level): Promise<void> {
  for (const name of ROLLUPS) {
    const keys = sql.raw([...PERIODS[name], ...LEVELS[level]].join(', '));
    const m = MEASURES[name];
    await sql`
      insert into ${sql.table(rollupTable(level, name))} (corp_id, ${keys}, ${sql.raw(m.join(', '))})
      select corp_id, ${keys}, ${sql.raw(m.map((c) => `sum(${c})`).join(', '))}
      from ${sql.table(rollupTable('key', name))} where corp_id = ${cdb.corpId}
      group by corp_id, ${keys}`.execute(cdb.db);
  }
}

/**
 * Adds the customers' contribution to a level's rollups, or (`toDelta`, per key) appends it to the refresh's
 * delta tables.
 */
async function contributeTo(cdb: Db, who: Who, sign: 1 | -1, level: Level, toDelta = false): Promise<void> {
  const corp = cdb.corpId;
  const t = Object.fromEntries(
    ROLLUPS.map((r) => [r, toDelta ? deltaTable(r) : rollupTable(level, r)]),
  ) as Record<Rollup, string>;
  const k = sql.raw(LEVELS[level].join(', '));
  const ck = sql.raw(LEVELS[level].map((c) => `c.${c}`).join(', '));
  const s = sql.lit(sign);
  const upsert = (table: string, cols: string[]) => (toDelta ? sql`` : addOnConflict(table, cols));
  await sql`
    insert into ${sql.table(t.daily)} as r (corp_id, day, ${k}, adds, deletions, staff_deletions, welcomed,
      new_customers, lost_customers, first_buyers)
    select ${corp}, day, ${k}, ${s} * sum(a), ${s} * sum(del), ${s} * sum(sd), ${s} * sum(w), ${s} * sum(nc),
      ${s} * sum(lc), ${s} * sum(fb)
    from (
      select added_day as day, ${k}, 1 as a, 0 as del, 0 as sd, welcomed::int as w, 0 as nc, 0 as lc, 0 as fb
      from insight_follows where corp_id = ${corp} ${among(who, 'customer_id')}
      union all
      select ended_day, ${k}, 0, coalesce((ended_by = 'customer')::int, 0),
        coalesce((ended_by = 'staff')::int, 0), 0, 0, 0, 0
      from insight_follows where corp_id = ${corp} ${among(who, 'customer_id')} and ended_day is not null
      union all
      select acquired_day, ${k}, 0, 0, 0, 0, 1, 0, 0
      from insight_customers where corp_id = ${corp} ${among(who, 'customer_id')}
      union all
      select lost_day, ${k}, 0, 0, 0, 0, 0, 1, 0
      from insight_customers where corp_id = ${corp} ${among(who, 'customer_id')} and lost_day is not null
      union all
      select first_order_day, ${k}, 0, 0, 0, 0, 0, 0, 1
      from insight_customers where corp_id = ${corp} ${among(who, 'customer_id')} and first_order_day is not null
    ) x
    group by day, ${k}
    ${upsert(t.daily, ['adds', 'deletions', 'staff_deletions', 'welcomed', 'new_customers', 'lost_customers', 'first_buyers'])}`.execute(
    cdb.db,
  );
  await sql`
    insert into ${sql.table(t.monthly)} as r (corp_id, month, acq_month, ${k}, buyers, repeat_buyers, orders,
      paid_fen)
    select ${corp}, b.month, date_trunc('month', c.acquired_day)::date, ${ck}, ${s} * count(*),
      ${s} * count(*) filter (where b.orders >= 2), ${s} * sum(b.orders), ${s} * sum(b.paid_fen)
    from insight_buyer_months b
    join insight_customers c on c.corp_id = b.corp_id and c.customer_id = b.customer_id
    where b.corp_id = ${corp} ${among(who, 'b.customer_id')}
    group by b.month, date_trunc('month', c.acquired_day)::date, ${ck}
    ${upsert(t.monthly, ['buyers', 'repeat_buyers', 'orders', 'paid_fen'])}`.execute(cdb.db);
  await sql`
    insert into ${sql.table(t.cohorts)} as r (corp_id, acq_month, lost_month, ${k}, customers, retained_7d,
      in_group, buyers, repeat_buyers)
    select ${corp}, date_trunc('month', acquired_day)::date,
      coalesce(date_trunc('month', lost_day)::date, ${NEVER}::date), ${k},
      ${s} * count(*), ${s} * count(*) filter (where retained_7d), ${s} * count(*) filter (where in_group),
      ${s} * count(*) filter (where order_count >= 1), ${s} * count(*) filter (where order_count >= 2)
    from insight_customers where corp_id = ${corp} ${among(who, 'customer_id')}
    group by 2, 3, ${k}
    ${upsert(t.cohorts, ['customers', 'retained_7d', 'in_group', 'buyers', 'repeat_buyers'])}`.execute(
    cdb.db,
  );
  await sql`
    insert into ${sql.table(t.active)} as r (corp_id, ${k}, follows)
    select ${corp}, ${k}, ${s} * count(*)
    from insight_follows where corp_id = ${corp} ${among(who, 'customer_id')} and ended_day is null
    group by ${k}
    ${upsert(t.active, ['follows'])}`.execute(cdb.db);
  await sql`
    insert into ${sql.table(t.stages)} as r (corp_id, stage, ${k}, customers)
    select ${corp}, stage, ${k}, ${s} * count(*)
    from insight_customers where corp_id = ${corp} ${among(who, 'customer_id')}
    group by stage, ${k}
    ${upsert(t.stages, ['customers'])}`.execute(cdb.db);
}

const addOnConflict = (table: string, cols: string[]) =>
  sql.raw(
    `on conflict on constraint ${table}_pkey do update set ${cols.map((c) => `${c} = r.${c} + excluded.${c}`).join(', ')}`,
  );
const deltaTable = (name: Rollup) => `insight_delta_${name}`;

/**
 * A refresh's change to the rollups, per key, in temporary tables dropped at its commit: the old
 * contributions (−) and the new ones (+) of its customers, appended.
 */
async function openDelta(cdb: Db): Promise<void> {
  for (const name of ROLLUPS)
    await sql`create temp table ${sql.table(deltaTable(name))} (like ${sql.table(rollupTable('key', name))})
      on commit drop`.execute(cdb.db);
}

/** Adds the refresh's net change to every level's rollups: one grouped upsert each, none for a net zero. */
async function applyDelta(cdb: Db): Promise<void> {
  for (const level of Object.keys(LEVELS) as Level[])
    for (const name of ROLLUPS) {
      const table = rollupTable(level, name);
      const keys = sql.raw([...PERIODS[name], ...LEVELS[level]].join(', '));
      const m = MEASURES[name];
      await sql`
        insert into ${sql.table(table)} as r (corp_id, ${keys}, ${sql.raw(m.join(', '))})
        select corp_id, ${keys}, ${sql.raw(m.map((c) => `sum(${c})`).join(', '))}
        from ${sql.table(deltaTable(name))}
        group by corp_id, ${keys}
        having ${sql.raw(m.map((c) => `sum(${c}) <> 0`).join(' or '))}
        ${addOnConflict(table, m)}`.execute(cdb.db);
    }
}

/** Rebuilds the mirror rows of these customers from the raw tables (follows, channel adds, orders, facts). */
async function mirror(cdb: Db, who: Who): Promise<void> {
  const corp = cdb.corpId;
  // a build fills the mirrors inside its transaction: without fresh statistics the next statements' plans
  // take them for empty (index lookups per row instead of hash joins)
  const analyze = async (t: string) => {
    if (who === 'all') await analyzeTables(cdb.db as Kysely<unknown>, [t]);
  };
  for (const t of ['insight_buyer_months', 'insight_customers', 'insight_follows'])
    await sql`delete from ${sql.table(t)} where corp_id = ${corp} ${among(who, 'customer_id')}`.execute(
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
    where f.corp_id = ${corp} ${among(who, 'f.customer_id')}`.execute(cdb.db);
  await analyze('insight_follows');
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
      where f.corp_id = ${corp} ${among(who, 'f.customer_id')}
      order by f.customer_id, f.added_at, f.id
    ) o
    join (
      select customer_id, count(*) filter (where ended_day is null) as active, max(ended_day) as last_end
      from insight_follows where corp_id = ${corp} ${among(who, 'customer_id')} group by customer_id
    ) a on a.customer_id = o.customer_id
    left join customer_facts cf on cf.corp_id = ${corp} and cf.customer_id = o.customer_id`.execute(cdb.db);
  await analyze('insight_customers');
  // Private-domain orders: placed from the day the customer came, up to the month they left.
  await sql`
    insert into insight_buyer_months (corp_id, customer_id, month, orders, paid_fen)
    select ${corp}, o.customer_id, ${bmonth('o.ordered_at')}, count(*), sum(o.paid_fen)
    from orders o join insight_customers c on c.corp_id = o.corp_id and c.customer_id = o.customer_id
    where o.corp_id = ${corp} ${among(who, 'o.customer_id')}
      and ${bday('o.ordered_at')} >= c.acquired_day
      and (c.lost_day is null or ${bmonth('o.ordered_at')} <= date_trunc('month', c.lost_day)::date)
    group by 2, 3`.execute(cdb.db);
  await analyze('insight_buyer_months');
  await sql`
    update insight_customers c set order_count = x.n, first_order_day = x.first
    from (
      select o.customer_id, count(*) as n, min(${bday('o.ordered_at')}) as first
      from orders o join insight_customers c2 on c2.corp_id = o.corp_id and c2.customer_id = o.customer_id
      where o.corp_id = ${corp} ${among(who, 'o.customer_id')}
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
    await lockInsight(tx);
    await openDelta(tx);
    await contributeTo(tx, ids, -1, 'key', true);
    await mirror(tx, ids);
    await contributeTo(tx, ids, 1, 'key', true);
    await applyDelta(tx);
  });
}

/** One refresh or build of a brand's rollups at a time. */
const lockInsight = (tx: Db) =>
  sql`select pg_advisory_xact_lock(hashtext('siyu.insight'), hashtext(${tx.corpId}))`.execute(tx.db);

/**
 * Marks customers stale (a subscriber does, in the transaction of the change); the marks of one transaction
 * (an add marks its customer for ContactAdded and again for ChannelAttributed) are written once, before it
 * commits.
 */
const dirty = gatheredUntilCommit((cdb: Db, ids: number[]) => [
  {
    name: 'insight_dirty_marks',
    sql: sql`insert into insight_dirty (corp_id, customer_id)
      select ${cdb.corpId}, unnest(${[...new Set(ids)]}::bigint[]) on conflict do nothing`,
  },
]);
export const markDirty = dirty.add;

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

/**
 * Builds a brand's rollups from nothing (the demo build, a first start, the bench), set-based: the mirrors of
 * every customer in one statement each, then one grouped insert per rollup, in one transaction (the
 * dashboards keep the old figures until it commits). Customers marked stale before it are taken by it.
 */
export async function rebuildInsight(cdb: Db): Promise<number> {
  return cdb.transaction(async (tx) => {
    await lockInsight(tx);
    // the build's hash joins and aggregates are over every customer: let them stay in memory
    await sql`set local work_mem = '256MB'`.execute(tx.db);
    // and no JIT: compiling these few big statements costs more than it saves
    await sql`set local jit = off`.execute(tx.db);
    for (const t of [
      ...(Object.keys(LEVELS) as Level[]).flatMap((l) => ROLLUPS.map((r) => rollupTable(l, r))),
      'insight_buyer_months',
      'insight_customers',
      'insight_follows',
      'insight_dirty',
    ])
      await sql`delete from ${sql.table(t)} where corp_id = ${tx.corpId}`.execute(tx.db);
    await mirror(tx, 'all');
    await buildRollups(tx);
    const r = await sql<{ n: unknown }>`
      select count(*) n from insight_customers where corp_id = ${tx.corpId}`.execute(tx.db);
    return Number(r.rows[0]?.n ?? 0);
  });
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
