import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { attachment, EXPORT_FORMATS, MAX_EXPORT_ROWS } from '../../platform/export.ts';
import { pageQuery, pageReply } from '../../platform/http/pagination.ts';
import { ctxOf, type Deps } from '../context.ts';
import { staffCountsByUnit } from '../staff/index.ts';
import { editCustomerTags } from './customer-tags.ts';
import { exportCustomers, PHONE_MODES } from './export.ts';
import { factsCard, stage } from './facts-routes.ts';
import { QUOTE_DAYS, quoteSchema } from './quotes.ts';
import { revealPhone } from './reveal.ts';
import { customerCountsByUnit, getCustomerProfile, listCustomers } from './service.ts';
import { getTagJob, INLINE_BULK_CUSTOMERS, MAX_BULK_CUSTOMERS, startTagJob } from './tag-jobs.ts';

const id = z.coerce.number().int().positive();
const gender = z.number().int().min(0).max(2).describe('0 unknown, 1 male, 2 female (WeCom)');

const customerRow = z.object({
  id: z.number(),
  externalUserid: z.string(),
  name: z.string(),
  gender,
  avatar: z.string().nullable(),
  phoneMasked: z.string().nullable(),
  firstAddedAt: z.string().nullable(),
  stage: stage.nullable().describe('lifecycle stage; null until the facts job first computes it'),
  tags: z.array(z.object({ id: z.number(), name: z.string() })),
  owners: z.array(z.object({ staffId: z.number(), staffName: z.string(), journeyRole: z.string() })),
});

const profile = z.object({
  customer: z.object({
    id: z.number(),
    externalUserid: z.string(),
    unionid: z.string().nullable(),
    name: z.string(),
    gender,
    avatar: z.string().nullable(),
    phoneMasked: z.string().nullable(),
    firstAddedAt: z.string().nullable(),
    createdAt: z.string(),
  }),
  follows: z.array(
    z.object({
      id: z.number(),
      staff: z.object({
        id: z.number(),
        name: z.string(),
        persona: z.string(),
        personaName: z.string().nullable(),
        unitId: z.number(),
        unitName: z.string(),
      }),
      remark: z.string().nullable(),
      description: z.string().nullable(),
      addWay: z.number().describe('WeCom add_way code'),
      state: z.string().nullable().describe('the channel code state the customer came through'),
      channel: z
        .object({
          id: z.number(),
          name: z.string(),
          bait: z.string().describe('what the channel offered (诱饵); empty when none'),
        })
        .nullable()
        .describe('the channel whose code that state is, when it is one'),
      journeyRole: z.string().describe("the staff member's role at this node of the customer's journey"),
      status: z.enum(['active', 'deleted_by_customer', 'deleted_by_staff', 'transferred']),
      addedAt: z.string(),
    }),
  ),
  tags: z.array(z.object({ id: z.number(), name: z.string(), groupId: z.number(), groupName: z.string() })),
  timeline: z.array(
    z.object({
      id: z.number(),
      at: z.string(),
      kind: z.string(),
      text: z
        .object({ zh: z.string(), en: z.string() })
        .describe('the entry in words, rendered from its data in each language'),
      staffName: z.string().nullable().describe('the staff member the entry is about'),
      actorName: z
        .string()
        .nullable()
        .describe('who acted: the account for a change made in Siyu, else the staff member'),
    }),
  ),
  quotes: z
    .array(quoteSchema)
    .describe(`each member's latest quote (报价) per item within ${QUOTE_DAYS} days, from follow-up notes`),
  facts: factsCard.nullable().describe('derived from orders and membership; null until first computed'),
});

/** The customer list's filters: the list, its export and bulk tagging take the same. */
const filterQuery = {
  q: z.string().max(64).optional(),
  unitId: id.optional(),
  tagId: id.optional(),
  staffId: id.optional(),
  stage: stage.optional(),
};

/** Who may take customers out as a file: managers, for the customers of their scope. */
const EXPORTERS = ['hq_admin', 'region_manager', 'store_manager'] as const;

export function customerRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/customers',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['customers'],
          summary: 'Customers the caller can see, newest first',
          description:
            'q matches name, pinyin (full or initials), any follow remark, or the masked phone; a full mobile ' +
            'number is matched exactly through its keyed hash: such a search is audited and counted against ' +
            'the caller’s budget per hour and per day (by role; 429 once spent). unitId includes the unit’s ' +
            'subtree. total counts every customer of the filters in scope.',
          querystring: z.object({ ...filterQuery, ...pageQuery }),
          response: { 200: pageReply(customerRow).extend({ total: z.number() }) },
        },
      },
      async (request) => listCustomers(ctxOf(deps, request), request.query),
    );
    app.get(
      '/customers/export',
      {
        config: { access: { roles: EXPORTERS, scope: 'subtree' } },
        schema: {
          tags: ['customers'],
          summary: 'The customer list with its filters as a file (.xlsx, or CSV in UTF-8 with BOM)',
          description:
            `At most ${MAX_EXPORT_ROWS} customers (more: 422 saying how many). Phones are masked unless ` +
            'phones=full, which only HQ admins may ask (others: 403, the refusal audited); text that a ' +
            'spreadsheet would run as a formula starts with an apostrophe. Each export is audited.',
          querystring: z.object({
            ...filterQuery,
            format: z.enum(EXPORT_FORMATS).default('xlsx'),
            phones: z.enum(PHONE_MODES).default('masked'),
          }),
        },
      },
      async (request, reply) => {
        const { format, phones, ...filter } = request.query;
        const file = await exportCustomers(ctxOf(deps, request), filter, format, phones);
        return reply
          .type(file.contentType)
          .header('content-disposition', attachment(file.fileName))
          .send(file.body);
      },
    );
    app.get(
      '/customers/:id',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['customers'],
          summary: 'Customer 360: every follow with its staff’s role, tags, timeline (404 outside scope)',
          params: z.object({ id }),
          response: { 200: profile },
        },
      },
      async (request) => getCustomerProfile(ctxOf(deps, request), request.params.id),
    );
    app.post(
      '/customers/:id/phone/reveal',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['customers'],
          summary: 'The customer’s full phone number, as an audited action (404 outside scope)',
          description:
            'Lists and profiles show the masked number only. Each reveal is on the audit log and counts ' +
            'against the same per-role budget as phone searches (429 past it).',
          params: z.object({ id }),
          response: { 200: z.object({ phone: z.string().nullable() }) },
        },
      },
      async (request) => revealPhone(ctxOf(deps, request), request.params.id),
    );
    app.post(
      '/customers/:id/tags',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['customers'],
          summary:
            'Adds and removes tags on a customer in scope, within the caller’s tag view, also in WeCom',
          description:
            'An added tag is marked in WeCom on the follow of staffId (default: the caller’s own follow, else ' +
            'the earliest active one); a removed tag comes off every follow. 404 outside scope.',
          params: z.object({ id }),
          body: z
            .strictObject({
              add: z.array(id).max(50).default([]),
              remove: z.array(id).max(50).default([]),
              staffId: id.optional(),
            })
            .refine((b) => b.add.length + b.remove.length > 0, 'add or remove at least one tag'),
          response: { 200: z.object({ added: z.array(z.number()), removed: z.array(z.number()) }) },
        },
      },
      async (request) => editCustomerTags(ctxOf(deps, request), request.params.id, request.body),
    );

    const tagJob = z.object({
      id: z.number(),
      status: z.enum(['running', 'done', 'failed']),
      total: z.number().describe('customers the job reaches'),
      done: z.number().describe('customers handled so far'),
      changed: z.number().describe('customers whose tags changed (the others had them already, or not)'),
      error: z.string().nullable(),
      add: z.array(z.number()),
      remove: z.array(z.number()),
      createdAt: z.string(),
      updatedAt: z.string(),
    });
    app.post(
      '/customers/tag-jobs',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['customers'],
          summary: 'Adds and removes tags on the customers of a filter or a selection (bulk tagging)',
          description:
            'Within the caller’s tag view and scope; each customer as through POST /customers/:id/tags (mark_tag ' +
            `in WeCom, the timeline naming the bulk change). Up to ${INLINE_BULK_CUSTOMERS} customers are done ` +
            `in the request (200, status done); more (at most ${MAX_BULK_CUSTOMERS}) run as a job (202): follow ` +
            'GET /customers/tag-jobs/:id. A selected customer outside the scope: 404. Audited.',
          body: z
            .strictObject({
              filter: z.strictObject(filterQuery).optional(),
              customerIds: z.array(id).min(1).max(1000).optional(),
              add: z.array(id).max(50).default([]),
              remove: z.array(id).max(50).default([]),
            })
            .refine((b) => b.add.length + b.remove.length > 0, 'add or remove at least one tag')
            .refine((b) => (b.filter === undefined) !== (b.customerIds === undefined), {
              message: 'give either filter or customerIds',
            }),
          response: { 200: tagJob, 202: tagJob },
        },
      },
      async (request, reply) => {
        const job = await startTagJob(ctxOf(deps, request), deps, request.body);
        return reply.code(job.status === 'running' ? 202 : 200).send(job);
      },
    );
    app.get(
      '/customers/tag-jobs/:id',
      {
        config: { access: { roles: ROLES, scope: 'self' } },
        schema: {
          tags: ['customers'],
          summary: 'A bulk tagging job’s progress (its maker only)',
          params: z.object({ id }),
          response: { 200: tagJob },
        },
      },
      async (request) => getTagJob(ctxOf(deps, request), request.params.id),
    );

    app.get(
      '/unit-counts',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['org'],
          summary:
            'Per unit of the caller’s subtree: its staff and the customers the caller sees (subtree totals)',
          response: {
            200: z.object({
              items: z.array(
                z.object({ unitId: z.number(), staffCount: z.number(), customerCount: z.number() }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const [staff, customers] = await Promise.all([staffCountsByUnit(ctx), customerCountsByUnit(ctx)]);
        return {
          items: ctx.actor.unitIds.map((unitId) => ({
            unitId,
            staffCount: staff.get(unitId) ?? 0,
            customerCount: customers.get(unitId) ?? 0,
          })),
        };
      },
    );
  };
}
