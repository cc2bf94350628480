import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from '../../testing/app.ts';

/**
 * The two routes that take large bodies (POST /api/v1/order-imports, up to 32 MB, and the signed /hooks, up
 * to 16 MB) decide on the caller from the request's head alone: a caller who may not send the body is
 * answered before sending it, and the connection is closed rather than read to its end.
 */

let t: TestApp;
let port: number;
beforeAll(async () => {
  t = await openTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  port = (t.app.server.address() as { port: number }).port;
});
afterAll(() => t.close());

/**
 * Sends only the head of a request announcing a large body, never the body; answers the response's head,
 * once Siyu has also closed the connection (it does not wait to read the body it refused).
 */
async function headOnly(port: number, head: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  const ended = once(socket, 'end');
  socket.write(head);
  await ended;
  socket.destroy();
  return Buffer.concat(received).toString('latin1').split('\r\n\r\n')[0]!;
}

describe('a large body from a caller who may not send it', () => {
  it('is refused before it is sent: an upload without a session, the role or room for it, a hook without a live secret', async () => {
    const upload = await headOnly(
      port,
      'POST /api/v1/order-imports?dryRun=true HTTP/1.1\r\nHost: x\r\ncontent-type: application/octet-stream\r\n' +
        `content-length: ${30 * 1024 * 1024}\r\n\r\n`,
    );
    expect(upload).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    expect(upload.toLowerCase()).toContain('connection: close');
    const staff = await t.login(t.fx.logins.sh1a);
    const forbidden = await headOnly(
      port,
      'POST /api/v1/order-imports?dryRun=true HTTP/1.1\r\nHost: x\r\ncontent-type: application/octet-stream\r\n' +
        `cookie: ${staff.cookie}\r\nx-csrf-token: ${staff.csrfToken}\r\ncontent-length: ${30 * 1024 * 1024}\r\n\r\n`,
    );
    expect(forbidden).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    // an importer announcing more than 32 MB is told so before sending it
    const admin = await t.login(t.fx.logins.admin);
    const tooLarge = await headOnly(
      port,
      'POST /api/v1/order-imports?dryRun=true HTTP/1.1\r\nHost: x\r\ncontent-type: application/octet-stream\r\n' +
        `cookie: ${admin.cookie}\r\nx-csrf-token: ${admin.csrfToken}\r\ncontent-length: ${40 * 1024 * 1024}\r\n\r\n`,
    );
    expect(tooLarge).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    const hook = await headOnly(
      port,
      'POST /hooks/orders HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\nx-siyu-brand: acme\r\n' +
        `x-siyu-source: nobody\r\nx-siyu-timestamp: ${Math.floor(Date.now() / 1000)}\r\n` +
        `x-siyu-signature: ${'0'.repeat(64)}\r\ncontent-length: ${15 * 1024 * 1024}\r\n\r\n`,
    );
    expect(hook).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
    const members = await headOnly(
      port,
      'POST /hooks/members HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\nx-siyu-brand: acme\r\n' +
        `x-siyu-source: nobody\r\nx-siyu-timestamp: ${Math.floor(Date.now() / 1000)}\r\n` +
        `x-siyu-signature: ${'0'.repeat(64)}\r\ncontent-length: ${15 * 1024 * 1024}\r\n\r\n`,
    );
    expect(members).toMatch(/^HTTP\/1\.1 401 Unauthorized\r\n/);
  });
});
