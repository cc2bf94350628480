import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ctxOf, type Deps } from '../context.ts';
import { budgetView, outreachSettingsOf, setBudget, setOutreachSettings } from './budget.ts';

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
