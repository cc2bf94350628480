import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { AppError } from '../../platform/http/errors.ts';
import { SESSION_COOKIE, SESSION_TTL_MS } from '../accounts/index.ts';
import { ctxOf, type Deps } from '../context.ts';
import { quoteInput } from '../customers/index.ts';
import { personaSchema } from '../groups/index.ts';
import {
  authorizeUrl,
  brandLink,
  jsSdkUrlOf,
  newState,
  OAUTH_ERRORS,
  STATE_COOKIE,
  STATE_TTL_S,
  signInWithCode,
} from './oauth.ts';
import { addFollowUpNote, cancelSend, contactCard, groupCard, startSend } from './service.ts';
import { signPage, ticketOf } from './tickets.ts';

const id = z.coerce.number().int().positive();
const brand = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .describe('the brand (Siyu corp id) whose WeCom app opens the sidebar');
/** The JS APIs the sidebar registers (API-FACTS-2 §7.3: the last three need the app identity). */
export const JS_API_LIST = ['getContext', 'getCurExternalContact', 'getCurExternalChat', 'sendChatMessage'];

const recommendation = z.object({
  id: z.number(),
  title: z.string(),
  kind: z.string(),
  text: z.string().describe('as it will be sent to this customer, variables filled'),
  link: z
    .object({
      title: z.string(),
      url: z.string(),
      desc: z.string().nullable(),
      imgUrl: z.string().nullable(),
    })
    .nullable(),
  reasons: z.array(z.string()).describe('stage:<stage>, product:<name>, persona:<persona>'),
});

const signature = z.object({ timestamp: z.number(), nonceStr: z.string(), signature: z.string() });

export function sidebarRoutes(deps: Deps) {
  const origin = (request: FastifyRequest) =>
    (deps.settings.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
  const pageUrl = (b: string, error?: string) =>
    `/sidebar?brand=${encodeURIComponent(b)}${error ? `&error=${error}` : '&signed_in=1'}`;

  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();

    app.get(
      '/sidebar/oauth/start',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['sidebar'],
          summary: 'Starts the sign-in through WeCom’s web OAuth: redirects to the authorize page',
          querystring: z.object({ brand }),
        },
      },
      async (request, reply) => {
        const link = await brandLink(deps.db, request.query.brand);
        if (!link) return reply.redirect(pageUrl(request.query.brand, 'not_connected'), 302);
        const state = newState();
        const redirect = `${origin(request)}/api/v1/sidebar/oauth/callback?brand=${encodeURIComponent(link.corpId)}`;
        reply.setCookie(STATE_COOKIE, state, {
          httpOnly: true,
          sameSite: 'lax',
          secure: deps.settings.secureCookies,
          path: '/api/v1/sidebar/oauth',
          maxAge: STATE_TTL_S,
        });
        return reply.redirect(authorizeUrl(link, redirect, state), 302);
      },
    );

    app.get(
      '/sidebar/oauth/callback',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['sidebar'],
          summary:
            'WeCom’s redirect with the code: exchanges it (single use, 5 min) for the member and signs in as ' +
            'their account; back to /sidebar, with ?error= when refused',
          querystring: z.object({
            brand,
            code: z.string().max(512).optional(),
            state: z.string().max(128).optional(),
          }),
        },
      },
      async (request, reply) => {
        const { query } = request;
        const expected = request.cookies[STATE_COOKIE];
        if (!expected || query.state !== expected) return reply.redirect(pageUrl(query.brand, 'state'), 302);
        if (!query.code) return reply.redirect(pageUrl(query.brand, 'oauth_code'), 302);
        const result = await signInWithCode(deps, query.brand, query.code, {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
        });
        if (!result.ok) return reply.redirect(pageUrl(query.brand, result.error), 302);
        reply.setCookie(SESSION_COOKIE, result.cookie, {
          httpOnly: true,
          sameSite: 'lax',
          secure: deps.settings.secureCookies,
          path: '/',
          maxAge: SESSION_TTL_MS / 1000,
        });
        return reply.redirect(pageUrl(query.brand), 302);
      },
    );

    app.get(
      '/sidebar/oauth/errors',
      {
        config: { access: { public: true } },
        schema: {
          tags: ['sidebar'],
          summary: 'The reasons a sign-in through WeCom can fail (the ?error= of /sidebar)',
          response: { 200: z.object({ items: z.array(z.enum(OAUTH_ERRORS)) }) },
        },
      },
      async () => ({ items: [...OAUTH_ERRORS] }),
    );

    app.get(
      '/sidebar/jssdk',
      {
        config: { access: { roles: ROLES, scope: 'self' } },
        schema: {
          tags: ['sidebar'],
          summary:
            'wx.config and wx.agentConfig for a page URL: both signed (jsapi ticket, agent ticket; cached ' +
            'for their life), with the JS-SDK to load',
          querystring: z.object({
            url: z
              .string()
              .max(2000)
              .regex(/^https?:\/\//, 'an http(s) URL')
              .describe('the page’s location.href; what follows # is not signed'),
          }),
          response: {
            200: z.object({
              corpId: z.string().describe('the WeCom corpid (wx.config appId, agentConfig corpid)'),
              agentId: z.string(),
              jsSdkUrl: z.string(),
              jsApiList: z.array(z.string()),
              config: signature,
              agentConfig: signature,
            }),
          },
        },
      },
      async (request) => {
        const actor = request.actor!;
        const link = await brandLink(deps.db, actor.corpId);
        const corpLink = await deps.links.get(actor.corpId);
        if (!link || !corpLink || !link.agentId)
          throw new AppError('conflict', {
            zh: '品牌未连接企业微信自建应用（缺少 agentid）',
            en: 'The brand has no WeCom app connected (no agentid)',
          });
        const [jsapi, agent] = await Promise.all([
          ticketOf(deps, corpLink, 'jsapi'),
          ticketOf(deps, corpLink, 'agent_config'),
        ]);
        return {
          corpId: link.wecomCorpId,
          agentId: link.agentId,
          jsSdkUrl: jsSdkUrlOf(link),
          jsApiList: JS_API_LIST,
          config: signPage(jsapi, request.query.url, deps.clock),
          agentConfig: signPage(agent, request.query.url, deps.clock),
        };
      },
    );

    app.get(
      '/sidebar/contacts/:externalUserid',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['sidebar'],
          summary:
            'The customer of getCurExternalContact (external_userid) and the scripts recommended for them ' +
            '(404 outside scope: a front-line member sees only customers they follow)',
          params: z.object({ externalUserid: z.string().trim().min(1).max(64) }),
          response: { 200: z.object({ customerId: z.number(), recommendations: z.array(recommendation) }) },
        },
      },
      async (request) => contactCard(ctxOf(deps, request), request.params.externalUserid),
    );

    app.get(
      '/sidebar/groups/:chatId',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['sidebar'],
          summary:
            'The customer group of getCurExternalChat (chat_id): its persona and the group scripts (404 ' +
            'unless the caller is in it, owns it, or manages its owner)',
          params: z.object({ chatId: z.string().trim().min(1).max(64) }),
          response: {
            200: z.object({
              groupId: z.number(),
              name: z.string(),
              ownerName: z.string().nullable(),
              memberCount: z.number(),
              persona: personaSchema,
              recommendations: z.array(recommendation),
            }),
          },
        },
      },
      async (request) => groupCard(ctxOf(deps, request), request.params.chatId),
    );

    app.post(
      '/sidebar/customers/:id/sends',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['sidebar'],
          summary:
            'Before sendChatMessage: counts a touch (kind sidebar) and a use of the item; answers the text ' +
            'to send (404 outside scope; 409 when the customer opted out or is no longer a contact)',
          params: z.object({ id }),
          body: z.strictObject({ contentId: id }),
          response: {
            200: z.object({
              touchId: z.number(),
              text: z.string(),
              link: recommendation.shape.link,
            }),
          },
        },
      },
      async (request) => startSend(ctxOf(deps, request), request.params.id, request.body.contentId),
    );

    app.post(
      '/sidebar/sends/:touchId/cancel',
      {
        config: { access: { roles: ROLES, scope: 'self' } },
        schema: {
          tags: ['sidebar'],
          summary: 'sendChatMessage failed or was cancelled: the touch is released (only the caller’s own)',
          params: z.object({ touchId: id }),
          response: { 200: z.object({ released: z.literal(true) }) },
        },
      },
      async (request) => cancelSend(ctxOf(deps, request), request.params.touchId),
    );

    app.post(
      '/sidebar/customers/:id/notes',
      {
        config: { access: { roles: ROLES, scope: 'subtree' } },
        schema: {
          tags: ['sidebar'],
          summary: 'A follow-up note (跟进记录) on the customer’s timeline (404 outside scope)',
          params: z.object({ id }),
          body: z
            .strictObject({
              text: z.string().trim().max(500).default(''),
              quote: quoteInput
                .optional()
                .describe('a price quoted to the customer (报价), shown to colleagues'),
            })
            .refine((b) => b.text !== '' || b.quote !== undefined, {
              message: 'A follow-up note needs a text or a quote',
              path: ['text'],
            }),
          response: { 200: z.object({ at: z.string() }) },
        },
      },
      async (request) => addFollowUpNote(ctxOf(deps, request), request.params.id, request.body),
    );
  };
}

/**
 * The sidebar page itself: WeCom opens `/sidebar?brand=…`; without a fresh sign-in it goes straight to the
 * OAuth start (no console bundle loaded just to redirect), after it the console's index.html.
 */
export function sidebarPageRoutes() {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.get(
      '/sidebar',
      {
        schema: {
          hide: true,
          querystring: z.object({
            brand: z.string().max(64).optional(),
            signed_in: z.string().max(8).optional(),
            error: z.string().max(32).optional(),
          }),
        },
      },
      async (request, reply) => {
        const { brand: b, signed_in: signedIn, error } = request.query;
        if (b && !signedIn && !error)
          return reply.redirect(`/api/v1/sidebar/oauth/start?brand=${encodeURIComponent(b)}`, 302);
        // the console's page (served by @fastify/static when the web build exists)
        const withFile = reply as typeof reply & { sendFile?: (file: string) => typeof reply };
        if (typeof withFile.sendFile === 'function') return withFile.type('text/html').sendFile('index.html');
        return reply.status(404).send({ error: { code: 'not_found', message: 'no web build' } });
      },
    );
  };
}
