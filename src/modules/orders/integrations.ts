import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { corpDb } from '../../platform/db/corp-db.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { type Ctx, type Deps, type SyncCtx, syncCtxOf } from '../context.ts';

/** The headers of a signed /hooks request. */
export const HOOK_HEADERS = {
  brand: 'x-siyu-brand',
  source: 'x-siyu-source',
  timestamp: 'x-siyu-timestamp',
  signature: 'x-siyu-signature',
} as const;
/** A signed request older or newer than this is refused (a replay, or a clock far off). */
export const HOOK_MAX_SKEW_SECONDS = 300;
export const SOURCE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const BRAND_PATTERN = /^[a-z0-9][a-z0-9-]{1,31}$/;

/** HMAC-SHA256 of `timestamp.rawBody` with the integrator's secret, as lowercase hex. */
export function signHook(secret: string, timestamp: string | number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
}

const refused = (zh: string, en: string) => new AppError('unauthenticated', { zh, en });

/** Who a /hooks request says it is, checked before its body is read. */
export interface HookCaller {
  cdb: SyncCtx['cdb'];
  source: string;
  integrationId: number;
  secretCipher: string;
  timestamp: string;
  signature: string;
}

/**
 * The first half of a /hooks check, on the headers alone (before the body is read): brand, source,
 * timestamp window, and a live secret for that brand and source. 400 for a missing or malformed header, 401
 * for the rest.
 */
export async function hookCaller(
  deps: Deps,
  headers: Record<string, string | string[] | undefined>,
): Promise<HookCaller> {
  const header = (name: string, pattern: RegExp) => {
    const v = headers[name];
    if (typeof v !== 'string' || !pattern.test(v)) {
      throw new AppError('bad_request', {
        zh: `请求头 ${name} 缺失或格式有误`,
        en: `The ${name} header is missing or malformed`,
      });
    }
    return v;
  };
  const brand = header(HOOK_HEADERS.brand, BRAND_PATTERN);
  const source = header(HOOK_HEADERS.source, SOURCE_PATTERN);
  const timestamp = header(HOOK_HEADERS.timestamp, /^\d{1,12}$/);
  const signature = header(HOOK_HEADERS.signature, /^[0-9a-fA-F]{64}$/).toLowerCase();

  if (Math.abs(Math.floor(deps.clock.now().getTime() / 1000) - Number(timestamp)) > HOOK_MAX_SKEW_SECONDS) {
    throw refused(
      `时间戳超出 ±${HOOK_MAX_SKEW_SECONDS} 秒窗口，请校准时钟后重新签名`,
      `${HOOK_HEADERS.timestamp} is more than ${HOOK_MAX_SKEW_SECONDS} s from the server's time; sign again with the current time`,
    );
  }
  const cdb = corpDb(deps.db, brand);
  const integration = await cdb.db
    .selectFrom('integrations')
    .select(['id', 'secret_cipher'])
    .where('corp_id', '=', cdb.corpId)
    .where('source', '=', source)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!integration) {
    throw refused('该品牌与来源没有有效的对接密钥', 'No live secret for this brand and source');
  }
  return {
    cdb,
    source,
    integrationId: integration.id,
    secretCipher: integration.secret_cipher,
    timestamp,
    signature,
  };
}

/**
 * The second half: the signature over `timestamp.rawBody`, compared in constant time, then the request is
 * recorded as seen. A signature seen before within the window is a replay: 409 (an integrator resending on
 * purpose signs again with the current time; orders and members are idempotent). Answers the brand's system
 * context, and `forget` to call when handling the request failed, so the same request may be retried.
 */
export async function verifyHookBody(
  deps: Deps,
  caller: HookCaller,
  rawBody: string,
): Promise<{ ctx: SyncCtx; source: string; forget: () => Promise<void> }> {
  const { cdb, timestamp, signature } = caller;
  const expected = Buffer.from(signHook(deps.pii.decrypt(caller.secretCipher), timestamp, rawBody), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    throw refused('签名不匹配', 'The signature does not match (HMAC-SHA256 of "timestamp.rawBody")');
  }
  const now = deps.clock.now();
  const fresh = await cdb.db
    .insertInto('hook_signatures')
    .values({
      corp_id: cdb.corpId,
      signature,
      source: caller.source,
      signed_at: new Date(Number(timestamp) * 1000),
    })
    .onConflict((oc) => oc.columns(['corp_id', 'signature']).doNothing())
    .returning('signature')
    .executeTakeFirst();
  if (!fresh) {
    throw new AppError('conflict', {
      zh: '该签名请求已收到过（重放）。如需重发，请用当前时间戳重新签名',
      en: 'This signed request was received before (a replay). To send it again, sign it anew with the current timestamp',
    });
  }
  await cdb.db
    .updateTable('integrations')
    .set({ last_used_at: now })
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', caller.integrationId)
    .execute();
  const forget = async () => {
    await cdb.db
      .deleteFrom('hook_signatures')
      .where('corp_id', '=', cdb.corpId)
      .where('signature', '=', signature)
      .execute();
  };
  return { ctx: { ...syncCtxOf(deps, cdb.corpId), cdb }, source: caller.source, forget };
}

/** Signatures older than the window can no longer pass the timestamp check: they need not be remembered. */
export async function purgeHookSignatures(deps: Deps): Promise<boolean> {
  const before = new Date(deps.clock.now().getTime() - 2 * HOOK_MAX_SKEW_SECONDS * 1000);
  await deps.db.deleteFrom('hook_signatures').where('signed_at', '<', before).execute();
  return false;
}

const view = (r: {
  id: number;
  source: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}) => ({
  id: r.id,
  source: r.source,
  createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null,
  revokedAt: r.revoked_at?.toISOString() ?? null,
});

export async function listIntegrations(ctx: Ctx) {
  const rows = await ctx.cdb.db
    .selectFrom('integrations')
    .select(['id', 'source', 'created_at', 'last_used_at', 'revoked_at'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .orderBy('id', 'desc')
    .execute();
  return { items: rows.map(view) };
}

/** A new secret for a source; the answer is the only time it is shown. */
export async function createIntegration(ctx: Ctx, source: string) {
  const secret = randomBytes(32).toString('base64url');
  const row = await ctx.cdb.db
    .insertInto('integrations')
    .values({
      corp_id: ctx.cdb.corpId,
      source,
      secret_cipher: ctx.pii.encrypt(secret),
      created_by: ctx.actor.accountId,
      created_at: ctx.clock.now(),
    })
    .onConflict((oc) => oc.columns(['corp_id', 'source']).where('revoked_at', 'is', null).doNothing())
    .returning(['id', 'source', 'created_at', 'last_used_at', 'revoked_at'])
    .executeTakeFirst();
  if (!row) {
    throw new AppError('conflict', {
      zh: `来源 ${source} 已有有效密钥，请先吊销`,
      en: `Source ${source} already has a live secret; revoke it first`,
    });
  }
  await recordAudit(ctx, {
    action: 'integrations.create',
    subject: `integration:${row.id}`,
    details: { source },
  });
  return { ...view(row), secret };
}

export async function revokeIntegration(ctx: Ctx, id: number) {
  return ctx.cdb.transaction(async (tx) => {
    const cols = ['id', 'source', 'created_at', 'last_used_at', 'revoked_at'] as const;
    const revoked = await tx.db
      .updateTable('integrations')
      .set({ revoked_at: ctx.clock.now() })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .returning([...cols])
      .executeTakeFirst();
    if (revoked) {
      // only the revocation itself is on the log; a secret revoked before stays as it was
      await recordAudit(
        { ...ctx, cdb: tx },
        {
          action: 'integrations.revoke',
          subject: `integration:${revoked.id}`,
          details: { source: revoked.source },
        },
      );
      return view(revoked);
    }
    const row = await tx.db
      .selectFrom('integrations')
      .select([...cols])
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound({ zh: '对接密钥', en: 'Integration' });
    return view(row);
  });
}
