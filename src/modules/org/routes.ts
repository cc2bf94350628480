import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { ctxOf, type Deps } from '../context.ts';
import { listUnits } from './service.ts';

export const unitSchema = z.object({
  id: z.number(),
  parentId: z.number().nullable(),
  kind: z.enum(['hq', 'region', 'area', 'store', 'team']),
  name: z.string(),
  code: z.string().nullable(),
});

export function orgRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/org/units',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['org'],
          summary: "The caller's org subtree (counts per unit: GET /unit-counts)",
          response: { 200: z.object({ items: z.array(unitSchema) }) },
        },
      },
      async (request) => ({ items: await listUnits(ctxOf(deps, request)) }),
    );
  };
}
