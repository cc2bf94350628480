import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { notFound } from '../../platform/http/errors.ts';
import { type Ctx, ctxOf, type Deps } from '../context.ts';
import {
  createGroupCode,
  getGroupCode,
  listGroupCodes,
  MAX_GROUPS_PER_CODE,
  updateGroupCode,
} from './codes.ts';
import { EMPTY_PERSONA, groupPersonas, personaSchema as persona, personaRollup } from './persona.ts';
import { getRoutingRules, setRoutingRules } from './routing.ts';
import { GROUP_TYPES, RULE_KINDS } from './schema.ts';
import { customerGroups, getGroup, listGroups, setGroupType } from './service.ts';
import { groupStatsByStore } from './stats.ts';

const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const id = z.coerce.number().int().positive();
const groupType = z.enum(GROUP_TYPES);
const reason = z.object({ zh: z.string(), en: z.string() });

const summary = {
  id: z.number(),
  chatId: z.string(),
  name: z.string(),
  type: groupType.nullable().describe('set by the brand'),
  suggestedType: groupType.nullable().describe('from the name, when no type is set'),
  ownerUserid: z.string().nullable(),
  ownerName: z.string().nullable(),
  unitId: z.number().nullable().describe('the owner’s unit'),
  unitName: z.string().nullable(),
  memberCount: z.number(),
  customerCount: z.number(),
  qrLimit: z.number().describe('members a group QR admits (200)'),
  groupLimit: z.number().describe('members a group holds (500)'),
  status: z.enum(['active', 'dismissed']),
  createdAt: z.string().nullable(),
  joins30d: z.number(),
  leaves30d: z.number(),
};

const groupDetail = z.object({
  ...summary,
  notice: z.string(),
  editable: z.boolean(),
  members: z.array(
    z.object({
      key: z.string(),
      kind: z.enum(['staff', 'customer']),
      customerId: z.number().nullable(),
      name: z.string(),
      avatar: z.string().nullable(),
      joinedAt: z.string().nullable(),
      joinScene: z.number().nullable().describe('1 direct invite, 2 invite link, 3 group QR'),
      invitor: z.string().nullable(),
      leftAt: z.string().nullable(),
      orderCount: z.number().nullable(),
      stage: z.string().nullable(),
    }),
  ),
  daily: z.array(z.object({ day: z.string(), joins: z.number(), leaves: z.number() })),
  persona,
});

const code = z.object({
  id: z.number(),
  unitId: z.number(),
  unitName: z.string(),
  name: z.string(),
  state: z.string(),
  autoCreate: z.boolean(),
  roomBaseName: z.string(),
  roomBaseId: z.number(),
  welcomeText: z.string(),
  welcomeSynced: z.boolean().describe('the group welcome template exists in WeCom'),
  configId: z.string().nullable(),
  qrCode: z.string().nullable(),
  sync: z.enum(['pending', 'ready']),
  status: z.enum(['active', 'archived']),
  createdAt: z.string(),
  currentGroupId: z.number().nullable().describe('the group the next QR join lands in'),
  groups: z.array(
    z.object({ id: z.number(), name: z.string(), memberCount: z.number(), retired: z.boolean() }),
  ),
  joins: z.number().describe('members who joined by this code'),
  routed: z.number().describe('welcomes that carried this code'),
  editable: z.boolean(),
});

const rule = z.object({
  kind: z.enum(RULE_KINDS),
  tagId: id.nullable().optional(),
  groupType: groupType.nullable().optional(),
});

/** A unit outside the caller's subtree answers 404, like a missing one. */
function unitOr404(ctx: Ctx, unitId: number) {
  if (!ctx.actor.seesWholeCorp && !ctx.actor.unitIds.includes(unitId)) {
    throw notFound({ zh: '组织', en: 'Unit' });
  }
}

export function groupRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const read = { access: { roles: ROLES, scope: 'subtree' as const } };
    const write = { access: { roles: MANAGERS, scope: 'subtree' as const } };
    const tags = ['groups'];

    app.get(
      '/groups',
      {
        config: read,
        schema: {
          tags,
          summary: 'Customer groups in the caller’s scope (by the owner’s unit), largest first',
          querystring: z.strictObject({
            unitId: id.optional().describe('the unit and its subtree'),
            type: z.enum([...GROUP_TYPES, 'unset']).optional(),
            q: z.string().trim().max(50).optional(),
            status: z.enum(['active', 'dismissed']).default('active'),
            limit: z.coerce.number().int().min(1).max(200).default(50),
            offset: z.coerce.number().int().min(0).max(100_000).default(0),
          }),
          response: { 200: z.object({ total: z.number(), items: z.array(z.object(summary)) }) },
        },
      },
      async (request) => listGroups(ctxOf(deps, request), request.query),
    );
    app.get(
      '/groups/stats',
      {
        config: read,
        schema: {
          tags,
          summary:
            'Group statistics per store (the owners’ unit) and China day in the caller’s scope, from the daily pull of groupchat/statistic',
          querystring: z.strictObject({
            days: z.coerce.number().int().min(1).max(180).default(30),
            unitId: id.optional().describe('one store'),
          }),
          response: {
            200: z.object({
              lastDay: z.string().nullable().describe('the last day pulled'),
              items: z.array(
                z.object({
                  unitId: z.number(),
                  unitName: z.string(),
                  day: z.string(),
                  newGroups: z.number(),
                  groups: z.number(),
                  groupsWithMessages: z.number(),
                  membersAdded: z.number(),
                  membersLost: z.number(),
                  members: z.number(),
                  activeMembers: z.number(),
                  messages: z.number(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => groupStatsByStore(ctxOf(deps, request), request.query),
    );
    app.get(
      '/groups/persona',
      {
        config: read,
        schema: {
          tags,
          summary: 'Group persona rolled up per store, region and brand in the caller’s scope',
          response: {
            200: z.object({
              units: z.array(
                persona.extend({
                  unitId: z.number(),
                  unitName: z.string(),
                  kind: z.string(),
                  groups: z.number(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => ({ units: await personaRollup(ctxOf(deps, request)) }),
    );
    app.get(
      '/groups/:id',
      {
        config: read,
        schema: {
          tags,
          summary: 'One group: its members (customers linked), joins and leaves per day, its persona',
          params: z.object({ id }),
          response: { 200: groupDetail },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const group = await getGroup(ctx, request.params.id);
        const p = await groupPersonas(ctx, request.params.id);
        return { ...group, persona: p.get(request.params.id) ?? EMPTY_PERSONA };
      },
    );
    app.put(
      '/groups/:id/type',
      {
        config: write,
        schema: {
          tags,
          summary: 'Set the group’s type (null clears it)',
          params: z.object({ id }),
          body: z.strictObject({ type: groupType.nullable() }),
          response: { 200: groupDetail },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        const group = await setGroupType(ctx, request.params.id, request.body.type);
        const p = await groupPersonas(ctx, request.params.id);
        return { ...group, persona: p.get(request.params.id) ?? EMPTY_PERSONA };
      },
    );
    app.get(
      '/groups/customers/:customerId',
      {
        config: read,
        schema: {
          tags,
          summary: 'The groups a customer is or was in, and why routing chose their group (为什么是这个群)',
          params: z.object({ customerId: id }),
          response: {
            200: z.object({
              groups: z.array(
                z.object({
                  id: z.number(),
                  name: z.string(),
                  type: groupType.nullable(),
                  status: z.enum(['active', 'dismissed']),
                  memberCount: z.number(),
                  unitName: z.string().nullable(),
                  ownerName: z.string().nullable(),
                  joinedAt: z.string().nullable(),
                  joinScene: z.number().nullable(),
                  leftAt: z.string().nullable(),
                  linkable: z.boolean().describe('the group is in the caller’s scope'),
                }),
              ),
              decisions: z.array(
                z.object({
                  id: z.number(),
                  groupId: z.number().nullable(),
                  groupName: z.string().nullable(),
                  codeId: z.number().nullable(),
                  codeName: z.string().nullable(),
                  rule: z.enum(RULE_KINDS).nullable(),
                  reason,
                  staffName: z.string().nullable(),
                  decidedAt: z.string(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => customerGroups(ctxOf(deps, request), request.params.customerId),
    );

    app.get(
      '/group-codes',
      {
        config: read,
        schema: {
          tags,
          summary: 'Group codes (群活码) of the caller’s units',
          querystring: z.strictObject({ unitId: id.optional() }),
          response: { 200: z.object({ items: z.array(code) }) },
        },
      },
      async (request) => ({ items: await listGroupCodes(ctxOf(deps, request), request.query) }),
    );
    app.post(
      '/group-codes',
      {
        config: write,
        schema: {
          tags,
          summary:
            'Make a group code over 1–5 groups: a join way that rotates as groups fill and auto-creates rooms named base name + number',
          body: z.strictObject({
            unitId: id,
            name: z.string().trim().min(1).max(30),
            groupIds: z.array(id).min(1).max(MAX_GROUPS_PER_CODE),
            roomBaseName: z.string().trim().max(40).default(''),
            roomBaseId: z.number().int().min(1).max(9999).default(1),
            autoCreate: z.boolean().default(true),
            welcomeText: z
              .string()
              .max(1000)
              .default('')
              .describe('the group welcome; variables {客户昵称} {群名} {门店}'),
          }),
          response: { 201: code },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const created = await createGroupCode(ctxOf(deps, request), {
          ...body,
          roomBaseName: body.roomBaseName || body.name.slice(0, 30),
        });
        deps.wake.outbox();
        return reply.code(201).send(created);
      },
    );
    app.get(
      '/group-codes/:id',
      {
        config: read,
        schema: { tags, summary: 'One group code', params: z.object({ id }), response: { 200: code } },
      },
      async (request) => getGroupCode(ctxOf(deps, request), request.params.id),
    );
    app.patch(
      '/group-codes/:id',
      {
        config: write,
        schema: {
          tags,
          summary: 'Change the group welcome or archive the code',
          params: z.object({ id }),
          body: z.strictObject({
            welcomeText: z.string().max(1000).optional(),
            status: z.enum(['active', 'archived']).optional(),
          }),
          response: { 200: code },
        },
      },
      async (request) => {
        const updated = await updateGroupCode(ctxOf(deps, request), request.params.id, request.body);
        deps.wake.outbox();
        return updated;
      },
    );

    const rules = z.object({
      unitId: z.number(),
      own: z.boolean().describe('the unit has its own list (else inherited)'),
      fromUnitId: z.number().nullable().describe('the unit whose list applies; null: the default order'),
      rules: z.array(
        z.object({ kind: z.enum(RULE_KINDS), tagId: z.number().nullable(), groupType: groupType.nullable() }),
      ),
      editable: z.boolean(),
    });
    app.get(
      '/group-routing/:unitId',
      {
        config: read,
        schema: {
          tags,
          summary: 'The smart-routing rules that apply at a unit (its own, or inherited)',
          params: z.object({ unitId: id }),
          response: { 200: rules },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        unitOr404(ctx, request.params.unitId);
        return getRoutingRules(ctx, request.params.unitId);
      },
    );
    app.put(
      '/group-routing/:unitId',
      {
        config: write,
        schema: {
          tags,
          summary: 'Set a unit’s ordered routing rules (a store overrides its brand’s); [] inherits again',
          params: z.object({ unitId: id }),
          body: z.strictObject({ rules: z.array(rule).max(12) }),
          response: { 200: rules },
        },
      },
      async (request) => {
        const ctx = ctxOf(deps, request);
        unitOr404(ctx, request.params.unitId);
        return setRoutingRules(ctx, request.params.unitId, request.body.rules);
      },
    );
  };
}
