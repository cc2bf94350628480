import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import type { ConnectionRegistry } from '../../platform/wecom-links.ts';
import { WecomApiError } from '../../wecom/errors.ts';
import { startSession } from '../accounts/index.ts';
import type { Tables } from '../tables.ts';

/** The real authorize page; a simulated brand's is its simulator's (same path and parameters). */
export const WECOM_OAUTH_BASE = 'https://open.weixin.qq.com';
/** The real JS-SDK (jweixin), which a simulated brand's page takes from its simulator's client instead. */
export const JWEIXIN_URL = 'https://res.wx.qq.com/open/js/jweixin-1.2.0.js';
export const STATE_COOKIE = 'siyu_sidebar_state';
export const STATE_TTL_S = 600;

/** Why a sign-in through WeCom failed: the sidebar page shows each in words. */
export const OAUTH_ERRORS = [
  'not_connected',
  'state',
  'oauth_code',
  'not_member',
  'no_account',
  'wecom',
] as const;
export type OauthError = (typeof OAUTH_ERRORS)[number];

export interface BrandLink {
  corpId: string;
  wecomCorpId: string;
  agentId: string | null;
  apiBaseUrl: string;
  simulated: boolean;
}

export async function brandLink(db: Kysely<Tables>, corpId: string): Promise<BrandLink | null> {
  const row = await db
    .selectFrom('wecom_connections')
    .select(['corp_id', 'wecom_corp_id', 'agent_id', 'api_base_url', 'simulated'])
    .where('corp_id', '=', corpId)
    .executeTakeFirst();
  return row
    ? {
        corpId: row.corp_id,
        wecomCorpId: row.wecom_corp_id,
        agentId: row.agent_id,
        apiBaseUrl: row.api_base_url.replace(/\/+$/, ''),
        simulated: row.simulated,
      }
    : null;
}

/** The JS-SDK script the sidebar loads: jweixin, or the simulated client's stand-in for it. */
export const jsSdkUrlOf = (link: BrandLink) =>
  link.simulated ? `${link.apiBaseUrl}/sim/client/jweixin.js` : JWEIXIN_URL;

/** WeCom's authorize URL (API-FACTS-2 §7.1): appid is the corpid; silent snsapi_base; the app's agentid. */
export function authorizeUrl(link: BrandLink, redirectUri: string, state: string): string {
  const base = link.simulated ? link.apiBaseUrl : WECOM_OAUTH_BASE;
  const params = new URLSearchParams({
    appid: link.wecomCorpId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'snsapi_base',
    state,
  });
  if (link.agentId) params.set('agentid', link.agentId);
  return `${base}/connect/oauth2/authorize?${params.toString()}#wechat_redirect`;
}

export const newState = () => randomBytes(16).toString('hex');

/**
 * The code WeCom handed back → the member (auth/getuserinfo; single use, 5 minutes) → the Siyu account bound
 * to that member → a new session. Any failure is one of OAUTH_ERRORS.
 */
export async function signInWithCode(
  deps: { db: Kysely<Tables>; clock: Clock; links: ConnectionRegistry },
  corpId: string,
  code: string,
  client: { ip: string; userAgent?: string },
): Promise<{ ok: true; cookie: string } | { ok: false; error: OauthError }> {
  const link = await deps.links.get(corpId);
  if (!link) return { ok: false, error: 'not_connected' };
  let userid: string | undefined;
  try {
    userid = (await link.client.getUserInfoByCode(code)).userid;
  } catch (err) {
    if (err instanceof WecomApiError && err.errcode === 40029) return { ok: false, error: 'oauth_code' };
    if (err instanceof WecomApiError) return { ok: false, error: 'wecom' };
    throw err;
  }
  if (!userid) return { ok: false, error: 'not_member' };
  const account = await deps.db
    .selectFrom('accounts as a')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'a.corp_id').onRef('s.id', '=', 'a.staff_id'))
    .select(['a.id'])
    .where('a.corp_id', '=', corpId)
    .where('s.userid', '=', userid)
    .where('a.disabled', '=', false)
    .orderBy(sql`case when a.role = 'staff' then 0 else 1 end`)
    .orderBy('a.id')
    .executeTakeFirst();
  if (!account) return { ok: false, error: 'no_account' };
  const session = await startSession(deps.db, deps.clock, {
    corpId,
    accountId: account.id,
    ip: client.ip,
    userAgent: client.userAgent,
    via: 'wecom_oauth',
  });
  return { ok: true, cookie: session.cookie };
}
