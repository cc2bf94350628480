import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * WeCom's callback crypto (加解密): SHA-1 signature over the sorted strings, AES-256-CBC with iv = key[0..16]
 * and PKCS#7 padding to 32-byte blocks, plaintext = random(16) ‖ len(4, big-endian) ‖ msg ‖ receiveid.
 */
export class WecomCryptoError extends Error {
  constructor(
    readonly reason: 'bad_key' | 'bad_signature' | 'bad_ciphertext' | 'bad_padding' | 'receiveid_mismatch',
    message: string,
  ) {
    super(message);
  }
}

export function signature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  return createHash('sha1').update([token, timestamp, nonce, encrypted].sort().join('')).digest('hex');
}

export function verifySignature(
  expected: string,
  token: string,
  timestamp: string,
  nonce: string,
  encrypted: string,
): boolean {
  const actual = Buffer.from(signature(token, timestamp, nonce, encrypted), 'utf8');
  const given = Buffer.from(expected.toLowerCase(), 'utf8');
  return given.length === actual.length && timingSafeEqual(given, actual);
}

export function aesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9+/]{43}$/.test(encodingAesKey)) {
    throw new WecomCryptoError('bad_key', 'EncodingAESKey must be 43 base64 characters');
  }
  return Buffer.from(`${encodingAesKey}=`, 'base64');
}

const BLOCK = 32;

export function encrypt(
  key: Buffer,
  message: string,
  receiveId: string,
  random: Buffer = randomBytes(16),
): string {
  const body = Buffer.from(message, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length, 0);
  const plain = Buffer.concat([random, len, body, Buffer.from(receiveId, 'utf8')]);
  const pad = BLOCK - (plain.length % BLOCK);
  const padded = Buffer.concat([plain, Buffer.alloc(pad, pad)]);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(padded), cipher.final()]).toString('base64');
}

/** Decrypts and checks that the message was meant for `expectedReceiveId` (the corpid). */
export function decrypt(key: Buffer, encrypted: string, expectedReceiveId: string): string {
  const raw = Buffer.from(encrypted, 'base64');
  if (raw.length === 0 || raw.length % BLOCK !== 0) {
    throw new WecomCryptoError('bad_ciphertext', 'ciphertext is not a whole number of 32-byte blocks');
  }
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(raw), decipher.final()]);
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > BLOCK || plain.subarray(plain.length - pad).some((b) => b !== pad)) {
    throw new WecomCryptoError('bad_padding', 'invalid PKCS#7 padding');
  }
  const content = plain.subarray(16, plain.length - pad);
  if (content.length < 4) throw new WecomCryptoError('bad_ciphertext', 'plaintext too short');
  const len = content.readUInt32BE(0);
  if (len > content.length - 4) throw new WecomCryptoError('bad_ciphertext', 'message length out of range');
  const receiveId = content.subarray(4 + len).toString('utf8');
  if (receiveId !== expectedReceiveId) {
    throw new WecomCryptoError('receiveid_mismatch', 'message is addressed to another receiver');
  }
  return content.subarray(4, 4 + len).toString('utf8');
}

/** One corp's callback credentials, with the key decoded once. */
export interface CallbackCrypto {
  token: string;
  key: Buffer;
  receiveId: string;
}

export function callbackCrypto(token: string, encodingAesKey: string, receiveId: string): CallbackCrypto {
  return { token, key: aesKey(encodingAesKey), receiveId };
}

/** What WeCom's servers do to push an event: encrypt, sign, wrap in the outer XML. */
export function sealMessage(
  c: CallbackCrypto,
  xml: string,
  timestamp: string,
  nonce: string,
  random?: Buffer,
): { body: string; msgSignature: string } {
  const encrypted = encrypt(c.key, xml, c.receiveId, random);
  const msgSignature = signature(c.token, timestamp, nonce, encrypted);
  const body = `<xml><ToUserName><![CDATA[${c.receiveId}]]></ToUserName><AgentID><![CDATA[]]></AgentID><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`;
  return { body, msgSignature };
}
