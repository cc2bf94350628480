import { describe, expect, it } from 'vitest';
import {
  aesKey,
  callbackCrypto,
  decrypt,
  encrypt,
  sealMessage,
  signature,
  verifySignature,
  type WecomCryptoError,
} from './crypto.ts';

// Vector A: Tencent's own sample (API-FACTS.md §2).
const A = {
  token: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  key: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  corpId: 'ww1436e0e65a779aee',
  timestamp: '1476416373',
  nonce: '47744683',
  echostr: 'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==',
  signature: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb',
  plain: '1288432023552776189',
};

// Vector B: wechatpy's deterministic encryption (fixed random and nonce).
const B = {
  token: '123456',
  key: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR',
  corpId: 'wx49f0ab532d5d035a',
  random: Buffer.from('1234567890123456'),
  nonce: '461056294',
  timestamp: '1411525903',
  reply:
    '<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>',
  encrypted:
    '9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3',
  msgSignature: '407518b7649e86ef23978113f92d27afa9296533',
};

describe('WeCom callback crypto', () => {
  it('verifies and decrypts Tencent’s URL-verification sample (vector A)', () => {
    expect(signature(A.token, A.timestamp, A.nonce, A.echostr)).toBe(A.signature);
    expect(verifySignature(A.signature, A.token, A.timestamp, A.nonce, A.echostr)).toBe(true);
    expect(decrypt(aesKey(A.key), A.echostr, A.corpId)).toBe(A.plain);
  });

  it('reproduces the signature-only vector from the documentation', () => {
    expect(
      signature(
        'QDG6eK',
        '1409659589',
        '263014780',
        'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
      ),
    ).toBe('5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3');
  });

  it('encrypts byte for byte like wechatpy’s deterministic vector (B)', () => {
    const c = callbackCrypto(B.token, B.key, B.corpId);
    const encrypted = encrypt(c.key, B.reply, B.corpId, B.random);
    expect(encrypted).toBe(B.encrypted);
    expect(signature(B.token, B.timestamp, B.nonce, encrypted)).toBe(B.msgSignature);
    const sealed = sealMessage(c, B.reply, B.timestamp, B.nonce, B.random);
    expect(sealed.msgSignature).toBe(B.msgSignature);
    expect(decrypt(c.key, encrypted, B.corpId)).toBe(B.reply);
  });

  it('decrypts wechatpy’s message and echostr vectors', () => {
    const key = aesKey(B.key);
    const encrypted =
      'RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=';
    expect(
      verifySignature(
        '74d92dfeb87ba7c714f89d98870ae5eb62dff26d',
        B.token,
        '1411525903',
        '461056294',
        encrypted,
      ),
    ).toBe(true);
    const xml = decrypt(key, encrypted, B.corpId);
    expect(xml).toContain('<Content><![CDATA[test]]></Content>');
    expect(xml).toContain('<FromUserName><![CDATA[messense]]></FromUserName>');
    const echostr =
      '4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==';
    expect(
      verifySignature(
        'dd6b9c95b495b3f7e2901bfbc76c664930ffdb96',
        B.token,
        '1411443780',
        '437374425',
        echostr,
      ),
    ).toBe(true);
    expect(
      verifySignature(
        'dd6b9c95b495b3f7e2901bfbc76c664930ffdb96',
        B.token,
        '1411443780',
        '437374424',
        echostr,
      ),
    ).toBe(false);
    expect(decrypt(key, echostr, B.corpId)).toBe('5927782489442352469');
  });

  it('pads to 32-byte blocks, a whole block when already aligned', () => {
    const key = aesKey(A.key);
    for (let n = 0; n < 70; n++) {
      const msg = 'x'.repeat(n);
      const raw = Buffer.from(encrypt(key, msg, A.corpId), 'base64');
      expect(raw.length % 32).toBe(0);
      expect(raw.length).toBeGreaterThan(16 + 4 + n + A.corpId.length);
      expect(decrypt(key, encrypt(key, msg, A.corpId), A.corpId)).toBe(msg);
    }
  });

  it('refuses another receiver, a tampered ciphertext, a bad key and a bad signature', () => {
    const key = aesKey(A.key);
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as WecomCryptoError).reason;
      }
      return 'no error';
    };
    expect(reason(() => decrypt(key, A.echostr, 'ww_someone_else'))).toBe('receiveid_mismatch');
    expect(reason(() => decrypt(key, 'abc', A.corpId))).toBe('bad_ciphertext');
    const tampered = Buffer.from(A.echostr, 'base64');
    tampered[tampered.length - 1]! ^= 0xff;
    expect(['bad_padding', 'bad_ciphertext', 'receiveid_mismatch']).toContain(
      reason(() => decrypt(key, tampered.toString('base64'), A.corpId)),
    );
    expect(reason(() => aesKey('short'))).toBe('bad_key');
    expect(verifySignature('0'.repeat(40), A.token, A.timestamp, A.nonce, A.echostr)).toBe(false);
    expect(verifySignature('short', A.token, A.timestamp, A.nonce, A.echostr)).toBe(false);
  });
});
