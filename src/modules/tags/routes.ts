import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { ctxOf, type Deps } from '../context.ts';
import { AUDIENCES } from './audience.ts';
import {
  addTags,
  createTagGroup,
  deleteTag,
  deleteTagGroup,
  listTagGroups,
  listTagSyncFailures,
  renameTag,
  reorder,
  updateTagGroup,
} from './service.ts';

const id = z.coerce.number().int().positive();
const ids = z.array(id).max(10_000);
/** WeCom's limit for group and tag names (API-FACTS §3: ≤30 characters). */
const tagName = z.string().trim().min(1).max(30);
const audience = z.enum(AUDIENCES as ['all', 'ops', 'front_line', 'hq']);
const sync = {
  sync: z
    .enum(['pending', 'synced', 'failed', 'local'])
    .describe('pending: on its way to WeCom; failed: WeCom refused (syncError); local: not in WeCom'),
  syncError: z.object({ errcode: z.number().nullable(), message: z.string() }).nullable(),
};

export function tagRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const admin = { access: { roles: ['hq_admin'] as const, scope: 'corp' as const } };
    const done = z.object({ ok: z.literal(true) });

    app.get(
      '/tags',
      {
        config: { access: { roles: ROLES, scope: 'corp' } },
        schema: {
          tags: ['tags'],
          summary: 'Corp tag groups with their tags, as the caller’s role sees them, and their WeCom sync',
          description:
            'Tag views per role: HQ admins see every group; region and store managers the groups for all, for ' +
            'ops (region, channel) and for the front line (need, consumption); staff the groups for all and for ' +
            'the front line; groups for hq stay with HQ.',
          response: {
            200: z.object({
              groups: z.array(
                z.object({
                  id: z.number(),
                  name: z.string(),
                  audience,
                  ...sync,
                  tags: z.array(z.object({ id: z.number(), name: z.string(), ...sync })),
                }),
              ),
            }),
          },
        },
      },
      async (request) => ({ groups: await listTagGroups(ctxOf(deps, request)) }),
    );
    app.get(
      '/tags/sync-failures',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'The latest corp tag changes WeCom refused (create, edit, delete), newest first',
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.number(),
                  action: z.enum(['create', 'edit', 'delete']),
                  what: z.string(),
                  errcode: z.number().nullable(),
                  error: z.string(),
                  at: z.string().nullable(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => ({ items: await listTagSyncFailures(ctxOf(deps, request)) }),
    );
    app.post(
      '/tag-groups',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Creates a tag group with its first tags, here and in WeCom (through the outbox)',
          body: z.strictObject({
            name: tagName,
            audience: audience.default('all'),
            tags: z.array(tagName).max(100).default([]),
          }),
          response: { 200: z.object({ id: z.number() }) },
        },
      },
      async (request) => createTagGroup(ctxOf(deps, request), request.body),
    );
    app.patch(
      '/tag-groups/:id',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Renames a group (also in WeCom) or changes its audience (Siyu only)',
          params: z.object({ id }),
          body: z.strictObject({ name: tagName.optional(), audience: audience.optional() }),
          response: { 200: done },
        },
      },
      async (request) => {
        await updateTagGroup(ctxOf(deps, request), request.params.id, request.body);
        return { ok: true as const };
      },
    );
    app.delete(
      '/tag-groups/:id',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Deletes a group and its tags, here (off every customer) and in WeCom',
          params: z.object({ id }),
          response: { 200: done },
        },
      },
      async (request) => {
        await deleteTagGroup(ctxOf(deps, request), request.params.id);
        return { ok: true as const };
      },
    );
    app.post(
      '/tag-groups/:id/tags',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Adds tags to a group, here and in WeCom',
          params: z.object({ id }),
          body: z.strictObject({ names: z.array(tagName).min(1).max(100) }),
          response: { 200: z.object({ ids: z.array(z.number()) }) },
        },
      },
      async (request) => addTags(ctxOf(deps, request), request.params.id, request.body.names),
    );
    app.put(
      '/tag-groups/order',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Puts the groups in this order (every group once); WeCom gets the new order',
          body: z.strictObject({ ids }),
          response: { 200: done },
        },
      },
      async (request) => {
        await reorder(ctxOf(deps, request), { groups: request.body.ids });
        return { ok: true as const };
      },
    );
    app.put(
      '/tag-groups/:id/tag-order',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Puts a group’s tags in this order (every tag once); WeCom gets the new order',
          params: z.object({ id }),
          body: z.strictObject({ ids }),
          response: { 200: done },
        },
      },
      async (request) => {
        await reorder(ctxOf(deps, request), { groupId: request.params.id, tags: request.body.ids });
        return { ok: true as const };
      },
    );
    app.patch(
      '/tags/:id',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Renames a tag, here and in WeCom',
          params: z.object({ id }),
          body: z.strictObject({ name: tagName }),
          response: { 200: done },
        },
      },
      async (request) => {
        await renameTag(ctxOf(deps, request), request.params.id, request.body.name);
        return { ok: true as const };
      },
    );
    app.delete(
      '/tags/:id',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Deletes a tag, here (off every customer) and in WeCom',
          params: z.object({ id }),
          response: { 200: done },
        },
      },
      async (request) => {
        await deleteTag(ctxOf(deps, request), request.params.id);
        return { ok: true as const };
      },
    );
  };
}
