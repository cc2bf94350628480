import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ctxOf, type Deps } from '../context.ts';
import { createTagRule, deleteTagRule, listTagRules, tagRuleInput, updateTagRule } from './auto-rules.ts';

const id = z.coerce.number().int().positive();
const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;

export function tagRuleRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const admin = { access: { roles: ['hq_admin'] as const, scope: 'corp' as const } };
    const done = z.object({ ok: z.literal(true) });

    const rule = z.object({
      id: z.number(),
      name: z.string(),
      kind: z.enum(['order_product', 'order_amount', 'order_coupon', 'keyword', 'channel']),
      condition: z.record(z.string(), z.unknown()),
      enabled: z.boolean(),
      tags: z.array(z.object({ id: z.number(), name: z.string() })),
      customersTagged: z.number().describe('customers in the caller’s scope this rule has put a tag on'),
      updatedAt: z.string(),
    });
    app.get(
      '/tag-rules',
      {
        config: { access: { roles: MANAGERS, scope: 'subtree' } },
        schema: {
          tags: ['tags'],
          summary: 'Auto-tag rules, and (read-only) the channels in scope that tag their own adds',
          response: {
            200: z.object({
              rules: z.array(rule),
              productNames: z
                .record(z.string(), z.string())
                .describe('product code → name, as orders name it'),
              channelTags: z.array(
                z.object({
                  channelId: z.number(),
                  name: z.string(),
                  method: z.string(),
                  scene: z.string(),
                  status: z.string(),
                  tags: z.array(z.object({ id: z.number(), name: z.string() })),
                }),
              ),
            }),
          },
        },
      },
      async (request) => listTagRules(ctxOf(deps, request)),
    );
    app.post(
      '/tag-rules',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Creates an auto-tag rule: on order (product, amount, coupon), on keyword, on channel',
          body: tagRuleInput,
          response: { 200: z.object({ id: z.number() }) },
        },
      },
      async (request) => createTagRule(ctxOf(deps, request), request.body),
    );
    app.put(
      '/tag-rules/:id',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Replaces a rule (from now on; tags it already put on stay)',
          params: z.object({ id }),
          body: tagRuleInput,
          response: { 200: z.object({ id: z.number() }) },
        },
      },
      async (request) => updateTagRule(ctxOf(deps, request), request.params.id, request.body),
    );
    app.delete(
      '/tag-rules/:id',
      {
        config: admin,
        schema: {
          tags: ['tags'],
          summary: 'Deletes a rule (the tags it put on stay)',
          params: z.object({ id }),
          response: { 200: done },
        },
      },
      async (request) => {
        await deleteTagRule(ctxOf(deps, request), request.params.id);
        return { ok: true as const };
      },
    );
  };
}
