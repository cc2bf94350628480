import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { AppError } from '../../platform/http/errors.ts';
import { DEFAULT_LOGIN_LIMITS, LoginGuard, type LoginLimits } from '../../platform/http/rate-limit.ts';
import type { Deps } from '../context.ts';
import {
  endAllSessions,
  endSession,
  listSessions,
  loadMe,
  login,
  logout,
  SESSION_COOKIE,
  SESSION_TTL_MS,
} from './service.ts';

const me = z.object({
  id: z.number(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(ROLES),
  corpId: z.string(),
  corpName: z.string(),
  unitId: z.number(),
  unitName: z.string(),
  staffId: z.number().nullable(),
});
const sessionReply = z.object({ account: me, csrfToken: z.string() });

export interface AccountRouteOptions {
  secureCookies: boolean;
  /** Failed logins allowed within 15 minutes (see LoginGuard); DEFAULT_LOGIN_LIMITS otherwise. */
  loginLimits?: Partial<LoginLimits>;
}

export function accountRoutes(deps: Deps, opts: AccountRouteOptions) {
  const guard = new LoginGuard({ ...DEFAULT_LOGIN_LIMITS, ...opts.loginLimits });
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.post(
      '/auth/login',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['auth'],
          summary: 'Sign in with "username@brand" and a password; sets the session cookie',
          body: z.object({ login: z.string().min(3).max(128), password: z.string().min(1).max(256) }),
          response: { 200: sessionReply },
        },
      },
      async (request, reply) => {
        const result = await login(deps.db, deps.clock, guard, {
          ...request.body,
          ip: request.ip,
          userAgent: request.headers['user-agent'],
        });
        reply.setCookie(SESSION_COOKIE, result.cookie, {
          httpOnly: true,
          sameSite: 'lax',
          secure: opts.secureCookies,
          path: '/',
          maxAge: SESSION_TTL_MS / 1000,
        });
        return { account: result.me, csrfToken: result.csrfToken };
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { access: { roles: ROLES, scope: 'self' } },
        schema: {
          tags: ['auth'],
          summary: 'End this session',
          response: { 200: z.object({ ok: z.literal(true) }) },
        },
      },
      async (request, reply) => {
        await logout(deps.db, request.cookies[SESSION_COOKIE]);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { ok: true as const };
      },
    );

    app.get(
      '/auth/sessions',
      {
        config: { access: { roles: ROLES, scope: 'self' } },
        schema: {
          tags: ['auth'],
          summary: "The signed-in account's live sessions, the most recently used first",
          response: {
            200: z.object({
              items: z.array(
                z.object({
                  id: z.number(),
                  createdAt: z.string(),
                  lastSeenAt: z.string().describe('to the minute'),
                  address: z.string().nullable().describe('the client address it was last used from'),
                  userAgent: z.string().nullable(),
                  current: z.boolean().describe('the session of this request'),
                }),
              ),
            }),
          },
        },
      },
      async (request) => ({
        items: await listSessions(deps.db, deps.clock, request.actor!, request.cookies[SESSION_COOKIE]),
      }),
    );

    app.delete(
      '/auth/sessions/:id',
      {
        config: { access: { roles: ROLES, scope: 'self' } },
        schema: {
          tags: ['auth'],
          summary: 'End one of your sessions (another browser, or this one)',
          params: z.object({ id: z.coerce.number().int().positive() }),
          response: { 200: z.object({ ok: z.literal(true) }) },
        },
      },
      async (request) => {
        await endSession(deps.db, request.actor!, request.params.id);
        return { ok: true as const };
      },
    );

    app.post(
      '/auth/logout-all',
      {
        config: { access: { roles: ROLES, scope: 'self' } },
        schema: {
          tags: ['auth'],
          summary: 'End every session of your account, this one included',
          response: { 200: z.object({ ok: z.literal(true), ended: z.number() }) },
        },
      },
      async (request, reply) => {
        const ended = await endAllSessions(deps.db, request.actor!);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { ok: true as const, ended };
      },
    );

    app.get(
      '/auth/me',
      {
        config: { access: { roles: ROLES, scope: 'self' } },
        schema: {
          tags: ['auth'],
          summary: 'The signed-in account and its CSRF token',
          response: { 200: sessionReply },
        },
      },
      async (request) => {
        const actor = request.actor!;
        const account = await loadMe(deps.db, actor.corpId, actor.accountId);
        if (!account) throw new AppError('unauthenticated');
        return { account, csrfToken: request.csrfToken! };
      },
    );
  };
}
