import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { attachment, EXPORT_FORMATS, MAX_EXPORT_ROWS } from '../../platform/export.ts';
import { pageQuery, pageReply } from '../../platform/http/pagination.ts';
import { ctxOf, type Deps } from '../context.ts';
import { PHONE_MODES } from '../customers/index.ts';
import { exportSegmentMembers, segmentMembers } from './members.ts';
import { STAGES } from './rule.ts';

const id = z.coerce.number().int().positive();
const member = z.object({
  id: z.number(),
  name: z.string(),
  avatar: z.string().nullable(),
  stage: z.enum(STAGES),
  ltvFen: z.number(),
  lastOrderAt: z.string().nullable(),
});

/** A saved segment's members: paged, and as a file. */
export function segmentMemberRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const tags = ['segments'];
    app.get(
      '/segments/:id/members',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags,
          summary: "A segment's members in the caller's scope, newest customer first, paged by cursor",
          params: z.object({ id }),
          querystring: z.object(pageQuery),
          response: { 200: pageReply(member) },
        },
      },
      async (request) => segmentMembers(ctxOf(deps, request), request.params.id, request.query),
    );
    app.get(
      '/segments/:id/members/export',
      {
        config: { access: { roles: ['hq_admin', 'region_manager', 'store_manager'], scope: 'subtree' } },
        schema: {
          tags,
          summary: "A segment's members in the caller's scope as a file (.xlsx, or CSV in UTF-8 with BOM)",
          description:
            `At most ${MAX_EXPORT_ROWS} customers (more: 422); audited. Phones masked unless phones=full, ` +
            'which only HQ admins may ask (others: 403, the refusal audited).',
          params: z.object({ id }),
          querystring: z.object({
            format: z.enum(EXPORT_FORMATS).default('xlsx'),
            phones: z.enum(PHONE_MODES).default('masked'),
          }),
        },
      },
      async (request, reply) => {
        const file = await exportSegmentMembers(
          ctxOf(deps, request),
          request.params.id,
          request.query.format,
          request.query.phones,
        );
        return reply
          .type(file.contentType)
          .header('content-disposition', attachment(file.fileName))
          .send(file.body);
      },
    );
  };
}
