import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { pickLang } from '../../platform/http/errors.ts';
import { ctxOf, type Deps } from '../context.ts';
import { segmentFields } from './fields.ts';
import { ruleSchema } from './rule.ts';
import {
  createLayering,
  createSegment,
  deleteLayering,
  deleteSegment,
  getLayering,
  getSegment,
  listLayerings,
  listSegments,
  MAX_LAYERS,
  previewSegment,
  updateLayering,
  updateSegment,
} from './service.ts';

const EDITORS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const id = z.coerce.number().int().positive();

const segmentInput = z.strictObject({
  name: z.string().trim().min(1).max(60),
  description: z.string().trim().max(500).optional(),
  rule: ruleSchema,
});
const layeringInput = z.strictObject({
  name: z.string().trim().min(1).max(60),
  layers: z
    .array(
      z.strictObject({
        segmentId: id,
        operation: z.string().trim().min(1).max(60).describe('what the layer receives, e.g. 新品试饮券'),
      }),
    )
    .min(1)
    .max(MAX_LAYERS),
});
const gmvWindow = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(365)
    .describe('GMV over the paid orders of the last N days'),
});

export function segmentRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const read = { access: { roles: ROLES, scope: 'subtree' as const } };
    const write = { access: { roles: EDITORS, scope: 'subtree' as const } };
    const tags = ['segments'];

    app.get(
      '/segment-fields',
      {
        config: read,
        schema: {
          tags,
          summary: "The segment builder's fields, their comparisons, and options scoped to the caller",
        },
      },
      async (request) => segmentFields(ctxOf(deps, request), pickLang(request.headers['accept-language'])),
    );
    app.post(
      '/segments/preview',
      {
        config: read,
        schema: {
          tags,
          summary: "A rule's audience within the caller's scope: the exact count and the first 20 members",
          body: z.strictObject({ rule: ruleSchema }),
        },
      },
      async (request) => previewSegment(ctxOf(deps, request), request.body.rule),
    );
    app.get(
      '/segments',
      { config: read, schema: { tags, summary: 'Segments visible to the caller, each counted in scope' } },
      async (request) => listSegments(ctxOf(deps, request)),
    );
    app.post(
      '/segments',
      {
        config: write,
        schema: { tags, summary: "Save a segment; it belongs to the caller's unit", body: segmentInput },
      },
      async (request, reply) => reply.code(201).send(await createSegment(ctxOf(deps, request), request.body)),
    );
    app.get(
      '/segments/:id',
      { config: read, schema: { tags, summary: 'One segment, counted in scope', params: z.object({ id }) } },
      async (request) => getSegment(ctxOf(deps, request), request.params.id),
    );
    app.put(
      '/segments/:id',
      {
        config: write,
        schema: { tags, summary: 'Change a segment', params: z.object({ id }), body: segmentInput },
      },
      async (request) => updateSegment(ctxOf(deps, request), request.params.id, request.body),
    );
    app.delete(
      '/segments/:id',
      {
        config: write,
        schema: { tags, summary: 'Delete a segment no layering uses', params: z.object({ id }) },
      },
      async (request) => deleteSegment(ctxOf(deps, request), request.params.id),
    );

    const opts = (request: { headers: Record<string, unknown> }, days: number) => ({
      days,
      lang: pickLang(request.headers['accept-language'] as string | undefined),
    });
    app.get(
      '/layerings',
      {
        config: read,
        schema: {
          tags,
          summary: 'Layerings (分层方案) with each layer’s size and GMV share, and their warnings',
          querystring: gmvWindow,
        },
      },
      async (request) => listLayerings(ctxOf(deps, request), opts(request, request.query.days)),
    );
    app.post(
      '/layerings',
      {
        config: write,
        schema: {
          tags,
          summary: 'Create a layering: segments, each with the operation it receives',
          querystring: gmvWindow,
          body: layeringInput,
        },
      },
      async (request, reply) =>
        reply
          .code(201)
          .send(await createLayering(ctxOf(deps, request), request.body, opts(request, request.query.days))),
    );
    app.get(
      '/layerings/:id',
      {
        config: read,
        schema: {
          tags,
          summary:
            'One layering: layer sizes, GMV and its share of the scope’s GMV (totalGmvFen); warnings for layers with the same operation and for overlapping audiences',
          params: z.object({ id }),
          querystring: gmvWindow,
        },
      },
      async (request) =>
        getLayering(ctxOf(deps, request), request.params.id, opts(request, request.query.days)),
    );
    app.put(
      '/layerings/:id',
      {
        config: write,
        schema: {
          tags,
          summary: 'Change a layering',
          params: z.object({ id }),
          querystring: gmvWindow,
          body: layeringInput,
        },
      },
      async (request) =>
        updateLayering(
          ctxOf(deps, request),
          request.params.id,
          request.body,
          opts(request, request.query.days),
        ),
    );
    app.delete(
      '/layerings/:id',
      { config: write, schema: { tags, summary: 'Delete a layering', params: z.object({ id }) } },
      async (request) => deleteLayering(ctxOf(deps, request), request.params.id),
    );
  };
}
