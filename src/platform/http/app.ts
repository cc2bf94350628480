import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Actor, Role } from '../actor.ts';
import { avatarRoutes } from './avatars.ts';
import { AppError, ERRORS, type ErrorCode, errorBody, pickLang } from './errors.ts';
import { addSecurityHeaders } from './security-headers.ts';
import { checkedValidatorCompiler } from './validation.ts';

/**
 * Every /api/v1 route states who may call it and how its data is scoped. A route without this does not
 * register, and the authz test walks every route × role against it.
 * - roles: the roles allowed (others get 403);
 * - scope: how the service narrows the data to the caller: 'subtree' (the caller's org subtree, and for
 *   front-line accounts their own follows), 'corp' (corp-wide settings such as tag groups, the same for
 *   everyone in the corp), 'self' (only the caller's own account); or public (no session).
 */
export type Access = { public: true } | { roles: readonly Role[]; scope: 'subtree' | 'corp' | 'self' };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyInstance {
    /** Every /api/v1 route with its access rule, as registered: the authz test walks this list. */
    apiRoutes: { method: string; url: string; access: Access }[];
    /** Ends the start-up period during which /healthz answers 503. */
    markReady(): void;
    /** Lets an origin frame Siyu's pages and serve scripts to them (the bundled simulator's WeCom client). */
    allowOrigin(origin: string): void;
  }
  interface FastifyRequest {
    actor: Actor | null;
    csrfToken: string | null;
  }
}

export interface Session {
  actor: Actor;
  csrfToken: string;
}

export interface AppOptions {
  logger: FastifyBaseLogger | boolean;
  /** Resolves the session cookie to a caller; null when absent, expired or revoked. */
  authenticate(request: FastifyRequest): Promise<Session | null>;
  /** Registers the capability routes (under the prefix /api/v1). */
  routes(app: FastifyInstance): Promise<void>;
  /** Routes outside /api/v1 with their own authentication (e.g. WeCom's signed callbacks). */
  rootRoutes?(app: FastifyInstance): Promise<void>;
  webDir?: string;
  /** false: /healthz answers 503 until markReady() (default true). */
  ready?: boolean;
  /**
   * Addresses or CIDR ranges of the reverse proxies in front (SIYU_TRUSTED_PROXIES): a request from one
   * of them gets its client address (request.ip) from X-Forwarded-For. None (the default): the socket's
   * address, whatever X-Forwarded-For says — a client could otherwise name any address it likes.
   */
  trustedProxies?: string[];
  /** Origins besides Siyu that may frame its pages (SIYU_FRAME_ANCESTORS). */
  frameAncestors?: string[];
  /**
   * The level of the one line logged per request (default info, for log shippers); a terminal gets them
   * at debug only, or the landing pages' scans and the console's polling bury everything else.
   */
  accessLogLevel?: 'info' | 'debug';
}

export const API_PREFIX = '/api/v1';

/** One line per request, when it is answered, at the chosen level, instead of Fastify's two at info. */
class AccessLog extends LogController {
  constructor(private readonly level: 'info' | 'debug') {
    super();
  }
  override incomingRequest(): void {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    const entry = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...entry, err: error }, 'request errored');
    else reply.log[this.level](entry, 'request');
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function buildApp(opts: AppOptions) {
  const app = Fastify({
    loggerInstance: typeof opts.logger === 'object' ? opts.logger : undefined,
    logger: typeof opts.logger === 'boolean' ? opts.logger : undefined,
    bodyLimit: 1024 * 1024,
    genReqId: () => randomUUID(),
    trustProxy: opts.trustedProxies?.length ? opts.trustedProxies : false,
    logController: new AccessLog(opts.accessLogLevel ?? 'info'),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(checkedValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  addSecurityHeaders(app, { frameAncestors: opts.frameAncestors });
  app.decorateRequest('actor', null);
  app.decorateRequest('csrfToken', null);
  await app.register(fastifyCookie);

  const apiRoutes: FastifyInstance['apiRoutes'] = [];
  app.decorate('apiRoutes', apiRoutes);
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith(API_PREFIX)) return;
    const access = route.config?.access;
    if (!access) throw new Error(`Route ${route.method} ${route.url} has no access rule (config.access)`);
    for (const method of [route.method].flat())
      if (method !== 'HEAD') apiRoutes.push({ method, url: route.url, access });
  });

  // Before the body is read (so nobody without a session makes Siyu read an upload of up to 32 MB) and before
  // validation (a caller without a session or the role learns nothing about the request's shape).
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (!access || 'public' in access) return;
    const session = await opts.authenticate(request);
    if (!session) throw new AppError('unauthenticated');
    if (!SAFE_METHODS.has(request.method) && request.headers['x-csrf-token'] !== session.csrfToken) {
      throw new AppError('csrf_failed');
    }
    if (!access.roles.includes(session.actor.role)) throw new AppError('forbidden');
    request.actor = session.actor;
    request.csrfToken = session.csrfToken;
  });

  app.setErrorHandler((err, request, reply) => {
    const lang = pickLang(request.headers['accept-language']);
    const send = (code: ErrorCode, message: string) =>
      reply.status(ERRORS[code].status).send(errorBody(code, message, request.id));
    // refused before its body was read (no session, too large): the connection closes rather than Node
    // reading the rest of the body to keep it alive
    if (request.raw.complete === false) reply.header('connection', 'close');
    if (err instanceof AppError) {
      if (err.status >= 500) request.log.error({ err }, 'request failed');
      return send(err.code, err.detail ? err.detail[lang] : ERRORS[err.code][lang]);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? 'body';
      const details = err.validation
        .map((v) => `${where}${v.instancePath.replaceAll('/', '.')}: ${v.message}`)
        .join('; ');
      return send('bad_request', `${ERRORS.bad_request[lang]}: ${details}`);
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status === 413) return send('payload_too_large', ERRORS.payload_too_large[lang]);
    if (status >= 400 && status < 500) {
      return send('bad_request', `${ERRORS.bad_request[lang]}: ${(err as Error).message}`);
    }
    request.log.error({ err }, 'unhandled error');
    return send('internal', ERRORS.internal[lang]);
  });

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Siyu API', version: '1', description: 'Private-domain operations on WeCom' },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'siyu_session' },
          csrf: { type: 'apiKey', in: 'header', name: 'x-csrf-token' },
        },
      },
    },
    transform: jsonSchemaTransform,
    // schemas registered with an id (`.meta({ id })`) become components: how a recursive schema is described
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });

  await app.register(opts.routes, { prefix: API_PREFIX });
  if (opts.rootRoutes) await app.register(opts.rootRoutes);
  await app.register(avatarRoutes);

  // 503 while the process is still starting (migrations done, but e.g. the demo brand still being built).
  let ready = opts.ready ?? true;
  app.decorate('markReady', () => {
    ready = true;
  });
  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) =>
    ready ? { ok: true } : reply.code(503).send({ ok: false, starting: true }),
  );

  const webDir = opts.webDir;
  const hasWeb = webDir !== undefined && existsSync(join(webDir, 'index.html'));
  if (hasWeb) {
    await app.register(fastifyStatic, { root: webDir, wildcard: false, index: ['index.html'] });
  }
  app.setNotFoundHandler((request, reply) => {
    const isPage =
      request.method === 'GET' && !request.url.startsWith('/api/') && !request.url.startsWith('/wecom/');
    if (hasWeb && isPage) return reply.type('text/html').sendFile('index.html');
    const lang = pickLang(request.headers['accept-language']);
    return reply.status(404).send(errorBody('not_found', ERRORS.not_found[lang], request.id));
  });

  return app;
}
