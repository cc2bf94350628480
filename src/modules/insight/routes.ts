import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { attachment, EXPORT_FORMATS } from '../../platform/export.ts';
import { CHANNEL_METHODS } from '../channels/index.ts';
import { type Ctx, ctxOf, type Deps } from '../context.ts';
import { ruleTree } from '../segments/index.ts';
import { PERSONA_LIST } from '../staff/index.ts';
import { exportView } from './export.ts';
import { FACTORS } from './gmv.ts';
import { home } from './home.ts';
import {
  addMonths,
  brandDay,
  cohorts,
  DIMENSIONS,
  type Dimension,
  DRILL_STEPS,
  drillCustomers,
  drillRule,
  funnel,
  gmvCompare,
  monthOf,
  performance,
  scopeOf,
} from './service.ts';

const id = z.coerce.number().int().positive();
const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM')
  .transform((s) => `${s}-01`);
/** The keys of a drill-down's dimension, as its figures give them. */
const KEY_OF: Record<Exclude<Dimension, 'total'>, RegExp> = {
  channel: /^(0|[1-9]\d{0,14})$/,
  method: new RegExp(`^(none|${CHANNEL_METHODS.join('|')})$`),
  store: /^[1-9]\d{0,14}$/,
  staff: /^[1-9]\d{0,14}$/,
  persona: new RegExp(`^(${PERSONA_LIST.join('|')})$`),
};

const scopeFilter = {
  unitId: id.optional().describe('narrow to this unit’s subtree (inside the caller’s scope, else 403)'),
  staffId: id.optional().describe('narrow to one member (inside the caller’s scope, else 403)'),
};

const activity = z.object({
  adds: z.number().describe('follows added'),
  deletions: z.number().describe('follows the customer deleted (删粉)'),
  staffDeletions: z.number().describe('follows the member deleted'),
  netGrowth: z.number().describe('adds − all ended follows'),
  welcomed: z.number().describe('adds whose welcome went out within WeCom’s 20 s'),
  newCustomers: z.number(),
  lostCustomers: z.number(),
  firstBuyers: z.number(),
});
const factors = z.object({
  customers: z.number(),
  conversion: z.number(),
  repurchases: z.number(),
  orderValueFen: z.number(),
  gmvFen: z.number(),
});
const split = z.object({
  method: z.enum(['lmdi', 'shapley']),
  contributions: z.object(
    Object.fromEntries(FACTORS.map((k) => [k, z.number()])) as Record<(typeof FACTORS)[number], z.ZodNumber>,
  ),
  change: z.number(),
});
const gmvRow = z.object({
  key: z.string(),
  label: z.string(),
  current: factors,
  previous: factors,
  split,
});
const alert = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('deletions_spike'),
    channelId: z.number(),
    channelName: z.string(),
    deletions: z.number(),
    baseline: z.number(),
  }),
  z.object({ kind: z.literal('no_adds'), unitId: z.number(), unitName: z.string() }),
]);

/** Names of the keys of a dimension (channels, stores, members); methods are named by the console. */
async function labels(ctx: Ctx, by: Dimension, keys: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ids = keys.map(Number).filter((k) => Number.isInteger(k) && k > 0);
  const corp = ctx.cdb.corpId;
  const table =
    by === 'channel' ? 'channels' : by === 'store' ? 'org_units' : by === 'staff' ? 'staff' : null;
  if (table && ids.length) {
    const r = await sql<{ id: unknown; name: string }>`select id, name from ${sql.table(table)}
      where corp_id = ${corp} and id = any(${ids}::bigint[])`.execute(ctx.cdb.db);
    for (const x of r.rows) out.set(String(x.id), x.name);
  }
  return out;
}

export function insightRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const read = { access: { roles: ROLES, scope: 'subtree' as const } };
    const tags = ['insight'];
    const thisMonth = () => monthOf(brandDay(deps.clock.now()));

    app.get(
      '/insight/home',
      {
        config: read,
        schema: {
          tags,
          summary:
            'The home page (工作台) of the caller’s scope: today and this week, last month’s GMV and factors against the month before, stages, tasks, alerts',
          querystring: z.strictObject(scopeFilter),
          response: {
            200: z.object({
              today: z.string(),
              weekStart: z.string(),
              activity: z.object({
                today: activity,
                yesterday: activity,
                week: activity,
                lastWeek: activity,
              }),
              gmv: z.object({
                month: z.string(),
                previousMonth: z.string(),
                total: gmvRow.omit({ label: true }),
              }),
              stages: z.record(z.string(), z.number()),
              tasks: z.object({ dueToday: z.number(), overdue: z.number(), open: z.number() }),
              customers: z.number().describe('customers owned now (still friends)'),
              alerts: z.array(alert),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        return home(ctx, await scopeOf(ctx, request.query));
      },
    );

    app.get(
      '/insight/gmv',
      {
        config: read,
        schema: {
          tags,
          summary:
            'GMV = customers × conversion × repurchases × order value for a brand month against another, per dimension, with each factor’s share of the change',
          querystring: z.strictObject({
            month: month.optional().describe('default: this month'),
            compareTo: month.optional().describe('default: the month before'),
            by: z.enum(DIMENSIONS).default('total'),
            ...scopeFilter,
          }),
          response: {
            200: z.object({
              month: z.string(),
              compareTo: z.string(),
              by: z.enum(DIMENSIONS),
              rows: z.array(gmvRow),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const q = request.query;
        const m = q.month ?? thisMonth();
        const c = q.compareTo ?? addMonths(m, -1);
        const rows = await gmvCompare(ctx, await scopeOf(ctx, q), m, c, q.by);
        const names = await labels(
          ctx,
          q.by,
          rows.map((r) => r.key),
        );
        return {
          month: m,
          compareTo: c,
          by: q.by,
          rows: rows.map((r) => ({ ...r, label: names.get(r.key) ?? r.key })),
        };
      },
    );

    app.get(
      '/insight/funnel',
      {
        config: read,
        schema: {
          tags,
          summary:
            'Scan → add → still a friend after 7 days → joined a group → first order → repurchase, for the customers acquired in brand months [from, to]',
          querystring: z.strictObject({
            from: month.optional().describe('default: two months before `to`'),
            to: month.optional().describe('default: this month'),
            by: z.enum(DIMENSIONS).default('total'),
            ...scopeFilter,
          }),
          response: {
            200: z.object({
              from: z.string(),
              to: z.string(),
              by: z.enum(DIMENSIONS),
              rows: z.array(
                z.object({
                  key: z.string(),
                  label: z.string(),
                  scans: z.number().nullable().describe('landing-page visitors per day; null per member'),
                  customers: z.number(),
                  retained7d: z.number(),
                  joinedGroup: z.number(),
                  firstOrder: z.number(),
                  repurchase: z.number(),
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
        const rows = await funnel(ctx, await scopeOf(ctx, q), from, to, q.by);
        const names = await labels(
          ctx,
          q.by,
          rows.map((r) => r.key),
        );
        return { from, to, by: q.by, rows: rows.map((r) => ({ ...r, label: names.get(r.key) ?? r.key })) };
      },
    );

    app.get(
      '/insight/cohorts',
      {
        config: read,
        schema: {
          tags,
          summary:
            'Retention by acquisition month: customers still friends, and customers ordering, in each month after',
          querystring: z.strictObject({
            months: z.coerce.number().int().min(1).max(18).default(3),
            last: month.optional().describe('the last cohort and month shown; default: this month'),
            ...scopeFilter,
          }),
          response: {
            200: z.object({
              rows: z.array(
                z.object({
                  month: z.string(),
                  customers: z.number(),
                  friends: z.array(z.number()),
                  buyers: z.array(z.number()),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const q = request.query;
        return { rows: await cohorts(ctx, await scopeOf(ctx, q), q.last ?? thisMonth(), q.months) };
      },
    );

    app.get(
      '/insight/performance',
      {
        config: read,
        schema: {
          tags,
          summary: 'Members or stores of the caller’s scope ranked by a measure over brand months [from, to]',
          querystring: z.strictObject({
            from: month.optional().describe('default: `to`'),
            to: month.optional().describe('default: this month'),
            by: z.enum(['staff', 'store']).default('staff'),
            sort: z
              .enum(['adds', 'deletions', 'activeFollows', 'customers', 'firstOrderRate', 'repurchaseRate'])
              .default('adds'),
            ...scopeFilter,
          }),
          response: {
            200: z.object({
              rows: z.array(
                z.object({
                  key: z.string(),
                  label: z.string(),
                  rank: z.number(),
                  adds: z.number(),
                  deletions: z.number(),
                  activeFollows: z.number(),
                  customers: z.number(),
                  newCustomers: z.number(),
                  firstOrderRate: z.number().nullable(),
                  repurchaseRate: z.number().nullable(),
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
        const from = q.from ?? to;
        const rows = await performance(ctx, await scopeOf(ctx, q), from, to, q.by);
        const names = await labels(
          ctx,
          q.by,
          rows.map((r) => r.key),
        );
        const sorted = rows
          .filter((r) => r.key !== '0')
          .sort((a, b) => (b[q.sort] ?? -1) - (a[q.sort] ?? -1) || Number(a.key) - Number(b.key));
        return {
          rows: sorted.map((r, i) => ({ ...r, label: names.get(r.key) ?? r.key, rank: i + 1 })),
        };
      },
    );

    app.get(
      '/insight/export',
      {
        config: read,
        schema: {
          tags,
          summary:
            'A dashboard’s table as a file (.xlsx, or CSV in UTF-8 with BOM): figures only, no personal data',
          querystring: z.strictObject({
            view: z.enum(['gmv', 'funnel', 'cohorts', 'performance']),
            format: z.enum(EXPORT_FORMATS).default('xlsx'),
            month: month.optional(),
            compareTo: month.optional(),
            from: month.optional(),
            to: month.optional(),
            by: z.enum(DIMENSIONS).default('total'),
            months: z.coerce.number().int().min(1).max(18).default(3),
            ...scopeFilter,
          }),
        },
      },
      async (request, reply) => {
        const ctx = ctxOf(deps, request);
        const q = request.query;
        const m = q.month ?? thisMonth();
        const to = q.to ?? thisMonth();
        const lang = String(request.headers['accept-language'] ?? '').startsWith('en') ? 'en' : 'zh';
        const file = await exportView(ctx, await scopeOf(ctx, q), {
          view: q.view,
          format: q.format,
          lang,
          month: m,
          compareTo: q.compareTo ?? addMonths(m, -1),
          from: q.from ?? (q.view === 'performance' ? to : addMonths(to, -2)),
          to,
          by: q.by,
          months: q.months,
          labels: (by, keys) => labels(ctx, by, keys),
        });
        return reply
          .type(file.contentType)
          .header('content-disposition', attachment(file.fileName))
          .send(file.body);
      },
    );

    app.get(
      '/insight/customers',
      {
        config: read,
        schema: {
          tags,
          summary:
            'The customers behind a figure (a funnel step, a cohort, a stage) in the caller’s scope: each opens their profile; with the segment rule of the same customers',
          querystring: z
            .strictObject({
              step: z.enum(DRILL_STEPS).default('customers'),
              stage: z.enum(['new', 'active', 'repeat', 'super', 'dormant', 'churned']).optional(),
              from: month.optional().describe('acquired in or after this month'),
              to: month.optional().describe('acquired in or before this month'),
              by: z.enum(DIMENSIONS).default('total'),
              key: z
                .string()
                .max(40)
                .optional()
                .describe(
                  'the key of `by`: a channel id (0: none), a method (none: no channel), a store or member id, a persona',
                ),
              product: z
                .string()
                .trim()
                .min(1)
                .max(64)
                .optional()
                .describe('only customers who bought this product (its code)'),
              massSend: z.coerce
                .number()
                .int()
                .positive()
                .optional()
                .describe(
                  'only customers with an order credited to this mass send (a campaign of the outreach engine)',
                ),
              journey: z.coerce
                .number()
                .int()
                .positive()
                .optional()
                .describe("only customers with an order credited to this journey's touches"),
              offset: z.coerce.number().int().min(0).max(100_000).default(0),
              limit: z.coerce.number().int().min(1).max(100).default(20),
              ...scopeFilter,
            })
            .refine((q) => q.by === 'total' || q.key === undefined || KEY_OF[q.by].test(q.key), {
              path: ['key'],
              message: 'not a key of `by`',
            })
            .refine((q) => !q.from || !q.to || q.from <= q.to, {
              path: ['from'],
              message: 'from must not be after to',
            }),
          response: {
            200: z.object({
              rule: ruleTree.describe(
                'the segment of these customers (POST /segments): in the caller’s scope, the same customers',
              ),
              total: z.number(),
              items: z.array(
                z.object({
                  id: z.number(),
                  name: z.string(),
                  avatar: z.string().nullable(),
                  staffName: z.string(),
                  unitName: z.string(),
                  acquiredDay: z.string(),
                  orderCount: z.number(),
                  stage: z.string(),
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
        const [page, rule] = await Promise.all([drillCustomers(ctx, scope, q), drillRule(ctx, scope, q)]);
        return { rule, ...page };
      },
    );
  };
}
