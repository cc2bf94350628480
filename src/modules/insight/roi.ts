import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { CHANNEL_METHODS } from '../channels/index.ts';
import type { Ctx } from '../context.ts';
import { ExcelNumber, type GridCell, readGrid } from '../orders/index.ts';
import { assertUnitInScope } from '../org/index.ts';
import { outreachSettingsOf } from '../outreach/index.ts';
import { addMonths, brandDay, monthOf, type Scope } from './service.ts';

/**
 * CAC and ROI (PLAYBOOK §9): spend entered per channel, method or campaign (a mass send) and brand month by a
 * unit; CAC = spend ÷ new customers, ROI = attributed GMV ÷ spend. A unit's spend is its subtree's figures:
 * a store manager enters and sees only their stores'.
 *
 * - new customers of a channel or method: customers acquired in the month (their first add) by that channel
 *   or method, owned inside the spending unit's subtree;
 * - attributed GMV of a channel or method: what those customers paid within `windowDays` of their
 *   acquisition day (brand days; the window is stated with the figures);
 * - a campaign's new customers are the customers who ordered through it, and its GMV the orders the
 *   outreach engine credited to it (the latest touch within the brand's attribution window);
 * - a journey (客户旅程) is a campaign that never ends: its figures for a month are the orders of that month
 *   credited to its touches (source id `journey:node:enrolment:seq`), its spend the month's.
 */
export type TargetKind = 'channel' | 'method' | 'campaign' | 'journey';
export const TARGET_KINDS = ['channel', 'method', 'campaign', 'journey'] as const;

export interface SpendInput {
  unitId: number;
  targetKind: TargetKind;
  targetKey: string;
  /** A brand month, YYYY-MM-01. */
  month: string;
  amountFen: number;
  note?: string;
}

const n = (v: unknown) => Number(v ?? 0);

/** The units whose spend the caller sees (null: all). Front-line staff have no spend. */
const visibleUnits = (ctx: Ctx): readonly number[] | null =>
  ctx.actor.seesWholeCorp ? null : ctx.actor.unitIds;

async function checkTarget(ctx: Ctx, kind: TargetKind, key: string): Promise<void> {
  const corp = ctx.cdb.corpId;
  const bad = (zh: string, en: string) => new AppError('bad_request', { zh, en });
  if (kind === 'method') {
    if (!(CHANNEL_METHODS as string[]).includes(key))
      throw bad(`未知的引流方式 ${key}`, `Unknown acquisition method ${key}`);
    return;
  }
  if (!/^[1-9]\d{0,15}$/.test(key)) throw bad('对象应为编号', 'The target must be an id');
  if (kind === 'channel') {
    const ch = await ctx.cdb.db
      .selectFrom('channels')
      .select('id')
      .where('corp_id', '=', corp)
      .where('id', '=', Number(key))
      .executeTakeFirst();
    if (!ch) throw bad(`渠道 ${key} 不存在`, `Channel ${key} does not exist`);
    return;
  }
  const units = visibleUnits(ctx);
  if (kind === 'journey') {
    const j = await ctx.cdb.db
      .selectFrom('journeys')
      .select('id')
      .where('corp_id', '=', corp)
      .where('id', '=', Number(key))
      .$if(units !== null, (q) => q.where('unit_id', 'in', units ?? []))
      .executeTakeFirst();
    if (!j) throw bad(`旅程 ${key} 不存在或不在你的范围内`, `Journey ${key} is not one you can see`);
    return;
  }
  const ms = await ctx.cdb.db
    .selectFrom('mass_sends')
    .select('id')
    .where('corp_id', '=', corp)
    .where('id', '=', Number(key))
    .$if(units !== null, (q) => q.where('unit_id', 'in', units ?? []))
    .executeTakeFirst();
  if (!ms) throw bad(`群发活动 ${key} 不存在或不在你的范围内`, `Campaign ${key} is not one you can see`);
}

export async function createSpend(ctx: Ctx, input: SpendInput): Promise<SpendRow> {
  assertUnitInScope(ctx.actor, input.unitId);
  await checkTarget(ctx, input.targetKind, input.targetKey);
  const { id } = await ctx.cdb.db
    .insertInto('insight_spend')
    .values({
      corp_id: ctx.cdb.corpId,
      unit_id: input.unitId,
      target_kind: input.targetKind,
      target_key: input.targetKey,
      month: input.month,
      amount_fen: input.amountFen,
      note: input.note ?? '',
      created_by: ctx.actor.accountId,
      created_at: ctx.clock.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const row = (await listSpend(ctx, { id })).at(0);
  if (!row) throw notFound({ zh: '投放记录', en: 'Spend' });
  return row;
}

export async function deleteSpend(ctx: Ctx, id: number): Promise<void> {
  const units = visibleUnits(ctx);
  const r = await ctx.cdb.db
    .deleteFrom('insight_spend')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .$if(units !== null, (q) => q.where('unit_id', 'in', units ?? []))
    .executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw notFound({ zh: '投放记录', en: 'Spend' });
}

export interface SpendRow {
  id: number;
  unitId: number;
  unitName: string;
  targetKind: TargetKind;
  targetKey: string;
  targetName: string;
  month: string;
  amountFen: number;
  note: string;
  createdAt: string;
}

/** The spend the caller sees, newest month first; `from`/`to` bound the months, `id` picks one. */
export async function listSpend(
  ctx: Ctx,
  q: { from?: string; to?: string; id?: number; units?: readonly number[] | null },
): Promise<SpendRow[]> {
  const corp = ctx.cdb.corpId;
  const units = q.units !== undefined ? q.units : visibleUnits(ctx);
  const r = await sql<Record<string, unknown>>`
    select s.id, s.unit_id, u.name unit_name, s.target_kind, s.target_key, s.month::text "month", s.amount_fen,
      s.note, s.created_at,
      case s.target_kind when 'channel' then ch.name when 'campaign' then ms.name when 'journey' then j.name
        else s.target_key end target_name
    from insight_spend s
    join org_units u on u.corp_id = s.corp_id and u.id = s.unit_id
    left join channels ch on s.target_kind = 'channel' and ch.corp_id = s.corp_id and ch.id::text = s.target_key
    left join mass_sends ms on s.target_kind = 'campaign' and ms.corp_id = s.corp_id and ms.id::text = s.target_key
    left join journeys j on s.target_kind = 'journey' and j.corp_id = s.corp_id and j.id::text = s.target_key
    where s.corp_id = ${corp}
      ${units ? sql`and s.unit_id = any(${[...units]}::bigint[])` : sql``}
      ${q.from ? sql`and s.month >= ${q.from}::date` : sql``}
      ${q.to ? sql`and s.month <= ${q.to}::date` : sql``}
      ${q.id ? sql`and s.id = ${q.id}` : sql``}
    order by s.month desc, s.id desc limit 2000`.execute(ctx.cdb.db);
  return r.rows.map((x) => ({
    id: n(x.id),
    unitId: n(x.unit_id),
    unitName: String(x.unit_name),
    targetKind: x.target_kind as TargetKind,
    targetKey: String(x.target_key),
    targetName: String(x.target_name ?? x.target_key),
    month: String(x.month),
    amountFen: n(x.amount_fen),
    note: String(x.note),
    createdAt: new Date(x.created_at as string).toISOString(),
  }));
}

export interface RoiRow {
  unitId: number;
  unitName: string;
  targetKind: TargetKind;
  targetKey: string;
  targetName: string;
  month: string;
  spendFen: number;
  newCustomers: number;
  /** spend ÷ new customers (fen), null without new customers. */
  cacFen: number | null;
  attributedGmvFen: number;
  /** attributed GMV ÷ spend. */
  roi: number;
}

export interface CampaignRow {
  /** A mass send (群发) or a journey (客户旅程); ids are per kind. */
  kind: 'mass_send' | 'journey';
  id: number;
  name: string;
  unitName: string;
  createdAt: string;
  status: string;
  buyers: number;
  orders: number;
  gmvFen: number;
  spendFen: number;
  roi: number | null;
}

/** The figures of a channel or method spend: its unit subtree's new customers and what they paid. */
async function acquired(
  ctx: Ctx,
  units: readonly number[],
  kind: 'channel' | 'method',
  key: string,
  month: string,
  windowDays: number,
): Promise<{ customers: number; gmvFen: number }> {
  const corp = ctx.cdb.corpId;
  const match = kind === 'channel' ? sql`r.channel_id::text = ${key}` : sql`r.method = ${key}`;
  const r = await sql<{ c: unknown; gmv: unknown }>`
    select count(*) c, coalesce(sum((
      select sum(o.paid_fen) from orders o
      where o.corp_id = r.corp_id and o.customer_id = r.customer_id
        and o.ordered_at >= (r.acquired_day::timestamp - interval '8 hours') at time zone 'UTC'
        and o.ordered_at < ((r.acquired_day + ${windowDays}::int)::timestamp - interval '8 hours') at time zone 'UTC'
    )), 0) gmv
    from insight_customers r
    where r.corp_id = ${corp} and r.unit_id = any(${[...units]}::bigint[]) and ${match}
      and r.acquired_day >= ${month}::date and r.acquired_day < ${addMonths(month, 1)}::date`.execute(
    ctx.cdb.db,
  );
  return { customers: n(r.rows[0]?.c), gmvFen: n(r.rows[0]?.gmv) };
}

/** Orders the outreach engine credited to mass sends, per send. */
async function campaignCredits(
  ctx: Ctx,
  ids: readonly number[],
): Promise<Map<string, { buyers: number; orders: number; gmvFen: number }>> {
  const out = new Map<string, { buyers: number; orders: number; gmvFen: number }>();
  if (ids.length === 0) return out;
  const r = await sql<{ id: string; b: unknown; o: unknown; gmv: unknown }>`
    select a.source_id id, count(distinct a.customer_id) b, count(*) o, sum(a.paid_fen) gmv
    from touch_attributions a
    where a.corp_id = ${ctx.cdb.corpId} and a.source_kind = 'mass_send'
      and a.source_id = any(${ids.map(String)}::text[])
    group by 1`.execute(ctx.cdb.db);
  for (const x of r.rows) out.set(String(x.id), { buyers: n(x.b), orders: n(x.o), gmvFen: n(x.gmv) });
  return out;
}

type Credit = { buyers: number; orders: number; gmvFen: number };

/** A mass send's or journey's row (id, name, status, created_at, unit_name) with its credits and spend. */
const campaignRow = (
  kind: CampaignRow['kind'],
  x: Record<string, unknown>,
  c: Credit | undefined,
  spendFen: number,
): CampaignRow => ({
  kind,
  id: n(x.id),
  name: String(x.name),
  unitName: String(x.unit_name),
  createdAt: new Date(x.created_at as string).toISOString(),
  status: String(x.status),
  buyers: c?.buyers ?? 0,
  orders: c?.orders ?? 0,
  gmvFen: c?.gmvFen ?? 0,
  spendFen,
  roi: spendFen > 0 ? (c?.gmvFen ?? 0) / spendFen : null,
});

/**
 * Orders the outreach engine credited to journeys' touches, ordered in brand months [from, to]: per journey,
 * or per journey and month (keyed `id|YYYY-MM-01`).
 */
async function journeyCredits(
  ctx: Ctx,
  ids: readonly number[],
  q: { from: string; to: string; byMonth: boolean },
): Promise<Map<string, Credit>> {
  const out = new Map<string, Credit>();
  if (ids.length === 0) return out;
  const month = sql`date_trunc('month', a.ordered_at at time zone 'UTC' + interval '8 hours')::date::text`;
  const r = await sql<{ id: string; m: string | null; b: unknown; o: unknown; gmv: unknown }>`
    select split_part(a.source_id, ':', 1) id, ${q.byMonth ? month : sql`null`} m,
      count(distinct a.customer_id) b, count(*) o, sum(a.paid_fen) gmv
    from touch_attributions a
    where a.corp_id = ${ctx.cdb.corpId} and a.source_kind = 'journey'
      and split_part(a.source_id, ':', 1) = any(${ids.map(String)}::text[])
      and a.ordered_at >= (${q.from}::date::timestamp - interval '8 hours') at time zone 'UTC'
      and a.ordered_at < (${addMonths(q.to, 1)}::date::timestamp - interval '8 hours') at time zone 'UTC'
    group by 1, 2`.execute(ctx.cdb.db);
  for (const x of r.rows)
    out.set(q.byMonth ? `${x.id}|${x.m}` : String(x.id), {
      buyers: n(x.b),
      orders: n(x.o),
      gmvFen: n(x.gmv),
    });
  return out;
}

/**
 * CAC and ROI of the spend in brand months [from, to] the caller sees (narrowed by the scope filter), one
 * row per unit, target and month; and the campaigns of the outreach engine with the GMV credited to them.
 */
export async function roiReport(
  ctx: Ctx,
  scope: Scope,
  q: { from: string; to: string; windowDays: number },
): Promise<{ rows: RoiRow[]; campaigns: CampaignRow[]; attributionDays: number }> {
  const corp = ctx.cdb.corpId;
  const units = scope.units ?? visibleUnits(ctx);
  const spend = await listSpend(ctx, { from: q.from, to: q.to, units });
  const grouped = new Map<string, RoiRow>();
  for (const s of spend) {
    const k = `${s.unitId}|${s.targetKind}|${s.targetKey}|${s.month}`;
    const g = grouped.get(k);
    if (g) g.spendFen += s.amountFen;
    else
      grouped.set(k, {
        unitId: s.unitId,
        unitName: s.unitName,
        targetKind: s.targetKind,
        targetKey: s.targetKey,
        targetName: s.targetName,
        month: s.month,
        spendFen: s.amountFen,
        newCustomers: 0,
        cacFen: null,
        attributedGmvFen: 0,
        roi: 0,
      });
  }
  const rows = [...grouped.values()];
  const subtrees = new Map<number, number[]>();
  const subtree = async (unitId: number) => {
    let s = subtrees.get(unitId);
    if (!s) {
      const r = await sql<{ id: unknown }>`
        select u.id from org_units u join org_units root on root.corp_id = u.corp_id
        where root.corp_id = ${corp} and root.id = ${unitId} and u.path like root.path || '%'`.execute(
        ctx.cdb.db,
      );
      s = r.rows.map((x) => n(x.id));
      subtrees.set(unitId, s);
    }
    return s;
  };
  const credits = await campaignCredits(
    ctx,
    rows.filter((r) => r.targetKind === 'campaign').map((r) => Number(r.targetKey)),
  );
  const journeyMonths = await journeyCredits(
    ctx,
    rows.filter((r) => r.targetKind === 'journey').map((r) => Number(r.targetKey)),
    { from: q.from, to: q.to, byMonth: true },
  );
  for (const row of rows) {
    if (row.targetKind === 'campaign' || row.targetKind === 'journey') {
      const c =
        row.targetKind === 'campaign'
          ? credits.get(row.targetKey)
          : journeyMonths.get(`${row.targetKey}|${row.month}`);
      row.newCustomers = c?.buyers ?? 0;
      row.attributedGmvFen = c?.gmvFen ?? 0;
    } else {
      const a = await acquired(
        ctx,
        await subtree(row.unitId),
        row.targetKind,
        row.targetKey,
        row.month,
        q.windowDays,
      );
      row.newCustomers = a.customers;
      row.attributedGmvFen = a.gmvFen;
    }
    row.cacFen = row.newCustomers > 0 ? row.spendFen / row.newCustomers : null;
    row.roi = row.attributedGmvFen / row.spendFen;
  }
  rows.sort((a, b) => b.month.localeCompare(a.month) || b.spendFen - a.spendFen);

  // the campaigns: mass sends of the caller's units created in the months, with their credited GMV
  const sends = await sql<Record<string, unknown>>`
    select ms.id, ms.name, ms.status, ms.created_at, u.name unit_name from mass_sends ms
    join org_units u on u.corp_id = ms.corp_id and u.id = ms.unit_id
    where ms.corp_id = ${corp} ${units ? sql`and ms.unit_id = any(${[...units]}::bigint[])` : sql``}
      and ms.created_at >= (${q.from}::date::timestamp - interval '8 hours') at time zone 'UTC'
      and ms.created_at < (${addMonths(q.to, 1)}::date::timestamp - interval '8 hours') at time zone 'UTC'
    order by ms.created_at desc limit 200`.execute(ctx.cdb.db);
  const sendCredits = await campaignCredits(
    ctx,
    sends.rows.map((s) => n(s.id)),
  );
  const campaignSpend = new Map<string, number>();
  for (const s of await listSpend(ctx, { units }))
    if (s.targetKind === 'campaign')
      campaignSpend.set(s.targetKey, (campaignSpend.get(s.targetKey) ?? 0) + s.amountFen);
  const campaigns: CampaignRow[] = [...(await journeyCampaigns(ctx, units, q, spend))];
  for (const s of sends.rows) {
    const id = String(s.id);
    campaigns.push(campaignRow('mass_send', s, sendCredits.get(id), campaignSpend.get(id) ?? 0));
  }
  const { attributionDays } = await outreachSettingsOf(ctx.cdb);
  return { rows, campaigns, attributionDays };
}

/**
 * The journeys of the caller's units as campaigns over brand months [from, to]: the orders of those months
 * credited to their touches, and the spend of those months. Drafts and journeys that neither ran, sold nor
 * cost anything in the months are left out.
 */
async function journeyCampaigns(
  ctx: Ctx,
  units: readonly number[] | null,
  q: { from: string; to: string },
  spend: readonly SpendRow[],
): Promise<CampaignRow[]> {
  const js = await sql<Record<string, unknown>>`
    select j.id, j.name, j.status, j.created_at, u.name unit_name from journeys j
    join org_units u on u.corp_id = j.corp_id and u.id = j.unit_id
    where j.corp_id = ${ctx.cdb.corpId} ${units ? sql`and j.unit_id = any(${[...units]}::bigint[])` : sql``}
      and j.status <> 'draft'
      and j.created_at < (${addMonths(q.to, 1)}::date::timestamp - interval '8 hours') at time zone 'UTC'
    order by j.id limit 200`.execute(ctx.cdb.db);
  const credits = await journeyCredits(
    ctx,
    js.rows.map((j) => n(j.id)),
    { from: q.from, to: q.to, byMonth: false },
  );
  const spent = new Map<string, number>();
  for (const s of spend)
    if (s.targetKind === 'journey') spent.set(s.targetKey, (spent.get(s.targetKey) ?? 0) + s.amountFen);
  const out: CampaignRow[] = [];
  for (const j of js.rows) {
    const c = credits.get(String(j.id));
    const spendFen = spent.get(String(j.id)) ?? 0;
    if (j.status === 'archived' && !c && spendFen === 0) continue;
    out.push(campaignRow('journey', j, c, spendFen));
  }
  return out.sort((a, b) => b.gmvFen - a.gmvFen || b.id - a.id);
}

// ---- import from a spreadsheet ----

const KIND_NAMES: Record<string, TargetKind> = {
  channel: 'channel',
  渠道: 'channel',
  method: 'method',
  方式: 'method',
  引流方式: 'method',
  campaign: 'campaign',
  活动: 'campaign',
  群发: 'campaign',
  journey: 'journey',
  旅程: 'journey',
  客户旅程: 'journey',
};
export const SPEND_IMPORT_HEADER = ['月份', '组织编码', '类型', '对象', '金额(元)', '备注'];
export const MAX_SPEND_ROWS = 2000;

const text = (c: GridCell | undefined): string =>
  c === null || c === undefined
    ? ''
    : c instanceof ExcelNumber
      ? c.text
      : c instanceof Date
        ? c.toISOString().slice(0, 10)
        : String(c).trim();

/**
 * Spend from an .xlsx or CSV (columns: month YYYY-MM, unit code, kind 渠道/方式/活动/旅程, target — a
 * channel's id or name, a method's code, a mass send's id, a journey's id —, amount in yuan, note). All or nothing: a file with any
 * bad line writes nothing and lists the lines.
 */
export async function importSpend(
  ctx: Ctx,
  bytes: Uint8Array,
  lang: 'zh' | 'en',
): Promise<{ imported: number; errors: { line: number; message: string }[] }> {
  const grid = await readGrid(bytes, { maxRows: MAX_SPEND_ROWS + 1 });
  const corp = ctx.cdb.corpId;
  const units = new Map(
    (
      await ctx.cdb.db.selectFrom('org_units').select(['id', 'code']).where('corp_id', '=', corp).execute()
    ).map((u) => [u.code, u.id]),
  );
  const channels = await ctx.cdb.db
    .selectFrom('channels')
    .select(['id', 'name'])
    .where('corp_id', '=', corp)
    .execute();
  const errors: { line: number; message: string }[] = [];
  const inputs: SpendInput[] = [];
  const rows = grid.rows.slice(1);
  for (let i = 0; i < rows.length; i++) {
    const line = i + 2;
    const row = rows[i] ?? [];
    const cells = row.map(text);
    if (cells.every((c) => c === '')) continue;
    const fail = (zh: string, en: string) => errors.push({ line, message: lang === 'en' ? en : zh });
    const m = /^(\d{4})[-/.年](\d{1,2})月?$/.exec(cells[0] ?? '');
    const month =
      m && Number(m[2]) >= 1 && Number(m[2]) <= 12 ? `${m[1]}-${m[2]!.padStart(2, '0')}-01` : null;
    if (!month || month < '2000-01-01' || month > '2999-12-01') {
      fail('月份应为 YYYY-MM', 'The month must be YYYY-MM');
      continue;
    }
    const unitId = units.get(cells[1] ?? '');
    if (unitId === undefined || !ctx.actor.unitIds.includes(unitId)) {
      fail(
        `组织编码 ${cells[1]} 不存在或不在你的范围内`,
        `Unit code ${cells[1]} is unknown or outside your scope`,
      );
      continue;
    }
    const kind = KIND_NAMES[(cells[2] ?? '').toLowerCase()];
    if (!kind) {
      fail('类型应为 渠道、方式、活动 或 旅程', 'The kind must be channel, method, campaign or journey');
      continue;
    }
    let key = cells[3] ?? '';
    if (kind === 'channel' && !/^\d+$/.test(key))
      key = String(channels.find((c) => c.name === key)?.id ?? key);
    const yuan = cells[4] ?? '';
    if (!/^\d{1,10}(\.\d{1,2})?$/.test(yuan) || Number(yuan) <= 0) {
      fail('金额应为大于 0 的元数，最多两位小数', 'The amount must be yuan above 0, at most two decimals');
      continue;
    }
    const note = (cells[5] ?? '').slice(0, 200);
    try {
      await checkTarget(ctx, kind, key);
    } catch (err) {
      const e = err as AppError;
      errors.push({ line, message: e.detail ? e.detail[lang] : e.message });
      continue;
    }
    inputs.push({
      unitId,
      targetKind: kind,
      targetKey: key,
      month,
      amountFen: Math.round(Number(yuan) * 100),
      note,
    });
  }
  if (errors.length > 0 || inputs.length === 0) {
    if (inputs.length === 0 && errors.length === 0)
      errors.push({ line: 1, message: lang === 'en' ? 'No rows' : '没有数据行' });
    return { imported: 0, errors: errors.slice(0, 100) };
  }
  const now = ctx.clock.now();
  await ctx.cdb.db
    .insertInto('insight_spend')
    .values(
      inputs.map((x) => ({
        corp_id: corp,
        unit_id: x.unitId,
        target_kind: x.targetKind,
        target_key: x.targetKey,
        month: x.month,
        amount_fen: x.amountFen,
        note: x.note ?? '',
        created_by: ctx.actor.accountId,
        created_at: now,
      })),
    )
    .execute();
  return { imported: inputs.length, errors: [] };
}

/** The month of an instant, for defaults. */
export const monthNow = (ctx: Ctx) => monthOf(brandDay(ctx.clock.now()));
