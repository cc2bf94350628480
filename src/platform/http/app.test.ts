import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
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
