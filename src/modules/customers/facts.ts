import { type RawBuilder, sql } from 'kysely';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import { publish, type SyncCtx } from '../context.ts';
import type { LifecycleStage, StageChanged } from '../events.ts';
import type { Tables } from '../tables.ts';
import { brandDay, DAY_MS, DEFAULT_SETTINGS, type LifecycleSettings, nextYearly, STAGES } from './rfm.ts';
import { foldTimeline, type TimelineEntry } from './timeline.ts';

/**
 * Derived customer facts (customer_facts): orders, LTV, coupon share, top store, RFM, lifecycle stage,
 * membership. Computed in SQL for a batch of customers per statement, with the rules of rfm.ts; a row is
 * written only when something in it changed (computed_at is when it last did), and a change of stage goes
 * on the customer's timeline with its cause.
 */

/** The background job that recomputes facts (module.ts runs it; the settings API wakes it). */
export const FACTS_JOB = 'customers.facts';

/** Customers per statement in a full recompute, and per read when looking for stale facts. */
const COMPUTE_BATCH = 1000;
const SCAN_BATCH = 5000;

export type StageCause = 'orders' | 'follows' | 'settings' | 'time';

export const STAGE_ZH: Record<LifecycleStage, string> = {
  new: '新客',
  active: '活跃',
  repeat: '复购',
  super: '超级用户',
  dormant: '沉睡',
  churned: '流失',
};

const CAUSE_ZH: Record<StageCause, string> = {
  orders: '订单变化',
  follows: '跟进关系变化',
  settings: '生命周期阈值调整',
  time: '时间推移',
};

/**
 * Recomputes the derived facts of these customers (after their orders, membership or follows changed: the
 * module subscribes to those events).
 */
export async function refreshFacts(ctx: SyncCtx, customerIds: number[]): Promise<void> {
  const ids = [...new Set(customerIds)];
  if (ids.length === 0) return;
  const { settings } = await lifecycleSettingsOf(ctx.cdb);
  for (let i = 0; i < ids.length; i += COMPUTE_BATCH) {
    await computeFacts(ctx, settings, ids.slice(i, i + COMPUTE_BATCH), 'time');
  }
}

/* ---------- settings ---------- */

export interface StoredSettings {
  settings: LifecycleSettings;
  /** Bumped by every change; a full recompute records the version it used. */
  version: number;
  recomputeVersion: number;
  settingsAt: Date | null;
  updatedBy: number | null;
  recompute: { startedAt: Date | null; finishedAt: Date | null; done: number; total: number };
  driftCheckedAt: Date | null;
}

export async function lifecycleSettingsOf(cdb: CorpDb<Tables>): Promise<StoredSettings> {
  const row = await cdb.db
    .selectFrom('lifecycle_settings')
    .selectAll()
    .where('corp_id', '=', cdb.corpId)
    .executeTakeFirst();
  if (!row) {
    return {
      settings: DEFAULT_SETTINGS,
      version: 0,
      recomputeVersion: 0,
      settingsAt: null,
      updatedBy: null,
      recompute: { startedAt: null, finishedAt: null, done: 0, total: 0 },
      driftCheckedAt: null,
    };
  }
  const four = (a: number[]) => a.map(Number) as [number, number, number, number];
  return {
    settings: {
      recencyDays: four(row.recency_days),
      frequencyOrders: four(row.frequency_orders),
      monetaryFen: four(row.monetary_fen),
      repeatOrders: row.repeat_orders,
      superMin: { r: row.super_min_r, f: row.super_min_f, m: row.super_min_m },
      dormantDays: row.dormant_days,
      churnedDays: row.churned_days,
    },
    version: row.settings_version,
    recomputeVersion: row.recompute_version,
    settingsAt: row.settings_at,
    updatedBy: row.updated_by,
    recompute: {
      startedAt: row.recompute_started_at,
      finishedAt: row.recompute_finished_at,
      done: row.recompute_done,
      total: row.recompute_total,
    },
    driftCheckedAt: row.drift_checked_at,
  };
}

const settingsColumns = (s: LifecycleSettings) => ({
  recency_days: s.recencyDays,
  frequency_orders: s.frequencyOrders,
  monetary_fen: s.monetaryFen,
  repeat_orders: s.repeatOrders,
  super_min_r: s.superMin.r,
  super_min_f: s.superMin.f,
  super_min_m: s.superMin.m,
  dormant_days: s.dormantDays,
  churned_days: s.churnedDays,
});

/** The row exists from the first time the brand's facts job or a recompute touches it (with the defaults). */
async function ensureSettingsRow(cdb: CorpDb<Tables>): Promise<void> {
  await cdb.db
    .insertInto('lifecycle_settings')
    .values({ corp_id: cdb.corpId, ...settingsColumns(DEFAULT_SETTINGS) })
    .onConflict((oc) => oc.column('corp_id').doNothing())
    .execute();
}

/** Stores new settings (already validated) and makes a full recompute due; the facts job runs it. */
export async function saveLifecycleSettings(
  cdb: CorpDb<Tables>,
  s: LifecycleSettings,
  by: { accountId: number; at: Date },
): Promise<void> {
  await ensureSettingsRow(cdb);
  await cdb.db
    .updateTable('lifecycle_settings')
    .set((eb) => ({
      ...settingsColumns(s),
      settings_version: eb('settings_version', '+', 1),
      settings_at: by.at,
      updated_by: by.accountId,
    }))
    .where('corp_id', '=', cdb.corpId)
    .execute();
}

/* ---------- the rules in SQL (rfm.ts in TypeScript) ---------- */

interface FactColumns {
  orderCount: RawBuilder<unknown>;
  paidFen: RawBuilder<unknown>;
  lastOrderAt: RawBuilder<unknown>;
  addedAt: RawBuilder<unknown>;
  followed: RawBuilder<unknown>;
}

const ago = (now: Date, days: number) => sql`${new Date(now.getTime() - days * DAY_MS)}::timestamptz`;

/** R, F, M as SQL over the given columns: null without orders (rfmScores). */
function scoresSql(c: FactColumns, now: Date, s: LifecycleSettings) {
  const passed = (parts: RawBuilder<unknown>[]) =>
    sql`case when ${c.orderCount} = 0 then null else (1 + ${sql.join(
      parts.map((p) => sql`(${p})::int`),
      sql` + `,
    )})::smallint end`;
  return {
    r: passed(s.recencyDays.map((d) => sql`${c.lastOrderAt} > ${ago(now, d)}`)),
    f: passed(s.frequencyOrders.map((n) => sql`${c.orderCount} >= ${n}::int`)),
    m: passed(s.monetaryFen.map((n) => sql`${c.paidFen} >= ${n}::bigint`)),
  };
}

/** The lifecycle stage as SQL over the given columns and scores (lifecycleStage). */
function stageSql(
  c: FactColumns,
  score: { r: RawBuilder<unknown>; f: RawBuilder<unknown>; m: RawBuilder<unknown> },
  now: Date,
  s: LifecycleSettings,
) {
  const last = sql`coalesce(${c.lastOrderAt}, ${c.addedAt})`;
  return sql<LifecycleStage>`case
    when not ${c.followed} or ${last} <= ${ago(now, s.churnedDays)} then 'churned'
    when ${last} <= ${ago(now, s.dormantDays)} then 'dormant'
    when ${c.orderCount} = 0 then 'new'
    when ${score.r} >= ${s.superMin.r}::int and ${score.f} >= ${s.superMin.f}::int
      and ${score.m} >= ${s.superMin.m}::int then 'super'
    when ${c.orderCount} >= ${s.repeatOrders}::int then 'repeat'
    else 'active' end`;
}

/* ---------- computing ---------- */

interface Changed {
  customer_id: number;
  old_stage: LifecycleStage | null;
  old_order_count: number | null;
  stage: LifecycleStage;
  order_count: number;
  paid_fen: number;
  last_order_at: Date | null;
  r_score: number | null;
  f_score: number | null;
  m_score: number | null;
  followed: boolean;
}

/**
 * One statement for the batch: aggregates orders and members, scores, stages, and upserts the rows that
 * changed; then the stage changes go on the timeline. A per-brand advisory lock serialises computations, so
 * two transactions adding orders for the same customer cannot each write facts that miss the other's orders.
 */
async function computeFacts(
  ctx: SyncCtx,
  s: LifecycleSettings,
  ids: number[],
  hint: 'time' | 'settings',
): Promise<number> {
  const now = ctx.clock.now();
  return ctx.cdb.transaction(async (tx) => {
    const corp = tx.corpId;
    await sql`select pg_advisory_xact_lock(hashtext('siyu.customer_facts'), hashtext(${corp}))`.execute(
      tx.db,
    );
    const col = (name: string) => sql.ref(`b.${name}`);
    const cols: FactColumns = {
      orderCount: col('order_count'),
      paidFen: col('paid_fen'),
      lastOrderAt: col('last_order_at'),
      addedAt: col('added_at'),
      followed: col('followed'),
    };
    const scores = scoresSql(cols, now, s);
    const sc = (name: string) => sql.ref(`sc.${name}`);
    const stage = stageSql(
      {
        orderCount: sc('order_count'),
        paidFen: sc('paid_fen'),
        lastOrderAt: sc('last_order_at'),
        addedAt: sc('added_at'),
        followed: sc('followed'),
      },
      { r: sc('r_score'), f: sc('f_score'), m: sc('m_score') },
      now,
      s,
    );
    const idList = sql`${ids}::bigint[]`;
    const { rows } = await sql<Changed>`
      with b as (
        select c.id as customer_id,
          coalesce(c.first_added_at, c.created_at) as added_at,
          coalesce(o.order_count, 0) as order_count,
          coalesce(o.paid_fen, 0) as paid_fen,
          o.first_order_at, o.last_order_at,
          coalesce(o.coupon_orders, 0) as coupon_orders,
          top.unit_id as top_unit_id,
          m.member_level, m.member_since, m.birthday,
          exists (select 1 from follows f
                  where f.corp_id = c.corp_id and f.customer_id = c.id and f.status = 'active') as followed
        from customers c
        left join (
          select customer_id, count(*)::int as order_count, sum(paid_fen)::bigint as paid_fen,
            min(ordered_at) as first_order_at, max(ordered_at) as last_order_at,
            (count(*) filter (where coupon_code is not null or coupon_fen > 0))::int as coupon_orders
          from orders where corp_id = ${corp} and customer_id = any(${idList})
          group by customer_id
        ) o on o.customer_id = c.id
        left join (
          -- the store of most orders; a tie goes to the one ordered from last, then to the lower id
          select distinct on (customer_id) customer_id, unit_id
          from orders where corp_id = ${corp} and customer_id = any(${idList}) and unit_id is not null
          group by customer_id, unit_id
          order by customer_id, count(*) desc, max(ordered_at) desc, unit_id
        ) top on top.customer_id = c.id
        left join (
          -- several member records (sources): the latest known level and birthday, the earliest join
          select customer_id,
            (array_agg(level order by updated_at desc, id desc) filter (where level is not null))[1]
              as member_level,
            min(joined_at) as member_since,
            (array_agg(birthday order by updated_at desc, id desc) filter (where birthday is not null))[1]
              as birthday
          from members where corp_id = ${corp} and customer_id = any(${idList})
          group by customer_id
        ) m on m.customer_id = c.id
        where c.corp_id = ${corp} and c.id = any(${idList})
      ),
      sc as (
        select b.*, ${scores.r} as r_score, ${scores.f} as f_score, ${scores.m} as m_score from b
      ),
      old as (
        select customer_id, stage, order_count from customer_facts
        where corp_id = ${corp} and customer_id = any(${idList})
      ),
      up as (
        insert into customer_facts as cf (corp_id, customer_id, order_count, paid_fen, first_order_at,
          last_order_at, coupon_orders, coupon_share, top_unit_id, r_score, f_score, m_score, stage,
          member_level, member_since, birthday, computed_at)
        select ${corp}, sc.customer_id, sc.order_count, sc.paid_fen, sc.first_order_at, sc.last_order_at,
          sc.coupon_orders,
          case when sc.order_count > 0 then (sc.coupon_orders::float8 / sc.order_count)::real end,
          sc.top_unit_id, sc.r_score, sc.f_score, sc.m_score, ${stage}, sc.member_level, sc.member_since,
          sc.birthday, ${now}::timestamptz
        from sc
        on conflict (corp_id, customer_id) do update set
          order_count = excluded.order_count, paid_fen = excluded.paid_fen,
          first_order_at = excluded.first_order_at, last_order_at = excluded.last_order_at,
          coupon_orders = excluded.coupon_orders, coupon_share = excluded.coupon_share,
          top_unit_id = excluded.top_unit_id, r_score = excluded.r_score, f_score = excluded.f_score,
          m_score = excluded.m_score, stage = excluded.stage, member_level = excluded.member_level,
          member_since = excluded.member_since, birthday = excluded.birthday,
          computed_at = excluded.computed_at
        where (cf.order_count, cf.paid_fen, cf.first_order_at, cf.last_order_at, cf.coupon_orders,
            cf.coupon_share, cf.top_unit_id, cf.r_score, cf.f_score, cf.m_score, cf.stage, cf.member_level,
            cf.member_since, cf.birthday)
          is distinct from (excluded.order_count, excluded.paid_fen, excluded.first_order_at,
            excluded.last_order_at, excluded.coupon_orders, excluded.coupon_share, excluded.top_unit_id,
            excluded.r_score, excluded.f_score, excluded.m_score, excluded.stage, excluded.member_level,
            excluded.member_since, excluded.birthday)
        returning cf.customer_id, cf.stage, cf.order_count, cf.paid_fen, cf.last_order_at, cf.r_score,
          cf.f_score, cf.m_score
      )
      select up.*, old.stage as old_stage, old.order_count as old_order_count, sc.followed
      from up join sc on sc.customer_id = up.customer_id
      left join old on old.customer_id = up.customer_id`.execute(tx.db);

    const entries: TimelineEntry[] = [];
    const changes: StageChanged[] = [];
    for (const r of rows) {
      // A first computation is the baseline, not a change.
      if (r.old_stage === null || r.old_stage === r.stage) continue;
      const cause: StageCause =
        r.old_order_count !== r.order_count
          ? 'orders'
          : hint === 'settings'
            ? 'settings'
            : (r.stage === 'churned' && !r.followed) || (r.old_stage === 'churned' && r.followed)
              ? 'follows'
              : 'time';
      changes.push({
        type: 'StageChanged',
        customerId: r.customer_id,
        from: r.old_stage,
        to: r.stage,
        cause,
        at: now.toISOString(),
      });
      entries.push(
        stageEntry(r.customer_id, r.old_stage, r.stage, cause, now, {
          r: r.r_score,
          f: r.f_score,
          m: r.m_score,
          orderCount: r.order_count,
          paidFen: r.paid_fen,
          lastOrderAt: r.last_order_at ? new Date(r.last_order_at).toISOString() : null,
        }),
      );
    }
    // Several changes of one cause in a day are one (orders arriving in batches: 新客 → 超级用户, not three).
    const dayStart = new Date(`${brandDay(now)}T00:00:00+08:00`);
    await foldTimeline(tx, entries, dayStart, (earlier, later) => {
      const data = later.data as { from: LifecycleStage; to: LifecycleStage; cause: StageCause };
      if (earlier.cause !== data.cause) return undefined;
      const from = earlier.from as LifecycleStage;
      return from === data.to
        ? null
        : stageEntry(later.customerId, from, data.to, data.cause, later.at, later.data!);
    });
    await publish({ ...ctx, cdb: tx }, changes);
    return rows.length;
  });
}

function stageEntry(
  customerId: number,
  from: LifecycleStage,
  to: LifecycleStage,
  cause: StageCause,
  at: Date,
  facts: Record<string, unknown>,
): TimelineEntry {
  return {
    customerId,
    kind: 'stage_changed',
    at,
    summary: `生命周期：${STAGE_ZH[from]} → ${STAGE_ZH[to]}（${CAUSE_ZH[cause]}）`,
    data: { ...facts, from, to, cause },
  };
}

/* ---------- full recompute and the facts job ---------- */

export interface RecomputeResult {
  customers: number;
  /** Rows written (new or changed). */
  changed: number;
}

/**
 * Recomputes every customer of the brand, in keyset batches of short transactions, reporting progress
 * (also kept in lifecycle_settings for the console). `cause` labels the stage changes it finds.
 */
export async function recomputeAllFacts(
  ctx: SyncCtx,
  onProgress?: (done: number, total: number) => void,
  cause: 'time' | 'settings' = 'time',
): Promise<RecomputeResult> {
  const { cdb } = ctx;
  await ensureSettingsRow(cdb);
  const stored = await lifecycleSettingsOf(cdb);
  const { n } = await cdb.db
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('corp_id', '=', cdb.corpId)
    .executeTakeFirstOrThrow();
  const total = Number(n);
  const progress = (done: number, finished: boolean) =>
    cdb.db
      .updateTable('lifecycle_settings')
      .set({
        recompute_done: done,
        recompute_total: total,
        ...(finished ? { recompute_finished_at: ctx.clock.now() } : {}),
      })
      .where('corp_id', '=', cdb.corpId)
      .execute();
  await cdb.db
    .updateTable('lifecycle_settings')
    .set({
      recompute_version: stored.version,
      recompute_started_at: ctx.clock.now(),
      recompute_finished_at: null,
      recompute_done: 0,
      recompute_total: total,
    })
    .where('corp_id', '=', cdb.corpId)
    .execute();
  onProgress?.(0, total);

  let after = 0;
  let done = 0;
  let changed = 0;
  for (;;) {
    const batch = await cdb.db
      .selectFrom('customers')
      .select('id')
      .where('corp_id', '=', cdb.corpId)
      .where('id', '>', after)
      .orderBy('id')
      .limit(COMPUTE_BATCH)
      .execute();
    if (batch.length === 0) break;
    changed += await computeFacts(
      ctx,
      stored.settings,
      batch.map((b) => b.id),
      cause,
    );
    after = batch[batch.length - 1]!.id;
    done = Math.min(total, done + batch.length);
    await progress(done, false);
    onProgress?.(done, total);
  }
  await progress(done, true);
  return { customers: done, changed };
}

/**
 * Finds the customers whose stored facts no longer hold without any new event — time moved their R or
 * their stage (a customer becomes dormant by not ordering), a follow ended, they have no row yet — and
 * recomputes those. Reads customer_facts in keyset batches; writes nothing when nothing moved.
 */
export async function refreshStaleFacts(ctx: SyncCtx): Promise<number> {
  const { cdb } = ctx;
  const { settings } = await lifecycleSettingsOf(cdb);
  const now = ctx.clock.now();
  const cols: FactColumns = {
    orderCount: sql.ref('cf.order_count'),
    paidFen: sql.ref('cf.paid_fen'),
    lastOrderAt: sql.ref('cf.last_order_at'),
    addedAt: sql`coalesce(c.first_added_at, c.created_at)`,
    followed: sql`exists (select 1 from follows f
      where f.corp_id = c.corp_id and f.customer_id = c.id and f.status = 'active')`,
  };
  const scores = scoresSql(cols, now, settings);
  const stage = stageSql(cols, scores, now, settings);
  let after = 0;
  let refreshed = 0;
  for (;;) {
    const { rows } = await sql<{ id: number; stale: boolean }>`
      select c.id, (cf.customer_id is null
        or (cf.r_score, cf.f_score, cf.m_score, cf.stage)
          is distinct from (${scores.r}, ${scores.f}, ${scores.m}, ${stage})) as stale
      from (select * from customers where corp_id = ${cdb.corpId} and id > ${after}
            order by id limit ${SCAN_BATCH}) c
      left join customer_facts cf on cf.corp_id = c.corp_id and cf.customer_id = c.id
      order by c.id`.execute(cdb.db);
    if (rows.length === 0) break;
    const stale = rows.filter((r) => r.stale).map((r) => r.id);
    for (let i = 0; i < stale.length; i += COMPUTE_BATCH) {
      await computeFacts(ctx, settings, stale.slice(i, i + COMPUTE_BATCH), 'time');
    }
    refreshed += stale.length;
    after = rows[rows.length - 1]!.id;
  }
  return refreshed;
}

/**
 * One run of the brand's facts job: a full recompute when the settings changed since the last one,
 * otherwise, at most every `driftEveryMs`, the pass over stale facts. Returns what it did.
 */
export async function runFactsJob(
  ctx: SyncCtx,
  opts: { driftEveryMs: number; onProgress?: (done: number, total: number) => void },
): Promise<'recomputed' | 'refreshed' | 'idle'> {
  await ensureSettingsRow(ctx.cdb);
  const stored = await lifecycleSettingsOf(ctx.cdb);
  if (stored.recomputeVersion < stored.version) {
    await recomputeAllFacts(ctx, opts.onProgress, 'settings');
    return 'recomputed';
  }
  const now = ctx.clock.now();
  if (stored.driftCheckedAt && now.getTime() - stored.driftCheckedAt.getTime() < opts.driftEveryMs) {
    return 'idle';
  }
  await refreshStaleFacts(ctx);
  await ctx.cdb.db
    .updateTable('lifecycle_settings')
    .set({ drift_checked_at: now })
    .where('corp_id', '=', ctx.cdb.corpId)
    .execute();
  return 'refreshed';
}

/* ---------- reading ---------- */

export type KeyDate =
  | { kind: 'birthday'; date: string; inDays: number }
  | { kind: 'member_anniversary'; date: string; inDays: number; years: number };

/** The next birthday and membership anniversary, soonest first (brand days). */
export function keyDatesOf(f: { birthday: string | null; memberSince: string | null }, now: Date): KeyDate[] {
  const today = brandDay(now);
  const out: KeyDate[] = [];
  if (f.birthday) {
    const { date, inDays } = nextYearly(f.birthday, today);
    out.push({ kind: 'birthday', date, inDays });
  }
  if (f.memberSince) out.push({ kind: 'member_anniversary', ...nextYearly(f.memberSince, today, 1) });
  return out.sort((a, b) => a.inDays - b.inDays);
}

/** A customer's facts card for the profile; null until the facts are first computed. */
export async function factsCard(ctx: SyncCtx, customerId: number) {
  const row = await ctx.cdb.db
    .selectFrom('customer_facts as cf')
    .leftJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'cf.corp_id').onRef('u.id', '=', 'cf.top_unit_id'),
    )
    .selectAll('cf')
    .select('u.name as top_unit_name')
    .where('cf.corp_id', '=', ctx.cdb.corpId)
    .where('cf.customer_id', '=', customerId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    stage: row.stage,
    rfm: row.r_score === null ? null : { r: row.r_score, f: row.f_score!, m: row.m_score! },
    paidFen: row.paid_fen,
    orderCount: row.order_count,
    firstOrderAt: row.first_order_at?.toISOString() ?? null,
    lastOrderAt: row.last_order_at?.toISOString() ?? null,
    topUnit: row.top_unit_id ? { id: row.top_unit_id, name: row.top_unit_name ?? '' } : null,
    couponOrders: row.coupon_orders,
    couponShare: row.coupon_share === null ? null : Math.round(row.coupon_share * 1000) / 1000,
    memberLevel: row.member_level,
    memberSince: row.member_since,
    birthday: row.birthday,
    keyDates: keyDatesOf({ birthday: row.birthday, memberSince: row.member_since }, ctx.clock.now()),
    computedAt: row.computed_at.toISOString(),
  };
}

/** How many of the brand's customers are at each stage (customers without facts yet are not counted). */
export async function stageCounts(cdb: CorpDb<Tables>): Promise<Record<LifecycleStage, number>> {
  const rows = await cdb.db
    .selectFrom('customer_facts')
    .select(['stage', (eb) => eb.fn.countAll<number>().as('n')])
    .where('corp_id', '=', cdb.corpId)
    .groupBy('stage')
    .execute();
  const counts = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<LifecycleStage, number>;
  for (const r of rows) counts[r.stage] = Number(r.n);
  return counts;
}
