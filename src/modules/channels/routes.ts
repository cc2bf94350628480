import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { ctxOf, type Deps } from '../context.ts';
import { assertCustomerVisible } from '../customers/index.ts';
import { landingPath } from './landing.ts';
import { type MaterialKind, renderMaterial } from './material.ts';
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

const channelInput = z.strictObject({
  name: z.string().trim().min(1).max(40),
  scene: z.string().trim().min(1).max(60),
  method: z.enum(CHANNEL_METHODS as [string, ...string[]]),
  bait: z.string().trim().max(60).default(''),
  unitId: id,
  assignMode: z.enum(['single', 'pool', 'store']),
  poolStrategy: z.enum(['round_robin', 'least_loaded']).default('round_robin'),
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

const period = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
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
        },
      },
      async (request, reply) =>
        reply.code(201).send(await createChannel(ctxOf(deps, request), request.body as never)),
    );
    app.get(
      '/channels/:id',
      {
        config: read,
        schema: {
          tags: ['channels'],
          summary: 'One channel with its codes, staff and tags',
          params: z.object({ id }),
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
        },
      },
      async (request) => updateChannel(ctxOf(deps, request), request.params.id, request.body as never),
    );
    app.post(
      '/channels/:id/archive',
      {
        config: write,
        schema: {
          tags: ['channels'],
          summary: 'Archive a channel: its codes stop working in WeCom',
          params: z.object({ id }),
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
          body: z.strictObject({
            linkage: z.enum(LINKAGES as [string, ...string[]]),
            addsModel: z.enum(['central', 'journey']),
          }),
        },
      },
      async (request) => setLinkage(ctxOf(deps, request), request.params.unitId, request.body as never),
    );
  };
}
