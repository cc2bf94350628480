import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { ctxOf, type Deps } from '../context.ts';
import { assertCustomerVisible } from '../customers/index.ts';
import { landingPath } from './landing.ts';
import { type MaterialKind, renderMaterial } from './material.ts';
import type { ChannelMethod, Linkage } from './schema.ts';
import {
  acquisitionOf,
  archiveChannel,
  CHANNEL_METHODS,
  compareMethods,
  createChannel,
  getChannel,
  getLinkage,
  listChannels,
  setLinkage,
  updateChannel,
} from './service.ts';
import { LINKAGES } from './settings.ts';

const EDITORS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const id = z.coerce.number().int().positive();
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');
const httpsUrl = z.url({ protocol: /^https?$/ }).max(1024);
const method = z.enum(CHANNEL_METHODS as [ChannelMethod, ...ChannelMethod[]]);
const assignMode = z.enum(['single', 'pool', 'store']);
const poolStrategy = z.enum(['round_robin', 'least_loaded']);
const linkage = z.enum(LINKAGES as [Linkage, ...Linkage[]]);
const addsModel = z.enum(['central', 'journey']);

const channelInput = z.strictObject({
  name: z.string().trim().min(1).max(40),
  scene: z.string().trim().min(1).max(60),
  method,
  bait: z.string().trim().max(60).default(''),
  unitId: id,
  assignMode,
  poolStrategy: poolStrategy.default('round_robin'),
  dailyCap: z.number().int().min(1).max(10_000).nullable().default(null),
  workingHours: z
    .strictObject({ days: z.array(z.number().int().min(1).max(7)).min(1).max(7), start: hhmm, end: hhmm })
    .refine((h) => h.start !== h.end, 'start and end must differ')
    .nullable()
    .default(null),
  skipVerify: z.boolean().default(true),
  remarkTemplate: z.string().max(60).default(''),
  welcome: z
    .strictObject({
      text: z.string().max(1500).optional(),
      link: z
        .strictObject({
          title: z.string().min(1).max(64),
          url: httpsUrl,
          desc: z.string().max(128).optional(),
        })
        .optional(),
      miniprogram: z
        .strictObject({
          title: z.string().min(1).max(64),
          appid: z.string().min(1).max(64),
          page: z.string().min(1).max(256),
        })
        .optional(),
      imageUrl: httpsUrl.optional(),
    })
    .default({}),
  staff: z
    .array(z.strictObject({ staffId: id, backup: z.boolean().default(false) }))
    .max(100)
    .default([]),
  tagIds: z.array(id).max(50).default([]),
});

/** An ISO 8601 date-time with its offset (`Z` or `+08:00`), or a date (its midnight UTC), as a Date. */
const instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'expected an ISO date-time such as 2026-06-01T00:00:00+08:00, or a date such as 2026-06-01',
  })
  .transform((s) => new Date(s));
const period = z.object({
  from: instant.optional().describe('default: 90 days before `to`'),
  to: instant.optional().describe('default: now'),
});

/** The funnel over a period: landing-page scans → adds → still friends 7 days on → follows ended. */
const funnel = {
  scans: z.number(),
  adds: z.number(),
  welcomeMissed: z
    .number()
    .describe('of the adds, those a full sync recovered after their callback was missed: no welcome'),
  adds7dOld: z.number().describe('adds at least 7 days old: the base of the 7-day retention'),
  retained7d: z.number(),
  deleted: z.number(),
};
const status = z.enum(['active', 'archived']);

const channelRow = z.object({
  id: z.number(),
  name: z.string(),
  scene: z.string(),
  method,
  scalable: z.boolean(),
  bait: z.string(),
  unitId: z.number(),
  unitName: z.string(),
  assignMode,
  status,
  editable: z.boolean().describe('whether the caller may edit and archive it (a channel of their subtree)'),
  ...funnel,
});

const methodRow = z.object({
  method,
  channels: z.number(),
  ...funnel,
  scalable: z.boolean(),
  retention7d: z.number().nullable().describe('retained7d / adds7dOld; null without such adds'),
});

const channelDetail = z.object({
  id: z.number(),
  name: z.string(),
  scene: z.string(),
  method,
  scalable: z.boolean(),
  bait: z.string(),
  unitId: z.number(),
  unitName: z.string(),
  assignMode,
  poolStrategy,
  dailyCap: z.number().nullable(),
  workingHours: z.object({ days: z.array(z.number()), start: z.string(), end: z.string() }).nullable(),
  skipVerify: z.boolean(),
  remarkTemplate: z.string(),
  welcome: z.object({
    text: z.string().optional(),
    link: z.object({ title: z.string(), url: z.string(), desc: z.string().optional() }).optional(),
    miniprogram: z.object({ title: z.string(), appid: z.string(), page: z.string() }).optional(),
    imageUrl: z.string().optional(),
  }),
  status,
  editable: z.boolean().describe('whether the caller may edit and archive it (a channel of their subtree)'),
  linkage: linkage.describe("the linkage in effect at the channel's unit"),
  staff: z.array(
    z.object({ staffId: z.number(), name: z.string(), userid: z.string(), backup: z.boolean() }),
  ),
  tags: z.array(z.object({ id: z.number(), name: z.string() })),
  codes: z
    .array(
      z.object({
        id: z.number(),
        unitId: z.number(),
        unitName: z.string(),
        state: z.string(),
        configId: z.string().nullable(),
        qrCode: z.string().nullable(),
        currentUserids: z.array(z.string()),
        currentStaffNames: z.array(z.string()).describe('who the code routes to now, as currentUserids'),
        scans: z.number(),
        sync: z.enum(['pending', 'ready', 'failed']),
        syncError: z.string().nullable(),
      }),
    )
    .describe('the codes the caller sees: a store sees its own'),
});

const acquisitionSettings = z.object({
  unitId: z.number(),
  own: z.object({ linkage, addsModel }).nullable().describe("the unit's own setting; null when it inherits"),
  effective: linkage,
  effectiveAddsModel: addsModel,
  recommended: linkage.describe("recommended for the brand's business type"),
  businessType: z.string().nullable(),
});

function periodOf(q: { from?: Date; to?: Date }, now: Date) {
  const to = q.to ?? new Date(now.getTime() + 1);
  const from = q.from ?? new Date(to.getTime() - 90 * 86_400_000);
  if (from >= to)
    throw new AppError('bad_request', { zh: '开始时间须早于结束时间', en: '`from` must be before `to`' });
  return { from, to };
}

export interface ChannelRouteOptions {
  /** Where customers reach Siyu (SIYU_PUBLIC_URL); the material's QR points there. Default: the request's origin. */
  publicUrl?: string;
}

export function channelRoutes(deps: Deps, opts: ChannelRouteOptions = {}) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const read = { access: { roles: ROLES, scope: 'subtree' as const } };
    const write = { access: { roles: EDITORS, scope: 'subtree' as const } };

    app.get(
      '/channels',
      {
        config: read,
        schema: {
          tags: ['channels'],
          summary:
            'Channel codes in scope, each with its funnel: scans → adds → still friends after 7 days → deleted',
          querystring: period,
          response: { 200: z.object({ items: z.array(channelRow) }) },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        return { items: await listChannels(ctx, periodOf(request.query, ctx.clock.now())) };
      },
    );
    app.get(
      '/channel-methods',
      {
        config: read,
        schema: {
          tags: ['channels'],
          summary: 'The funnel summed per method, to compare methods',
          querystring: period,
          response: { 200: z.object({ items: z.array(methodRow) }) },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        return { items: await compareMethods(ctx, periodOf(request.query, ctx.clock.now())) };
      },
    );
    app.post(
      '/channels',
      {
        config: write,
        schema: {
          tags: ['channels'],
          summary: 'Create a channel; its «联系我» codes are created in WeCom through the outbox',
          body: channelInput,
          response: { 201: channelDetail },
        },
      },
      async (request, reply) => reply.code(201).send(await createChannel(ctxOf(deps, request), request.body)),
    );
    app.get(
      '/channels/:id',
      {
        config: read,
        schema: {
          tags: ['channels'],
          summary: 'One channel with its codes, staff and tags',
          params: z.object({ id }),
          response: { 200: channelDetail },
        },
      },
      async (request) => getChannel(ctxOf(deps, request), request.params.id),
    );
    app.put(
      '/channels/:id',
      {
        config: write,
        schema: {
          tags: ['channels'],
          summary: 'Edit a channel (not its unit or assignment mode)',
          params: z.object({ id }),
          body: channelInput,
          response: { 200: channelDetail },
        },
      },
      async (request) => updateChannel(ctxOf(deps, request), request.params.id, request.body),
    );
    app.post(
      '/channels/:id/archive',
      {
        config: write,
        schema: {
          tags: ['channels'],
          summary: 'Archive a channel: its codes stop working in WeCom',
          params: z.object({ id }),
          response: { 200: channelDetail },
        },
      },
      async (request) => archiveChannel(ctxOf(deps, request), request.params.id),
    );
    app.get(
      '/channels/:id/codes/:codeId/material/:kind',
      {
        config: read,
        schema: {
          tags: ['channels'],
          summary:
            "A code's printable material as PNG (poster 1080×1920, table card 1200×900, roll-up 800×2000); its QR leads to the code's landing page",
          params: z.object({ id, codeId: id, kind: z.enum(['poster', 'table_card', 'rollup']) }),
        },
      },
      async (request, reply) => {
        const ctx = ctxOf(deps, request);
        const { id: channelId, codeId, kind } = request.params;
        const channel = await getChannel(ctx, channelId);
        const code = channel.codes.find((k) => k.id === codeId);
        if (!code) throw notFound({ zh: '渠道活码', en: 'Channel code' });
        const corp = await ctx.cdb.db
          .selectFrom('corps')
          .select('name')
          .where('corp_id', '=', ctx.cdb.corpId)
          .executeTakeFirstOrThrow();
        const origin = (opts.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
        const png = await renderMaterial({
          kind: kind as MaterialKind,
          qrText: `${origin}${landingPath(ctx.cdb.corpId, code.state)}`,
          brandName: corp.name,
          title: channel.name,
          bait: channel.bait,
          storeName: code.unitName,
        });
        const file = `${channel.name}-${code.unitName}-${kind}.png`;
        return reply
          .type('image/png')
          .header('cache-control', 'private, no-store')
          .header(
            'content-disposition',
            `attachment; filename="material.png"; filename*=UTF-8''${encodeURIComponent(file)}`,
          )
          .send(png);
      },
    );
    app.get(
      '/customers/:id/acquisition',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['channels'],
          summary:
            'The channel codes a customer came through, with their bait and the staff added (404 outside scope)',
          params: z.object({ id }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  channelId: z.number(),
                  channelName: z.string(),
                  method: z.string(),
                  scene: z.string(),
                  bait: z.string(),
                  staffName: z.string(),
                  addedAt: z.string(),
                  welcomeMissed: z
                    .boolean()
                    .describe(
                      'the add was recovered by a full sync after its callback was missed: no welcome',
                    ),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        await assertCustomerVisible(ctx, request.params.id);
        const rows = await acquisitionOf(ctx, request.params.id);
        return { items: rows.map((a) => ({ ...a, addedAt: a.addedAt.toISOString() })) };
      },
    );
    app.get(
      '/acquisition-settings/:unitId',
      {
        config: read,
        schema: {
          tags: ['channels'],
          summary: "A unit's linkage (own, effective, recommended by business type) and who-adds model",
          params: z.object({ unitId: id }),
          response: { 200: acquisitionSettings },
        },
      },
      async (request) => getLinkage(ctxOf(deps, request), request.params.unitId),
    );
    app.put(
      '/acquisition-settings/:unitId',
      {
        config: write,
        schema: {
          tags: ['channels'],
          summary: 'Set the linkage for the brand (root unit) or a store',
          params: z.object({ unitId: id }),
          body: z.strictObject({ linkage, addsModel }),
          response: { 200: acquisitionSettings },
        },
      },
      async (request) => setLinkage(ctxOf(deps, request), request.params.unitId, request.body),
    );
  };
}
