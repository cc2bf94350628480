import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { pageQuery, pageReply } from '../../platform/http/pagination.ts';
import { ctxOf, type Deps } from '../context.ts';
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
