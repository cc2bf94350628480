import { type RawBuilder, sql } from 'kysely';
import { AppError } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { complementFor, scopeCte } from '../segments/index.ts';
import { type Audience, audienceSql } from './audience.ts';
import { afterQuietHours, brandMonth, DEFAULT_BUDGET, HOUR_MS, inQuietHours, monthlyCapAt } from './rules.ts';
import { type SenderReason, type SenderRule, senderPick } from './senders.ts';
import { type BudgetEnv, loadBudgetEnv } from './touches.ts';

export const CONTENT_KINDS = ['coupon', 'product', 'trust', 'persona', 'event'] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];

/**
 * The content guard for coupon (price) content: `stop` (the default) holds the send while any recipient is
 * not price-sensitive; `price_sensitive_only` leaves those out; `override` sends to all (an HQ admin, with a
 * reason that is recorded).
 */
export const GUARD_MODES = ['stop', 'price_sensitive_only', 'override'] as const;
export type GuardMode = (typeof GUARD_MODES)[number];

export const EXCLUSIONS = [
  'not_friend',
  'no_follow_in_scope',
  'opted_out',
  'not_price_sensitive',
  'monthly_cap',
  'capped',
  'quiet_hours',
] as const;
export type Exclusion = (typeof EXCLUSIONS)[number];
export type PlanClass = 'receiving' | Exclusion;

export interface PlanInput {
  audience: Audience;
  senderRule: SenderRule;
  /** When it would go out. */
  at: Date;
  contentId?: number | null;
  contentKind?: ContentKind;
  guard?: GuardMode;
}

export interface PlanSample {
  id: number;
  name: string;
  staffId: number | null;
  staffName: string | null;
  senderReason: SenderReason | null;
}

export interface Plan {
  at: string;
  total: number;
  /** Customers it goes to now. */
  receiving: number;
  excluded: Record<Exclusion, number>;
  /** Capped and quiet-hours customers are deferred, not dropped: when they can receive it. */
  deferred: { quietHoursUntil: string | null; cappedUntil: string | null; monthlyCapUntil: string | null };
  samples: Record<PlanClass, PlanSample[]>;
  senders: { staffId: number; name: string; customers: number }[];
  guard: {
    applies: boolean;
    mode: GuardMode;
    threshold: number;
    /** Customers with a sender whose coupon share is below the threshold (or unknown). */
    notPriceSensitive: number;
    /** The send is held: coupon content, mode `stop`, and some recipients not price-sensitive. */
    blocked: boolean;
  };
}

export const SAMPLE_SIZE = 5;
/** The samples are looked for among the audience's highest ids, this many (see planAudience). */
export const SAMPLE_POOL = 2000;

/**
 * `with scope …, aud …, budgets …, tn …, cls …`: each audience member's sender and class (receiving or the first
 * exclusion that applies, in EXCLUSIONS' order), set-based. `cls` has id, staff_id, sender_reason, class,
 * ps (price-sensitive), quiet_until and capped_until. Nothing in it is materialized for an audience that may be
 * the whole brand: a statement that reads `cls` once and groups it runs in parallel workers, which PostgreSQL
 * never does over a materialized CTE (with the sender candidates, a plan for a brand of 1M on 2 cores went from
 * 6–8 s to 3–4.5 s). So a statement reads `cls` once.
 */
export async function classifyCte(ctx: Ctx, input: PlanInput, env: BudgetEnv): Promise<RawBuilder<unknown>> {
  return classify(ctx, input, env, await resolveAudience(ctx, input.audience));
}

/** The audience as a select of ids (audienceSql), resolved once per plan: a listed one is checked by id. */
async function resolveAudience(ctx: Ctx, audience: PlanInput['audience']): Promise<RawBuilder<unknown>> {
  return audienceSql(ctx, audience, 'customerIds' in audience ? undefined : await complementFor(ctx));
}

/** classifyCte over the resolved audience `ids`; `top` classifies only its highest `top` ids. */
function classify(
  ctx: Ctx,
  input: PlanInput,
  env: BudgetEnv,
  ids: RawBuilder<unknown>,
  opts: { top?: number } = {},
): RawBuilder<unknown> {
  const corpId = ctx.cdb.corpId;
  const at = input.at;
  const month = brandMonth(at);
  const rows = [...env.budgets].map(([unitId, b]) => {
    const quiet = inQuietHours(b, at) ? afterQuietHours(b, at) : null;
    return sql`(${unitId}::bigint, ${b.maxTouches}::int, ${b.windowHours}::int, ${quiet}::timestamptz)`;
  });
  const maxWindow = Math.max(
    DEFAULT_BUDGET.windowHours,
    ...[...env.budgets.values()].map((b) => b.windowHours),
  );
  const since = new Date(Math.min(month.start.getTime(), at.getTime() - maxWindow * HOUR_MS));
  const guarded = input.contentKind === 'coupon' && (input.guard ?? 'stop') !== 'override';
  const threshold = env.settings.priceSensitiveShare;
  const monthlyCap = monthlyCapAt(env.settings.monthlyCap, at);
  const defaultQuiet = inQuietHours(DEFAULT_BUDGET, at) ? afterQuietHours(DEFAULT_BUDGET, at) : null;
  const budgets = rows.length
    ? sql`select * from (values ${sql.join(rows)}) v(unit_id, max_touches, window_hours, quiet_until)`
    : sql`select null::bigint as unit_id, 0 as max_touches, 0 as window_hours, null::timestamptz as quiet_until where false`;
  const { at: pick, rank, reasonOfRank } = senderPick(ctx.actor, input.senderRule);
  // The brand's live touches since `since`, counted per customer for each budget window in use (a few) and
  // for this month's 群发. A small audience (listed, or its top ids) is materialized and its touches are read
  // customer by customer through touches_customer. Any other may be the whole brand: the touches are read
  // once, without the audience. (The planner cannot tell how many customers a CTE holds, so it is told.)
  const small = 'customerIds' in input.audience || opts.top !== undefined;
  const aud =
    opts.top !== undefined
      ? sql`aud as materialized (select id from (${ids}) a order by id desc limit ${opts.top})`
      : small
        ? sql`aud as materialized (${ids})`
        : sql`aud as not materialized (${ids})`;
  const windows = [
    ...new Set([DEFAULT_BUDGET.windowHours, ...[...env.budgets.values()].map((b) => b.windowHours)]),
  ];
  const inWindow = (h: number) =>
    sql`t.at > ${at}::timestamptz - ${h}::int * interval '1 hour' and t.at < ${at}::timestamptz + ${h}::int * interval '1 hour'`;
  const tn = sql`select t.customer_id as id,
      ${sql.join(windows.map((h, i) => sql`count(*) filter (where ${inWindow(h)}) as ${sql.ref(`w${i}`)}`))},
      count(*) filter (where t.wecom_mass and t.at >= ${month.start} and t.at < ${month.next}) as in_month,
      max(t.at) as last_at
    from touches t ${small ? sql`join aud on aud.id = t.customer_id` : sql``}
    where t.corp_id = ${corpId} and t.status <> 'released' and t.at > ${since}
    group by t.customer_id`;
  const windowHours = sql`coalesce(b.window_hours, ${DEFAULT_BUDGET.windowHours})`;
  const inWindowOf = sql`case ${windowHours} ${sql.join(
    windows.map((h, i) => sql`when ${h}::int then p.${sql.ref(`w${i}`)}`),
    sql` `,
  )} end`;
  const ps = sql`coalesce(p.coupon_share, 0) >= ${threshold}::real`;
  const quietUntil = sql`case when b.unit_id is null then ${defaultQuiet}::timestamptz else b.quiet_until end`;
  // One pass over the audience joining, one row each, its facts, opt-outs, touch counts and sender
  // candidates gives each customer's sender (the best candidate in the caller's scope), whether they are
  // anyone's friend at all, and what the budget needs.
  return sql`${scopeCte(ctx)},
    ${aud},
    budgets as (${budgets}),
    -- each customer's live touches around the moment, per budget window in use, and this month's 群发;
    -- inlined, the planner knows it has one row per customer and hashes it (materialized, it sorted the
    -- audience's 1M rows once more to merge-join it)
    tn as not materialized (${tn}),
    cls as not materialized (
      select p.id, p.staff_id, ${reasonOfRank(sql`p.sender_rank`)} as sender_reason, ${ps} as ps,
        ${quietUntil} as quiet_until,
        p.last_at + ${windowHours} * interval '1 hour' as capped_until,
        case
          when p.staff_id is null and not p.friend then 'not_friend'
          when p.staff_id is null then 'no_follow_in_scope'
          when p.opted_out then 'opted_out'
          when ${guarded} and not ${ps} then 'not_price_sensitive'
          when coalesce(p.in_month, 0) >= ${monthlyCap} then 'monthly_cap'
          when coalesce(${inWindowOf}, 0) >= coalesce(b.max_touches, ${DEFAULT_BUDGET.maxTouches}) then 'capped'
          when ${quietUntil} is not null then 'quiet_hours'
          else 'receiving'
        end as class
      from (
        select a.id, r.staff_ids[x.i] as staff_id, ${rank(sql`x.i`)} as sender_rank,
          coalesce(cf.top_unit_id, r.unit_ids[x.i]) as budget_unit,
          r.customer_id is not null as friend, o.customer_id is not null as opted_out, cf.coupon_share,
          ${sql.join(windows.map((_, i) => sql`tn.${sql.ref(`w${i}`)}`))}, tn.in_month, tn.last_at
        from aud a
        left join customer_facts cf on cf.corp_id = ${corpId} and cf.customer_id = a.id
        left join touch_opt_outs o on o.corp_id = ${corpId} and o.customer_id = a.id
        left join tn on tn.id = a.id
        left join sender_candidates r on r.corp_id = ${corpId} and r.customer_id = a.id
        cross join lateral (select ${pick} as i) x) p
      left join budgets b on b.unit_id = p.budget_unit)`;
}

/**
 * Runs a classification statement with JIT off. The planner cannot estimate joins over the statement's CTEs
 * (it guesses millions of rows for a 20,000-customer audience), and at such costs PostgreSQL compiles the
 * query first: 0.9 s of JIT for 0.2 s of work. PGlite has no JIT; the setting is accepted all the same.
 */
export function withoutJit<T>(cdb: Ctx['cdb'], run: (db: Ctx['cdb']['db']) => Promise<T>): Promise<T> {
  return cdb.transaction(async (tx) => {
    await sql`set local jit = off`.execute(tx.db);
    return run(tx.db);
  });
}

/**
 * Before anything is sent: how many of the audience receive it, how many are excluded and why (capped and
 * quiet hours are deferred to when they fit), a sample of each, the senders, and the content guard. One
 * pass over the whole audience, beside one over its highest ids for the samples.
 */
export async function planAudience(
  ctx: Ctx,
  input: PlanInput,
  opts: { samplePool?: number } = {},
): Promise<Plan> {
  const samplePool = Math.max(1, opts.samplePool ?? SAMPLE_POOL);
  const env = await loadBudgetEnv(ctx.cdb);
  const corpId = ctx.cdb.corpId;
  // The counts, senders and price-sensitivity come from one pass over cls, grouped by class and sender, in
  // parallel workers. The samples (each class's highest ids) are looked for among the audience's highest
  // SAMPLE_POOL ids only, at the same time; a class that has members but too few there (a rare one) gets a
  // pass of its own. (A sort of every customer by class and id, for the samples, was a third of the plan's
  // time at 1M.)
  const samplesOf = (cte: RawBuilder<unknown>, classes?: PlanClass[]) =>
    withoutJit(ctx.cdb, (db) =>
      sql<{ samples: unknown }>`${cte}
      select json_agg(json_build_object('class', x.class, 'id', x.id,
          'name', (select c.name from customers c where c.corp_id = ${corpId} and c.id = x.id),
          'staffId', x.staff_id,
          'staffName', (select s.name from staff s where s.corp_id = ${corpId} and s.id = x.staff_id),
          'senderReason', x.sender_reason) order by x.class, x.id desc) as samples
      from (select class, id, staff_id, sender_reason, row_number() over (partition by class order by id desc) as rn
        from cls ${classes ? sql`where class = any(${classes}::text[])` : sql``}) x
      where rn <= ${SAMPLE_SIZE}`.execute(db),
    );
  const ids = await resolveAudience(ctx, input.audience);
  const whole = classify(ctx, input, env, ids);
  const top = classify(ctx, input, env, ids, { top: samplePool });
  const [counted, pooled] = await Promise.all([
    withoutJit(ctx.cdb, (db) =>
      sql<{ groups: unknown }>`${whole},
      g as materialized (
        select class, staff_id, count(*) as n, min(quiet_until) as quiet, max(capped_until) as capped,
          count(*) filter (where not ps) as nps
        from cls group by class, staff_id)
      select json_agg(json_build_object('class', g.class, 'staffId', g.staff_id, 'name', s.name, 'n', g.n,
          'quiet', g.quiet, 'capped', g.capped, 'nps', g.nps)) as groups
      from g left join staff s on s.corp_id = ${corpId} and s.id = g.staff_id`.execute(db),
    ),
    samplesOf(top),
  ]);
  const groups = (
    (counted.rows[0]?.groups ?? []) as {
      class: PlanClass;
      staffId: number | string | null;
      name: string | null;
      n: number | string;
      quiet: string | null;
      capped: string | null;
      nps: number | string;
    }[]
  ).map((g) => ({ ...g, n: Number(g.n), nps: Number(g.nps) }));
  const n = (c: PlanClass) => groups.reduce((sum, g) => sum + (g.class === c ? g.n : 0), 0);
  const iso = (v: string | null | undefined) => (v ? new Date(v).toISOString() : null);
  const over = (c: PlanClass, pick: (a: string, b: string) => string, key: 'quiet' | 'capped') =>
    groups.reduce<string | null>((m, g) => {
      const v = g.class === c ? g[key] : null;
      return v === null ? m : m === null ? v : pick(m, v);
    }, null);
  const earlier = (a: string, b: string) => (new Date(a) <= new Date(b) ? a : b);
  const later = (a: string, b: string) => (new Date(a) >= new Date(b) ? a : b);
  const samples = Object.fromEntries(
    (['receiving', ...EXCLUSIONS] as PlanClass[]).map((c) => [c, [] as PlanSample[]]),
  ) as Record<PlanClass, PlanSample[]>;
  const take = (found: unknown) => {
    for (const s of (found ?? []) as (PlanSample & { class: PlanClass })[]) {
      const { class: c, ...rest } = s;
      samples[c].push({
        ...rest,
        id: Number(rest.id),
        staffId: rest.staffId === null ? null : Number(rest.staffId),
      });
    }
  };
  take(pooled.rows[0]?.samples);
  const short = (Object.keys(samples) as PlanClass[]).filter(
    (c) => samples[c].length < Math.min(SAMPLE_SIZE, n(c)),
  );
  if (short.length) {
    for (const c of short) samples[c] = [];
    take((await samplesOf(whole, short)).rows[0]?.samples);
  }
  // the senders: staff with customers who receive it now or later (deferred)
  const perStaff = new Map<number, { staffId: number; name: string; customers: number }>();
  for (const g of groups) {
    if (g.staffId === null || g.name === null) continue;
    if (g.class !== 'receiving' && g.class !== 'capped' && g.class !== 'quiet_hours') continue;
    const id = Number(g.staffId);
    const s = perStaff.get(id) ?? { staffId: id, name: g.name, customers: 0 };
    s.customers += g.n;
    perStaff.set(id, s);
  }
  const senders = [...perStaff.values()].sort((a, b) => b.customers - a.customers || a.staffId - b.staffId);
  const excluded = Object.fromEntries(EXCLUSIONS.map((e) => [e, n(e)])) as Record<Exclusion, number>;
  const total = groups.reduce((sum, g) => sum + g.n, 0);
  const mode = input.guard ?? 'stop';
  const applies = input.contentKind === 'coupon';
  const notPriceSensitive = groups.reduce((sum, g) => sum + (g.staffId !== null ? g.nps : 0), 0);
  const month = brandMonth(input.at);
  return {
    at: input.at.toISOString(),
    total,
    receiving: n('receiving'),
    excluded,
    deferred: {
      quietHoursUntil: iso(over('quiet_hours', earlier, 'quiet')),
      cappedUntil: iso(over('capped', later, 'capped')),
      monthlyCapUntil: n('monthly_cap') ? month.next.toISOString() : null,
    },
    samples,
    senders,
    guard: {
      applies,
      mode,
      threshold: env.settings.priceSensitiveShare,
      notPriceSensitive: applies ? notPriceSensitive : 0,
      blocked: applies && mode === 'stop' && notPriceSensitive > 0,
    },
  };
}

/** The guard's override is an HQ admin's, with a reason (recorded by the caller in the audit log). */
export function assertGuardAllowed(
  ctx: Ctx,
  input: { guard?: GuardMode; overrideReason?: string | null },
  opts: { needReason: boolean } = { needReason: true },
) {
  if (input.guard !== 'override') return;
  if (ctx.actor.role !== 'hq_admin' || !ctx.actor.seesWholeCorp) {
    throw new AppError('forbidden', {
      zh: '只有总部管理员可以越过优惠券内容保护',
      en: 'Only an HQ admin may override the coupon content guard',
    });
  }
  if (opts.needReason && !input.overrideReason?.trim()) {
    throw new AppError('bad_request', {
      zh: '越过优惠券内容保护需要填写原因',
      en: 'Overriding the coupon content guard needs a reason',
    });
  }
}
