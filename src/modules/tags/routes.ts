import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { ctxOf, type Deps } from '../context.ts';
import { listTagGroups } from './service.ts';

export function tagRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/tags',
      {
        config: { access: { roles: ROLES, scope: 'corp' } },
        schema: {
          tags: ['tags'],
          summary: 'Corp tag groups with their tags, as the caller’s role sees them',
          response: {
            200: z.object({
              groups: z.array(
                z.object({
                  id: z.number(),
                  name: z.string(),
                  audience: z.enum(['all', 'ops', 'front_line']),
                  tags: z.array(z.object({ id: z.number(), name: z.string() })),
                }),
              ),
            }),
          },
        },
      },
      async (request) => ({ groups: await listTagGroups(ctxOf(deps, request)) }),
    );
  };
}
