import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * PII at rest: AES-256-GCM ciphertext for reading back (audited reveal), a keyed hash for exact lookup,
 * and a mask for lists. The plaintext is never stored or logged.
 */
export interface Pii {
  encrypt(plain: string): string;
  decrypt(cipher: string): string;
  hash(plain: string): string;
}

export function createPii(keyHex: string): Pii {
  const key = Buffer.from(keyHex, 'hex');
  if (key.length !== 32) throw new Error('The PII key must be 32 bytes');
  const hashKey = createHmac('sha256', key).update('siyu:pii-hash').digest();
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
    },
    decrypt(text) {
      const raw = Buffer.from(text.replace(/^v1\./, ''), 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
    hash(plain) {
      return createHmac('sha256', hashKey).update(normalizePhone(plain)).digest('hex');
    },
  };
}

/** Mainland mobile numbers: strips spaces, dashes and a +86 prefix. */
export function normalizePhone(phone: string): string {
  return phone.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
}

/** 13812345678 -> 138****5678 */
export function maskPhone(phone: string): string {
  const p = normalizePhone(phone);
  return p.length >= 7 ? `${p.slice(0, 3)}${'*'.repeat(p.length - 7)}${p.slice(-4)}` : '*'.repeat(p.length);
}
