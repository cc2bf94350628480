import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { InboxRecorder } from '../../platform/jobs/inbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import {
  CallbackError,
  dedupKey,
  openCallback,
  parseEvent,
  verifyUrl,
  type WecomEvent,
} from '../../wecom/callback.ts';
import type { Deps } from '../context.ts';

/** WeCom retries with the original timestamp for a few seconds; anything older than this is a replay. */
export const CALLBACK_MAX_SKEW_SECONDS = 300;
export const CALLBACK_BODY_LIMIT = 64 * 1024;
/** WeCom advises reading groupchat/get a moment after a group event: its data lags the event. */
export const GROUP_EVENT_DELAY_MS = 2_000;

/** One customer's (or group's, or the tag list's) events are handled in order; different ones in parallel. */
export function orderKeyOf(event: WecomEvent): string {
  if ('externalUserId' in event && event.externalUserId) return `customer:${event.externalUserId}`;
  if ('chatId' in event && event.chatId) return `chat:${event.chatId}`;
  if (event.type.startsWith('external_tag_')) return 'tags';
  return event.type;
}

const corpParam = z.object({ corp: z.string().regex(/^[a-z0-9][a-z0-9-]{1,31}$/) });
const signed = {
  msg_signature: z.string().max(128),
  timestamp: z.string().regex(/^\d{1,12}$/),
  nonce: z.string().max(128),
};

function rejected(err: unknown): never {
  if (err instanceof CallbackError) {
    const badInput = ['missing_param', 'malformed_xml', 'missing_encrypt', 'bad_ciphertext'].includes(
      err.reason,
    );
    throw new AppError(badInput ? 'bad_request' : 'callback_rejected', {
      zh: `回调被拒绝（${err.reason}）`,
      en: `Callback refused (${err.reason}): ${err.message}`,
    });
  }
  throw err;
}

/**
 * `/wecom/callback/:corp`: WeCom's URL verification (GET) and event delivery (POST). A POST is verified,
 * decrypted, parsed and written to the inbox before the empty 200; nothing else happens in the request.
 */
export function callbackRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: CALLBACK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    const inbox = new InboxRecorder(jobsDb(deps.db));
    const linkOf = async (corp: string) => {
      const link = await deps.links.get(corp);
      if (!link) throw notFound({ zh: '企业微信连接', en: 'WeCom connection' });
      return link;
    };
    const window = () => ({
      maxSkewSeconds: CALLBACK_MAX_SKEW_SECONDS,
      nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
    });

    app.get(
      '/wecom/callback/:corp',
      {
        schema: {
          hide: true,
          params: corpParam,
          querystring: z.object({ ...signed, echostr: z.string().max(1024) }),
        },
      },
      async (request, reply) => {
        const link = await linkOf(request.params.corp);
        let plain: string;
        try {
          plain = verifyUrl(link.crypto, request.query, window());
        } catch (err) {
          rejected(err);
        }
        return reply.type('text/plain').send(plain);
      },
    );

    app.post(
      '/wecom/callback/:corp',
      {
        bodyLimit: CALLBACK_BODY_LIMIT,
        // WeCom pushes every event here: a log line per request would drown the log; refusals still show.
        logLevel: 'warn',
        schema: { hide: true, params: corpParam, querystring: z.object(signed) },
      },
      async (request, reply) => {
        const link = await linkOf(request.params.corp);
        if (typeof request.body !== 'string' || request.body.length === 0) {
          throw new AppError('bad_request', { zh: '回调内容为空', en: 'Empty callback body' });
        }
        let event: ReturnType<typeof parseEvent>;
        try {
          event = parseEvent(openCallback(link.crypto, request.query, request.body, window()));
        } catch (err) {
          rejected(err);
        }
        const receivedAt = deps.clock.now();
        const isGroup = event.type === 'external_chat_create' || event.type === 'external_chat_update';
        const created = await inbox.record({
          corpId: link.corpId,
          dedupKey: dedupKey(event),
          orderKey: orderKeyOf(event),
          eventType: event.type,
          event: event as unknown as Record<string, unknown>,
          receivedAt,
          notBefore: isGroup ? new Date(receivedAt.getTime() + GROUP_EVENT_DELAY_MS) : undefined,
        });
        // the dispatcher is woken rather than left to its poll
        if (created) deps.wake.inbox();
        return reply.code(200).type('text/plain').send('');
      },
    );
  };
}
