import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../platform/http/errors.ts';
import { ctxOf, type Deps } from '../context.ts';
import { PERSONAS } from '../staff/index.ts';
import { MOMENTS_JOB } from './publish.ts';
import { IMAGES_MAX, MEDIA_MAX_BYTES, TEXT_MAX_CHARS } from './rules.ts';
import { AXES, CONTENT_KINDS, MEMBER_STATUSES, POST_STATUSES } from './schema.ts';
import {
  cancelPost,
  createPost,
  getMedia,
  getPost,
  listPosts,
  listSenders,
  MEDIA_CONTENT_TYPES,
  type MediaType,
  saveMedia,
  updatePost,
} from './service.ts';

const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const access = { access: { roles: MANAGERS, scope: 'subtree' as const } };
const id = z.coerce.number().int().positive();

const postBody = z.object({
  unitId: id
    .optional()
    .describe(
      'the unit it is planned in (HQ or a store of the caller’s subtree); the caller’s own by default',
    ),
  axis: z.enum(AXES).describe('the playbook’s three axes: product, persona, user story'),
  title: z.string().trim().min(1).max(60),
  body: z.string().max(TEXT_MAX_CHARS).default(''),
  kind: z.enum(CONTENT_KINDS).describe('text only; up to 9 images; 1 video; 1 link with its cover image'),
  mediaIds: z.array(id).max(IMAGES_MAX).default([]),
  linkTitle: z.string().max(200).nullable().optional(),
  linkUrl: z.string().max(1000).nullable().optional(),
  senderStaffIds: z.array(id).min(1).max(5000).describe('the members who post it'),
  tagIds: z
    .array(id)
    .max(100)
    .default([])
    .describe('customers with any of these tags see it; none: all their customers'),
  plannedAt: z.iso.datetime({ offset: true }),
});

const totals = {
  memberCount: z.number().describe('members WeCom gave the task to'),
  publishedCount: z.number().describe('of them, those who published it'),
  visible: z.number(),
  likes: z.number(),
  comments: z.number(),
};
const postSummary = z.object({
  id: z.number(),
  unitId: z.number(),
  unitName: z.string(),
  axis: z.enum(AXES),
  title: z.string(),
  body: z.string(),
  kind: z.enum(CONTENT_KINDS),
  mediaIds: z.array(z.number()),
  linkTitle: z.string().nullable(),
  linkUrl: z.string().nullable(),
  senderStaffIds: z.array(z.number()),
  tagIds: z.array(z.number()),
  plannedAt: z.string(),
  status: z.enum(POST_STATUSES),
  failure: z.string().nullable(),
  scheduleNote: z
    .object({ kind: z.enum(['spread', 'deferred']), from: z.string() })
    .nullable()
    .describe(
      'WeCom takes 10 add_moment_task a minute: spread, the minute asked (from) was full and the post moved to the next with room; deferred, it was due at from and waited for the next minute',
    ),
  publishedAt: z.string().nullable(),
  ...totals,
});
const persona = z.enum(PERSONAS);
const postDetail = postSummary.extend({
  senders: z.array(z.object({ id: z.number(), name: z.string(), persona, userid: z.string() })),
  tags: z.array(z.object({ id: z.number(), name: z.string() })),
  members: z.array(
    z.object({
      userid: z.string(),
      staffId: z.number().nullable(),
      name: z.string(),
      persona: persona.nullable(),
      status: z.enum(MEMBER_STATUSES),
      visible: z.number(),
      likes: z.number(),
      comments: z.number(),
    }),
  ),
});

export function momentsRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const wake = () => deps.wake.job(MOMENTS_JOB);
    // A media file is the request body itself (no multipart), e.g. `curl --data-binary @a.jpg -H 'content-type: image/jpeg'`.
    app.addContentTypeParser(
      MEDIA_CONTENT_TYPES,
      { parseAs: 'buffer', bodyLimit: MEDIA_MAX_BYTES + 1 },
      (_r, body, done) => done(null, body),
    );

    app.get(
      '/moments',
      {
        config: access,
        schema: {
          tags: ['moments'],
          summary:
            'The Moments posts planned in [from, to) (at most 62 days) that the caller sees, by planned time',
          querystring: z.object({
            from: z.iso.datetime({ offset: true }),
            to: z.iso.datetime({ offset: true }),
            axis: z.enum(AXES).optional(),
            unitId: id.optional(),
          }),
          response: { 200: z.object({ items: z.array(postSummary) }) },
        },
      },
      async (request) => listPosts(ctxOf(deps, request), request.query),
    );
    app.get(
      '/moments/senders',
      {
        config: access,
        schema: {
          tags: ['moments'],
          summary:
            'The members the caller may choose to post, filtered by persona and unit (with its subtree)',
          querystring: z.object({ persona: persona.optional(), unitId: id.optional() }),
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.number(),
                  userid: z.string(),
                  name: z.string(),
                  persona,
                  personaName: z.string().nullable(),
                  unitId: z.number(),
                  unitName: z.string(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => listSenders(ctxOf(deps, request), request.query),
    );
    app.post(
      '/moments/media',
      {
        config: access,
        bodyLimit: MEDIA_MAX_BYTES + 1,
        schema: {
          tags: ['moments'],
          summary:
            'Keeps an image (image/jpeg, image/png) or a video (video/mp4), at most 10 MB, sent as the request body; it is uploaded to WeCom when a post using it is published',
          querystring: z.object({ fileName: z.string().trim().min(1).max(200).default('media') }),
          response: {
            201: z.object({
              id: z.number(),
              kind: z.enum(['image', 'video']),
              fileName: z.string(),
              size: z.number(),
            }),
          },
        },
      },
      async (request, reply) => {
        const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim() as MediaType;
        if (!MEDIA_CONTENT_TYPES.includes(type) || !Buffer.isBuffer(request.body))
          throw new AppError('bad_request', {
            zh: '只接受 JPG、PNG 图片或 MP4 视频',
            en: 'Only JPG or PNG images and MP4 videos are accepted',
          });
        const saved = await saveMedia(ctxOf(deps, request), {
          fileName: request.query.fileName,
          contentType: type,
          bytes: request.body,
        });
        return reply.code(201).send(saved);
      },
    );
    app.get(
      '/moments/media/:id',
      {
        config: access,
        schema: {
          tags: ['moments'],
          summary: 'A media file of Moments (for previews)',
          params: z.object({ id }),
        },
      },
      async (request, reply) => {
        const file = await getMedia(ctxOf(deps, request), request.params.id);
        return reply.type(file.contentType).header('cache-control', 'private, max-age=3600').send(file.bytes);
      },
    );
    app.post(
      '/moments',
      {
        config: access,
        schema: {
          tags: ['moments'],
          summary: 'Plans a Moments post; it is published through WeCom at its planned time',
          body: postBody,
          response: { 201: postDetail },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await createPost(ctxOf(deps, request), request.body, wake)),
    );
    app.get(
      '/moments/:id',
      {
        config: access,
        schema: {
          tags: ['moments'],
          summary:
            'A post with each member’s publishing status, the customers who can see it, likes and comments',
          params: z.object({ id }),
          response: { 200: postDetail },
        },
      },
      async (request) => getPost(ctxOf(deps, request), request.params.id),
    );
    app.put(
      '/moments/:id',
      {
        config: access,
        schema: {
          tags: ['moments'],
          summary: 'Changes a planned post (409 once it is being published)',
          params: z.object({ id }),
          body: postBody,
          response: { 200: postDetail },
        },
      },
      async (request) => updatePost(ctxOf(deps, request), request.params.id, request.body, wake),
    );
    app.post(
      '/moments/:id/cancel',
      {
        config: access,
        schema: {
          tags: ['moments'],
          summary: 'Cancels a planned post (409 once it is being published)',
          params: z.object({ id }),
          response: { 200: postDetail },
        },
      },
      async (request) => cancelPost(ctxOf(deps, request), request.params.id),
    );
  };
}
