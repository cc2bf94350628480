import { writeFileSync } from 'node:fs';
import { type AddressInfo, connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tables } from './modules/tables.ts';
import type { Database } from './platform/db/connect.ts';
import { createServer } from './server.ts';
import { openTestDatabase } from './testing/db.ts';
import { TEST_KEY } from './testing/fixture.ts';
import { tempDir } from './testing/temp-dir.ts';

let database: Database<Tables>;
let app: Awaited<ReturnType<typeof createServer>>;
beforeAll(async () => {
  database = await openTestDatabase();
  const webDir = tempDir('web');
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Siyu console</title>');
  app = await createServer({ database, secretKey: TEST_KEY, logger: false, webDir });
});
afterAll(async () => {
  await app.close();
  await database.close();
});

describe('the HTTP server', () => {
  it('serves the OpenAPI document with every API route', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    for (const r of app.apiRoutes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${path}`).toBeDefined();
    }
    expect(doc.paths['/api/v1/customers'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['q', 'unitId', 'tagId', 'staffId', 'cursor', 'limit']),
    );
    expect((await app.inject({ method: 'GET', url: '/api/docs' })).statusCode).toBeLessThan(400);
  });

  it('counts the requests in flight for the background work to yield to, an aborted one too', async () => {
    const { foreground } = app.runtime;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    // a request whose body never finishes arriving, then is cut off
    const socket = connect(port, '127.0.0.1');
    socket.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    for (let i = 0; i < 200 && foreground.inFlight === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(foreground.inFlight).toBe(1);
    socket.destroy();
    for (let i = 0; i < 200 && foreground.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(foreground.inFlight).toBe(0);
    await Promise.all([1, 2, 3].map(() => app.inject({ method: 'GET', url: '/api/v1/auth/me' })));
    expect(foreground.inFlight).toBe(0);
  });

  it('serves the console for any page path and JSON errors for unknown API paths', async () => {
    const page = await app.inject({ method: 'GET', url: '/customers/42' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Siyu console');
    const api = await app.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('not_found');
  });

  it('refuses an oversized body with 413 and a clear message', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'a@b', password: 'x'.repeat(2 * 1024 * 1024) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });
});
