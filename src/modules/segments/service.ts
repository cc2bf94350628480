import { type RawBuilder, sql } from 'kysely';
import { AppError, type Lang, notFound } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { assertMayAsk, type CustomerQuestion } from '../customers/index.ts';
import { audienceIds, countAudience, sampleAudience, scopeCte } from './compile.ts';
import { checkRule, conditionsOf, type Rule } from './rule.ts';

export const MAX_LAYERS = 20;
const DAY_MS = 86_400_000;

const canEdit = (ctx: Ctx) => ctx.actor.role !== 'staff';

/**
 * Segments and layerings belong to the unit of the account that made them, and are seen from that unit's
 * subtree (a store sees HQ's segments) and from above (a region sees its stores'); editable from above only.
 */
function visibleFrom(ctx: Ctx) {
  const { actor } = ctx;
  if (actor.seesWholeCorp) return sql<boolean>`true`;
  return sql<boolean>`(x.unit_id in (${sql.join([...actor.unitIds])}) or exists (
    select 1 from org_units me
    where me.corp_id = x.corp_id and me.id = ${actor.unitId} and me.path like '%/' || x.unit_id || '/%'))`;
}

/** What a rule asks about customers: the tags, units and staff its conditions name. */
function questionOf(rule: Rule): CustomerQuestion {
  const conditions = conditionsOf(rule);
  const values = (...fields: string[]) =>
    conditions
      .filter((c) => fields.includes(c.field) && Array.isArray(c.value))
      .flatMap((c) => c.value as number[]);
  return { tagIds: values('tag'), unitIds: values('follow_unit', 'top_unit'), staffIds: values('staff') };
}

/**
 * A rule may name only what the customer list would let the caller filter on (customers/access.ts): tags of
 * their tag view, units of their subtree, staff of those units (403 otherwise). Checked on every read of a
 * rule, a saved one included: a segment made by HQ, seen from a store, may name what the store may not ask.
 */
async function assertRuleInScope(ctx: Ctx, rule: Rule): Promise<void> {
  await assertMayAsk(ctx, questionOf(rule));
}

/** A rule as stored: checked again, since a stored rule outlives the code that checked it. */
export function storedRule(value: unknown): Rule {
  const checked = checkRule(value);
  if (!checked.rule) throw new Error(`stored segment rule is invalid: ${JSON.stringify(checked.issues)}`);
  return checked.rule;
}

export async function previewSegment(ctx: Ctx, rule: Rule) {
  await assertRuleInScope(ctx, rule);
  const [count, sample] = await Promise.all([countAudience(ctx, rule), sampleAudience(ctx, rule, 20)]);
  return { count, sample };
}

function segmentQuery(ctx: Ctx) {
  return ctx.cdb.db
    .selectFrom('segments as x')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'x.corp_id').onRef('u.id', '=', 'x.unit_id'),
    )
    .leftJoin('accounts as a', (j) =>
      j.onRef('a.corp_id', '=', 'x.corp_id').onRef('a.id', '=', 'x.created_by'),
    )
    .select([
      'x.id',
      'x.name',
      'x.description',
      'x.rule',
      'x.unit_id',
      'u.name as unit_name',
      'a.display_name as created_by_name',
      'x.created_at',
      'x.updated_at',
    ])
    .where('x.corp_id', '=', ctx.cdb.corpId)
    .where(visibleFrom(ctx));
}

type SegmentRow = Awaited<ReturnType<ReturnType<typeof segmentQuery>['executeTakeFirstOrThrow']>>;

async function toSegment(ctx: Ctx, row: SegmentRow) {
  const rule = storedRule(row.rule);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    rule,
    unitId: row.unit_id,
    unitName: row.unit_name,
    createdByName: row.created_by_name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    editable: canEdit(ctx) && ctx.actor.unitIds.includes(row.unit_id),
    count: await countAudience(ctx, rule),
  };
}

/** Whether the caller may read a stored rule: null, or the refusal saying why not. */
async function refusalOf(ctx: Ctx, rule: unknown): Promise<AppError | null> {
  try {
    await assertRuleInScope(ctx, storedRule(rule));
    return null;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
}

/** The segments the caller may read: seen from their unit, and asking only what they may ask. */
export async function listSegments(ctx: Ctx) {
  const rows = await segmentQuery(ctx).orderBy('x.id', 'desc').execute();
  const items = [];
  for (const row of rows) if (!(await refusalOf(ctx, row.rule))) items.push(await toSegment(ctx, row));
  return { items };
}

async function findSegment(ctx: Ctx, id: number) {
  const row = await segmentQuery(ctx).where('x.id', '=', id).executeTakeFirst();
  if (!row) throw notFound({ zh: '人群', en: 'Segment' });
  return row;
}

/** A segment the caller sees (else 404) and whose rule they may ask (else 403): what every read goes through. */
export async function visibleSegment(ctx: Ctx, id: number) {
  const row = await findSegment(ctx, id);
  await assertRuleInScope(ctx, storedRule(row.rule));
  return row;
}

export async function getSegment(ctx: Ctx, id: number) {
  return toSegment(ctx, await visibleSegment(ctx, id));
}

export interface SegmentInput {
  name: string;
  description?: string;
  rule: Rule;
}

export async function createSegment(ctx: Ctx, input: SegmentInput) {
  if (!canEdit(ctx)) throw new AppError('forbidden');
  await assertRuleInScope(ctx, input.rule);
  const now = ctx.clock.now();
  const { id } = await ctx.cdb.db
    .insertInto('segments')
    .values({
      corp_id: ctx.cdb.corpId,
      unit_id: ctx.actor.unitId,
      name: input.name,
      description: input.description ?? '',
      rule: JSON.stringify(input.rule),
      created_by: ctx.actor.accountId,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return getSegment(ctx, id);
}

/** Visible (else 404) and the caller's to change (else 403). */
async function editableUnit(ctx: Ctx, unitId: number) {
  if (!canEdit(ctx) || !ctx.actor.unitIds.includes(unitId)) {
    throw new AppError('forbidden', {
      zh: '只能修改本组织及下级创建的内容',
      en: 'Only what your unit or the units below it made can be changed',
    });
  }
}

export async function updateSegment(ctx: Ctx, id: number, input: SegmentInput) {
  const row = await visibleSegment(ctx, id);
  await editableUnit(ctx, row.unit_id);
  await assertRuleInScope(ctx, input.rule);
  await ctx.cdb.db
    .updateTable('segments')
    .set({
      name: input.name,
      description: input.description ?? '',
      rule: JSON.stringify(input.rule),
      updated_at: ctx.clock.now(),
    })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
  return getSegment(ctx, id);
}

export async function deleteSegment(ctx: Ctx, id: number) {
  // Its maker may delete it even if its rule now names a tag moved out of their view.
  const row = await findSegment(ctx, id);
  await editableUnit(ctx, row.unit_id);
  const used = await ctx.cdb.db
    .selectFrom('layering_layers as l')
    .innerJoin('layerings as g', (j) =>
      j.onRef('g.corp_id', '=', 'l.corp_id').onRef('g.id', '=', 'l.layering_id'),
    )
    .select('g.name')
    .where('l.corp_id', '=', ctx.cdb.corpId)
    .where('l.segment_id', '=', id)
    .execute();
  if (used.length) {
    const names = used.map((u) => u.name).join('、');
    throw new AppError('conflict', {
      zh: `该人群正被分层方案使用：${names}`,
      en: `The segment is used by layering ${names}`,
    });
  }
  await ctx.cdb.db
    .deleteFrom('segments')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
  return { ok: true as const };
}

// ── Layerings ────────────────────────────────────────────────────────────────────────────────────────────

export interface LayeringInput {
  name: string;
  layers: { segmentId: number; operation: string }[];
}

/** The same operation written twice: case and spacing do not make it different. */
export const normaliseOperation = (operation: string) => operation.trim().replace(/\s+/g, ' ').toLowerCase();

async function validateLayers(ctx: Ctx, input: LayeringInput) {
  const ids = input.layers.map((l) => l.segmentId);
  const dup = ids.findIndex((id, i) => ids.indexOf(id) !== i);
  if (dup >= 0) {
    throw new AppError('bad_request', {
      zh: `layers[${dup}].segmentId：人群 ${ids[dup]} 重复`,
      en: `layers[${dup}].segmentId: segment ${ids[dup]} is listed twice`,
    });
  }
  const found = await segmentQuery(ctx).where('x.id', 'in', ids).execute();
  const foundIds = new Set(found.map((f) => f.id));
  const missing = ids.findIndex((id) => !foundIds.has(id));
  if (missing >= 0) {
    throw new AppError('bad_request', {
      zh: `layers[${missing}].segmentId：人群 ${ids[missing]} 不存在`,
      en: `layers[${missing}].segmentId: segment ${ids[missing]} not found`,
    });
  }
  for (const segment of found) await assertRuleInScope(ctx, storedRule(segment.rule));
}

async function writeLayers(ctx: Ctx, layeringId: number, input: LayeringInput) {
  await ctx.cdb.db
    .insertInto('layering_layers')
    .values(
      input.layers.map((l, position) => ({
        corp_id: ctx.cdb.corpId,
        layering_id: layeringId,
        position,
        segment_id: l.segmentId,
        operation: l.operation.trim(),
      })),
    )
    .execute();
}

export async function createLayering(ctx: Ctx, input: LayeringInput, opts: { days: number; lang: Lang }) {
  if (!canEdit(ctx)) throw new AppError('forbidden');
  await validateLayers(ctx, input);
  const now = ctx.clock.now();
  const id = await ctx.cdb.transaction(async (tx) => {
    const { id } = await tx.db
      .insertInto('layerings')
      .values({
        corp_id: tx.corpId,
        unit_id: ctx.actor.unitId,
        name: input.name,
        created_by: ctx.actor.accountId,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await writeLayers({ ...ctx, cdb: tx }, id, input);
    return id;
  });
  return getLayering(ctx, id, opts);
}

export async function updateLayering(
  ctx: Ctx,
  id: number,
  input: LayeringInput,
  opts: { days: number; lang: Lang },
) {
  const row = await visibleLayering(ctx, id);
  await editableUnit(ctx, row.unit_id);
  await validateLayers(ctx, input);
  await ctx.cdb.transaction(async (tx) => {
    await tx.db
      .updateTable('layerings')
      .set({ name: input.name, updated_at: ctx.clock.now() })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    await tx.db
      .deleteFrom('layering_layers')
      .where('corp_id', '=', tx.corpId)
      .where('layering_id', '=', id)
      .execute();
    await writeLayers({ ...ctx, cdb: tx }, id, input);
  });
  return getLayering(ctx, id, opts);
}

export async function deleteLayering(ctx: Ctx, id: number) {
  const row = await visibleLayering(ctx, id);
  await editableUnit(ctx, row.unit_id);
  await ctx.cdb.db
    .deleteFrom('layerings')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
  return { ok: true as const };
}

function layeringQuery(ctx: Ctx) {
  return ctx.cdb.db
    .selectFrom('layerings as x')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'x.corp_id').onRef('u.id', '=', 'x.unit_id'),
    )
    .select(['x.id', 'x.name', 'x.unit_id', 'u.name as unit_name', 'x.created_at', 'x.updated_at'])
    .where('x.corp_id', '=', ctx.cdb.corpId)
    .where(visibleFrom(ctx));
}

async function visibleLayering(ctx: Ctx, id: number) {
  const row = await layeringQuery(ctx).where('x.id', '=', id).executeTakeFirst();
  if (!row) throw notFound({ zh: '分层方案', en: 'Layering' });
  return row;
}

/** The layerings the caller may read: those whose every layer's rule they may ask. */
export async function listLayerings(ctx: Ctx, opts: { days: number; lang: Lang }) {
  const rows = await layeringQuery(ctx).orderBy('x.id', 'desc').execute();
  const items = [];
  for (const row of rows) {
    try {
      items.push(await layeringOf(ctx, row, opts));
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'forbidden')) throw err;
    }
  }
  return { items };
}

export async function getLayering(ctx: Ctx, id: number, opts: { days: number; lang: Lang }) {
  return layeringOf(ctx, await visibleLayering(ctx, id), opts);
}

type LayeringRow = Awaited<ReturnType<ReturnType<typeof layeringQuery>['executeTakeFirstOrThrow']>>;

/**
 * A layering with each layer's size and GMV (paid orders of the last `days` days) within the caller's scope,
 * in one statement: each audience is computed once (a materialised CTE), then sizes, GMVs and every pair's
 * overlap are read from those.
 */
async function layeringOf(ctx: Ctx, row: LayeringRow, opts: { days: number; lang: Lang }) {
  const layers = await ctx.cdb.db
    .selectFrom('layering_layers as l')
    .innerJoin('segments as s', (j) =>
      j.onRef('s.corp_id', '=', 'l.corp_id').onRef('s.id', '=', 'l.segment_id'),
    )
    .select(['l.segment_id', 'l.operation', 's.name', 's.rule'])
    .where('l.corp_id', '=', ctx.cdb.corpId)
    .where('l.layering_id', '=', row.id)
    .orderBy('l.position')
    .execute();
  const rules: Rule[] = [];
  for (const l of layers) {
    const rule = storedRule(l.rule);
    await assertRuleInScope(ctx, rule);
    rules.push(rule);
  }
  const since = new Date(ctx.clock.now().getTime() - opts.days * DAY_MS);
  const corpId = ctx.cdb.corpId;
  const name = (i: number) => sql.raw(`l${i}`);
  const ctes = layers.map((_, i) => sql`, ${name(i)} as materialized (${audienceIds(ctx, rules[i]!)})`);
  // each customer's paid total in the window, summed once for every layer
  const spend = sql`, spend as materialized (
    select o.customer_id as id, sum(o.paid_fen) as paid from orders o
    where o.corp_id = ${corpId} and o.ordered_at >= ${since} and o.customer_id is not null
    group by o.customer_id)`;
  const gmvOf = (ids: RawBuilder<unknown>) =>
    sql`select coalesce(sum(sp.paid), 0) from spend sp join (${ids}) a on a.id = sp.id`;
  const total = ctx.actor.seesWholeCorp
    ? sql`select coalesce(sum(paid), 0) from spend`
    : gmvOf(sql`select id from scope`);
  const parts = [sql`select 'total' as k, 0 as i, 0 as j, (${total}) as n`];
  layers.forEach((_, i) => {
    parts.push(sql`select 'size', ${sql.lit(i)}, 0, (select count(*) from ${name(i)})`);
    parts.push(sql`select 'gmv', ${sql.lit(i)}, 0, (${gmvOf(sql`select id from ${name(i)}`)})`);
    for (let j = i + 1; j < layers.length; j++) {
      parts.push(
        sql`select 'overlap', ${sql.lit(i)}, ${sql.lit(j)},
          (select count(*) from (select id from ${name(i)} intersect select id from ${name(j)}) x)`,
      );
    }
  });
  const { rows } = await sql<{ k: string; i: number; j: number; n: string | number }>`${scopeCte(ctx)}
    ${spend} ${sql.join(ctes, sql``)}
    ${sql.join(parts, sql` union all `)}`.execute(ctx.cdb.db);
  const value = (k: string, i = 0, j = 0) =>
    Number(rows.find((r) => r.k === k && Number(r.i) === i && Number(r.j) === j)?.n ?? 0);

  const totalGmvFen = value('total');
  const zh = opts.lang === 'zh';
  const warnings: {
    kind: 'same_operation' | 'overlap';
    operation: string;
    segmentIds: number[];
    overlap?: number;
    message: string;
  }[] = [];
  const byOperation = new Map<string, number[]>();
  layers.forEach((l, i) => {
    const key = normaliseOperation(l.operation);
    byOperation.set(key, [...(byOperation.get(key) ?? []), i]);
  });
  for (const indexes of byOperation.values()) {
    if (indexes.length < 2) continue;
    const operation = layers[indexes[0]!]!.operation;
    const names = indexes.map((i) => `「${layers[i]!.name}」`).join(zh ? '、' : ', ');
    warnings.push({
      kind: 'same_operation',
      operation,
      segmentIds: indexes.map((i) => layers[i]!.segment_id),
      message: zh
        ? `${names} 收到相同的运营动作「${operation}」：分成不同的层没有意义，请合并或区分动作`
        : `${names} receive the same operation "${operation}": layers that get the same treatment are one layer; merge them or tell their operations apart`,
    });
  }
  for (let i = 0; i < layers.length; i++) {
    for (let j = i + 1; j < layers.length; j++) {
      const overlap = value('overlap', i, j);
      if (!overlap) continue;
      const [a, b] = [layers[i]!, layers[j]!];
      const same = normaliseOperation(a.operation) === normaliseOperation(b.operation);
      warnings.push({
        kind: 'overlap',
        operation: same ? a.operation : `${a.operation} / ${b.operation}`,
        segmentIds: [a.segment_id, b.segment_id],
        overlap,
        message: same
          ? zh
            ? `「${a.name}」与「${b.name}」有 ${overlap} 位客户重叠，他们会收到两次「${a.operation}」`
            : `"${a.name}" and "${b.name}" share ${overlap} customers, who would receive "${a.operation}" twice`
          : zh
            ? `「${a.name}」与「${b.name}」有 ${overlap} 位客户重叠，他们会同时收到「${a.operation}」和「${b.operation}」`
            : `"${a.name}" and "${b.name}" share ${overlap} customers, who would receive both "${a.operation}" and "${b.operation}"`,
      });
    }
  }
  return {
    id: row.id,
    name: row.name,
    unitId: row.unit_id,
    unitName: row.unit_name,
    editable: canEdit(ctx) && ctx.actor.unitIds.includes(row.unit_id),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    days: opts.days,
    layers: layers.map((l, i) => {
      const gmvFen = value('gmv', i);
      return {
        segmentId: l.segment_id,
        segmentName: l.name,
        operation: l.operation,
        size: value('size', i),
        gmvFen,
        gmvShare: totalGmvFen > 0 ? gmvFen / totalGmvFen : 0,
      };
    }),
    totalGmvFen,
    warnings,
  };
}

/**
 * The rule of one layer (by position, from 0) of a layering the caller sees, whose rule they may ask: what a
 * mass send to a layer reaches.
 */
export async function layerRule(ctx: Ctx, layeringId: number, position: number): Promise<Rule> {
  await visibleLayering(ctx, layeringId);
  const layer = await ctx.cdb.db
    .selectFrom('layering_layers as l')
    .innerJoin('segments as s', (j) =>
      j.onRef('s.corp_id', '=', 'l.corp_id').onRef('s.id', '=', 'l.segment_id'),
    )
    .select('s.rule')
    .where('l.corp_id', '=', ctx.cdb.corpId)
    .where('l.layering_id', '=', layeringId)
    .where('l.position', '=', position)
    .executeTakeFirst();
  if (!layer) throw notFound({ zh: '分层', en: 'Layer' });
  const rule = storedRule(layer.rule);
  await assertRuleInScope(ctx, rule);
  return rule;
}
