import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { pickLang } from '../../platform/http/errors.ts';
import { ctxOf, type Deps } from '../context.ts';
import { segmentFields } from './fields.ts';
import { CMPS, FIELD_GROUPS, FIELD_TYPES, ruleSchema, ruleTree, STAGES } from './rule.ts';
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

const segmentField = z.object({
  key: z.string(),
  group: z.enum(FIELD_GROUPS),
  label: z.object({ zh: z.string(), en: z.string() }),
  type: z.enum(FIELD_TYPES),
  cmps: z.array(z.enum(CMPS)),
  options: z
    .array(
      z.object({
        value: z.union([z.string(), z.number()]),
        label: z.string(),
        group: z.string().optional().describe("tags: the tag group's name"),
      }),
    )
    .optional()
    .describe('the choices of a picker, scoped to the caller'),
});

const segmentPreview = z.object({
  count: z.number(),
  sample: z.array(
    z.object({
      id: z.number(),
      name: z.string(),
      avatar: z.string().nullable(),
      stage: z.enum(STAGES),
      ltvFen: z.number(),
      lastOrderAt: z.string().nullable(),
    }),
  ),
});

const segment = z.object({
  id: z.number(),
  name: z.string(),
  description: z.string(),
  rule: ruleTree,
  unitId: z.number().describe('the unit that owns it: its creator’s'),
  unitName: z.string(),
  createdByName: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  editable: z.boolean().describe('the caller may change or delete it'),
  count: z.number().describe('the audience now, within the caller’s scope'),
});

const layering = z.object({
  id: z.number(),
  name: z.string(),
  unitId: z.number(),
  unitName: z.string(),
  editable: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
  days: z.number().describe('GMV is over the paid orders of the last `days` days'),
  layers: z.array(
    z.object({
      segmentId: z.number(),
      segmentName: z.string(),
      operation: z.string(),
      size: z.number(),
      gmvFen: z.number(),
      gmvShare: z.number().describe("0–1 of the scope's GMV (totalGmvFen)"),
    }),
  ),
  totalGmvFen: z.number().describe("the GMV of every customer in the caller's scope"),
  warnings: z.array(
    z.object({
      kind: z.enum(['same_operation', 'overlap']),
      operation: z.string(),
      segmentIds: z.array(z.number()),
      overlap: z.number().optional().describe('overlap: the customers the two audiences share'),
      message: z.string(),
    }),
  ),
});

const done = z.object({ ok: z.literal(true) });

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
          response: { 200: z.object({ fields: z.array(segmentField) }) },
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
          response: { 200: segmentPreview },
        },
      },
      async (request) => previewSegment(ctxOf(deps, request), request.body.rule),
    );
    app.get(
      '/segments',
      {
        config: read,
        schema: {
          tags,
          summary: 'Segments visible to the caller, each counted in scope',
          response: { 200: z.object({ items: z.array(segment) }) },
        },
      },
      async (request) => listSegments(ctxOf(deps, request)),
    );
    app.post(
      '/segments',
      {
        config: write,
        schema: {
          tags,
          summary: "Save a segment; it belongs to the caller's unit",
          body: segmentInput,
          response: { 201: segment },
        },
      },
      async (request, reply) => reply.code(201).send(await createSegment(ctxOf(deps, request), request.body)),
    );
    app.get(
      '/segments/:id',
      {
        config: read,
        schema: {
          tags,
          summary: 'One segment, counted in scope',
          params: z.object({ id }),
          response: { 200: segment },
        },
      },
      async (request) => getSegment(ctxOf(deps, request), request.params.id),
    );
    app.put(
      '/segments/:id',
      {
        config: write,
        schema: {
          tags,
          summary: 'Change a segment',
          params: z.object({ id }),
          body: segmentInput,
          response: { 200: segment },
        },
      },
      async (request) => updateSegment(ctxOf(deps, request), request.params.id, request.body),
    );
    app.delete(
      '/segments/:id',
      {
        config: write,
        schema: {
          tags,
          summary: 'Delete a segment no layering uses',
          params: z.object({ id }),
          response: { 200: done },
        },
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
          response: { 200: z.object({ items: z.array(layering) }) },
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
          response: { 201: layering },
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
          response: { 200: layering },
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
          response: { 200: layering },
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
      {
        config: write,
        schema: { tags, summary: 'Delete a layering', params: z.object({ id }), response: { 200: done } },
      },
      async (request) => deleteLayering(ctxOf(deps, request), request.params.id),
    );
  };
}
