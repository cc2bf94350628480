import { type ExpressionBuilder, sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import { visibleTo } from '../customers/index.ts';
import { customerOrders } from '../orders/index.ts';
import type { Tables } from '../tables.ts';
import type { AttachmentInput, ContentInput, ContentKind } from './rules.ts';

/** Orders within this many days after a use count as following it. */
export const FOLLOWING_DAYS = 7;

const EDITORS = new Set(['hq_admin', 'region_manager', 'store_manager']);

type X = ExpressionBuilder<Tables & { x: Tables['content_items'] }, 'x'>;

/**
 * Who sees an item: the owning unit, the units below it (a store sees its region's and HQ's items) and the
 * units above it (a region sees its stores'). Whole-corp callers see all.
 */
function visibleFrom(ctx: Ctx) {
  const { actor } = ctx;
  return (eb: X) => {
    if (actor.seesWholeCorp) return eb.lit(true);
    return eb.or([
      eb('x.unit_id', 'in', [...actor.unitIds]),
      eb.exists(
        eb
          .selectFrom('org_units as me')
          .select(eb.lit(1).as('one'))
          .whereRef('me.corp_id', '=', 'x.corp_id')
          .where('me.id', '=', actor.unitId)
          .where(sql<boolean>`me.path like '%/' || x.unit_id || '/%'`),
      ),
    ]);
  };
}

/**
 * Items are edited by managers of the owning unit or above (the house rule, as for segments): what a unit
 * inherits from above — HQ's items in a region or store — is read-only there.
 */
export const mayEdit = (ctx: Ctx, unitId: number) =>
  EDITORS.has(ctx.actor.role) && ctx.actor.unitIds.includes(unitId);

function itemQuery(cdb: SyncCtx['cdb']) {
  return cdb.db
    .selectFrom('content_items as x')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'x.corp_id').onRef('u.id', '=', 'x.unit_id'),
    )
    .select([
      'x.id',
      'x.unit_id',
      'u.name as unit_name',
      'x.key',
      'x.kind',
      'x.script',
      'x.title',
      'x.text',
      'x.attachments',
      'x.personas',
      'x.stages',
      'x.products',
      'x.scenes',
      'x.created_at',
      'x.updated_at',
    ])
    .where('x.corp_id', '=', cdb.corpId);
}

type ItemRow = Awaited<ReturnType<ReturnType<typeof itemQuery>['executeTakeFirstOrThrow']>>;

/** A content item as other modules and the API see it. */
export interface ContentItem {
  id: number;
  unitId: number;
  unitName: string;
  key: string | null;
  kind: ContentKind;
  script: boolean;
  title: string;
  text: string;
  attachments: AttachmentInput[];
  personas: string[];
  stages: string[];
  products: string[];
  scenes: string[];
  createdAt: string;
  updatedAt: string;
}

const attachmentsOf = (value: unknown): AttachmentInput[] =>
  (typeof value === 'string' ? JSON.parse(value) : value) as AttachmentInput[];

const toItem = (row: ItemRow): ContentItem => ({
  id: row.id,
  unitId: row.unit_id,
  unitName: row.unit_name,
  key: row.key,
  kind: row.kind,
  script: row.script,
  title: row.title,
  text: row.text,
  attachments: attachmentsOf(row.attachments),
  personas: row.personas,
  stages: row.stages,
  products: row.products,
  scenes: row.scenes,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const hasActor = (ctx: SyncCtx | Ctx): ctx is Ctx => 'actor' in ctx && Boolean((ctx as Ctx).actor);

/**
 * One item: within the caller's view when `ctx` has a caller (404 otherwise), any of the corp's for a
 * system context (a journey step, a task). Null when there is no such item and `orNull` is set.
 */
export async function getContent(ctx: SyncCtx | Ctx, id: number): Promise<ContentItem> {
  let q = itemQuery(ctx.cdb).where('x.id', '=', id);
  if (hasActor(ctx)) q = q.where(visibleFrom(ctx));
  const row = await q.executeTakeFirst();
  if (!row) throw notFound({ zh: '素材', en: 'Content item' });
  return toItem(row);
}

/**
 * The item named `key` as `unitId` sees it: its own, else its parent's, up to HQ (a store's version of HQ's
 * day-0 welcome wins in that store). Null when no unit on the way up has one.
 */
export async function contentByKey(ctx: SyncCtx, key: string, unitId: number): Promise<ContentItem | null> {
  const row = await itemQuery(ctx.cdb)
    .innerJoin('org_units as me', (j) => j.onRef('me.corp_id', '=', 'x.corp_id'))
    .where('me.id', '=', unitId)
    .where('x.key', '=', key)
    .where(sql<boolean>`me.path like '%/' || x.unit_id || '/%'`)
    .orderBy(sql`length(u.path)`, 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toItem(row) : null;
}

export interface ContentFilter {
  kind?: ContentKind;
  script?: boolean;
  persona?: string;
  stage?: string;
  product?: string;
  scene?: string;
  /** own: the caller's unit's; inherited: from the units above; below: the units below's. */
  owner?: 'own' | 'inherited' | 'below';
  q?: string;
  cursor?: string;
  limit: number;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

export interface Usage {
  uses: number;
  customers: number;
  /** Orders within FOLLOWING_DAYS after a use, each counted once per item. */
  orders: number;
  gmvFen: number;
}

const NO_USE: Usage = { uses: 0, customers: 0, orders: 0, gmvFen: 0 };

/**
 * Uses of the items and the orders that followed, counting only customers the caller sees (a store sees
 * its customers' uses of HQ's item, not the whole brand's).
 */
export async function usageOf(ctx: Ctx, ids: readonly number[]): Promise<Map<number, Usage>> {
  const out = new Map<number, Usage>();
  if (ids.length === 0) return out;
  const { cdb } = ctx;
  const uses = () =>
    cdb.db
      .selectFrom('content_uses as cu')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'cu.corp_id').onRef('c.id', '=', 'cu.customer_id'),
      )
      .where('cu.corp_id', '=', cdb.corpId)
      .where('cu.content_id', 'in', [...ids])
      .where(visibleTo(ctx));
  const [counts, orders] = await Promise.all([
    uses()
      .select((eb) => [
        'cu.content_id',
        eb.fn.countAll<string>().as('uses'),
        eb.fn.count<string>('cu.customer_id').distinct().as('customers'),
      ])
      .groupBy('cu.content_id')
      .execute(),
    cdb.db
      .selectFrom(
        uses()
          .innerJoin(customerOrders(cdb).as('o'), (j) =>
            j
              .onRef('o.customer_id', '=', 'cu.customer_id')
              .onRef('o.ordered_at', '>', 'cu.used_at')
              .on(sql<boolean>`o.ordered_at <= cu.used_at + ${FOLLOWING_DAYS} * interval '1 day'`),
          )
          .select(['cu.content_id', 'o.id', 'o.paid_fen'])
          .distinct()
          .as('f'),
      )
      .select((eb) => [
        'f.content_id',
        eb.fn.countAll<string>().as('orders'),
        eb.fn.sum<string>('f.paid_fen').as('gmv'),
      ])
      .groupBy('f.content_id')
      .execute(),
  ]);
  for (const r of counts)
    out.set(r.content_id, { ...NO_USE, uses: Number(r.uses), customers: Number(r.customers) });
  for (const r of orders) {
    const u = out.get(r.content_id) ?? { ...NO_USE };
    out.set(r.content_id, { ...u, orders: Number(r.orders), gmvFen: Number(r.gmv ?? 0) });
  }
  return out;
}

export type ListedItem = ContentItem & { editable: boolean; usage: Usage };

async function withUsage(ctx: Ctx, items: ContentItem[]): Promise<ListedItem[]> {
  const usage = await usageOf(
    ctx,
    items.map((i) => i.id),
  );
  return items.map((i) => ({ ...i, editable: mayEdit(ctx, i.unitId), usage: usage.get(i.id) ?? NO_USE }));
}

export async function listContent(ctx: Ctx, f: ContentFilter) {
  const after = decodeCursor(f.cursor);
  const me = ctx.actor.unitId;
  let q = itemQuery(ctx.cdb).where(visibleFrom(ctx));
  if (f.kind) q = q.where('x.kind', '=', f.kind);
  if (f.script !== undefined) q = q.where('x.script', '=', f.script);
  const has = (col: 'x.personas' | 'x.stages' | 'x.products' | 'x.scenes', v: string | undefined) => {
    if (v !== undefined) q = q.where(sql<boolean>`${sql.ref(col)} @> array[${v}]::text[]`);
  };
  has('x.personas', f.persona);
  has('x.stages', f.stage);
  has('x.products', f.product);
  has('x.scenes', f.scene);
  if (f.owner === 'own') q = q.where('x.unit_id', '=', me);
  else if (f.owner === 'below')
    q = q.where('x.unit_id', '!=', me).where('x.unit_id', 'in', [...ctx.actor.unitIds]);
  else if (f.owner === 'inherited')
    q = q.where('x.unit_id', '!=', me).where(
      sql<boolean>`exists (select 1 from org_units me where me.corp_id = x.corp_id and me.id = ${me}
          and me.path like '%/' || x.unit_id || '/%')`,
    );
  const text = f.q?.trim();
  if (text) {
    const pattern = `%${likeEscape(text)}%`;
    q = q.where((eb) =>
      eb.or([eb('x.title', 'ilike', pattern), eb('x.text', 'ilike', pattern), eb('x.key', 'ilike', pattern)]),
    );
  }
  if (after !== undefined) q = q.where('x.id', '<', after);
  const rows = await q
    .orderBy('x.id', 'desc')
    .limit(f.limit + 1)
    .execute();
  const page = toPage(rows, f.limit);
  return { items: await withUsage(ctx, page.items.map(toItem)), nextCursor: page.nextCursor };
}

export async function getContentForCaller(ctx: Ctx, id: number): Promise<ListedItem> {
  const [item] = await withUsage(ctx, [await getContent(ctx, id)]);
  return item!;
}

function assertEditor(ctx: Ctx) {
  if (!EDITORS.has(ctx.actor.role))
    throw new AppError('forbidden', {
      zh: '只有总部、大区和门店管理员可以维护素材库',
      en: 'Only HQ, region and store managers can change the library',
    });
}

const keyTaken = (key: string) =>
  new AppError('conflict', {
    zh: `本组织已有标识为 ${key} 的素材`,
    en: `Your unit already has an item with the key ${key}`,
  });

const isUniqueViolation = (err: unknown) =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';

function values(input: ContentInput) {
  return {
    key: input.key ?? null,
    kind: input.kind,
    script: input.script,
    title: input.title,
    text: input.text,
    attachments: JSON.stringify(input.attachments),
    personas: input.personas,
    stages: input.stages,
    products: input.products,
    scenes: input.scenes,
  };
}

/** A new item of the caller's unit. */
export async function createContent(ctx: Ctx, input: ContentInput): Promise<ListedItem> {
  assertEditor(ctx);
  const now = ctx.clock.now();
  let id: number;
  try {
    ({ id } = await ctx.cdb.db
      .insertInto('content_items')
      .values({
        corp_id: ctx.cdb.corpId,
        unit_id: ctx.actor.unitId,
        ...values(input),
        created_by: ctx.actor.accountId,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow());
  } catch (err) {
    if (isUniqueViolation(err) && input.key) throw keyTaken(input.key);
    throw err;
  }
  return getContentForCaller(ctx, id);
}

/** Seen (else 404) and of the caller's unit or below (else 403). */
async function editable(ctx: Ctx, id: number): Promise<ContentItem> {
  assertEditor(ctx);
  const item = await getContent(ctx, id);
  if (!mayEdit(ctx, item.unitId))
    throw new AppError('forbidden', {
      zh: `这条素材属于${item.unitName}，只能查看和使用`,
      en: `This item belongs to ${item.unitName}: you may read and use it, not change it`,
    });
  return item;
}

export async function updateContent(ctx: Ctx, id: number, input: ContentInput): Promise<ListedItem> {
  await editable(ctx, id);
  try {
    await ctx.cdb.db
      .updateTable('content_items')
      .set({ ...values(input), updated_at: ctx.clock.now() })
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', '=', id)
      .execute();
  } catch (err) {
    if (isUniqueViolation(err) && input.key) throw keyTaken(input.key);
    throw err;
  }
  return getContentForCaller(ctx, id);
}

/** Deletes an item and its use records. */
export async function deleteContent(ctx: Ctx, id: number): Promise<{ ok: true }> {
  await editable(ctx, id);
  await ctx.cdb.db
    .deleteFrom('content_items')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
  return { ok: true };
}

export interface ContentUse {
  contentId: number;
  customerId: number;
  /** The outreach ledger's touch, when the use was a budgeted touch (one use per item and touch). */
  touchId?: string | number | null;
  /** When it was sent; now by default. */
  at?: Date;
}

/**
 * Records that an item went to a customer (in the caller's transaction, when there is one). A use with a
 * touch already recorded for this item is not recorded twice. Returns whether a row was written.
 */
export async function recordContentUse(ctx: SyncCtx, use: ContentUse): Promise<boolean> {
  const touchId = use.touchId === undefined || use.touchId === null ? null : String(use.touchId);
  const rows = await ctx.cdb.db
    .insertInto('content_uses')
    .values({
      corp_id: ctx.cdb.corpId,
      content_id: use.contentId,
      customer_id: use.customerId,
      touch_id: touchId,
      used_at: use.at ?? ctx.clock.now(),
    })
    .onConflict((oc) =>
      oc.columns(['corp_id', 'content_id', 'touch_id']).where('touch_id', 'is not', null).doNothing(),
    )
    .returning('id')
    .execute();
  return rows.length > 0;
}

/** Many uses in one statement (a mass send's batch): as `recordContentUse`, each touch recorded once. */
export async function recordContentUses(ctx: SyncCtx, uses: ContentUse[]): Promise<number> {
  if (uses.length === 0) return 0;
  const now = ctx.clock.now();
  const rows = await ctx.cdb.db
    .insertInto('content_uses')
    .values(
      uses.map((use) => ({
        corp_id: ctx.cdb.corpId,
        content_id: use.contentId,
        customer_id: use.customerId,
        touch_id: use.touchId === undefined || use.touchId === null ? null : String(use.touchId),
        used_at: use.at ?? now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['corp_id', 'content_id', 'touch_id']).where('touch_id', 'is not', null).doNothing(),
    )
    .returning('id')
    .execute();
  return rows.length;
}
