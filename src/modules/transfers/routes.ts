import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageQuery } from '../../platform/http/pagination.ts';
import { TRANSFER_SUCCESS_MSG_MAX_CHARS } from '../../wecom/limits.ts';
import { ctxOf, type Deps } from '../context.ts';
import { TRANSFER_STATUSES } from './schema.ts';
import { FOLLOW_UP_JOB, listTransfers, listUnassigned, startDeparture, startReassign } from './service.ts';

const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const access = { roles: MANAGERS, scope: 'subtree' } as const;
const id = z.coerce.number().int().positive();

const rule = {
  rule: z
    .enum(['least_load', 'successor'])
    .describe(
      'least_load: the store’s other active staff, fewest customers first; successor: one named member',
    ),
  successorStaffId: id
    .optional()
    .describe('for successor: the member who takes over, in the caller’s subtree'),
};

const person = z.object({ id: z.number(), name: z.string() });
const excluded = z.object({
  customerId: z.number().nullable(),
  groupId: z.number().nullable(),
  name: z.string(),
  reason: z
    .enum(['protected_90_days', 'in_progress', 'already_followed', 'not_followed', 'owner_daily_limit'])
    .describe(
      'protected_90_days: moved twice within 90 days (WeCom would refuse it); owner_daily_limit: a group ' +
        'whose possible new owners have each received 300 groups within 24 hours (WeCom’s daily limit)',
    ),
  transfers: z.array(z.string()).describe('for protected_90_days: when the counted transfers were asked'),
});
const started = z.object({
  batchId: z.number().nullable().describe('null for a dry run'),
  kind: z.enum(['resigned', 'onjob']),
  customers: z.number(),
  groups: z.number(),
  takeovers: z.array(
    z.object({ staffId: z.number(), name: z.string(), customers: z.number(), groups: z.number() }),
  ),
  excluded: z.array(excluded),
});

/** 离职继承 and 在职转接: what waits, starting transfers (managers, within scope), and their history. */
export function transferRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const clientOf = async (corpId: string) => (await deps.links.get(corpId))?.client ?? null;

    app.get(
      '/transfers/unassigned',
      {
        config: { access },
        schema: {
          tags: ['transfers'],
          summary: 'Departed members in scope whose customers and groups wait for a new owner',
          description:
            'From WeCom’s get_unassigned_list when the brand is linked (source wecom), else from Siyu’s mirror ' +
            '(source mirror). Customers already being transferred are left out. storeStaff: who could take over ' +
            'in the same store, with their current customers.',
          response: {
            200: z.object({
              source: z.enum(['wecom', 'mirror']),
              items: z.array(
                z.object({
                  staffId: z.number(),
                  userid: z.string(),
                  name: z.string(),
                  unitId: z.number(),
                  unitName: z.string(),
                  departedAt: z.string().nullable(),
                  customerCount: z.number(),
                  customers: z.array(person).describe('the first 50'),
                  groupCount: z.number(),
                  groups: z.array(person).describe('the first 50'),
                  storeStaff: z.array(z.object({ id: z.number(), name: z.string(), customers: z.number() })),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        return listUnassigned(ctx, await clientOf(ctx.actor.corpId));
      },
    );

    app.post(
      '/transfers/departure',
      {
        config: { access },
        schema: {
          tags: ['transfers'],
          summary: 'Transfer departed members’ customers and groups (离职继承)',
          description:
            'Chooses by store (unitId: every departed member of it) or by member (handoverStaffIds), then a ' +
            'takeover per customer by the rule; sends resigned/transfer_customer (100 per call) and ' +
            'groupchat/transfer through the outbox and follows transfer_result. dryRun: the plan only.',
          body: z
            .strictObject({
              handoverStaffIds: z.array(id).min(1).max(100).optional(),
              unitId: id.optional(),
              customerIds: z.array(id).min(1).max(5000).optional(),
              groups: z.boolean().default(true),
              dryRun: z.boolean().default(false),
              ...rule,
            })
            .refine((b) => b.handoverStaffIds !== undefined || b.unitId !== undefined, {
              message: 'name the departed members (handoverStaffIds) or their store (unitId)',
            })
            .refine((b) => b.rule !== 'successor' || b.successorStaffId !== undefined, {
              message: 'successor needs successorStaffId',
            }),
          response: { 200: started },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const result = await startDeparture(ctx, await clientOf(ctx.actor.corpId), request.body);
        if (!request.body.dryRun) deps.wake.outbox();
        return result;
      },
    );

    app.post(
      '/transfers/reassign',
      {
        config: { access },
        schema: {
          tags: ['transfers'],
          summary: 'Reassign an active member’s customers and groups (在职转接)',
          description:
            'For a member changing store or role: transfer_customer with its message to the customer, and ' +
            'groupchat/onjob_transfer. Customers moved twice within 90 days, already moving, or already ' +
            'followed by the takeover member are excluded and listed. dryRun: the plan only.',
          body: z
            .strictObject({
              handoverStaffId: id,
              customerIds: z.array(id).min(1).max(5000).optional(),
              groups: z.boolean().default(false),
              message: z.string().trim().min(1).max(TRANSFER_SUCCESS_MSG_MAX_CHARS).optional(),
              dryRun: z.boolean().default(false),
              ...rule,
            })
            .refine((b) => b.rule !== 'successor' || b.successorStaffId !== undefined, {
              message: 'successor needs successorStaffId',
            }),
          response: { 200: started },
        },
      },
      async (request) => {
        const result = await startReassign(ctxOf(deps, request), request.body);
        if (!request.body.dryRun) deps.wake.outbox();
        return result;
      },
    );

    app.get(
      '/transfers',
      {
        config: { access },
        schema: {
          tags: ['transfers'],
          summary: 'Transfers whose handover or takeover member is in scope, newest first',
          querystring: z.object({
            status: z.enum(TRANSFER_STATUSES).optional(),
            kind: z.enum(['resigned', 'onjob']).optional(),
            batchId: id.optional(),
            staffId: id.optional(),
            ...pageQuery,
          }),
          response: {
            200: z.object({
              counts: z.record(z.string(), z.number()).describe('per status, before the status filter'),
              nextCursor: z.string().nullable(),
              items: z.array(
                z.object({
                  id: z.number(),
                  batchId: z.number(),
                  kind: z.enum(['resigned', 'onjob']),
                  target: z.enum(['customer', 'group']),
                  customerId: z.number().nullable(),
                  customerName: z.string().nullable(),
                  groupId: z.number().nullable(),
                  groupName: z.string().nullable(),
                  handover: person,
                  takeover: person,
                  status: z.enum(TRANSFER_STATUSES),
                  errcode: z.number().nullable(),
                  reason: z
                    .string()
                    .nullable()
                    .describe(
                      'why it ended as it did: a code (protected_90_days, owner_daily_limit, ' +
                        'group_transfer_limit, customer_refused…); 40128 on groups is told apart from history',
                    ),
                  reasonText: z
                    .object({ zh: z.string(), en: z.string() })
                    .nullable()
                    .describe('the reason in words; null while queued, waiting or done'),
                  requestedBy: z.string().nullable(),
                  requestedAt: z.string(),
                  takeoverAt: z.string().nullable(),
                  settledAt: z.string().nullable(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => listTransfers(ctxOf(deps, request), request.query),
    );

    app.post(
      '/transfers/follow-up',
      {
        config: { access },
        schema: {
          tags: ['transfers'],
          summary: 'Ask WeCom now for the results of due transfers (the job does it every minute)',
          response: { 202: z.object({ queued: z.literal(true) }) },
        },
      },
      async (_request, reply) => {
        deps.wake.job(FOLLOW_UP_JOB);
        return reply.status(202).send({ queued: true });
      },
    );
  };
}
