import { aesKey } from '../wecom/crypto.ts';
import { badRequest, conflict, WecomError } from './errors.ts';
import { type CorpLimits, type CorpState, newCorp } from './model.ts';
import type { Simulator } from './state.ts';

export const TOKEN_TTL_S = 7200;
export const DEFAULT_RATE_PER_MINUTE = 10_000;

export interface CorpInput {
  corpid: string;
  name: string;
  secret: string;
  token: string;
  encoding_aes_key: string;
  agentid: number;
  callback_url?: string | null;
  limits?: Partial<CorpLimits>;
}

function checkAesKey(key: string): void {
  try {
    aesKey(key);
  } catch {
    throw badRequest('invalid_request', 'encoding_aes_key must be 43 base64 characters');
  }
}

export function createCorp(sim: Simulator, input: CorpInput): CorpState {
  if (sim.findCorp(input.corpid)) throw conflict('corp_exists', `corp ${input.corpid} already exists`);
  checkAesKey(input.encoding_aes_key);
  const corp = newCorp({
    corpid: input.corpid,
    name: input.name,
    secret: input.secret,
    token: input.token,
    encoding_aes_key: input.encoding_aes_key,
    agentid: input.agentid,
    callback_url: input.callback_url ?? null,
    limits: {
      receive_cap_per_month: input.limits?.receive_cap_per_month ?? null,
      rate_per_minute: input.limits?.rate_per_minute ?? DEFAULT_RATE_PER_MINUTE,
    },
    created_at: sim.nowS(),
  });
  sim.state.corps[corp.corpid] = corp;
  return corp;
}

export function updateCorp(
  sim: Simulator,
  corpid: string,
  patch: Partial<Omit<CorpInput, 'corpid'>>,
): CorpState {
  const corp = sim.corp(corpid);
  if (patch.encoding_aes_key !== undefined) checkAesKey(patch.encoding_aes_key);
  if (patch.name !== undefined) corp.name = patch.name;
  if (patch.secret !== undefined && patch.secret !== corp.secret) {
    corp.secret = patch.secret;
    revokeTokens(sim, corpid);
  }
  if (patch.token !== undefined) corp.token = patch.token;
  if (patch.encoding_aes_key !== undefined) corp.encoding_aes_key = patch.encoding_aes_key;
  if (patch.agentid !== undefined) corp.agentid = patch.agentid;
  if (patch.callback_url !== undefined) corp.callback_url = patch.callback_url;
  if (patch.limits?.receive_cap_per_month !== undefined) {
    corp.limits.receive_cap_per_month = patch.limits.receive_cap_per_month;
  }
  if (patch.limits?.rate_per_minute !== undefined) corp.limits.rate_per_minute = patch.limits.rate_per_minute;
  return corp;
}

export function deleteCorp(sim: Simulator, corpid: string): void {
  sim.corp(corpid);
  revokeTokens(sim, corpid);
  delete sim.state.corps[corpid];
  sim.forgetCorp(corpid);
}

/** Invalidates every token of the corp, as Tencent may do at any time: the next call gets 40014. */
export function revokeTokens(sim: Simulator, corpid: string): number {
  let revoked = 0;
  for (const [token, entry] of Object.entries(sim.state.tokens)) {
    if (entry.corpid === corpid) {
      delete sim.state.tokens[token];
      revoked++;
    }
  }
  return revoked;
}

/** GET /cgi-bin/gettoken: the same token while it is valid, a new one after expiry. */
export function getToken(
  sim: Simulator,
  corpid: string | undefined,
  secret: string | undefined,
): { access_token: string; expires_in: number; issued: boolean } {
  if (!corpid) throw new WecomError(41002);
  const corp = sim.findCorp(corpid);
  if (!corp) throw new WecomError(40013);
  if (!secret) throw new WecomError(41004);
  if (secret !== corp.secret) throw new WecomError(40001);
  const now = sim.nowMs();
  for (const [token, entry] of Object.entries(sim.state.tokens)) {
    if (entry.corpid !== corpid) continue;
    if (entry.expires_at_ms > now) {
      return {
        access_token: token,
        expires_in: Math.ceil((entry.expires_at_ms - now) / 1000),
        issued: false,
      };
    }
    // An expired token is kept a day so that it answers 42001 rather than 40014.
    if (entry.expires_at_ms < now - 86_400_000) delete sim.state.tokens[token];
  }
  const token = sim.ids.accessToken();
  sim.state.tokens[token] = { corpid, expires_at_ms: now + TOKEN_TTL_S * 1000 };
  return { access_token: token, expires_in: TOKEN_TTL_S, issued: true };
}

/** The corp an access_token belongs to: 41001 missing, 40014 unknown or revoked, 42001 expired. */
export function authenticate(sim: Simulator, token: string | undefined): CorpState {
  if (!token) throw new WecomError(41001);
  const entry = Object.hasOwn(sim.state.tokens, token) ? sim.state.tokens[token] : undefined;
  if (!entry) throw new WecomError(40014);
  if (entry.expires_at_ms <= sim.nowMs()) throw new WecomError(42001);
  const corp = sim.findCorp(entry.corpid);
  if (!corp) throw new WecomError(40014);
  return corp;
}
