import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { ctxOf, type Deps } from '../context.ts';
import type { LifecycleStage } from '../events.ts';
import { FACTS_JOB } from './facts.ts';
import { getLifecycleSettings, setLifecycleSettings } from './lifecycle.ts';
import { type LifecycleSettings, STAGES } from './rfm.ts';
import { listSuperUsers } from './super-users.ts';

const cuts = (what: string) =>
  z.array(z.number().int()).length(4).describe(`four strictly ascending cut points: ${what}`);

const settings = z.strictObject({
  recencyDays: cuts('days since the last order; within the 1st scores R5 … past the 4th R1'),
  frequencyOrders: cuts('orders in all; reaching the k-th adds one to F'),
  monetaryFen: cuts('paid fen in all (LTV); reaching the k-th adds one to M'),
  repeatOrders: z.number().int().describe('repeat: at least this many orders'),
  superMin: z
    .strictObject({ r: z.number().int(), f: z.number().int(), m: z.number().int() })
    .describe('super user: each score at least this'),
  dormantDays: z.number().int().describe('dormant: no order (or add, without orders) for this many days'),
  churnedDays: z.number().int().describe('churned: no order (add) for this many days, or no follow left'),
});

const settingsReply = z.object({
  settings,
  defaults: settings,
  updatedAt: z.string().nullable(),
  updatedBy: z.string().nullable(),
  recompute: z.object({
    status: z.enum(['pending', 'running', 'done', 'never']),
    done: z.number(),
    total: z.number(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  }),
});

const keyDate = z.object({
  kind: z.enum(['birthday', 'member_anniversary']),
  date: z.string().describe('YYYY-MM-DD, brand time'),
  inDays: z.number(),
  years: z.number().optional().describe('member_anniversary: years of membership it marks'),
});

const superUser = z.object({
  id: z.number(),
  name: z.string(),
  avatar: z.string().nullable(),
  rfm: z.object({ r: z.number(), f: z.number(), m: z.number() }),
  paidFen: z.number().describe('LTV: paid in all, fen'),
  orderCount: z.number(),
  lastOrderAt: z.string().nullable(),
  topUnit: z.object({ id: z.number(), name: z.string() }).nullable().describe('the store of most orders'),
  memberLevel: z.string().nullable(),
  memberSince: z.string().nullable(),
  birthday: z.string().nullable(),
  keyDates: z.array(keyDate).describe('the next birthday and membership anniversary, soonest first'),
  upcoming: z.boolean().describe('a key date falls within the coming `days`'),
});

export const stage = z.enum(STAGES as [LifecycleStage, ...LifecycleStage[]]);

/** The profile's facts card. */
export const factsCard = z.object({
  stage,
  rfm: z.object({ r: z.number(), f: z.number(), m: z.number() }).nullable().describe('null without orders'),
  paidFen: z.number().describe('LTV: paid in all, fen'),
  orderCount: z.number(),
  firstOrderAt: z.string().nullable(),
  lastOrderAt: z.string().nullable(),
  topUnit: z.object({ id: z.number(), name: z.string() }).nullable().describe('the store of most orders'),
  couponOrders: z.number(),
  couponShare: z.number().nullable().describe('price sensitivity: share of orders with a coupon, 0–1'),
  memberLevel: z.string().nullable(),
  memberSince: z.string().nullable(),
  birthday: z.string().nullable(),
  keyDates: z.array(keyDate),
  computedAt: z.string().describe('when these facts last changed'),
});

/** Lifecycle settings (RFM cut points, stage rules) and the super users list. */
export function factsRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/lifecycle-settings',
      {
        config: { access: { roles: ROLES, scope: 'corp' } },
        schema: {
          tags: ['customers'],
          summary:
            "The brand's RFM cut points and lifecycle rules, the defaults, and the recompute they caused",
          response: { 200: settingsReply },
        },
      },
      async (request) => getLifecycleSettings(ctxOf(deps, request)),
    );
    app.put(
      '/lifecycle-settings',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags: ['customers'],
          summary: 'Change the thresholds; every customer is recomputed in the background (see recompute)',
          description:
            'Cut points must strictly increase; repeatOrders ≥ 2; scores 1–5; churnedDays > dormantDays. ' +
            'A 400 names every problem.',
          body: settings,
          response: { 200: settingsReply },
        },
      },
      async (request) =>
        setLifecycleSettings(ctxOf(deps, request), request.body as LifecycleSettings, () =>
          deps.wake.job(FACTS_JOB),
        ),
    );
    app.get(
      '/super-users',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['customers'],
          summary:
            'Super users in scope with RFM, LTV and their key dates; those with a key date in the coming days first',
          querystring: z.object({
            days: z.coerce.number().int().min(1).max(366).default(30),
            cursor: z.string().max(120).optional().describe('nextCursor from the previous page'),
            limit: z.coerce.number().int().min(1).max(100).default(20),
          }),
          response: {
            200: z.object({
              total: z.number(),
              upcoming: z.number().describe('super users with a key date in the coming `days`'),
              items: z.array(superUser),
              nextCursor: z.string().nullable(),
            }),
          },
        },
      },
      async (request) => listSuperUsers(ctxOf(deps, request), request.query),
    );
  };
}
