import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { assertUnitInScope } from '../org/index.ts';
import { type DidResult, diffInDiff, type UnitBeforeAfter } from './did.ts';
import { type Factors, factorsOf } from './gmv.ts';
import { addMonths, brandDay, gmvParts, monthOf, type Scope } from './service.ts';

/**
 * Pilots (PLAYBOOK §1): units that run a change (a journey, a linkage, a channel, a policy) from a day,
 * compared with the other stores of the caller's scope on the GMV factors before and after the start —
 * a difference-in-differences over stores, its 95 % interval from a seeded bootstrap over stores.
 */
export const PILOT_KINDS = ['journey', 'linkage', 'channel', 'policy'] as const;
export type PilotKind = (typeof PILOT_KINDS)[number];
export const PILOT_MEASURES = ['gmvFen', 'customers', 'conversion', 'repurchases', 'orderValueFen'] as const;
export type PilotMeasure = (typeof PILOT_MEASURES)[number];

export interface PilotInput {
  name: string;
  kind: PilotKind;
  note?: string;
  startsOn: string;
  endsOn?: string | null;
  unitIds: number[];
}

export interface Pilot {
  id: number;
  name: string;
  kind: PilotKind;
  note: string;
  startsOn: string;
  endsOn: string | null;
  units: { id: number; name: string }[];
  createdAt: string;
}

const n = (v: unknown) => Number(v ?? 0);
const visibleUnits = (ctx: Ctx): readonly number[] | null =>
  ctx.actor.seesWholeCorp ? null : ctx.actor.unitIds;

export async function createPilot(ctx: Ctx, input: PilotInput): Promise<Pilot> {
  const unitIds = [...new Set(input.unitIds)];
  for (const u of unitIds) assertUnitInScope(ctx.actor, u);
  if (input.endsOn && input.endsOn < input.startsOn)
    throw new AppError('bad_request', { zh: '结束日期早于开始日期', en: 'The end is before the start' });
  const corp = ctx.cdb.corpId;
  const id = await ctx.cdb.db.transaction().execute(async (tx) => {
    const { id } = await tx
      .insertInto('insight_pilots')
      .values({
        corp_id: corp,
        name: input.name,
        kind: input.kind,
        note: input.note ?? '',
        starts_on: input.startsOn,
        ends_on: input.endsOn ?? null,
        created_by: ctx.actor.accountId,
        created_at: ctx.clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('insight_pilot_units')
      .values(unitIds.map((u) => ({ corp_id: corp, pilot_id: id, unit_id: u })))
      .execute();
    return id;
  });
  const p = (await listPilots(ctx, id)).at(0);
  if (!p) throw notFound({ zh: '试点', en: 'Pilot' });
  return p;
}

/** Pilots with a unit inside the caller's scope (each listed with those units only). */
export async function listPilots(ctx: Ctx, id?: number): Promise<Pilot[]> {
  const units = visibleUnits(ctx);
  const r = await sql<Record<string, unknown>>`
    select p.id, p.name, p.kind, p.note, p.starts_on::text starts_on, p.ends_on::text ends_on, p.created_at,
      pu.unit_id, u.name unit_name
    from insight_pilots p
    join insight_pilot_units pu on pu.corp_id = p.corp_id and pu.pilot_id = p.id
    join org_units u on u.corp_id = pu.corp_id and u.id = pu.unit_id
    where p.corp_id = ${ctx.cdb.corpId} ${units ? sql`and pu.unit_id = any(${[...units]}::bigint[])` : sql``}
      ${id ? sql`and p.id = ${id}` : sql``}
    order by p.starts_on desc, p.id desc, u.id`.execute(ctx.cdb.db);
  const out = new Map<number, Pilot>();
  for (const x of r.rows) {
    const pid = n(x.id);
    let p = out.get(pid);
    if (!p) {
      p = {
        id: pid,
        name: String(x.name),
        kind: x.kind as PilotKind,
        note: String(x.note),
        startsOn: String(x.starts_on),
        endsOn: x.ends_on === null ? null : String(x.ends_on),
        units: [],
        createdAt: new Date(x.created_at as string).toISOString(),
      };
      out.set(pid, p);
    }
    p.units.push({ id: n(x.unit_id), name: String(x.unit_name) });
  }
  return [...out.values()];
}

/** Ends a pilot (today, or the given day), or deletes it; only when every unit of it is the caller's. */
export async function deletePilot(ctx: Ctx, id: number): Promise<void> {
  const all = await ctx.cdb.db
    .selectFrom('insight_pilot_units')
    .select('unit_id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('pilot_id', '=', id)
    .execute();
  const mine = all.filter((u) => ctx.actor.unitIds.includes(u.unit_id));
  if (mine.length === 0) throw notFound({ zh: '试点', en: 'Pilot' });
  if (mine.length < all.length)
    throw new AppError('forbidden', {
      zh: '该试点包含你权限范围外的组织，只能由上级删除',
      en: 'The pilot includes units outside your scope: a manager above you can delete it',
    });
  await ctx.cdb.db
    .deleteFrom('insight_pilots')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
}

export interface PilotEffect {
  pilot: Pilot;
  before: { from: string; to: string };
  after: { from: string; to: string };
  /** Per measure: the DiD over stores, null when either side has fewer than two stores with figures. */
  measures: Record<PilotMeasure, DidResult | null>;
  stores: {
    id: number;
    name: string;
    pilot: boolean;
    before: Factors;
    after: Factors;
  }[];
}

/**
 * The pilot's stores (its units' subtrees, inside the caller's scope) against the other stores of the scope:
 * each store's mean monthly factors over `months` brand months before the start month and from the start
 * month on (up to this month), then DiD per measure.
 */
export async function pilotEffect(ctx: Ctx, scope: Scope, id: number, months: number): Promise<PilotEffect> {
  const pilot = (await listPilots(ctx, id)).at(0);
  if (!pilot) throw notFound({ zh: '试点', en: 'Pilot' });
  const corp = ctx.cdb.corpId;
  const start = monthOf(pilot.startsOn);
  const now = monthOf(brandDay(ctx.clock.now()));
  const beforeMonths = Array.from({ length: months }, (_, i) => addMonths(start, i - months));
  const afterMonths: string[] = [];
  for (let i = 0; i < months; i++) {
    const m = addMonths(start, i);
    if (m > now || (pilot.endsOn && m > monthOf(pilot.endsOn))) break;
    afterMonths.push(m);
  }
  const stores = await sql<{ id: unknown; name: string; path: string }>`
    select u.id, u.name, u.path from org_units u
    where u.corp_id = ${corp} and u.kind = 'store'
      ${scope.units ? sql`and u.id = any(${[...scope.units]}::bigint[])` : sql``}
    order by u.id`.execute(ctx.cdb.db);
  const pilotPaths = await sql<{ path: string }>`
    select path from org_units where corp_id = ${corp} and id = any(${pilot.units.map((u) => u.id)}::bigint[])`.execute(
    ctx.cdb.db,
  );
  const isPilot = (path: string) => pilotPaths.rows.some((p) => path.startsWith(p.path));
  const perMonth = async (ms: string[]) => {
    const parts = await Promise.all(ms.map((m) => gmvParts(ctx, { ...scope, staffId: null }, m, 'store')));
    const byStore = new Map<string, Factors[]>();
    for (const list of parts)
      for (const s of stores.rows) {
        const p = list.find((r) => r.key === String(s.id)) ?? {
          customers: 0,
          buyers: 0,
          orders: 0,
          paidFen: 0,
        };
        byStore.set(String(s.id), [...(byStore.get(String(s.id)) ?? []), factorsOf(p)]);
      }
    return byStore;
  };
  const [before, after] = await Promise.all([perMonth(beforeMonths), perMonth(afterMonths)]);
  const avg = (fs: Factors[] | undefined): Factors => {
    const list = fs ?? [];
    const k = Math.max(1, list.length);
    const sum = (f: keyof Factors) => list.reduce((s, x) => s + x[f], 0) / k;
    return {
      customers: sum('customers'),
      conversion: sum('conversion'),
      repurchases: sum('repurchases'),
      orderValueFen: sum('orderValueFen'),
      gmvFen: sum('gmvFen'),
    };
  };
  const rows = stores.rows
    .map((s) => ({
      id: n(s.id),
      name: s.name,
      pilot: isPilot(s.path),
      before: avg(before.get(String(s.id))),
      after: avg(after.get(String(s.id))),
    }))
    // a store with no customers before the start has nothing to compare
    .filter((s) => s.before.customers > 0 && afterMonths.length > 0);
  const measures = {} as Record<PilotMeasure, DidResult | null>;
  for (const m of PILOT_MEASURES) {
    const units: UnitBeforeAfter[] = rows.map((s) => ({
      unitId: s.id,
      pilot: s.pilot,
      before: s.before[m],
      after: s.after[m],
    }));
    measures[m] = diffInDiff(units, { seed: id * 7919 + PILOT_MEASURES.indexOf(m) });
  }
  return {
    pilot,
    before: { from: beforeMonths[0]!, to: beforeMonths.at(-1)! },
    after: { from: start, to: afterMonths.at(-1) ?? start },
    measures,
    stores: rows,
  };
}
