import type { CorpDb } from '../../platform/db/corp-db.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { recordAudit } from '../audit/index.ts';
import type { Ctx } from '../context.ts';
import type { Tables } from '../tables.ts';
import { type Budget, type BudgetSettings, foldBudget, hhmm, minutesOf, pathIds } from './rules.ts';

type Cdb = CorpDb<Tables>;

/** The brand's outreach settings (defaults when never set). */
export interface OutreachSettings {
  /** WeCom's per-customer monthly receive cap; null = the days of the month. */
  monthlyCap: number | null;
  /** A customer whose coupon share is at least this is price-sensitive (content guard). */
  priceSensitiveShare: number;
  attributionDays: number;
}

export const DEFAULT_OUTREACH: OutreachSettings = {
  monthlyCap: null,
  priceSensitiveShare: 0.5,
  attributionDays: 7,
};

export async function outreachSettingsOf(cdb: Cdb): Promise<OutreachSettings> {
  const row = await cdb.db
    .selectFrom('outreach_settings')
    .select(['monthly_cap', 'price_sensitive_share', 'attribution_days'])
    .where('corp_id', '=', cdb.corpId)
    .executeTakeFirst();
  if (!row) return { ...DEFAULT_OUTREACH };
  return {
    monthlyCap: row.monthly_cap,
    priceSensitiveShare: Math.round(Number(row.price_sensitive_share) * 1000) / 1000,
    attributionDays: row.attribution_days,
  };
}

export async function setOutreachSettings(
  ctx: Ctx,
  input: Partial<OutreachSettings>,
): Promise<OutreachSettings> {
  const next = { ...(await outreachSettingsOf(ctx.cdb)), ...input };
  const now = ctx.clock.now();
  const values = {
    monthly_cap: next.monthlyCap,
    price_sensitive_share: next.priceSensitiveShare,
    attribution_days: next.attributionDays,
    updated_by: ctx.actor.accountId,
    updated_at: now,
  };
  await ctx.cdb.transaction(async (tx) => {
    await tx.db
      .insertInto('outreach_settings')
      .values({ corp_id: tx.corpId, ...values })
      .onConflict((oc) => oc.column('corp_id').doUpdateSet(values))
      .execute();
    await recordAudit({ ...ctx, cdb: tx }, { action: 'outreach.settings', details: { ...next } });
  });
  return next;
}

/** Every unit's effective budget (settings folded from the root down), in two reads. */
export async function budgetsByUnit(cdb: Cdb): Promise<Map<number, Budget>> {
  const [units, rows] = await Promise.all([
    cdb.db.selectFrom('org_units').select(['id', 'path']).where('corp_id', '=', cdb.corpId).execute(),
    settingsRows(cdb),
  ]);
  const own = new Map(rows.map((r) => [r.unitId, r]));
  return new Map(units.map((u) => [u.id, foldBudget(pathIds(u.path).map((id) => own.get(id)))]));
}

async function settingsRows(cdb: Cdb): Promise<(BudgetSettings & { unitId: number })[]> {
  const rows = await cdb.db
    .selectFrom('touch_budget_settings')
    .select(['unit_id', 'max_touches', 'window_hours', 'quiet_start', 'quiet_end'])
    .where('corp_id', '=', cdb.corpId)
    .execute();
  return rows.map((r) => ({
    unitId: r.unit_id,
    maxTouches: r.max_touches,
    windowHours: r.window_hours,
    quietStart: r.quiet_start,
    quietEnd: r.quiet_end,
  }));
}

async function unitPath(cdb: Cdb, unitId: number): Promise<number[]> {
  const unit = await cdb.db
    .selectFrom('org_units')
    .select('path')
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', unitId)
    .executeTakeFirst();
  if (!unit) throw notFound({ zh: '组织', en: 'Unit' });
  return pathIds(unit.path);
}

/** The budget that holds for a unit: its own settings, else its nearest ancestor's, else the defaults. */
export async function effectiveBudget(ctx: { cdb: Cdb }, unitId: number): Promise<Budget> {
  const path = await unitPath(ctx.cdb, unitId);
  const own = new Map((await settingsRows(ctx.cdb)).map((r) => [r.unitId, r]));
  return foldBudget(path.map((id) => own.get(id)));
}

export interface BudgetView {
  unitId: number;
  /** What this unit sets itself (null: inherited). */
  own: {
    maxTouches: number | null;
    windowHours: number | null;
    quiet: { start: string; end: string } | null;
  };
  effective: { maxTouches: number; windowHours: number; quiet: { start: string; end: string } | null };
  /** For each value, the unit it comes from (null: Siyu's default). */
  from: { maxTouches: number | null; windowHours: number | null; quiet: number | null };
}

const quietOf = (start: number, end: number) =>
  start === end ? null : { start: hhmm(start), end: hhmm(end) };

/** A unit's budget as the console shows it: its own values, the effective ones and where each comes from. */
export async function budgetView(ctx: Ctx, unitId: number): Promise<BudgetView> {
  unitInScope(ctx, unitId);
  const path = await unitPath(ctx.cdb, unitId);
  const own = new Map((await settingsRows(ctx.cdb)).map((r) => [r.unitId, r]));
  const chain = path.map((id) => own.get(id));
  const effective = foldBudget(chain);
  const from = (pick: (s: BudgetSettings) => unknown) => {
    for (let i = path.length - 1; i >= 0; i--) {
      const s = chain[i];
      if (s && pick(s) !== null) return path[i]!;
    }
    return null;
  };
  const mine = own.get(unitId);
  return {
    unitId,
    own: {
      maxTouches: mine?.maxTouches ?? null,
      windowHours: mine?.windowHours ?? null,
      quiet:
        mine && mine.quietStart !== null && mine.quietEnd !== null
          ? (quietOf(mine.quietStart, mine.quietEnd) ?? { start: '00:00', end: '00:00' })
          : null,
    },
    effective: {
      maxTouches: effective.maxTouches,
      windowHours: effective.windowHours,
      quiet: quietOf(effective.quietStart, effective.quietEnd),
    },
    from: {
      maxTouches: from((s) => s.maxTouches),
      windowHours: from((s) => s.windowHours),
      quiet: from((s) => s.quietStart),
    },
  };
}

export interface BudgetInput {
  maxTouches: number | null;
  windowHours: number | null;
  /** null inherits; start = end turns quiet hours off for this unit and below. */
  quiet: { start: string; end: string } | null;
}

/**
 * Sets a unit's own budget (null values inherit). A manager sets their own unit and those below it: an HQ
 * admin the whole brand, a region manager the region and its stores.
 */
export async function setBudget(ctx: Ctx, unitId: number, input: BudgetInput): Promise<BudgetView> {
  unitInScope(ctx, unitId);
  if (ctx.actor.role === 'staff') throw new AppError('forbidden');
  const now = ctx.clock.now();
  const values = {
    max_touches: input.maxTouches,
    window_hours: input.windowHours,
    quiet_start: input.quiet ? minutesOf(input.quiet.start) : null,
    quiet_end: input.quiet ? minutesOf(input.quiet.end) : null,
    updated_by: ctx.actor.accountId,
    updated_at: now,
  };
  await ctx.cdb.transaction(async (tx) => {
    await unitPath(tx, unitId);
    await tx.db
      .insertInto('touch_budget_settings')
      .values({ corp_id: tx.corpId, unit_id: unitId, ...values })
      .onConflict((oc) => oc.columns(['corp_id', 'unit_id']).doUpdateSet(values))
      .execute();
    await recordAudit(
      { ...ctx, cdb: tx },
      { action: 'outreach.budget', subject: `unit:${unitId}`, details: { ...input } },
    );
  });
  return budgetView(ctx, unitId);
}

/** A unit in the path: outside the caller's subtree it does not exist for them (404, as every path id). */
function unitInScope(ctx: Ctx, unitId: number): void {
  if (!ctx.actor.unitIds.includes(unitId)) throw notFound({ zh: '组织', en: 'Unit' });
}
