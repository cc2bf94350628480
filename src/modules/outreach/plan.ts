import { type RawBuilder, sql } from 'kysely';
import { AppError } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { scopeCte } from '../segments/index.ts';
import { type Audience, audienceSql } from './audience.ts';
import { afterQuietHours, brandMonth, DEFAULT_BUDGET, HOUR_MS, inQuietHours, monthlyCapAt } from './rules.ts';
import { type SenderReason, type SenderRule, senderOrder, staffInScope } from './senders.ts';
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

/**
 * `with scope …, aud …, pf …, cls …`: each audience member's sender and class (receiving or the first
 * exclusion that applies, in EXCLUSIONS' order), set-based. `cls` has id, staff_id, sender_reason, class,
 * ps (price-sensitive), quiet_until and capped_until.
 */
export async function classifyCte(ctx: Ctx, input: PlanInput, env: BudgetEnv): Promise<RawBuilder<unknown>> {
  const corpId = ctx.cdb.corpId;
  const aud = await audienceSql(ctx, input.audience);
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
  const { rank, reason } = senderOrder(input.senderRule);
  // One pass over the audience and its active follows gives each customer's sender (the best follow in the
  // caller's scope), whether they are anyone's friend at all, and their facts; the rest joins to it. (Separate
  // sender and friend sets joined back to the audience made the planner, blind to how many distinct ids each
  // held, sort and merge 1M-row sets several times: 24 s for a brand of 1M.)
  const inScope = sql`coalesce(f.customer_id is not null and (${staffInScope(ctx.actor)}), false)`;
  return sql`${scopeCte(ctx)},
    aud as materialized (${aud}),
    pf as materialized (
      select distinct on (a.id) a.id,
        case when ${inScope} then f.staff_id end as staff_id,
        case when ${inScope} then ${reason} end as sender_reason,
        case when ${inScope} then s.unit_id end as staff_unit,
        f.customer_id is not null as friend, o.customer_id is not null as opted_out, cf.coupon_share, cf.top_unit_id
      from aud a
      left join customer_facts cf on cf.corp_id = ${corpId} and cf.customer_id = a.id
      left join touch_opt_outs o on o.corp_id = ${corpId} and o.customer_id = a.id
      left join (follows f join staff s on s.corp_id = f.corp_id and s.id = f.staff_id
          and f.status = 'active' and s.status = 'active')
        on f.corp_id = ${corpId} and f.customer_id = a.id
      order by a.id, ${inScope} desc, ${rank}, f.added_at desc, f.staff_id),
    budgets as (${budgets}),
    pre as materialized (
      select p.id, p.staff_id, p.sender_reason, p.friend, p.opted_out,
        coalesce(p.coupon_share, 0) >= ${threshold}::real as ps,
        coalesce(b.max_touches, ${DEFAULT_BUDGET.maxTouches}) as max_touches,
        coalesce(b.window_hours, ${DEFAULT_BUDGET.windowHours}) as window_hours,
        case when b.unit_id is null then ${defaultQuiet}::timestamptz else b.quiet_until end as quiet_until
      from pf p
      left join budgets b on b.unit_id = coalesce(p.top_unit_id, p.staff_unit)),
    -- each customer's live touches around the moment, against their own window, and this month's 群发
    tn as materialized (
      select t.customer_id as id,
        count(*) filter (where t.at > ${at}::timestamptz - pre.window_hours * interval '1 hour'
          and t.at < ${at}::timestamptz + pre.window_hours * interval '1 hour') as in_window,
        count(*) filter (where t.wecom_mass and t.at >= ${month.start} and t.at < ${month.next}) as in_month,
        max(t.at) as last_at
      from touches t
      join pre on pre.id = t.customer_id
      where t.corp_id = ${corpId} and t.status <> 'released' and t.at > ${since}
      group by t.customer_id),
    cls as materialized (
      select pre.id, staff_id, sender_reason, ps, quiet_until,
        tn.last_at + window_hours * interval '1 hour' as capped_until,
        case
          when staff_id is null and not friend then 'not_friend'
          when staff_id is null then 'no_follow_in_scope'
          when opted_out then 'opted_out'
          when ${guarded} and not ps then 'not_price_sensitive'
          when coalesce(tn.in_month, 0) >= ${monthlyCap} then 'monthly_cap'
          when coalesce(tn.in_window, 0) >= max_touches then 'capped'
          when quiet_until is not null then 'quiet_hours'
          else 'receiving'
        end as class
      from pre left join tn on tn.id = pre.id)`;
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
 * statement over the whole audience.
 */
export async function planAudience(ctx: Ctx, input: PlanInput): Promise<Plan> {
  const env = await loadBudgetEnv(ctx.cdb);
  const cte = await classifyCte(ctx, input, env);
  const { rows } = await withoutJit(ctx.cdb, (db) =>
    sql<{
      counts: unknown;
      samples: unknown;
      senders: unknown;
      nps: number | string;
    }>`${cte}
    select
      (select json_agg(json_build_object('class', class, 'n', n, 'quiet', quiet, 'capped', capped))
        from (select class, count(*) as n, min(quiet_until) as quiet, max(capped_until) as capped
              from cls group by class) g) as counts,
      (select json_agg(json_build_object('class', x.class, 'id', x.id, 'name', c.name, 'staffId', x.staff_id,
          'staffName', s.name, 'senderReason', x.sender_reason) order by x.class, x.id desc)
        from (select cls.*, row_number() over (partition by class order by id desc) as rn from cls) x
        join customers c on c.corp_id = ${ctx.cdb.corpId} and c.id = x.id
        left join staff s on s.corp_id = ${ctx.cdb.corpId} and s.id = x.staff_id
        where x.rn <= ${SAMPLE_SIZE}) as samples,
      (select json_agg(json_build_object('staffId', g.staff_id, 'name', s.name, 'customers', g.n)
          order by g.n desc, g.staff_id)
        from (select staff_id, count(*) as n from cls
              where class in ('receiving', 'capped', 'quiet_hours') group by staff_id) g
        join staff s on s.corp_id = ${ctx.cdb.corpId} and s.id = g.staff_id) as senders,
      (select count(*) from cls where staff_id is not null and not ps) as nps`.execute(db),
  );
  const row = rows[0]!;
  const counts = (row.counts ?? []) as {
    class: PlanClass;
    n: number;
    quiet: string | null;
    capped: string | null;
  }[];
  const n = (c: PlanClass) => Number(counts.find((x) => x.class === c)?.n ?? 0);
  const iso = (v: string | null | undefined) => (v ? new Date(v).toISOString() : null);
  const samples = Object.fromEntries(
    (['receiving', ...EXCLUSIONS] as PlanClass[]).map((c) => [c, [] as PlanSample[]]),
  ) as Record<PlanClass, PlanSample[]>;
  for (const s of (row.samples ?? []) as (PlanSample & { class: PlanClass })[]) {
    const { class: c, ...rest } = s;
    samples[c].push({
      ...rest,
      id: Number(rest.id),
      staffId: rest.staffId === null ? null : Number(rest.staffId),
    });
  }
  const excluded = Object.fromEntries(EXCLUSIONS.map((e) => [e, n(e)])) as Record<Exclusion, number>;
  const total = counts.reduce((sum, c) => sum + Number(c.n), 0);
  const mode = input.guard ?? 'stop';
  const applies = input.contentKind === 'coupon';
  const notPriceSensitive = Number(row.nps);
  const month = brandMonth(input.at);
  return {
    at: input.at.toISOString(),
    total,
    receiving: n('receiving'),
    excluded,
    deferred: {
      quietHoursUntil: iso(counts.find((c) => c.class === 'quiet_hours')?.quiet),
      cappedUntil: iso(counts.find((c) => c.class === 'capped')?.capped),
      monthlyCapUntil: n('monthly_cap') ? month.next.toISOString() : null,
    },
    samples,
    senders: ((row.senders ?? []) as { staffId: number; name: string; customers: number }[]).map((s) => ({
      staffId: Number(s.staffId),
      name: s.name,
      customers: Number(s.customers),
    })),
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
