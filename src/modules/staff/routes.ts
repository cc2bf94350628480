import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { pageQuery, pageReply } from '../../platform/http/pagination.ts';
import { ctxOf, type Deps } from '../context.ts';
import { getCard, getMyCard, personaMatrix, setPersona } from './persona.ts';
import { getStaff, listStaff } from './service.ts';

export const PERSONAS = ['brand', 'expert', 'founder', 'sales', 'assistant'] as const;
export const JOURNEY_ROLES = [
  'online_ops',
  'customer_service',
  'consultant',
  'sales',
  'doctor',
  'store_staff',
] as const;

const staffSchema = z.object({
  id: z.number(),
  userid: z.string(),
  name: z.string(),
  unitId: z.number(),
  unitName: z.string(),
  persona: z.enum(PERSONAS),
  personaName: z.string().nullable(),
  journeyRole: z.enum(JOURNEY_ROLES),
  title: z.string().nullable(),
  status: z.enum(['active', 'disabled', 'departed']),
  customerCount: z.number(),
});

const id = z.coerce.number().int().positive();
const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;

const personaCounts = z.object({
  brand: z.number(),
  expert: z.number(),
  founder: z.number(),
  sales: z.number(),
  assistant: z.number(),
});

const cardSchema = z.object({
  id: z.number(),
  name: z.string(),
  persona: z.enum(PERSONAS),
  personaName: z.string().nullable(),
  title: z.string().nullable(),
  intro: z.string().nullable(),
  avatarGuide: z.string().nullable(),
  mallTitle: z.string().nullable(),
  mallUrl: z.string().nullable(),
  hasQr: z.boolean(),
  cardPath: z.string(),
});

const optText = (max: number) =>
  z
    .string()
    .max(max)
    .nullable()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : null));

export function staffRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/staff',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['staff'],
          summary: "Staff of the caller's subtree; filter by unit (with its subtree) or name/userid",
          querystring: z.object({ unitId: id.optional(), q: z.string().max(64).optional(), ...pageQuery }),
          response: { 200: pageReply(staffSchema) },
        },
      },
      async (request) => listStaff(ctxOf(deps, request), request.query),
    );
    app.get(
      '/staff/persona-matrix',
      {
        config: { access: { roles: MANAGERS, scope: 'subtree' } },
        schema: {
          tags: ['staff'],
          summary:
            'The persona matrix: per store in scope, active members per persona and the personas missing',
          response: {
            200: z.object({
              stores: z.array(
                z.object({
                  unitId: z.number(),
                  unitName: z.string(),
                  counts: personaCounts,
                  total: z.number(),
                  gaps: z.array(z.enum(PERSONAS)),
                }),
              ),
              totals: personaCounts,
            }),
          },
        },
      },
      async (request) => personaMatrix(ctxOf(deps, request)),
    );
    app.get(
      '/staff/me/card',
      {
        config: { access: { roles: ROLES, scope: 'self' } },
        schema: {
          tags: ['staff'],
          summary: "The caller's own name card link (a front-line account)",
          response: { 200: z.object({ cardPath: z.string() }) },
        },
      },
      async (request) => getMyCard(ctxOf(deps, request)),
    );
    app.get(
      '/staff/:id/persona',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['staff'],
          summary: 'A member’s persona and name card (404 outside the caller’s subtree)',
          params: z.object({ id }),
          response: { 200: cardSchema },
        },
      },
      async (request) => getCard(ctxOf(deps, request), request.params.id),
    );
    app.put(
      '/staff/:id/persona',
      {
        config: { access: { roles: MANAGERS, scope: 'subtree' } },
        schema: {
          tags: ['staff'],
          summary: 'Sets a member’s persona and name card (managers of the member’s unit or above)',
          params: z.object({ id }),
          body: z.object({
            persona: z.enum(PERSONAS),
            personaName: optText(32),
            title: optText(64),
            intro: optText(500),
            avatarGuide: optText(500),
            mallTitle: optText(32),
            mallUrl: optText(1000),
          }),
          response: { 200: cardSchema },
        },
      },
      async (request) => setPersona(ctxOf(deps, request), request.params.id, request.body),
    );
    app.get(
      '/staff/:id',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['staff'],
          summary: 'One staff member of the caller’s subtree (404 outside it)',
          params: z.object({ id }),
          response: { 200: staffSchema },
        },
      },
      async (request) => getStaff(ctxOf(deps, request), request.params.id),
    );
  };
}
