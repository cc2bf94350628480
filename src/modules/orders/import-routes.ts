import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/http/errors.ts';
import { ctxOf, type Deps } from '../context.ts';
import { IMPORT_JOB } from './import-runner.ts';
import {
  createImport,
  DEFAULT_SOURCE,
  getImport,
  importErrorsCsv,
  importerOf,
  listImports,
  MAX_IMPORT_BYTES,
  previewImport,
} from './import-service.ts';
import { importTemplate } from './import-template.ts';
import { SOURCE_PATTERN } from './integrations.ts';
import { orderChannel } from './routes.ts';

/** HQ imports for the whole brand; region and store managers for the stores they manage. */
const IMPORTERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const access = { access: { roles: IMPORTERS, scope: 'subtree' as const } };
const FILE_TYPES = [
  'application/octet-stream',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.ms-excel',
  'text/csv',
  'text/plain',
];
const MB = MAX_IMPORT_BYTES / 1024 / 1024;
const tooLarge = () =>
  new AppError('payload_too_large', {
    zh: `文件超过 ${MB} MB 上限，请拆分后分批导入`,
    en: `The file exceeds the ${MB} MB limit: split it and import the parts`,
  });

const rowError = z.object({
  row: z.number().describe('the row as Excel numbers it (the header is row 1)'),
  column: z.string().describe('the column as the file names it'),
  field: z.string().describe('the column’s key, e.g. orderNo'),
  orderNo: z.string().nullable(),
  zh: z.string(),
  en: z.string(),
});

const preview = z.object({
  fileName: z.string(),
  source: z.string(),
  lines: z.number(),
  orders: z.number(),
  valid: z.number().describe('orders that pass every check'),
  wouldCreate: z.number(),
  duplicates: z.number(),
  invalid: z.number(),
  ignoredColumns: z.array(z.string()),
  sample: z
    .array(
      z.object({
        row: z.number(),
        orderNo: z.string(),
        storeCode: z.string().nullable(),
        channel: orderChannel,
        orderedAt: z.string().describe('brand time with its offset, e.g. 2026-06-01T12:30:00+08:00'),
        productCode: z.string(),
        productName: z.string(),
        quantity: z.number(),
        priceFen: z.number(),
        totalFen: z.number(),
        paidFen: z.number(),
        couponCode: z.string().nullable(),
        couponFen: z.number(),
        identities: z.array(z.string()).describe('the phone masked, in OneID’s order of trust'),
        duplicate: z.boolean().describe('already imported from this source: counted as a duplicate'),
      }),
    )
    .describe('the first lines, as they will be imported'),
  errorCount: z.number(),
  errors: z.array(rowError).describe('the first 10,000 problems, by row'),
});

const job = z.object({
  id: z.number(),
  fileName: z.string(),
  source: z.string(),
  status: z.enum(['running', 'done', 'failed']),
  createdBy: z.string(),
  lines: z.number(),
  orders: z.number(),
  processed: z.number().describe('orders handled so far (imported, duplicate or rejected), of `orders`'),
  created: z.number(),
  duplicates: z.number(),
  invalid: z.number(),
  errorCount: z.number(),
  failure: z.string().nullable().describe('why the import stopped, when it failed'),
  startedAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
});

const attachment = (fileName: string) =>
  `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;

export function importRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    // The upload is the file itself as the body (no multipart): `curl --data-binary @orders.xlsx`.
    app.addContentTypeParser(
      FILE_TYPES,
      { parseAs: 'buffer', bodyLimit: MAX_IMPORT_BYTES },
      (_req, body, done) => done(null, body),
    );
    // Before reading the body: a declared size over the limit is refused at once, with the limit in the message.
    app.addHook('onRequest', async (request) => {
      if (Number(request.headers['content-length'] ?? 0) > MAX_IMPORT_BYTES) throw tooLarge();
    });

    app.post(
      '/order-imports',
      {
        config: access,
        bodyLimit: MAX_IMPORT_BYTES,
        schema: {
          tags: ['orders'],
          summary:
            'Import orders from an .xlsx or CSV file sent as the request body (content-type application/octet-stream, text/csv or the .xlsx type). dryRun=true checks and counts everything and writes nothing; otherwise 202 with the import, which runs in the background (GET /order-imports/:id for progress)',
          querystring: z.object({
            fileName: z.string().trim().min(1).max(200).default('orders'),
            source: z
              .string()
              .trim()
              .regex(SOURCE_PATTERN, 'lowercase letters, digits, _ and -, at most 32')
              .default(DEFAULT_SOURCE)
              .describe(
                'the name of the orders’ source system: they are kept as source import:<name>, and (source, 订单号) is imported once',
              ),
            dryRun: z.stringbool().default(false),
          }),
          response: { 200: preview, 202: job },
        },
      },
      async (request, reply) => {
        const ctx = ctxOf(deps, request);
        if (!Buffer.isBuffer(request.body) || request.body.length === 0) {
          throw new AppError('bad_request', {
            zh: '请把 .xlsx 或 CSV 文件本身作为请求体上传（content-type: application/octet-stream）',
            en: 'Send the .xlsx or CSV file itself as the request body (content-type: application/octet-stream)',
          });
        }
        const file = { ...request.query, bytes: request.body };
        if (request.query.dryRun) return previewImport(ctx, importerOf(ctx.actor), file);
        const { job } = await createImport(ctx, importerOf(ctx.actor), file);
        deps.wake.job(IMPORT_JOB);
        return reply.code(202).send(job);
      },
    );
    app.get(
      '/order-imports',
      {
        config: access,
        schema: {
          tags: ['orders'],
          summary:
            'The latest imports the caller may see (HQ: all; managers: those made inside their subtree)',
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }),
          response: { 200: z.object({ items: z.array(job) }) },
        },
      },
      async (request) => ({ items: await listImports(ctxOf(deps, request), request.query.limit) }),
    );
    app.get(
      '/order-imports/template.xlsx',
      {
        config: access,
        schema: {
          tags: ['orders'],
          summary: 'The import template: the columns, two example orders, and a sheet explaining each column',
        },
      },
      async (_request, reply) =>
        reply
          .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
          .header('content-disposition', attachment('订单导入模板.xlsx'))
          .send(await importTemplate()),
    );
    app.get(
      '/order-imports/:id',
      {
        config: access,
        schema: {
          tags: ['orders'],
          summary: "An import's progress and totals, with the first 200 rows of its error report",
          params: z.object({ id: z.coerce.number().int().positive() }),
          response: { 200: job.extend({ errors: z.array(rowError) }) },
        },
      },
      async (request) => getImport(ctxOf(deps, request), request.params.id),
    );
    app.get(
      '/order-imports/:id/errors.csv',
      {
        config: access,
        schema: {
          tags: ['orders'],
          summary:
            "An import's whole error report as CSV: row, column, order number, reason in Chinese and English",
          params: z.object({ id: z.coerce.number().int().positive() }),
        },
      },
      async (request, reply) => {
        const { fileName, csv } = await importErrorsCsv(ctxOf(deps, request), request.params.id);
        return reply
          .type('text/csv; charset=utf-8')
          .header('cache-control', 'private, no-store')
          .header('content-disposition', attachment(fileName))
          .send(csv);
      },
    );
  };
}
