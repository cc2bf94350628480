import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';

describe('SIYU_TRUSTED_PROXIES', () => {
  it('is none by default, else a list of addresses, ranges and proxy-addr names', () => {
    expect(loadConfig({}).SIYU_TRUSTED_PROXIES).toEqual([]);
    expect(
      loadConfig({ SIYU_TRUSTED_PROXIES: ' loopback, 10.0.0.0/8 ,fd00::/8,192.0.2.7' }).SIYU_TRUSTED_PROXIES,
    ).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8', '192.0.2.7']);
  });

  it('refuses what is not an address or a range', () => {
    for (const bad of ['true', '*', '10.0.0.0/33', 'proxy.example.com', '10.0.0.1/8/8'])
      expect(() => loadConfig({ SIYU_TRUSTED_PROXIES: bad }), bad).toThrow(/SIYU_TRUSTED_PROXIES/);
  });
});

describe('SIYU_FRAME_ANCESTORS', () => {
  it('takes origins, a leading wildcard label allowed', () => {
    expect(loadConfig({}).SIYU_FRAME_ANCESTORS).toEqual([]);
    expect(
      loadConfig({ SIYU_FRAME_ANCESTORS: 'https://work.weixin.qq.com, https://*.qq.com:8443' })
        .SIYU_FRAME_ANCESTORS,
    ).toEqual(['https://work.weixin.qq.com', 'https://*.qq.com:8443']);
  });

  it('refuses what would widen or break the policy', () => {
    for (const bad of ['*', 'https:', "'none'", 'https://a.com/path', 'https://a.com; script-src *'])
      expect(() => loadConfig({ SIYU_FRAME_ANCESTORS: bad }), bad).toThrow(/SIYU_FRAME_ANCESTORS/);
  });
});
