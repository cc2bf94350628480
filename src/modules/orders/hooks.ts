import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/http/errors.ts';
import type { Deps } from '../context.ts';
import { ingestOrders, MAX_BATCH, type OrderInput } from './ingest.ts';
import { type HookCaller, hookCaller, verifyHookBody } from './integrations.ts';
import { ingestMembers, type MemberInput } from './members.ts';

/** 1,000 orders of a few items are ~0.5 MB; this leaves room for large baskets. */
export const HOOK_BODY_LIMIT = 16 * 1024 * 1024;

function batchOf(rawBody: string, key: 'orders' | 'members'): unknown[] {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new AppError('bad_request', { zh: '请求体不是有效的 JSON', en: 'The body is not valid JSON' });
  }
  const list = (body as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(list) || list.length === 0) {
    throw new AppError('bad_request', {
      zh: `请求体须为 {"${key}": [...]}，且至少一条`,
      en: `The body must be {"${key}": [...]} with at least one entry`,
    });
  }
  if (list.length > MAX_BATCH) {
    throw new AppError('payload_too_large', {
      zh: `每次最多 ${MAX_BATCH} 条，本次 ${list.length} 条，请分批发送`,
      en: `At most ${MAX_BATCH} per request (got ${list.length}); send them in batches`,
    });
  }
  return list;
}

const count = <T extends { status: string }>(results: T[]) =>
  results.reduce<Record<string, number>>((acc, r) => {
    acc[r.status] = (acc[r.status] ?? 0) + 1;
    return acc;
  }, {});

/**
 * `POST /hooks/orders` and `POST /hooks/members`: integrators' batches, outside /api/v1 (no session, no
 * CSRF): each request is signed with the brand's secret for its source (see integrations.ts). Its headers are
 * checked before the body is read (a caller without a live secret cannot make Siyu read 16 MB), then the raw
 * body against the signature (a replay is refused), then it is parsed; each entry is answered on its own.
 */
export function hookRoutes(deps: Deps) {
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: HOOK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );
    const callers = new WeakMap<FastifyRequest, HookCaller>();
    app.addHook('onRequest', async (request) => {
      callers.set(request, await hookCaller(deps, request.headers));
    });
    const handle = async <T>(
      request: FastifyRequest,
      ingest: (ctx: Parameters<typeof ingestOrders>[0], source: string, raw: string) => Promise<T>,
    ) => {
      const rawBody = typeof request.body === 'string' ? request.body : '';
      const { ctx, source, forget } = await verifyHookBody(deps, callers.get(request)!, rawBody);
      try {
        return await ingest(ctx, source, rawBody);
      } catch (err) {
        // not handled: the same signed request may be sent again
        await forget();
        throw err;
      }
    };

    app.post('/hooks/orders', { bodyLimit: HOOK_BODY_LIMIT, schema: { hide: true } }, (request) =>
      handle(request, async (ctx, source, rawBody) => {
        // each order is validated inside ingestOrders, so a bad one is reported rather than refusing the batch
        const results = await ingestOrders(ctx, source, batchOf(rawBody, 'orders') as OrderInput[]);
        return { counts: count(results), results };
      }),
    );

    app.post('/hooks/members', { bodyLimit: HOOK_BODY_LIMIT, schema: { hide: true } }, (request) =>
      handle(request, async (ctx, source, rawBody) => {
        const results = await ingestMembers(ctx, source, batchOf(rawBody, 'members') as MemberInput[]);
        return { counts: count(results), results };
      }),
    );
  };
}
