import type { Kysely } from 'kysely';
import type { Actor } from '../../platform/actor.ts';
import { analyzeIfGrown } from '../../platform/db/analyze.ts';
import { notFound } from '../../platform/http/errors.ts';
import { maskPhone } from '../../platform/pii.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import { visibleIn } from '../customers/index.ts';
import { subtreeUnitIds } from '../org/index.ts';
import { toCsv } from './import-file.ts';
import { ParseStopped, parseOrderFileOffThread } from './import-parse.ts';
import { type ColumnKey, ingestError, type ParsedOrder, type RowError } from './import-rows.ts';
import { ingestOrders, type OrderInput } from './ingest.ts';

/**
 * The order import: a file checked row by row (a dry run stops there and writes nothing), then an import
 * job that hands the valid orders to ingestOrders in batches, counting and reporting as it goes. The API and
 * the CLI both come through here.
 */

/** Orders per ingestOrders call: one transaction each, and the unit of progress and of resuming. */
export const IMPORT_BATCH = 500;
/** The tables an import fills, analyzed as they grow: orders first (its size decides when). */
const IMPORTED_TABLES = ['orders', 'order_items', 'customer_identities'];
/** Upload limit. 100,000 order lines are ~5 MB as .xlsx and ~15 MB as CSV. */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;
/** A running import holds its lease this long past its last batch; past it, another process may resume it. */
const LEASE_MS = 5 * 60_000;
const PREVIEW_LINES = 20;
const DRY_RUN_ERRORS = 10_000;
const JOB_ERRORS = 200;

export const DEFAULT_SOURCE = 'import';
/**
 * Imports have their own namespace of sources: the name an importer gives becomes `import:<name>`. An
 * integration's source has no colon (SOURCE_PATTERN), so an import can never take an integrator's order
 * numbers, nor the reverse.
 */
export const importSource = (name: string) => `import:${name}`;

/** Who imports: an account (the stores of its subtree only) or the CLI (the whole brand). */
export interface Importer {
  accountId: number | null;
  /** null: the whole brand. */
  scopeUnitId: number | null;
}

export const importerOf = (actor: Actor): Importer => ({
  accountId: actor.accountId,
  scopeUnitId: actor.seesWholeCorp ? null : actor.unitId,
});

export interface ImportFile {
  fileName: string;
  /** The name the importer gives the source: the orders' source is `import:<name>` (importSource). */
  source: string;
  bytes: Uint8Array;
}

export interface ReportError {
  row: number;
  column: string;
  field: string;
  orderNo: string | null;
  zh: string;
  en: string;
}

interface Checked {
  lines: number;
  orderCount: number;
  orders: ParsedOrder[];
  invalidOrders: number;
  errors: RowError[];
  ignoredColumns: string[];
  columns: Record<ColumnKey, string>;
}

/**
 * Reads and checks a file: every row parsed, orders assembled, each store known and inside the importer's
 * scope, each order valid for ingestOrders. Writes nothing.
 */
async function checkFile(ctx: SyncCtx, importer: Importer, bytes: Uint8Array): Promise<Checked> {
  const parsed = await parseOrderFileOffThread(bytes, ctx.clock.now());
  const { columns, errors } = parsed;
  const inScope =
    importer.scopeUnitId === null ? null : new Set(await subtreeUnitIds(ctx.cdb, importer.scopeUnitId));
  const units = await unitsByCode(ctx, [
    ...new Set(parsed.orders.flatMap((o) => (o.order.input.storeCode ? [o.order.input.storeCode] : []))),
  ]);
  const orders: ParsedOrder[] = [];
  let invalidOrders = parsed.invalidOrders;
  for (const { order, problems } of parsed.orders) {
    const { storeCode, sourceOrderId } = order.input;
    const fail = (key: ColumnKey, zh: string, en: string) =>
      errors.push({ row: order.rows[0]!, column: columns[key], field: key, orderNo: sourceOrderId, zh, en });
    const unit = storeCode ? units.get(storeCode) : undefined;
    const unitId = unit?.id;
    if (storeCode && unit === undefined) {
      fail('storeCode', `门店编码「${storeCode}」不存在`, `No store has the code "${storeCode}"`);
    } else if (unit && unit.kind !== 'store') {
      const [zh, en] = unit.kind === 'hq' ? ['总部', 'the HQ'] : ['大区', 'a region'];
      fail(
        'storeCode',
        `「${storeCode}」是${zh}的编码，不是门店：请填写门店编码`,
        `"${storeCode}" is the code of ${en}, not of a store: fill in a store's code`,
      );
    } else if (inScope && unitId === undefined) {
      fail(
        'storeCode',
        '请填写门店编码：你只能导入所辖门店的订单',
        'Fill in the store code: you may import only the orders of the stores you manage',
      );
    } else if (inScope && !inScope.has(unitId!)) {
      fail(
        'storeCode',
        `门店「${storeCode}」不在你的管辖范围内`,
        `The store "${storeCode}" is outside the stores you manage`,
      );
    } else if (problems.length === 0) {
      orders.push(order);
      continue;
    } else {
      // what ingestOrders would say (checked in the worker): the last word on validity
      for (const p of problems) errors.push(p);
    }
    invalidOrders++;
  }
  errors.sort((a, b) => a.row - b.row);
  return {
    lines: parsed.lines,
    orderCount: parsed.orderCount,
    orders,
    invalidOrders,
    errors,
    ignoredColumns: parsed.ignoredColumns,
    columns,
  };
}

async function unitsByCode(
  ctx: SyncCtx,
  codes: string[],
): Promise<Map<string, { id: number; kind: string }>> {
  const units = new Map<string, { id: number; kind: string }>();
  for (let i = 0; i < codes.length; i += 1000) {
    const rows = await ctx.cdb.db
      .selectFrom('org_units')
      .select(['id', 'code', 'kind'])
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('code', 'in', codes.slice(i, i + 1000))
      .execute();
    for (const r of rows) units.set(r.code!, { id: r.id, kind: r.kind });
  }
  return units;
}

/**
 * The orders of the file already imported from this source that the importer may see: for a manager, those
 * of the stores they manage or of customers in their scope (the customers module's rule). Others are not
 * told apart from new ones.
 */
async function existingOrderIds(
  ctx: SyncCtx,
  importer: Importer,
  source: string,
  ids: string[],
): Promise<Set<string>> {
  const { cdb } = ctx;
  const unitIds = importer.scopeUnitId === null ? null : await subtreeUnitIds(cdb, importer.scopeUnitId);
  const found = new Set<string>();
  for (let i = 0; i < ids.length; i += 1000) {
    const rows = await cdb.db
      .selectFrom('orders as o')
      .select('o.source_order_id')
      .where('o.corp_id', '=', cdb.corpId)
      .where('o.source', '=', source)
      .where('o.source_order_id', 'in', ids.slice(i, i + 1000))
      .$if(unitIds !== null, (q) =>
        q.where((eb) =>
          eb.or([
            eb('o.unit_id', 'in', unitIds!),
            eb(
              'o.customer_id',
              'in',
              eb
                .selectFrom('customers as c')
                .select('c.id')
                .where('c.corp_id', '=', cdb.corpId)
                .where(visibleIn({ wholeCorp: false, unitIds: unitIds!, staffId: null })),
            ),
          ]),
        ),
      )
      .execute();
    for (const r of rows) found.add(r.source_order_id);
  }
  return found;
}

const toReport = (e: RowError): ReportError => ({ ...e });

export interface PreviewLine {
  row: number;
  orderNo: string;
  storeCode: string | null;
  channel: OrderInput['channel'];
  orderedAt: string;
  productCode: string;
  productName: string;
  quantity: number;
  priceFen: number;
  totalFen: number;
  paidFen: number;
  couponCode: string | null;
  couponFen: number;
  /** The identities the order carries, the phone masked, in OneID's order of trust. */
  identities: string[];
  /** Already imported from this source: it will be counted as a duplicate and change nothing. */
  duplicate: boolean;
}

export interface ImportPreview {
  fileName: string;
  source: string;
  lines: number;
  orders: number;
  /** Orders that pass every check. */
  valid: number;
  wouldCreate: number;
  duplicates: number;
  invalid: number;
  ignoredColumns: string[];
  sample: PreviewLine[];
  errorCount: number;
  /** The first 10,000 problems, by row. */
  errors: ReportError[];
}

/** The dry run: everything checked and counted, the first lines shown as they will be imported; nothing written. */
export async function previewImport(
  ctx: SyncCtx,
  importer: Importer,
  file: ImportFile,
): Promise<ImportPreview> {
  const source = importSource(file.source);
  const checked = await checkFile(ctx, importer, file.bytes);
  const existing = await existingOrderIds(
    ctx,
    importer,
    source,
    checked.orders.map((o) => o.input.sourceOrderId),
  );
  const sample: PreviewLine[] = [];
  for (const { input: o, rows } of checked.orders) {
    if (sample.length >= PREVIEW_LINES) break;
    const c = o.customer ?? {};
    const identities = [
      c.externalUserid && `external_userid ${c.externalUserid}`,
      c.unionid && `unionid ${c.unionid}`,
      c.openid && `openid ${c.openid}`,
      c.phone && `phone ${maskPhone(c.phone)}`,
    ].filter((x): x is string => Boolean(x));
    o.items.forEach((item, i) => {
      sample.push({
        row: rows[i]!,
        orderNo: o.sourceOrderId,
        storeCode: o.storeCode ?? null,
        channel: o.channel,
        orderedAt: o.orderedAt,
        productCode: item.productCode,
        productName: item.productName,
        quantity: item.quantity,
        priceFen: item.priceFen,
        totalFen: o.totalFen,
        paidFen: o.paidFen,
        couponCode: o.couponCode ?? null,
        couponFen: o.couponFen ?? 0,
        identities,
        duplicate: existing.has(o.sourceOrderId),
      });
    });
  }
  return {
    fileName: file.fileName,
    source,
    lines: checked.lines,
    orders: checked.orderCount,
    valid: checked.orders.length,
    wouldCreate: checked.orders.length - existing.size,
    duplicates: existing.size,
    invalid: checked.invalidOrders,
    ignoredColumns: checked.ignoredColumns,
    sample: sample.slice(0, PREVIEW_LINES),
    errorCount: checked.errors.length,
    errors: checked.errors.slice(0, DRY_RUN_ERRORS).map(toReport),
  };
}

export interface ImportJob {
  id: number;
  fileName: string;
  source: string;
  status: 'running' | 'done' | 'failed';
  createdBy: string;
  lines: number;
  orders: number;
  /** Orders handled so far (imported, found duplicate, or rejected), of `orders`. */
  processed: number;
  created: number;
  duplicates: number;
  invalid: number;
  errorCount: number;
  /** Why the import stopped, when it failed. */
  failure: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

type JobRow = {
  id: number;
  file_name: string;
  source: string;
  status: ImportJob['status'];
  created_by_name: string;
  total_lines: number;
  total_orders: number;
  valid_orders: number;
  cursor: number;
  created: number;
  duplicates: number;
  invalid: number;
  error_count: number;
  failure: string | null;
  started_at: Date;
  updated_at: Date;
  finished_at: Date | null;
};

const JOB_COLUMNS = [
  'id',
  'file_name',
  'source',
  'status',
  'created_by_name',
  'total_lines',
  'total_orders',
  'valid_orders',
  'cursor',
  'created',
  'duplicates',
  'invalid',
  'error_count',
  'failure',
  'started_at',
  'updated_at',
  'finished_at',
] as const;

const jobOf = (r: JobRow): ImportJob => ({
  id: r.id,
  fileName: r.file_name,
  source: r.source,
  status: r.status,
  createdBy: r.created_by_name,
  lines: r.total_lines,
  orders: r.total_orders,
  processed: r.total_orders - r.valid_orders + r.cursor,
  created: r.created,
  duplicates: r.duplicates,
  invalid: r.invalid,
  errorCount: r.error_count,
  failure: r.failure,
  startedAt: r.started_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
});

/** Checks the file and records the import (its row-level errors found so far, and the file); the orders come after. */
export async function createImport(
  ctx: SyncCtx,
  importer: Importer,
  file: ImportFile,
): Promise<{ job: ImportJob; checked: Checked }> {
  const checked = await checkFile(ctx, importer, file.bytes);
  const now = ctx.clock.now();
  const by = importer.accountId
    ? await ctx.cdb.db
        .selectFrom('accounts')
        .select('display_name')
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', importer.accountId)
        .executeTakeFirst()
    : undefined;
  const row = await ctx.cdb.transaction(async (tx) => {
    const job = await tx.db
      .insertInto('order_imports')
      .values({
        corp_id: tx.corpId,
        file_name: file.fileName,
        source: importSource(file.source),
        status: 'running',
        scope_unit_id: importer.scopeUnitId,
        created_by: importer.accountId,
        created_by_name: by?.display_name ?? 'CLI',
        file: sealFile(ctx, file.bytes),
        total_lines: checked.lines,
        total_orders: checked.orderCount,
        valid_orders: checked.orders.length,
        invalid: checked.invalidOrders,
        error_count: checked.errors.length,
        started_at: now,
        updated_at: now,
      })
      .returning(JOB_COLUMNS)
      .executeTakeFirstOrThrow();
    await insertErrors({ ...ctx, cdb: tx }, job.id, 0, checked.errors);
    return job;
  });
  return { job: jobOf(row), checked };
}

/** The file holds phone numbers: at rest it is encrypted with the PII key, like every phone. */
const sealFile = (ctx: SyncCtx, bytes: Uint8Array) =>
  Buffer.from(ctx.pii.encrypt(Buffer.from(bytes).toString('base64')), 'utf8');
const openFile = (ctx: SyncCtx, sealed: Uint8Array | null) =>
  sealed ? Buffer.from(ctx.pii.decrypt(Buffer.from(sealed).toString('utf8')), 'base64') : new Uint8Array();

async function insertErrors(ctx: SyncCtx, importId: number, from: number, errors: RowError[]) {
  // 9 parameters a row: 1,000 rows a statement
  for (let i = 0; i < errors.length; i += 1000) {
    await ctx.cdb.db
      .insertInto('order_import_errors')
      .values(
        errors.slice(i, i + 1000).map((e, j) => ({
          corp_id: ctx.cdb.corpId,
          import_id: importId,
          seq: from + i + j + 1,
          row_no: e.row,
          column_name: e.column,
          field: e.field,
          order_no: e.orderNo,
          message_zh: e.zh,
          message_en: e.en,
        })),
      )
      .execute();
  }
}

export interface RunOptions {
  /** The file as checked at creation, to skip reading it again. */
  checked?: Checked;
  /** Told after each batch and at the end; the import waits for what it returns, when a promise. */
  onProgress?: (job: ImportJob) => unknown;
  /** Asked between batches: true leaves the import running (its lease released) for a later resume. */
  shouldStop?: () => boolean;
  batchSize?: number;
}

/**
 * Runs (or resumes) an import: takes its lease, then hands the valid orders from its cursor on to
 * ingestOrders, a batch at a time; each batch's counts, errors and cursor are saved together. An error ends
 * it as failed, with the reason; the orders already written stay, and importing the file again only adds
 * what is missing. Returns null when another process holds the import.
 */
export async function runImport(ctx: SyncCtx, id: number, opts: RunOptions = {}): Promise<ImportJob | null> {
  const { cdb, clock } = ctx;
  const now = clock.now();
  const claimed = await cdb.db
    .updateTable('order_imports')
    .set({ lease_until: new Date(now.getTime() + LEASE_MS), updated_at: now })
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .returning(['source', 'scope_unit_id', 'file', 'cursor', 'error_count'])
    .executeTakeFirst();
  if (!claimed) return null;
  const batchSize = opts.batchSize ?? IMPORT_BATCH;
  let cursor = claimed.cursor;
  let errorCount = claimed.error_count;
  /** Orders written since the tables they go to were last analyzed here (analyzeIfGrown). */
  let unanalyzed = 0;
  try {
    const checked =
      opts.checked ??
      (await checkFile(
        ctx,
        { accountId: null, scopeUnitId: claimed.scope_unit_id },
        openFile(ctx, claimed.file),
      ));
    const orders = checked.orders;
    while (cursor < orders.length) {
      if (opts.shouldStop?.()) {
        await cdb.db
          .updateTable('order_imports')
          .set({ lease_until: null })
          .where('corp_id', '=', cdb.corpId)
          .where('id', '=', id)
          .execute();
        return getJob(ctx, id);
      }
      const batch = orders.slice(cursor, cursor + batchSize);
      const results = await ingestOrders(
        ctx,
        claimed.source,
        batch.map((o) => o.input),
        { linkScopeUnitId: claimed.scope_unit_id },
      );
      const rejected = results.flatMap((r, i) =>
        r.status === 'invalid'
          ? (r.errors?.length ? r.errors : [{ field: 'sourceOrderId', message: 'rejected' }]).map((e) =>
              ingestError(batch[i]!, e, checked.columns),
            )
          : [],
      );
      const count = (status: string) => results.filter((r) => r.status === status).length;
      const at = clock.now();
      await cdb.transaction(async (tx) => {
        await insertErrors({ ...ctx, cdb: tx }, id, errorCount, rejected);
        await tx.db
          .updateTable('order_imports')
          .set((eb) => ({
            cursor: cursor + batch.length,
            created: eb('created', '+', count('created')),
            duplicates: eb('duplicates', '+', count('duplicate')),
            invalid: eb('invalid', '+', count('invalid')),
            error_count: errorCount + rejected.length,
            lease_until: new Date(at.getTime() + LEASE_MS),
            updated_at: at,
          }))
          .where('corp_id', '=', tx.corpId)
          .where('id', '=', id)
          .execute();
      });
      cursor += batch.length;
      errorCount += rejected.length;
      // Between batches, in a statement of its own: the statistics keep up with the tables the import fills,
      // or each batch's foreign-key checks would scan every order written before it (analyze.ts).
      unanalyzed += count('created');
      if (await analyzeIfGrown(cdb.db as Kysely<unknown>, IMPORTED_TABLES, unanalyzed)) unanalyzed = 0;
      if (opts.onProgress) await opts.onProgress((await getJob(ctx, id))!);
    }
    await finish(ctx, id, 'done', null);
  } catch (err) {
    if (err instanceof ParseStopped && (await readAgainLater(ctx, id))) return getJob(ctx, id);
    await finish(
      ctx,
      id,
      'failed',
      err instanceof ParseStopped ? PARSE_GAVE_UP : (err as Error).message || String(err),
    );
  }
  const job = (await getJob(ctx, id))!;
  await opts.onProgress?.(job);
  return job;
}

/** Times a process reads an import's stored file whose reading worker died, before the import fails. */
const PARSE_ATTEMPTS = 3;
const parseDeaths = new Map<string, number>();
const PARSE_GAVE_UP = `读取文件的线程 ${PARSE_ATTEMPTS} 次意外停止：已导入的订单保留，重新导入同一文件只补上其余的 / The thread reading the file stopped ${PARSE_ATTEMPTS} times: the orders imported stay, and importing the file again adds only the rest`;

/**
 * The worker reading an import's stored file died (out of memory, or killed): the import keeps its file, its
 * cursor and its counts, and its lease is released so that the runner reads it again at once; after
 * PARSE_ATTEMPTS deaths in this process it fails instead (false).
 */
async function readAgainLater(ctx: SyncCtx, id: number): Promise<boolean> {
  const key = `${ctx.cdb.corpId}:${id}`;
  const deaths = (parseDeaths.get(key) ?? 0) + 1;
  if (deaths >= PARSE_ATTEMPTS) {
    parseDeaths.delete(key);
    return false;
  }
  parseDeaths.set(key, deaths);
  await ctx.cdb.db
    .updateTable('order_imports')
    .set({ lease_until: null, updated_at: ctx.clock.now() })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
  return true;
}

async function finish(ctx: SyncCtx, id: number, status: 'done' | 'failed', failure: string | null) {
  parseDeaths.delete(`${ctx.cdb.corpId}:${id}`);
  const at = ctx.clock.now();
  await ctx.cdb.db
    .updateTable('order_imports')
    .set({ status, failure, file: null, lease_until: null, updated_at: at, finished_at: at })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
}

async function getJob(ctx: SyncCtx, id: number): Promise<ImportJob | null> {
  const row = await ctx.cdb.db
    .selectFrom('order_imports')
    .select(JOB_COLUMNS)
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? jobOf(row) : null;
}

/** An HQ admin at the root sees every import; others, those made inside their subtree. */
function visible(ctx: Ctx) {
  const { actor, cdb } = ctx;
  return cdb.db
    .selectFrom('order_imports')
    .where('corp_id', '=', cdb.corpId)
    .$if(!actor.seesWholeCorp, (q) => q.where('scope_unit_id', 'in', [...actor.unitIds]));
}

export async function listImports(ctx: Ctx, limit: number): Promise<ImportJob[]> {
  const rows = await visible(ctx).select(JOB_COLUMNS).orderBy('id', 'desc').limit(limit).execute();
  return rows.map(jobOf);
}

export async function getImport(ctx: Ctx, id: number): Promise<ImportJob & { errors: ReportError[] }> {
  const row = await visible(ctx).select(JOB_COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound({ zh: '导入记录', en: 'Import' });
  return { ...jobOf(row), errors: await importErrors(ctx, id, JOB_ERRORS) };
}

/** An import's report, by row. */
export async function importErrors(ctx: SyncCtx, id: number, limit?: number): Promise<ReportError[]> {
  const rows = await ctx.cdb.db
    .selectFrom('order_import_errors')
    .select(['row_no', 'column_name', 'field', 'order_no', 'message_zh', 'message_en'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('import_id', '=', id)
    .orderBy('row_no')
    .orderBy('seq')
    .$if(limit !== undefined, (q) => q.limit(limit!))
    .execute();
  return rows.map((r) => ({
    row: r.row_no,
    column: r.column_name,
    field: r.field,
    orderNo: r.order_no,
    zh: r.message_zh,
    en: r.message_en,
  }));
}

/** The whole report as CSV (UTF-8 with BOM: Excel opens it in Chinese). */
export async function importErrorsCsv(ctx: Ctx, id: number): Promise<{ fileName: string; csv: string }> {
  const job = await visible(ctx).select(['file_name']).where('id', '=', id).executeTakeFirst();
  if (!job) throw notFound({ zh: '导入记录', en: 'Import' });
  return { fileName: reportName(job.file_name), csv: errorsCsv(await importErrors(ctx, id)) };
}

export const reportName = (fileName: string) => `${fileName.replace(/\.(xlsx|csv|txt)$/i, '')}-errors.csv`;

export function errorsCsv(errors: ReportError[]): string {
  return toCsv([
    ['行号 Row', '列 Column', '订单号 Order', '原因', 'Reason'],
    ...errors.map((e) => [e.row, e.column, e.orderNo, e.zh, e.en]),
  ]);
}
