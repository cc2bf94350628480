import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { type InboxRecord, InboxRecorder } from '../../platform/jobs/inbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import {
  CallbackError,
  dedupKey,
  openCallback,
  parseEvent,
  verifyUrl,
  type WecomEvent,
} from '../../wecom/callback.ts';
import { storableText, storableValue } from '../../wecom/text.ts';
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

/** The fields by which an event is matched to WeCom's records: changed, the event cannot be used. */
const IDENTITY_FIELDS = ['UserID', 'ExternalUserID', 'ChatId', 'Id'];

/**
 * An authenticated callback (its inner XML) as the inbox stores it: never refused, since WeCom would only
 * retry it in vain. Text PostgreSQL cannot store (U+0000, lone surrogates: wecom/text.ts) becomes U+FFFD,
 * the fields it was in listed under `replaced`; when one of them is an id, the event is stored parked with
 * the XML kept whole, since nothing in WeCom can be found by it. XML that does not parse is kept and parked.
 */
export function inboxRecordOf(corpId: string, xml: string, receivedAt: Date): InboxRecord {
  let event: WecomEvent;
  try {
    event = parseEvent(xml);
  } catch (err) {
    if (!(err instanceof CallbackError)) throw err;
    return unparsableRecord(corpId, xml, err, receivedAt);
  }
  const { value: clean, changed } = storableValue(event);
  const replaced = changed.filter((p) => p.startsWith('raw.')).map((p) => p.slice(4));
  const ids = replaced.filter((f) => IDENTITY_FIELDS.includes(f));
  const isGroup = clean.type === 'external_chat_create' || clean.type === 'external_chat_update';
  return {
    corpId,
    dedupKey: dedupKey(clean),
    orderKey: orderKeyOf(clean),
    eventType: clean.type,
    event: {
      ...clean,
      ...(replaced.length ? { replaced } : {}),
      ...(ids.length ? { xmlBase64: Buffer.from(xml).toString('base64') } : {}),
    },
    receivedAt,
    notBefore: isGroup ? new Date(receivedAt.getTime() + GROUP_EVENT_DELAY_MS) : undefined,
    ...(ids.length
      ? {
          parked: `${ids.join(', ')} held a character PostgreSQL cannot store (U+0000 or a lone surrogate), replaced by U+FFFD: the event cannot be matched to WeCom; the XML is kept in xmlBase64`,
        }
      : {}),
  };
}

/** An authenticated callback whose decrypted XML does not parse: kept raw, parked, never refused. */
function unparsableRecord(corpId: string, xml: string, err: CallbackError, receivedAt: Date): InboxRecord {
  const why = storableText(err.message);
  return {
    corpId,
    dedupKey: `raw:${createHash('sha256').update(xml).digest('hex').slice(0, 32)}`,
    orderKey: 'unparsable',
    eventType: 'unparsable',
    event: { type: 'unparsable', error: why, xmlBase64: Buffer.from(xml).toString('base64') },
    receivedAt,
    parked: `the decrypted callback does not parse (${why}); the XML is kept in xmlBase64`,
  };
}

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
        let inner: string;
        try {
          inner = openCallback(link.crypto, request.query, request.body, window());
        } catch (err) {
          rejected(err);
        }
        const receivedAt = deps.clock.now();
        const row = inboxRecordOf(link.corpId, inner, receivedAt);
        if (row.parked) {
          request.log.warn(
            { corp: link.corpId, eventType: row.eventType, dedupKey: row.dedupKey, why: row.parked },
            'callback stored parked',
          );
        }
        const created = await inbox.record(row);
        // the dispatcher is woken rather than left to its poll
        if (created) deps.wake.inbox();
        return reply.code(200).type('text/plain').send('');
      },
    );
  };
}
