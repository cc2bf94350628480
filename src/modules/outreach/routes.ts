import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decodeCursor, pageQuery, pageReply } from '../../platform/http/pagination.ts';
import { ctxOf, type Deps } from '../context.ts';
import { GROUP_TYPES } from '../groups/index.ts';
import { JOURNEY_ROLES } from '../staff/index.ts';
import { MAX_LIST } from './audience.ts';
import { budgetView, outreachSettingsOf, setBudget, setOutreachSettings } from './budget.ts';
import { GROUP_EXCLUSIONS, GROUP_STATUSES, listGroupRecipients, planGroupSend } from './group-sends.ts';
import {
  cancelMassSend,
  createMassSend,
  getMassSend,
  getMassSendRow,
  listMassSends,
  listRecipients,
  MASS_SEND_JOB,
  remindMassSend,
} from './mass-sends.ts';
import { assertGuardAllowed, CONTENT_KINDS, EXCLUSIONS, GUARD_MODES, planAudience } from './plan.ts';

const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const id = z.coerce.number().int().positive();
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 00:00–23:59');
const quiet = z.object({ start: z.string(), end: z.string() });

const budgetOut = z.object({
  unitId: z.number(),
  own: z
    .object({
      maxTouches: z.number().nullable(),
      windowHours: z.number().nullable(),
      quiet: quiet.nullable(),
    })
    .describe("what the unit sets itself; null inherits its parent's"),
  effective: z.object({
    maxTouches: z.number(),
    windowHours: z.number(),
    quiet: quiet.nullable().describe('brand time (UTC+8); null: none'),
  }),
  from: z
    .object({
      maxTouches: z.number().nullable(),
      windowHours: z.number().nullable(),
      quiet: z.number().nullable(),
    })
    .describe("the unit each value comes from; null: Siyu's default"),
});
const budgetInput = z.strictObject({
  maxTouches: z.number().int().min(1).max(100).nullable().describe('messages per window; null inherits'),
  windowHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .nullable(),
  quiet: z
    .strictObject({ start: time, end: time })
    .nullable()
    .describe('quiet hours in brand time; null inherits; start = end: none'),
});
const settings = z.object({
  monthlyCap: z
    .number()
    .int()
    .min(1)
    .max(31)
    .nullable()
    .describe("WeCom's monthly receive cap per customer; null: the days of the month"),
  priceSensitiveShare: z
    .number()
    .min(0)
    .max(1)
    .describe('coupon share from which a customer is price-sensitive'),
  attributionDays: z
    .number()
    .int()
    .min(1)
    .max(90)
    .describe('orders this many days after a touch are credited to it'),
});

export const audienceSchema = z
  .union([
    z.strictObject({ segmentId: id }),
    z.strictObject({ layerId: id, layer: z.number().int().min(0).max(19).describe('the layer, from 0') }),
    z.strictObject({ tagIds: z.array(id).min(1).max(100) }),
    z.strictObject({ customerIds: z.array(id).min(1).max(MAX_LIST) }),
  ])
  .describe('a saved segment, one layer of a layering, customers with any of these tags, or a list');
export const senderRuleSchema = z
  .union([
    z.strictObject({ prefer: z.enum(['store_staff', 'latest_follow']) }),
    z.strictObject({
      prefer: z.literal('role'),
      role: z.enum(JOURNEY_ROLES),
    }),
  ])
  .describe(
    "which of a customer's followers sends: their store's staff, the latest follow, or a journey role",
  );
const sample = z.object({
  id: z.number(),
  name: z.string(),
  staffId: z.number().nullable(),
  staffName: z.string().nullable(),
  senderReason: z.enum(['home_store', 'store_staff', 'role', 'latest_follow']).nullable(),
});
const classes = ['receiving', ...EXCLUSIONS] as const;
export const planSchema = z.object({
  at: z.string(),
  total: z.number(),
  receiving: z.number(),
  excluded: z.object(
    Object.fromEntries(EXCLUSIONS.map((e) => [e, z.number()])) as Record<
      (typeof EXCLUSIONS)[number],
      z.ZodNumber
    >,
  ),
  deferred: z.object({
    quietHoursUntil: z.string().nullable(),
    cappedUntil: z.string().nullable().describe('by then every capped customer has a free slot'),
    monthlyCapUntil: z.string().nullable(),
  }),
  samples: z.object(
    Object.fromEntries(classes.map((c) => [c, z.array(sample)])) as Record<
      (typeof classes)[number],
      z.ZodArray<typeof sample>
    >,
  ),
  senders: z.array(z.object({ staffId: z.number(), name: z.string(), customers: z.number() })),
  guard: z.object({
    applies: z.boolean(),
    mode: z.enum(GUARD_MODES),
    threshold: z.number(),
    notPriceSensitive: z.number(),
    blocked: z.boolean(),
  }),
});
export const planInput = z.strictObject({
  audience: audienceSchema,
  senderRule: senderRuleSchema,
  at: z.iso.datetime({ offset: true }).optional().describe('when it would go out; now when absent'),
  contentKind: z.enum(CONTENT_KINDS).optional(),
  guard: z.enum(GUARD_MODES).optional().describe('coupon content only; default stop'),
});

const share = z.number().min(0).max(1);
export const groupAudienceSchema = z
  .strictObject({
    types: z.array(z.enum(GROUP_TYPES)).min(1).max(5).optional(),
    unitIds: z.array(id).min(1).max(200).optional().describe('groups whose owner is in these units or below'),
    groupIds: z.array(id).min(1).max(2000).optional(),
    persona: z
      .strictObject({
        minBuyerShare: share.optional(),
        minLoyaltyShare: share.optional(),
        minHighFrequencyShare: share.optional(),
      })
      .optional()
      .describe(
        'only groups where at least these shares of the customers are buyers, members, high-frequency',
      ),
  })
  .describe('customer groups by type, store and persona (AND); within the caller’s scope');
const recurrenceSchema = z
  .strictObject({
    weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).describe('1 Monday … 7 Sunday'),
    time: time.describe('brand time (UTC+8)'),
    until: z.iso.date().nullable().optional().describe('last day (brand time); null: no end'),
  })
  .describe('every week on these days at this time');
const groupPlanInput = z.strictObject({
  groups: groupAudienceSchema,
  at: z.iso.datetime({ offset: true }).optional(),
  contentKind: z.enum(CONTENT_KINDS).optional(),
  guard: z.enum(GUARD_MODES).optional(),
});
const groupPlanSchema = z.object({
  at: z.string(),
  total: z.number(),
  receiving: z.number(),
  members: z.number().describe('members of the receiving groups'),
  excluded: z.object(
    Object.fromEntries(GROUP_EXCLUSIONS.map((e) => [e, z.number()])) as Record<
      (typeof GROUP_EXCLUSIONS)[number],
      z.ZodNumber
    >,
  ),
  monthlyCap: z.number().describe("WeCom's receive cap per group this month"),
  owners: z.array(
    z.object({ staffId: z.number(), name: z.string(), unitName: z.string().nullable(), groups: z.number() }),
  ),
  groups: z.array(
    z.object({
      groupId: z.number(),
      name: z.string(),
      type: z.enum(GROUP_TYPES).nullable(),
      memberCount: z.number(),
      ownerName: z.string().nullable(),
      unitName: z.string().nullable(),
      class: z.enum(['receiving', ...GROUP_EXCLUSIONS]),
    }),
  ),
  guard: z.object({
    applies: z.boolean(),
    mode: z.enum(GUARD_MODES),
    notWelfare: z.number(),
    blocked: z.boolean(),
  }),
});
const groupRecipient = z.object({
  id: z.number(),
  groupId: z.number(),
  name: z.string(),
  type: z.enum(GROUP_TYPES).nullable(),
  memberCount: z.number(),
  ownerStaffId: z.number().nullable(),
  ownerName: z.string().nullable(),
  unitName: z.string().nullable(),
  status: z.enum(GROUP_STATUSES as [string, ...string[]]),
  reason: z.string().nullable(),
  resultAt: z.string().nullable(),
  ownerConfirmedAt: z
    .string()
    .nullable()
    .describe('when the owner confirmed the task in WeCom; null: not yet'),
});

const attachment = z.union([
  z.strictObject({
    msgtype: z.literal('image'),
    image: z.strictObject({ pic_url: z.url().max(2048) }),
  }),
  z.strictObject({
    msgtype: z.literal('link'),
    link: z.strictObject({
      title: z.string().min(1).max(42).describe('≤128 bytes'),
      url: z.url().max(2048),
      picurl: z.url().max(2048).optional(),
      desc: z.string().max(170).optional(),
    }),
  }),
  z.strictObject({
    msgtype: z.literal('miniprogram'),
    miniprogram: z.strictObject({
      title: z.string().min(1).max(21).describe('≤64 bytes'),
      pic_media_id: z.string().min(1).max(256),
      appid: z.string().min(1).max(64),
      page: z.string().min(1).max(512),
    }),
  }),
]);
const RECIPIENT_STATUSES = [
  'planned',
  'deferred',
  'excluded',
  'queued',
  'sent',
  'unsent',
  'not_friend',
  'over_cap',
  'failed',
  'cancelled',
] as const;
const massSendInput = z
  .strictObject({
    name: z.string().trim().min(1).max(60),
    contentKind: z
      .enum(CONTENT_KINDS)
      .describe('coupon content is guarded: only price-sensitive customers get it'),
    contentId: id
      .nullable()
      .optional()
      .describe(
        'a library item (素材库): rendered for each recipient, its variables filled; the text is then optional',
      ),
    text: z.string().max(1333).optional().describe('≤4000 bytes; shown as the message'),
    attachments: z.array(attachment).max(9).optional(),
    sendAt: z.iso.datetime({ offset: true }).nullable().optional().describe('when to send; now when absent'),
    target: z.enum(['customers', 'groups']).optional().describe('customers (default) or customer groups'),
    senderRule: senderRuleSchema.optional().describe('customers only'),
    audience: audienceSchema.optional().describe('customers only'),
    groups: groupAudienceSchema.optional().describe('groups only: each group is sent by its owner'),
    recurrence: recurrenceSchema.nullable().optional().describe('groups only'),
    guard: z.enum(GUARD_MODES).optional(),
    overrideReason: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe('required with guard = override (HQ admins)'),
  })
  .refine((v) => Boolean(v.contentId) || Boolean(v.text?.trim()) || (v.attachments?.length ?? 0) > 0, {
    message: 'give a library item, a text or at least one attachment',
    path: ['text'],
  })
  .refine(
    (v) =>
      v.target === 'groups'
        ? Boolean(v.groups) && !v.audience && !v.senderRule
        : Boolean(v.audience && v.senderRule) && !v.groups && !v.recurrence,
    {
      message: 'customers need audience and senderRule; groups need groups (and may recur)',
      path: ['target'],
    },
  );
const count = z.number();
const massSend = z.object({
  id: z.number(),
  name: z.string(),
  unitId: z.number(),
  contentId: z.number().nullable(),
  contentKind: z.enum(CONTENT_KINDS),
  text: z.string(),
  attachments: z.array(z.any()),
  sendAt: z.string().nullable().describe('a series: its next time'),
  target: z.enum(['customers', 'groups']),
  senderRule: senderRuleSchema.nullable(),
  audience: audienceSchema.nullable(),
  groupAudience: groupAudienceSchema.nullable(),
  recurrence: recurrenceSchema.nullable(),
  seriesId: z.number().nullable().describe('an occurrence of a recurring group send: the series'),
  groups: z
    .object({
      total: count,
      byStatus: z.object(
        Object.fromEntries(GROUP_STATUSES.map((s) => [s, count])) as Record<string, z.ZodNumber>,
      ),
      reasons: z.record(z.string(), count),
      occurrences: z.array(
        z.object({
          id: z.number(),
          sendAt: z.string().nullable(),
          status: z.enum(['scheduled', 'sending', 'done', 'cancelled']),
          groups: count,
          sent: count,
          unconfirmed: count.describe(
            'groups whose owner did not confirm within the confirmation window: a done occurrence with some is partly done',
          ),
        }),
      ),
    })
    .nullable()
    .describe('group sends: groups by status and reason; a series: its occurrences, newest first'),
  guard: z.enum(GUARD_MODES),
  overrideReason: z.string().nullable(),
  status: z.enum(['scheduled', 'sending', 'done', 'cancelled']),
  planned: z.object({
    total: count,
    receiving: count,
    excluded: z.record(z.string(), count),
    deferred: z.object({
      quietHoursUntil: z.string().nullable(),
      cappedUntil: z.string().nullable(),
      monthlyCapUntil: z.string().nullable(),
    }),
    guard: z.object({
      applies: z.boolean(),
      mode: z.enum(GUARD_MODES),
      threshold: z.number(),
      notPriceSensitive: count,
      blocked: z.boolean(),
    }),
  }),
  createdAt: z.string(),
  dispatchedAt: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  total: count,
  recipients: z.object(
    Object.fromEntries(RECIPIENT_STATUSES.map((s) => [s, count])) as Record<
      (typeof RECIPIENT_STATUSES)[number],
      z.ZodNumber
    >,
  ),
  reasons: z.record(z.string(), count).describe('excluded, deferred and failed recipients by reason'),
  reminds: z.object({ used24h: count, max: count, nextAt: z.string().nullable() }),
  outcome: z.object({
    reached: count.describe('customers WeCom reports sent'),
    replied: count.describe(
      'customers who answered within the attribution window (known through the session archive)',
    ),
    confirmedStaff: count,
    staff: count,
    converted: count.describe('customers with an order credited to this send'),
    conversionRate: z.number(),
    orders: count,
    gmvFen: count,
  }),
  staff: z.array(
    z.object({
      staffId: z.number(),
      name: z.string(),
      unitName: z.string(),
      tasks: count,
      confirmed: count,
      expired: count.describe(
        'group sends: tasks the owner did not confirm within the confirmation window (withdrawn in WeCom)',
      ),
      confirmationRate: z.number(),
      recipients: count,
      sent: count,
      orders: count,
      gmvFen: count,
      error: z
        .string()
        .nullable()
        .describe('why their latest task failed (e.g. a library file not uploaded)'),
    }),
  ),
  stores: z.array(
    z.object({ unitId: z.number().nullable(), name: z.string().nullable(), orders: count, gmvFen: count }),
  ),
});
const massSendItem = z.object({
  id: z.number(),
  name: z.string(),
  status: z.enum(['scheduled', 'sending', 'done', 'cancelled']),
  contentKind: z.enum(CONTENT_KINDS),
  sendAt: z.string().nullable(),
  createdAt: z.string(),
  total: count,
  receiving: count,
  sent: count,
  target: z.enum(['customers', 'groups']),
  recurring: z.boolean(),
});
const recipient = z.object({
  id: z.number(),
  customerId: z.number(),
  name: z.string(),
  staffId: z.number().nullable(),
  staffName: z.string().nullable(),
  senderReason: z.string().nullable(),
  status: z.enum(RECIPIENT_STATUSES),
  reason: z.string().nullable(),
  retryAt: z.string().nullable(),
  resultAt: z.string().nullable(),
});

export function outreachRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const managers = { access: { roles: MANAGERS, scope: 'subtree' as const } };
    const tags = ['outreach'];

    app.get(
      '/outreach/budgets/:unitId',
      {
        config: managers,
        schema: {
          tags,
          summary: "A unit's touch budget: its own values, the effective ones, and where each comes from",
          params: z.object({ unitId: id }),
          response: { 200: budgetOut },
        },
      },
      async (request) => budgetView(ctxOf(deps, request), request.params.unitId),
    );
    app.put(
      '/outreach/budgets/:unitId',
      {
        config: managers,
        schema: {
          tags,
          summary: "Set a unit's touch budget (null values inherit); the caller's unit and those below it",
          params: z.object({ unitId: id }),
          body: budgetInput,
          response: { 200: budgetOut },
        },
      },
      async (request) => setBudget(ctxOf(deps, request), request.params.unitId, request.body),
    );
    app.post(
      '/outreach/plans',
      {
        config: managers,
        schema: {
          tags,
          summary:
            'Plan a send: exact counts of who receives it and who is excluded by reason, samples, senders, the content guard',
          body: planInput,
          response: { 200: planSchema },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const { at, ...rest } = request.body;
        assertGuardAllowed(ctx, rest, { needReason: false });
        return planAudience(ctx, { ...rest, at: at ? new Date(at) : ctx.clock.now() });
      },
    );
    app.post(
      '/outreach/group-plans',
      {
        config: managers,
        schema: {
          tags,
          summary:
            'Plan a group send: the groups that receive it and those left out by reason (no owner, monthly cap, coupon guard), each owner’s groups',
          body: groupPlanInput,
          response: { 200: groupPlanSchema },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const { at, ...rest } = request.body;
        assertGuardAllowed(ctx, rest, { needReason: false });
        return planGroupSend(ctx, { ...rest, at: at ? new Date(at) : ctx.clock.now() });
      },
    );
    const wakeJob = () => deps.wake.job(MASS_SEND_JOB);
    const byId = z.object({ id });
    app.get(
      '/outreach/mass-sends',
      {
        config: managers,
        schema: {
          tags,
          summary: "Mass sends made in the caller's unit and below, newest first",
          querystring: z.object(pageQuery),
          response: { 200: pageReply(massSendItem) },
        },
      },
      async (request) =>
        listMassSends(ctxOf(deps, request), {
          cursor: decodeCursor(request.query.cursor),
          limit: request.query.limit,
        }),
    );
    app.post(
      '/outreach/mass-sends',
      {
        config: managers,
        schema: {
          tags,
          summary:
            'Create a mass send (群发): planned now, sent at its time, one add_msg_template per sender; coupon content is guarded',
          body: massSendInput,
          response: { 201: massSend },
        },
      },
      async (request, reply) =>
        reply.code(201).send(await createMassSend(ctxOf(deps, request), request.body, wakeJob)),
    );
    app.get(
      '/outreach/mass-sends/:id',
      {
        config: managers,
        schema: {
          tags,
          summary:
            'A mass send with its outcome: recipients by status, per-staff confirmation, attributed orders',
          params: byId,
          response: { 200: massSend },
        },
      },
      async (request) => getMassSend(ctxOf(deps, request), request.params.id),
    );
    app.get(
      '/outreach/mass-sends/:id/recipients',
      {
        config: managers,
        schema: {
          tags,
          summary: 'Per-customer outcomes of a mass send',
          params: byId,
          querystring: z.object({ ...pageQuery, status: z.enum(RECIPIENT_STATUSES).optional() }),
          response: { 200: pageReply(recipient) },
        },
      },
      async (request) =>
        listRecipients(ctxOf(deps, request), request.params.id, {
          status: request.query.status,
          cursor: decodeCursor(request.query.cursor),
          limit: request.query.limit,
        }),
    );
    app.get(
      '/outreach/mass-sends/:id/groups',
      {
        config: managers,
        schema: {
          tags,
          summary: 'Per-group outcomes of a group send',
          params: byId,
          querystring: z.object({
            ...pageQuery,
            status: z.enum(GROUP_STATUSES as [string, ...string[]]).optional(),
          }),
          response: { 200: pageReply(groupRecipient) },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        await getMassSendRow(ctx, request.params.id);
        return listGroupRecipients(ctx, request.params.id, {
          status: request.query.status as never,
          cursor: decodeCursor(request.query.cursor),
          limit: request.query.limit,
        });
      },
    );
    app.post(
      '/outreach/mass-sends/:id/remind',
      {
        config: managers,
        schema: {
          tags,
          summary: 'Remind the members who have not sent yet (WeCom: at most 3 times in 24 hours)',
          params: byId,
          response: { 200: massSend },
        },
      },
      async (request) => remindMassSend(ctxOf(deps, request), request.params.id, () => deps.wake.outbox()),
    );
    app.post(
      '/outreach/mass-sends/:id/cancel',
      {
        config: managers,
        schema: {
          tags,
          summary: 'Cancel a mass send: what members have not sent stays unsent',
          params: byId,
          response: { 200: massSend },
        },
      },
      async (request) =>
        cancelMassSend(ctxOf(deps, request), request.params.id, () => {
          deps.wake.outbox();
          wakeJob();
        }),
    );
    app.get(
      '/outreach/settings',
      {
        config: managers,
        schema: { tags, summary: "The brand's outreach settings", response: { 200: settings } },
      },
      async (request) => outreachSettingsOf(ctxOf(deps, request).cdb),
    );
    app.put(
      '/outreach/settings',
      {
        config: { access: { roles: ['hq_admin'], scope: 'corp' } },
        schema: {
          tags,
          summary: "Change the brand's outreach settings (HQ admins)",
          body: settings.partial().strict(),
          response: { 200: settings },
        },
      },
      async (request) => setOutreachSettings(ctxOf(deps, request), request.body),
    );
  };
}
