import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/temp-dir.ts';
import { buildApp } from './app.ts';

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

const appWith = async (trustedProxies?: string[]) => {
  app = await buildApp({
    logger: false,
    authenticate: async () => null,
    trustedProxies,
    routes: async (r) => {
      r.get('/whoami', { config: { access: { public: true } } }, async (request) => ({ ip: request.ip }));
    },
  });
  return app;
};

const whoami = (a: FastifyInstance, remoteAddress: string, xff?: string) =>
  a
    .inject({
      method: 'GET',
      url: '/api/v1/whoami',
      remoteAddress,
      headers: xff ? { 'x-forwarded-for': xff } : {},
    })
    .then((r) => r.json().ip);

describe('the client address', () => {
  it('is the socket address by default, whatever X-Forwarded-For says', async () => {
    const a = await appWith();
    expect(await whoami(a, '10.0.0.1', '192.0.2.1')).toBe('10.0.0.1');
  });

  it('comes from X-Forwarded-For only through a trusted proxy', async () => {
    const a = await appWith(['10.0.0.0/8']);
    expect(await whoami(a, '10.0.0.1', '192.0.2.1')).toBe('192.0.2.1');
    // a client's own forged entry comes before what the proxy appended: the proxy's view wins
    expect(await whoami(a, '10.0.0.1', '198.51.100.9, 192.0.2.1')).toBe('192.0.2.1');
    expect(await whoami(a, '203.0.113.5', '192.0.2.1')).toBe('203.0.113.5');
  });
});

describe('security headers', () => {
  const build = async (frameAncestors?: string[]) => {
    const webDir = tempDir('web');
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>console</title>');
    app = await buildApp({
      logger: false,
      authenticate: async () => null,
      webDir,
      frameAncestors,
      routes: async (r) => {
        r.get('/thing', { config: { access: { public: true } } }, async () => ({ phone: '138****5678' }));
        r.get('/mine', { config: { access: { roles: ['hq_admin'], scope: 'corp' } } }, async () => ({}));
      },
    });
    return app;
  };

  it('go on the console, API answers, errors and not-found pages alike', async () => {
    const a = await build();
    for (const url of [
      '/',
      '/customers/12',
      '/api/v1/thing',
      '/api/v1/mine',
      '/api/v1/nothing',
      '/healthz',
    ]) {
      const res = await a.inject({ method: 'GET', url });
      expect(res.headers['content-security-policy'], url).toContain("script-src 'self'");
      expect(res.headers['content-security-policy'], url).toMatch(/frame-ancestors 'self'$/);
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['referrer-policy'], url).toBe('same-origin');
      expect(res.headers['x-frame-options'], url).toBe('SAMEORIGIN');
    }
  });

  it('keep API answers out of every cache, and leave the console to its own caching', async () => {
    const a = await build();
    for (const url of ['/api/v1/thing', '/api/v1/mine', '/api/v1/nothing'])
      expect((await a.inject({ method: 'GET', url })).headers['cache-control'], url).toBe('no-store');
    expect((await a.inject({ method: 'GET', url: '/' })).headers['cache-control']).not.toBe('no-store');
  });

  it('let the configured origins frame the console', async () => {
    const a = await build(['https://*.work.weixin.qq.com']);
    const res = await a.inject({ method: 'GET', url: '/' });
    expect(res.headers['content-security-policy']).toContain(
      "frame-ancestors 'self' https://*.work.weixin.qq.com",
    );
    expect(res.headers['x-frame-options']).toBeUndefined();
  });
});
