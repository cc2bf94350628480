import { describe, expect, test } from 'vitest';
import { jsapiSignature, nonceStr, signedUrl } from './jssdk.ts';

describe('JS-SDK signature (API-FACTS-2 §7.2)', () => {
  const vector = {
    ticket: 'sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg',
    nonceStr: 'Wm3WZYTPz0wzccnW',
    timestamp: 1414587457,
    url: 'http://mp.weixin.qq.com?params=value',
  };

  test('matches the published test vector', () => {
    expect(jsapiSignature(vector)).toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
    expect(jsapiSignature({ ...vector, timestamp: '1414587457' })).toBe(
      '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
    );
  });

  test('signs the URL without its fragment, and the query as it is', () => {
    expect(jsapiSignature({ ...vector, url: `${vector.url}#/sidebar?x=1` })).toBe(
      '0f9de62fce790f9a083d5c99e95740ceb90c27ed',
    );
    expect(signedUrl('https://a.example/sidebar?corp=demo#x#y')).toBe('https://a.example/sidebar?corp=demo');
    // any change of ticket, nonce, time or URL changes the signature
    for (const change of [
      { ticket: `${vector.ticket}x` },
      { nonceStr: 'Wm3WZYTPz0wzccnX' },
      { timestamp: 1414587458 },
      { url: 'http://mp.weixin.qq.com?params=value2' },
      // raw values: an escaped URL is another URL
      { url: 'http%3A%2F%2Fmp.weixin.qq.com%3Fparams%3Dvalue' },
    ]) {
      expect(jsapiSignature({ ...vector, ...change })).not.toBe('0f9de62fce790f9a083d5c99e95740ceb90c27ed');
    }
  });

  test('nonceStr is 16 letters and digits', () => {
    expect(nonceStr()).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(nonceStr()).not.toBe(nonceStr());
  });
});
