import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { pageQuery, pageReply } from '../../platform/http/pagination.ts';
import { ctxOf, type Deps } from '../context.ts';
import {
  createAccount,
  listAccounts,
  MIN_PASSWORD_LENGTH,
  resetPassword,
  setDisabled,
  updateAccount,
  useResetLink,
} from './manage.ts';

/** Who manages logins: HQ admins the brand, region and store managers their subtree. */
export const ACCOUNT_MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const access = { roles: ACCOUNT_MANAGERS, scope: 'subtree' } as const;
const id = z.coerce.number().int().positive();
const tags = ['accounts'];

const account = z.object({
  id: z.number(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  unitId: z.number(),
  unitName: z.string(),
  staffId: z.number().nullable(),
  staffName: z.string().nullable(),
  disabled: z.boolean(),
  disabledAt: z.string().nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string().nullable().describe('when one of its sessions was last used, to the minute'),
  editable: z.boolean().describe('the caller may change, disable and reset it'),
  self: z.boolean().describe('the caller’s own login'),
});
const credential = z
  .enum(['link', 'password'])
  .describe('link: a one-time link to set a password (24 h); password: a new password, shown once');
const issued = z
  .discriminatedUnion('mode', [
    z.object({ mode: z.literal('password'), password: z.string() }),
    z.object({
      mode: z.literal('link'),
      link: z.string().describe('path and fragment: prefix it with the console’s address'),
      expiresAt: z.string(),
    }),
  ])
  .describe('shown in this answer only, never again');
const username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'lowercase letters, digits, . _ -, 2 to 64, e.g. sh-jingan-2');
const displayName = z.string().trim().min(1).max(64);

/** 人员与权限: the logins of the caller's subtree, created, changed, disabled and reset; one-time links. */
export function manageRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/accounts',
      {
        config: { access },
        schema: {
          tags,
          summary: 'Console logins in the caller’s subtree, newest first',
          description:
            'q matches the username or name; unitId narrows to a unit’s subtree (403 outside the caller’s).',
          querystring: z.object({
            q: z.string().max(64).optional(),
            role: z.enum(ROLES).optional(),
            unitId: id.optional(),
            status: z.enum(['active', 'disabled']).optional(),
            ...pageQuery,
          }),
          response: { 200: pageReply(account) },
        },
      },
      async (request) => listAccounts(ctxOf(deps, request), request.query),
    );
    app.post(
      '/accounts',
      {
        config: { access },
        schema: {
          tags,
          summary: 'Create a login in the caller’s subtree, with a role up to the caller’s own',
          description:
            'A unit or staff member outside the caller’s subtree, or a role above theirs: 403. A staff ' +
            'login names its staff member. The first password or link is in this answer only. Audited.',
          body: z.strictObject({
            username,
            displayName,
            role: z.enum(ROLES),
            unitId: id,
            staffId: id.nullable().optional(),
            credential: credential.default('link'),
          }),
          response: { 201: z.object({ account, issued }) },
        },
      },
      async (request, reply) => reply.code(201).send(await createAccount(ctxOf(deps, request), request.body)),
    );
    app.patch(
      '/accounts/:id',
      {
        config: { access },
        schema: {
          tags,
          summary: 'Change a login’s name, role, unit or staff member',
          description:
            'Not one’s own, nor one whose role is above the caller’s; never to a role above theirs or a unit ' +
            'outside their subtree (403). Audited with what changed.',
          params: z.object({ id }),
          body: z.strictObject({
            displayName: displayName.optional(),
            role: z.enum(ROLES).optional(),
            unitId: id.optional(),
            staffId: id.nullable().optional(),
          }),
          response: { 200: account },
        },
      },
      async (request) => updateAccount(ctxOf(deps, request), request.params.id, request.body),
    );
    app.post(
      '/accounts/:id/disable',
      {
        config: { access },
        schema: {
          tags,
          summary: 'Disable a login: its sessions end at once and it cannot sign in',
          params: z.object({ id }),
          response: { 200: account },
        },
      },
      async (request) => setDisabled(ctxOf(deps, request), request.params.id, true),
    );
    app.post(
      '/accounts/:id/enable',
      {
        config: { access },
        schema: {
          tags,
          summary: 'Re-enable a disabled login',
          params: z.object({ id }),
          response: { 200: account },
        },
      },
      async (request) => setDisabled(ctxOf(deps, request), request.params.id, false),
    );
    app.post(
      '/accounts/:id/reset-password',
      {
        config: { access },
        schema: {
          tags,
          summary: 'A one-time link to set a new password, or a new password shown once',
          description:
            'password: replaces the old one and ends the login’s sessions. link: works once within 24 h and ' +
            'replaces any earlier link; the old password works until it is used. Audited (never the secret).',
          params: z.object({ id }),
          body: z.strictObject({ mode: credential }),
          response: { 200: z.object({ account, issued }) },
        },
      },
      async (request) => resetPassword(ctxOf(deps, request), request.params.id, request.body.mode),
    );
    app.post(
      '/auth/password-reset',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['auth'],
          summary: 'Set a password with a one-time link’s token; the login’s sessions end',
          description: 'A token used, replaced or expired, or of a disabled login: 400, nothing changes.',
          body: z.strictObject({
            token: z.string().min(10).max(200),
            password: z.string().min(MIN_PASSWORD_LENGTH).max(256),
          }),
          response: { 200: z.object({ ok: z.literal(true), login: z.string() }) },
        },
      },
      async (request) => {
        const done = await useResetLink(deps, { ...request.body, ip: request.ip });
        return { ok: true as const, login: done.login };
      },
    );
  };
}
