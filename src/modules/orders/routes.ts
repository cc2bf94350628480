import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { pageQuery } from '../../platform/http/pagination.ts';
import { ctxOf, type Deps } from '../context.ts';
import { createIntegration, listIntegrations, revokeIntegration, SOURCE_PATTERN } from './integrations.ts';
import { setProductRole } from './products.ts';
import { LADDER_ROLES } from './schema.ts';
import { customerIdentities, customerOrders, undoIdentityLink } from './service.ts';

const id = z.coerce.number().int().positive();
const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const identityKind = z.enum(['external_userid', 'unionid', 'openid', 'phone']);
export const orderChannel = z.enum(['miniprogram', 'ecommerce', 'pos']);

const integration = z.object({
  id: z.number(),
  source: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

const order = z.object({
  id: z.number(),
  source: z.string(),
  sourceOrderId: z.string(),
  channel: orderChannel,
  store: z.object({ id: z.number(), name: z.string() }).nullable(),
  totalFen: z.number(),
  paidFen: z.number(),
  couponCode: z.string().nullable(),
  couponFen: z.number(),
  orderedAt: z.string(),
  linkedBy: identityKind.nullable().describe('the identity that tied the order to the customer'),
  items: z.array(
    z.object({
      productCode: z.string(),
      productName: z.string(),
      quantity: z.number(),
      priceFen: z.number(),
    }),
  ),
});

const display = z
  .string()
  .nullable()
  .describe('the value; a phone only masked, and only when it is the WeCom phone');
const identities = z.object({
  identities: z.array(
    z.object({
      id: z.number(),
      kind: identityKind,
      display,
      source: z.string().describe("'wecom', 'order:<source>' or 'member:<source>'"),
      linkedAt: z.string(),
      orders: z.number().describe('orders of this customer that carry the identity'),
      members: z.number(),
      undoable: z.boolean(),
    }),
  ),
  unlinked: z.array(
    z.object({
      kind: identityKind,
      display,
      source: z.string(),
      linkedAt: z.string(),
      undoneAt: z.string(),
      undoneBy: z.string().nullable(),
    }),
  ),
  conflicts: z.array(
    z.object({
      id: z.number(),
      kind: identityKind,
      display,
      source: z.string(),
      seenAt: z.string(),
      role: z.enum(['held_here', 'held_by_other']),
      otherCustomerId: z.number(),
    }),
  ),
});

export function orderRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/customers/:id/orders',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['orders'],
          summary:
            'A customer’s orders, newest first, with items, store, channel and coupon (404 outside scope)',
          params: z.object({ id }),
          querystring: z.object(pageQuery),
          response: { 200: z.object({ items: z.array(order), nextCursor: z.string().nullable() }) },
        },
      },
      async (request) => customerOrders(ctxOf(deps, request), request.params.id, request.query),
    );

    app.get(
      '/customers/:id/identities',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['orders'],
          summary:
            'OneID: the customer’s identities with their sources, links undone, conflicts (404 outside scope)',
          params: z.object({ id }),
          response: { 200: identities },
        },
      },
      async (request) => customerIdentities(ctxOf(deps, request), request.params.id),
    );

    app.post(
      '/customers/:id/identities/:identityId/undo',
      {
        config: { access: { roles: MANAGERS, scope: 'subtree' } },
        schema: {
          tags: ['orders'],
          summary:
            'Undo a link: the identity leaves the customer, its orders and members go back to unresolved',
          description:
            'The pairing is remembered: automatic linking never ties this identity to this customer again. ' +
            'The records are linked afresh (to another customer holding one of their identities, or nobody).',
          params: z.object({ id, identityId: id }),
          response: { 200: z.object({ ordersUnlinked: z.number(), membersUnlinked: z.number() }) },
        },
      },
      async (request) => undoIdentityLink(ctxOf(deps, request), request.params.id, request.params.identityId),
    );

    app.put(
      '/products/:code',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags: ['orders'],
          summary:
            'Set a product’s role on the product ladder (引流品 traffic / 建信品 trust / 利润品 profit / 拓展品 expansion, null: none); 404 for a code on no order line',
          params: z.object({ code: z.string().trim().min(1).max(64) }),
          body: z.strictObject({
            role: z.enum(LADDER_ROLES).nullable(),
            name: z.string().trim().min(1).max(100).optional(),
          }),
          response: {
            200: z.object({ code: z.string(), name: z.string(), role: z.enum(LADDER_ROLES).nullable() }),
          },
        },
      },
      async (request) => setProductRole(ctxOf(deps, request), request.params.code, request.body),
    );

    app.get(
      '/integrations',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags: ['integrations'],
          summary: 'Integrator secrets for /hooks (never the secret itself)',
          response: { 200: z.object({ items: z.array(integration) }) },
        },
      },
      async (request) => listIntegrations(ctxOf(deps, request)),
    );

    app.post(
      '/integrations',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags: ['integrations'],
          summary:
            'A secret for a source (mini-program, POS, membership system …): shown once, in this answer',
          body: z.strictObject({
            source: z
              .string()
              .regex(
                SOURCE_PATTERN,
                'lowercase letters, digits, - and _, at most 32, e.g. miniprogram or pos-east',
              ),
          }),
          response: { 201: integration.extend({ secret: z.string() }) },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await createIntegration(ctxOf(deps, request), request.body.source)),
    );

    app.post(
      '/integrations/:id/revoke',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags: ['integrations'],
          summary: 'Revoke a secret: its requests are refused from now on (kept listed)',
          params: z.object({ id }),
          response: { 200: integration },
        },
      },
      async (request) => revokeIntegration(ctxOf(deps, request), request.params.id),
    );
  };
}
