import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { ctxOf, type Deps } from '../context.ts';
import { customerCountsByUnit } from '../customers/service.ts';
import { staffCountsByUnit } from '../staff/service.ts';
import { listUnits } from './service.ts';

export const unitSchema = z.object({
  id: z.number(),
  parentId: z.number().nullable(),
  kind: z.enum(['hq', 'region', 'area', 'store', 'team']),
  name: z.string(),
  code: z.string().nullable(),
  staffCount: z.number(),
  customerCount: z.number(),
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
          summary: "The caller's org subtree, with staff and customer counts per unit (subtree totals)",
          response: { 200: z.object({ items: z.array(unitSchema) }) },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const [units, staffCounts, customerCounts] = await Promise.all([
          listUnits(ctx),
          staffCountsByUnit(ctx),
          customerCountsByUnit(ctx),
        ]);
        return {
          items: units.map((u) => ({
            ...u,
            staffCount: staffCounts.get(u.id) ?? 0,
            customerCount: customerCounts.get(u.id) ?? 0,
          })),
        };
      },
    );
  };
}
