import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { attachment, EXPORT_FORMATS, MAX_EXPORT_ROWS } from '../../platform/export.ts';
import { pageQuery, pageReply } from '../../platform/http/pagination.ts';
import { ctxOf, type Deps } from '../context.ts';
import { exportAudit, listAudit } from './service.ts';

const entry = z.object({
  id: z.number(),
  at: z.string(),
  accountId: z.number().nullable().describe('null: the system (a job, the CLI)'),
  username: z.string().nullable(),
  displayName: z.string().nullable(),
  role: z.string().nullable(),
  unitId: z.number().nullable().describe('the root of the caller’s scope when it acted'),
  unitName: z.string().nullable(),
  address: z.string().nullable(),
  action: z.string(),
  subject: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

const filter = {
  action: z.string().max(64).optional(),
  accountId: z.coerce.number().int().positive().optional(),
  subject: z.string().max(128).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
};

/** Read-only: the audit log has no route that changes or deletes an entry. */
export function auditRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/audit/export',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags: ['audit'],
          summary: 'The entries a filter finds as a file (.xlsx, or CSV in UTF-8 with BOM); itself audited',
          description: `Same filters as GET /audit; at most ${MAX_EXPORT_ROWS} entries (more: 422).`,
          querystring: z.object({ ...filter, format: z.enum(EXPORT_FORMATS).default('csv') }),
        },
      },
      async (request, reply) => {
        const { format, ...query } = request.query;
        const file = await exportAudit(ctxOf(deps, request), query, format);
        return reply
          .type(file.contentType)
          .header('content-disposition', attachment(file.fileName))
          .send(file.body);
      },
    );
    app.get(
      '/audit',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags: ['audit'],
          summary: 'The brand’s audit log, newest first (HQ admins)',
          description:
            'action is exact (customers.export) or, ending with a dot, a prefix (customers.); from/to bound ' +
            '`at` (from inclusive, to exclusive).',
          querystring: z.object({ ...filter, ...pageQuery }),
          response: { 200: pageReply(entry) },
        },
      },
      async (request) => listAudit(ctxOf(deps, request), request.query),
    );
  };
}
