import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { pageQuery } from '../../platform/http/pagination.ts';
import { ctxOf, type Deps } from '../context.ts';
import { attachmentInput, contentInput, KINDS, PERSONAS, renderContent, SCENES, STAGES } from './rules.ts';
import { createContent, deleteContent, getContentForCaller, listContent, updateContent } from './service.ts';
import { SAMPLE_VARS, VARIABLE_NAMES, VARIABLES } from './variables.ts';

const EDITORS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const id = z.coerce.number().int().positive();

const usage = z.object({
  uses: z.number(),
  customers: z.number(),
  orders: z.number().describe('orders within 7 days after a use, by customers the caller sees'),
  gmvFen: z.number(),
});

const wecomAttachment = z.looseObject({ msgtype: z.enum(['image', 'link', 'miniprogram', 'video', 'file']) });

const rendered = z.object({
  text: z.object({ content: z.string() }).optional(),
  attachments: z.array(wecomAttachment).describe("add_msg_template's attachments"),
  media: z
    .array(
      z.object({
        attachment: z.number(),
        mediaType: z.enum(['image', 'video', 'file']),
        field: z.enum(['pic_media_id', 'media_id']),
        url: z.string(),
        name: z.string().optional(),
      }),
    )
    .describe('attachments whose media the sender uploads before sending'),
  missing: z.array(z.enum(VARIABLE_NAMES as [string, ...string[]])),
});

const item = z.object({
  id: z.number(),
  unitId: z.number().describe('the unit that owns it; only that unit edits it'),
  unitName: z.string(),
  key: z.string().nullable(),
  kind: z.enum(KINDS),
  script: z.boolean(),
  title: z.string(),
  text: z.string(),
  attachments: z.array(attachmentInput),
  personas: z.array(z.string()),
  stages: z.array(z.string()),
  products: z.array(z.string()),
  scenes: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  editable: z.boolean(),
  usage,
});

const boolish = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();

const listQuery = z.object({
  kind: z.enum(KINDS).optional(),
  script: boolish.describe('true: scripts (话术) only; false: content only'),
  persona: z.enum(PERSONAS).optional(),
  stage: z.enum(STAGES as unknown as [string, ...string[]]).optional(),
  product: z.string().trim().min(1).max(40).optional(),
  scene: z.enum(SCENES).optional(),
  owner: z.enum(['own', 'inherited', 'below']).optional(),
  q: z.string().trim().max(60).optional().describe('words in the title, text or key'),
  ...pageQuery,
});

const variable = z.object({
  name: z.string(),
  label: z.object({ zh: z.string(), en: z.string() }),
  sample: z.string(),
  fallback: z.string(),
  maxChars: z.number(),
});

export function contentRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const read = { access: { roles: ROLES, scope: 'subtree' as const } };
    const write = { access: { roles: EDITORS, scope: 'subtree' as const } };
    const tags = ['content'];

    app.get(
      '/content-variables',
      {
        config: read,
        schema: {
          tags,
          summary:
            'The {{variables}} a text may hold, with a sample and the fallback used when a value is missing',
          response: { 200: z.object({ items: z.array(variable) }) },
        },
      },
      async () => ({
        items: VARIABLE_NAMES.map((name) => {
          const v = VARIABLES[name];
          return {
            name,
            label: { zh: v.zh, en: v.en },
            sample: v.sample,
            fallback: v.fallback,
            maxChars: v.maxChars,
          };
        }),
      }),
    );
    app.post(
      '/content/preview',
      {
        config: read,
        schema: {
          tags,
          summary: 'An unsaved item rendered with the sample values: what a customer would receive',
          body: contentInput,
          response: { 200: rendered },
        },
      },
      async (request) => renderContent(request.body, SAMPLE_VARS),
    );
    app.get(
      '/content',
      {
        config: read,
        schema: {
          tags,
          summary:
            "The library as the caller sees it (its unit's, those above and below), with uses and the orders that followed",
          querystring: listQuery,
          response: { 200: z.object({ items: z.array(item), nextCursor: z.string().nullable() }) },
        },
      },
      async (request) => listContent(ctxOf(deps, request), request.query),
    );
    app.post(
      '/content',
      {
        config: write,
        schema: {
          tags,
          summary: "Add an item; it belongs to the caller's unit",
          body: contentInput,
          response: { 201: item },
        },
      },
      async (request, reply) => reply.code(201).send(await createContent(ctxOf(deps, request), request.body)),
    );
    app.get(
      '/content/:id',
      {
        config: read,
        schema: {
          tags,
          summary: 'One item with its usage',
          params: z.object({ id }),
          response: { 200: item },
        },
      },
      async (request) => getContentForCaller(ctxOf(deps, request), request.params.id),
    );
    app.put(
      '/content/:id',
      {
        config: write,
        schema: {
          tags,
          summary: "Change an item of the caller's own unit",
          params: z.object({ id }),
          body: contentInput,
          response: { 200: item },
        },
      },
      async (request) => updateContent(ctxOf(deps, request), request.params.id, request.body),
    );
    app.delete(
      '/content/:id',
      {
        config: write,
        schema: {
          tags,
          summary: "Delete an item of the caller's own unit",
          params: z.object({ id }),
          response: { 200: z.object({ ok: z.literal(true) }) },
        },
      },
      async (request) => deleteContent(ctxOf(deps, request), request.params.id),
    );
  };
}
