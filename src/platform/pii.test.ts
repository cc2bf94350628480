import { describe, expect, it } from 'vitest';
import { createPii, maskPhone, normalizePhone } from './pii.ts';

const pii = createPii('11'.repeat(32));

describe('PII at rest', () => {
  it('round-trips through AES-GCM with a fresh IV each time', () => {
    const a = pii.encrypt('13812345678');
    expect(a).not.toContain('13812345678');
    expect(a).not.toBe(pii.encrypt('13812345678'));
    expect(pii.decrypt(a)).toBe('13812345678');
  });

  it('rejects a tampered ciphertext and a wrong key', () => {
    const c = pii.encrypt('13812345678');
    const raw = Buffer.from(c.slice(3), 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => pii.decrypt(`v1.${raw.toString('base64')}`)).toThrow();
    expect(() => createPii('22'.repeat(32)).decrypt(c)).toThrow();
    expect(() => createPii('abcd')).toThrow(/32 bytes/);
  });

  it('hashes the normalised number with the key, so formats match and keys differ', () => {
    expect(pii.hash('+86 138-1234-5678')).toBe(pii.hash('13812345678'));
    expect(createPii('22'.repeat(32)).hash('13812345678')).not.toBe(pii.hash('13812345678'));
  });

  it('masks for lists', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('+8613812345678')).toBe('138****5678');
    expect(normalizePhone('138 1234 5678')).toBe('13812345678');
  });
});
