import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ctxOf, type Deps } from '../context.ts';
import { MAX_LIST } from './audience.ts';
import { budgetView, outreachSettingsOf, setBudget, setOutreachSettings } from './budget.ts';
import { assertGuardAllowed, CONTENT_KINDS, EXCLUSIONS, GUARD_MODES, planAudience } from './plan.ts';

const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const id = z.coerce.number().int().positive();
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00–23:59');
const quiet = z.object({ start: z.string(), end: z.string() });

const budgetOut = z.object({
  unitId: z.number(),
  own: z
    .object({
      maxTouches: z.number().nullable(),
      windowHours: z.number().nullable(),
      quiet: quiet.nullable(),
    })
    .describe("what the unit sets itself; null inherits its parent's"),
  effective: z.object({
    maxTouches: z.number(),
    windowHours: z.number(),
    quiet: quiet.nullable().describe('brand time (UTC+8); null: none'),
  }),
  from: z
    .object({
      maxTouches: z.number().nullable(),
      windowHours: z.number().nullable(),
      quiet: z.number().nullable(),
    })
    .describe("the unit each value comes from; null: Siyu's default"),
});
const budgetInput = z.strictObject({
  maxTouches: z.number().int().min(1).max(100).nullable().describe('messages per window; null inherits'),
  windowHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .nullable(),
  quiet: z
    .strictObject({ start: time, end: time })
    .nullable()
    .describe('quiet hours in brand time; null inherits; start = end: none'),
});
const settings = z.object({
  monthlyCap: z
    .number()
    .int()
    .min(1)
    .max(31)
    .nullable()
    .describe("WeCom's monthly receive cap per customer; null: the days of the month"),
  priceSensitiveShare: z
    .number()
    .min(0)
    .max(1)
    .describe('coupon share from which a customer is price-sensitive'),
  attributionDays: z
    .number()
    .int()
    .min(1)
    .max(90)
    .describe('orders this many days after a touch are credited to it'),
});

export const audienceSchema = z
  .union([
    z.strictObject({ segmentId: id }),
    z.strictObject({ layerId: id, layer: z.number().int().min(0).max(19).describe('the layer, from 0') }),
    z.strictObject({ tagIds: z.array(id).min(1).max(100) }),
    z.strictObject({ customerIds: z.array(id).min(1).max(MAX_LIST) }),
  ])
  .describe('a saved segment, one layer of a layering, customers with any of these tags, or a list');
export const senderRuleSchema = z
  .union([
    z.strictObject({ prefer: z.enum(['store_staff', 'latest_follow']) }),
    z.strictObject({
      prefer: z.literal('role'),
      role: z.enum(['online_ops', 'customer_service', 'consultant', 'sales', 'doctor', 'store_staff']),
    }),
  ])
  .describe(
    "which of a customer's followers sends: their store's staff, the latest follow, or a journey role",
  );
const sample = z.object({
  id: z.number(),
  name: z.string(),
  staffId: z.number().nullable(),
  staffName: z.string().nullable(),
  senderReason: z.enum(['home_store', 'store_staff', 'role', 'latest_follow']).nullable(),
});
const classes = ['receiving', ...EXCLUSIONS] as const;
export const planSchema = z.object({
  at: z.string(),
  total: z.number(),
  receiving: z.number(),
  excluded: z.object(
    Object.fromEntries(EXCLUSIONS.map((e) => [e, z.number()])) as Record<
      (typeof EXCLUSIONS)[number],
      z.ZodNumber
    >,
  ),
  deferred: z.object({
    quietHoursUntil: z.string().nullable(),
    cappedUntil: z.string().nullable().describe('by then every capped customer has a free slot'),
    monthlyCapUntil: z.string().nullable(),
  }),
  samples: z.object(
    Object.fromEntries(classes.map((c) => [c, z.array(sample)])) as Record<
      (typeof classes)[number],
      z.ZodArray<typeof sample>
    >,
  ),
  senders: z.array(z.object({ staffId: z.number(), name: z.string(), customers: z.number() })),
  guard: z.object({
    applies: z.boolean(),
    mode: z.enum(GUARD_MODES),
    threshold: z.number(),
    notPriceSensitive: z.number(),
    blocked: z.boolean(),
  }),
});
export const planInput = z.strictObject({
  audience: audienceSchema,
  senderRule: senderRuleSchema,
  at: z.iso.datetime({ offset: true }).optional().describe('when it would go out; now when absent'),
  contentKind: z.enum(CONTENT_KINDS).optional(),
  guard: z.enum(GUARD_MODES).optional().describe('coupon content only; default stop'),
});

export function outreachRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const managers = { access: { roles: MANAGERS, scope: 'subtree' as const } };
    const tags = ['outreach'];

    app.get(
      '/outreach/budgets/:unitId',
      {
        config: managers,
        schema: {
          tags,
          summary: "A unit's touch budget: its own values, the effective ones, and where each comes from",
          params: z.object({ unitId: id }),
          response: { 200: budgetOut },
        },
      },
      async (request) => budgetView(ctxOf(deps, request), request.params.unitId),
    );
    app.put(
      '/outreach/budgets/:unitId',
      {
        config: managers,
        schema: {
          tags,
          summary: "Set a unit's touch budget (null values inherit); the caller's unit and those below it",
          params: z.object({ unitId: id }),
          body: budgetInput,
          response: { 200: budgetOut },
        },
      },
      async (request) => setBudget(ctxOf(deps, request), request.params.unitId, request.body),
    );
    app.post(
      '/outreach/plans',
      {
        config: managers,
        schema: {
          tags,
          summary:
            'Plan a send: exact counts of who receives it and who is excluded by reason, samples, senders, the content guard',
          body: planInput,
          response: { 200: planSchema },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const { at, ...rest } = request.body;
        assertGuardAllowed(ctx, rest, { needReason: false });
        return planAudience(ctx, { ...rest, at: at ? new Date(at) : ctx.clock.now() });
      },
    );
    app.get(
      '/outreach/settings',
      {
        config: managers,
        schema: { tags, summary: "The brand's outreach settings", response: { 200: settings } },
      },
      async (request) => outreachSettingsOf(ctxOf(deps, request).cdb),
    );
    app.put(
      '/outreach/settings',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags,
          summary: "Change the brand's outreach settings (HQ admins)",
          body: settings.partial().strict(),
          response: { 200: settings },
        },
      },
      async (request) => setOutreachSettings(ctxOf(deps, request), request.body),
    );
  };
}
