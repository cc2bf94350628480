import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { attachment, EXPORT_FORMATS } from '../../platform/export.ts';
import { AppError } from '../../platform/http/errors.ts';
import { ctxOf, type Deps } from '../context.ts';
import { LADDER_ROLES } from '../orders/index.ts';
import { exportLevers, LEVER_VIEWS } from './export-levers.ts';
import { ladderCohorts, productFigures, productPage, recommendations } from './ladder.ts';
import { createPilot, deletePilot, listPilots, PILOT_KINDS, pilotEffect } from './pilots.ts';
import { createSpend, deleteSpend, importSpend, listSpend, roiReport, TARGET_KINDS } from './roi.ts';
import { FORCES, INDICATORS, scorecard } from './scorecard.ts';
import { addMonths, brandDay, monthOf, scopeOf, stages } from './service.ts';

const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const id = z.coerce.number().int().positive();
const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
  .transform((s) => `${s}-01`);
const day = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a day as YYYY-MM-DD');
const unitFilter = {
  unitId: id.optional().describe('narrow to this unit’s subtree (inside the caller’s scope, else 403)'),
};
const FILE_TYPES = [
  'application/octet-stream',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'text/csv',
];
const MAX_BYTES = 2 * 1024 * 1024;
const kind = z.enum(TARGET_KINDS);
const spendRow = z.object({
  id: z.number(),
  unitId: z.number(),
  unitName: z.string(),
  targetKind: kind,
  targetKey: z.string(),
  targetName: z.string(),
  month: z.string(),
  amountFen: z.number(),
  note: z.string(),
  createdAt: z.string(),
});
const did = z
  .object({
    estimate: z.number(),
    low: z.number(),
    high: z.number(),
    level: z.number(),
    significant: z.boolean(),
    pilotUnits: z.number(),
    controlUnits: z.number(),
    pilotBefore: z.number(),
    pilotAfter: z.number(),
    controlBefore: z.number(),
    controlAfter: z.number(),
  })
  .nullable();
const factors = z.object({
  customers: z.number(),
  conversion: z.number(),
  repurchases: z.number(),
  orderValueFen: z.number(),
  gmvFen: z.number(),
});
const pilot = z.object({
  id: z.number(),
  name: z.string(),
  kind: z.enum(PILOT_KINDS),
  note: z.string(),
  startsOn: z.string(),
  endsOn: z.string().nullable(),
  units: z.array(z.object({ id: z.number(), name: z.string() })),
  createdAt: z.string(),
});
const role = z.enum(LADDER_ROLES);
const roles = z.object({ traffic: z.number(), trust: z.number(), profit: z.number(), expansion: z.number() });
const product = z.object({
  code: z.string(),
  name: z.string(),
  role: role.nullable(),
  buyers: z.number(),
  orders: z.number(),
  gmvFen: z.number(),
  churned: z.number(),
  churnRate: z.number().nullable(),
  complained: z.number().nullable(),
  complaintRate: z.number().nullable(),
  flags: z.array(z.enum(['churn', 'complaints'])),
});

/** CAC and ROI, the four-force scorecard, pilots and the product ladder (issue 16, points 4–7). */
export function leverRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const access = { access: { roles: MANAGERS, scope: 'subtree' as const } };
    const tags = ['insight'];
    const thisMonth = () => monthOf(brandDay(deps.clock.now()));
    app.addContentTypeParser(FILE_TYPES, { parseAs: 'buffer', bodyLimit: MAX_BYTES }, (_r, body, done) =>
      done(null, body),
    );

    app.get(
      '/insight/levers/export',
      {
        config: access,
        schema: {
          tags,
          summary:
            'A table of the 经营杠杆 page as a file (.xlsx, or CSV in UTF-8 with BOM): CAC and ROI, campaigns, the scorecard, a pilot’s stores (pilotId), the products; figures only',
          querystring: z.strictObject({
            view: z.enum(LEVER_VIEWS),
            format: z.enum(EXPORT_FORMATS).default('xlsx'),
            from: month.optional().describe('roi, campaigns: default two months before `to`'),
            to: month.optional().describe('roi, campaigns: default this month'),
            month: month.optional().describe('scorecard: default this month'),
            windowDays: z.coerce.number().int().min(1).max(365).default(30),
            pilotId: id.optional().describe('pilot: the pilot (required)'),
            months: z.coerce.number().int().min(1).max(12).default(3),
            ...unitFilter,
          }),
        },
      },
      async (request, reply) => {
        const ctx = ctxOf(deps, request);
        const q = request.query;
        if (q.view === 'pilot' && q.pilotId === undefined)
          throw new AppError('bad_request', {
            zh: '导出试点需要 pilotId',
            en: 'A pilot export needs pilotId',
          });
        const to = q.to ?? thisMonth();
        const lang = String(request.headers['accept-language'] ?? '').startsWith('en') ? 'en' : 'zh';
        const file = await exportLevers(ctx, await scopeOf(ctx, q), {
          view: q.view,
          format: q.format,
          lang,
          from: q.from ?? addMonths(to, -2),
          to,
          month: q.month ?? thisMonth(),
          windowDays: q.windowDays,
          months: q.months,
          ...(q.pilotId !== undefined ? { pilotId: q.pilotId } : {}),
        });
        return reply
          .type(file.contentType)
          .header('content-disposition', attachment(file.fileName))
          .send(file.body);
      },
    );

    app.get(
      '/insight/spend',
      {
        config: access,
        schema: {
          tags,
          summary: 'Spend entered per channel, method, campaign or journey and month, of the caller’s units',
          querystring: z.strictObject({ from: month.optional(), to: month.optional() }),
          response: { 200: z.object({ items: z.array(spendRow) }) },
        },
      },
      async (request) => ({ items: await listSpend(ctxOf(deps, request), request.query) }),
    );

    app.post(
      '/insight/spend',
      {
        config: access,
        schema: {
          tags,
          summary:
            'Enter spend for a unit (inside the caller’s scope) on a channel (its id), a method (its code), a campaign (a mass send id) or a journey (its id) in a month; a campaign or journey outside the caller’s units is refused (400)',
          body: z.strictObject({
            unitId: id,
            targetKind: kind,
            targetKey: z.string().trim().min(1).max(40),
            month,
            amountFen: z.number().int().positive().max(1e12),
            note: z.string().max(200).optional(),
          }),
          response: { 201: spendRow },
        },
      },
      async (request, reply) => reply.code(201).send(await createSpend(ctxOf(deps, request), request.body)),
    );

    app.delete(
      '/insight/spend/:id',
      {
        config: access,
        schema: {
          tags,
          summary: 'Delete a spend entry of the caller’s units (404 outside)',
          params: z.object({ id }),
        },
      },
      async (request, reply) => {
        await deleteSpend(ctxOf(deps, request), request.params.id);
        return reply.code(204).send();
      },
    );

    app.post(
      '/insight/spend/import',
      {
        config: access,
        bodyLimit: MAX_BYTES,
        schema: {
          tags,
          summary:
            'Import spend from an .xlsx or CSV sent as the body: 月份 (YYYY-MM), 组织编码, 类型 (渠道/方式/活动/旅程), 对象 (channel id or name, method code, mass send id, journey id), 金额(元), 备注. All or nothing: any bad line writes nothing',
          response: {
            200: z.object({
              imported: z.number(),
              errors: z.array(z.object({ line: z.number(), message: z.string() })),
            }),
          },
        },
      },
      async (request) => {
        if (!Buffer.isBuffer(request.body) || request.body.length === 0)
          throw new AppError('bad_request', {
            zh: '请把 .xlsx 或 CSV 文件本身作为请求体上传',
            en: 'Send the .xlsx or CSV file itself as the request body',
          });
        const lang = String(request.headers['accept-language'] ?? '').startsWith('en') ? 'en' : 'zh';
        return importSpend(ctxOf(deps, request), request.body, lang);
      },
    );

    app.get(
      '/insight/roi',
      {
        config: access,
        schema: {
          tags,
          summary:
            'CAC = spend ÷ new customers and ROI = attributed GMV ÷ spend per spend entry, over brand months [from, to]; a channel’s or method’s GMV is what its new customers paid within windowDays of their acquisition, a campaign’s what the outreach engine credited to it (the brand’s attribution window), a journey’s the orders of the month credited to its touches. `campaigns` lists the journeys (their orders and spend of the months) and the mass sends created in the months',
          querystring: z.strictObject({
            from: month.optional().describe('default: two months before `to`'),
            to: month.optional().describe('default: this month'),
            windowDays: z.coerce.number().int().min(1).max(365).default(30),
            ...unitFilter,
          }),
          response: {
            200: z.object({
              from: z.string(),
              to: z.string(),
              windowDays: z.number(),
              attributionDays: z.number(),
              rows: z.array(
                z.object({
                  unitId: z.number(),
                  unitName: z.string(),
                  targetKind: kind,
                  targetKey: z.string(),
                  targetName: z.string(),
                  month: z.string(),
                  spendFen: z.number(),
                  newCustomers: z.number(),
                  cacFen: z.number().nullable(),
                  attributedGmvFen: z.number(),
                  roi: z.number(),
                }),
              ),
              campaigns: z.array(
                z.object({
                  kind: z.enum(['mass_send', 'journey']),
                  id: z.number(),
                  name: z.string(),
                  unitName: z.string(),
                  createdAt: z.string(),
                  status: z.string(),
                  buyers: z.number(),
                  orders: z.number(),
                  gmvFen: z.number(),
                  spendFen: z.number(),
                  roi: z.number().nullable(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const q = request.query;
        const to = q.to ?? thisMonth();
        const from = q.from ?? addMonths(to, -2);
        const r = await roiReport(ctx, await scopeOf(ctx, q), { from, to, windowDays: q.windowDays });
        return { from, to, windowDays: q.windowDays, ...r };
      },
    );

    app.get(
      '/insight/scorecard',
      {
        config: access,
        schema: {
          tags,
          summary:
            'The four-force scorecard (组织力 × 运营力 × 商品力 × 产品力) per store for a brand month: each indicator’s formula, weight, target, value and score; each force; their product; the weakest force',
          querystring: z.strictObject({ month: month.optional(), ...unitFilter }),
          response: {
            200: z.object({
              month: z.string(),
              indicators: z.array(
                z.object({
                  key: z.string(),
                  force: z.enum(FORCES),
                  weight: z.number(),
                  target: z.number(),
                  lowerIsBetter: z.boolean(),
                  formula: z.object({ zh: z.string(), en: z.string() }),
                }),
              ),
              rows: z.array(
                z.object({
                  unitId: z.number(),
                  unitName: z.string(),
                  indicators: z.array(
                    z.object({
                      key: z.string(),
                      value: z.number().nullable(),
                      score: z.number().nullable(),
                      numerator: z.number(),
                      denominator: z.number(),
                    }),
                  ),
                  forces: z.object({
                    organisation: z.number().nullable(),
                    operations: z.number().nullable(),
                    merchandise: z.number().nullable(),
                    product: z.number().nullable(),
                  }),
                  total: z.number().nullable(),
                  weakest: z.enum(FORCES).nullable(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const m = request.query.month ?? thisMonth();
        return {
          month: m,
          indicators: INDICATORS.map((d) => ({ ...d, lowerIsBetter: d.lowerIsBetter ?? false })),
          rows: await scorecard(ctx, await scopeOf(ctx, request.query), m),
        };
      },
    );

    app.get(
      '/insight/pilots',
      {
        config: access,
        schema: {
          tags,
          summary: 'Pilots with a unit in the caller’s scope',
          response: { 200: z.object({ items: z.array(pilot) }) },
        },
      },
      async (request) => ({ items: await listPilots(ctxOf(deps, request)) }),
    );

    app.post(
      '/insight/pilots',
      {
        config: access,
        schema: {
          tags,
          summary: 'Mark units (inside the caller’s scope) as pilots of a change from a day',
          body: z.strictObject({
            name: z.string().trim().min(1).max(60),
            kind: z.enum(PILOT_KINDS),
            note: z.string().max(500).optional(),
            startsOn: day,
            endsOn: day.nullable().optional(),
            unitIds: z.array(id).min(1).max(200),
          }),
          response: { 201: pilot },
        },
      },
      async (request, reply) => reply.code(201).send(await createPilot(ctxOf(deps, request), request.body)),
    );

    app.delete(
      '/insight/pilots/:id',
      {
        config: access,
        schema: {
          tags,
          summary: 'Delete a pilot whose units are all the caller’s',
          params: z.object({ id }),
        },
      },
      async (request, reply) => {
        await deletePilot(ctxOf(deps, request), request.params.id);
        return reply.code(204).send();
      },
    );

    app.get(
      '/insight/pilot-effect',
      {
        config: access,
        schema: {
          tags,
          summary:
            'A pilot’s stores against the other stores of the scope on the GMV factors, `months` before and after its start: difference-in-differences with a 95 % bootstrap interval over stores (seeded); significant only when the interval leaves out 0',
          querystring: z.strictObject({
            pilotId: id,
            months: z.coerce.number().int().min(1).max(12).default(3),
            ...unitFilter,
          }),
          response: {
            200: z.object({
              pilot,
              before: z.object({ from: z.string(), to: z.string() }),
              after: z.object({ from: z.string(), to: z.string() }),
              measures: z.object({
                gmvFen: did,
                customers: did,
                conversion: did,
                repurchases: did,
                orderValueFen: did,
              }),
              stores: z.array(
                z.object({
                  id: z.number(),
                  name: z.string(),
                  pilot: z.boolean(),
                  before: factors,
                  after: factors,
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const q = request.query;
        return pilotEffect(ctx, await scopeOf(ctx, q), q.pilotId, q.months);
      },
    );

    app.get(
      '/insight/ladder',
      {
        config: access,
        schema: {
          tags,
          summary:
            'The product ladder by acquisition month: where customers entered (traffic → trust → profit → expansion), the highest role reached, how many moved up; and the next product by lifecycle stage',
          querystring: z.strictObject({
            last: month.optional(),
            months: z.coerce.number().int().min(1).max(18).default(6),
            ...unitFilter,
          }),
          response: {
            200: z.object({
              cohorts: z.array(
                z.object({
                  month: z.string(),
                  customers: z.number(),
                  onLadder: z.number(),
                  entered: roles,
                  reached: roles,
                  movedUp: z.number(),
                }),
              ),
              recommendations: z.array(
                z.object({
                  stage: z.string(),
                  customers: z.number(),
                  role,
                  product: z.object({ code: z.string(), name: z.string(), buyers: z.number() }).nullable(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const q = request.query;
        const scope = await scopeOf(ctx, q);
        const [cohorts, st] = await Promise.all([
          ladderCohorts(ctx, scope, q.last ?? thisMonth(), q.months),
          stages(ctx, scope),
        ]);
        return { cohorts, recommendations: await recommendations(ctx, scope, st) };
      },
    );

    app.get(
      '/insight/products',
      {
        config: access,
        schema: {
          tags,
          summary:
            'Products with their ladder role, buyers in the scope, and flags: buyers who churn or complain more than the other buyers (two-proportion z ≥ 1.96, ≥ 20 buyers)',
          querystring: z.strictObject(unitFilter),
          response: { 200: z.object({ items: z.array(product) }) },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        return { items: await productFigures(ctx, await scopeOf(ctx, request.query)) };
      },
    );

    app.get(
      '/insight/products/:code',
      {
        config: access,
        schema: {
          tags,
          summary:
            'A product’s page: its figures and flags against the other buyers, what its buyers bought next',
          params: z.object({ code: z.string().trim().min(1).max(64) }),
          querystring: z.strictObject(unitFilter),
          response: {
            200: product.extend({
              baseline: z.object({
                buyers: z.number(),
                churnRate: z.number().nullable(),
                complaintRate: z.number().nullable(),
              }),
              repeatBuyers: z.number(),
              next: z.array(
                z.object({ code: z.string(), name: z.string(), role: role.nullable(), buyers: z.number() }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        return productPage(ctx, await scopeOf(ctx, request.query), request.params.code);
      },
    );
  };
}
