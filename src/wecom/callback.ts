import { type CallbackCrypto, decrypt, verifySignature, WecomCryptoError } from './crypto.ts';
import { CallbackError, parseXmlFields } from './events.ts';

/**
 * The receiving side of WeCom's callback protocol (API-FACTS §2): URL verification (GET) and event delivery
 * (POST). Both check the SHA-1 signature, AES-decrypt and check that the receiveid is ours; the caller then
 * hands the inner XML to parseEvent. Everything here is synchronous and pure, so the HTTP handler can ack
 * WeCom within its 5 s (1 s for URL verification).
 */

export {
  type AddExternalContactEvent,
  type AddHalfExternalContactEvent,
  buildEventXml,
  CallbackError,
  type CallbackErrorReason,
  type ChatUpdateDetail,
  type DelExternalContactEvent,
  type DelFollowUserEvent,
  dedupKey,
  type EditExternalContactEvent,
  type ExternalChatCreateEvent,
  type ExternalChatDismissEvent,
  type ExternalChatUpdateEvent,
  type ExternalTagEvent,
  type MessageEvent,
  parseEvent,
  parseXmlFields,
  type RawFields,
  type TransferFailEvent,
  type TransferFailReason,
  type UnknownEvent,
  type WecomEvent,
  type WecomEventInput,
  type WecomEventType,
} from './events.ts';

export interface OuterXml {
  /** The corpid (or suite id) the message is addressed to. */
  toUserName: string;
  /** AgentID, or null when absent or empty. */
  agentId: string | null;
  /** The base64 ciphertext. */
  encrypt: string;
}

/** Reads the POST body `<xml><ToUserName/><AgentID/><Encrypt/></xml>`. */
export function parseOuterXml(body: string): OuterXml {
  const fields = parseXmlFields(body);
  const encrypt = typeof fields.Encrypt === 'string' ? fields.Encrypt.trim() : '';
  if (encrypt === '') throw new CallbackError('missing_encrypt', 'the callback body has no Encrypt field');
  const toUserName = typeof fields.ToUserName === 'string' ? fields.ToUserName.trim() : '';
  const agentId =
    typeof fields.AgentID === 'string' && fields.AgentID.trim() !== '' ? fields.AgentID.trim() : null;
  return { toUserName, agentId, encrypt };
}

export interface CallbackQuery {
  msg_signature?: string | null;
  timestamp?: string | null;
  nonce?: string | null;
}

export interface VerifyUrlQuery extends CallbackQuery {
  echostr?: string | null;
}

export interface CallbackOptions {
  /**
   * Refuse a `timestamp` further than this from `nowSeconds` ('stale_timestamp'). Off by default: WeCom
   * retries a callback with its original timestamp, so keep this generous (minutes, not seconds).
   */
  maxSkewSeconds?: number;
  nowSeconds?: number;
}

/** Checks the signature over Encrypt, decrypts, checks the receiveid; returns the inner XML. */
export function openCallback(
  crypto: CallbackCrypto,
  q: CallbackQuery,
  body: string,
  opts: CallbackOptions = {},
): string {
  const { signature, timestamp, nonce } = requireQuery(q, opts);
  const outer = parseOuterXml(body);
  return openCiphertext(crypto, signature, timestamp, nonce, outer.encrypt);
}

/** URL verification (GET): checks the signature over echostr and returns the plaintext to echo, as is. */
export function verifyUrl(crypto: CallbackCrypto, q: VerifyUrlQuery, opts: CallbackOptions = {}): string {
  const { signature, timestamp, nonce } = requireQuery(q, opts);
  // Query parsers that treat '+' as a space would corrupt the base64; base64 never holds a space.
  const echostr = (q.echostr ?? '').replaceAll(' ', '+');
  if (echostr === '') throw new CallbackError('missing_param', 'echostr is missing');
  return openCiphertext(crypto, signature, timestamp, nonce, echostr);
}

function requireQuery(
  q: CallbackQuery,
  opts: CallbackOptions,
): { signature: string; timestamp: string; nonce: string } {
  const signature = q.msg_signature ?? '';
  const timestamp = q.timestamp ?? '';
  const nonce = q.nonce ?? '';
  for (const [name, value] of [
    ['msg_signature', signature],
    ['timestamp', timestamp],
    ['nonce', nonce],
  ] as const) {
    if (value === '') throw new CallbackError('missing_param', `${name} is missing`);
  }
  if (opts.maxSkewSeconds !== undefined) {
    const ts = Number(timestamp);
    const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
    if (!Number.isFinite(ts) || Math.abs(now - ts) > opts.maxSkewSeconds) {
      throw new CallbackError('stale_timestamp', 'timestamp is outside the accepted window');
    }
  }
  return { signature, timestamp, nonce };
}

function openCiphertext(
  crypto: CallbackCrypto,
  signature: string,
  timestamp: string,
  nonce: string,
  encrypted: string,
): string {
  if (!verifySignature(signature, crypto.token, timestamp, nonce, encrypted)) {
    throw new CallbackError('bad_signature', 'msg_signature does not match');
  }
  try {
    return decrypt(crypto.key, encrypted, crypto.receiveId);
  } catch (err) {
    if (err instanceof WecomCryptoError) {
      if (err.reason === 'receiveid_mismatch') {
        throw new CallbackError('receiveid_mismatch', 'the message is addressed to another receiver');
      }
      throw new CallbackError('bad_ciphertext', `cannot decrypt: ${err.message}`);
    }
    throw new CallbackError('bad_ciphertext', 'cannot decrypt');
  }
}
