import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCall } from './http.ts';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      if (req.url === '/echo') {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            method: req.method,
            type: req.headers['content-type'],
            length: req.headers['content-length'],
            body,
          }),
        );
      } else if (req.url === '/cut') {
        // Promises 100 bytes, sends 5, hangs up.
        res.writeHead(200, { 'content-length': '100' });
        res.write('hello');
        setTimeout(() => res.socket?.destroy(), 20);
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('httpCall', () => {
  it('sends the method, headers and UTF-8 body, and answers the status and the whole body', async () => {
    const body = JSON.stringify({ text: '你好，欢迎' });
    const res = await httpCall(`${base}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(201);
    expect(JSON.parse(await res.text())).toEqual({
      method: 'POST',
      type: 'application/json',
      length: String(Buffer.byteLength(body)),
      body,
    });
  });

  it('fails when the connection drops before the body ends, and when nothing listens', async () => {
    await expect(httpCall(`${base}/cut`)).rejects.toThrow();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(httpCall(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('stops waiting when its signal aborts', async () => {
    // The server answers after 2 s: without the abort, this call would resolve.
    await expect(httpCall(`${base}/slow`, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('refuses a protocol other than http and https', async () => {
    await expect(httpCall('ftp://example.com/x')).rejects.toThrow(/unsupported protocol ftp:/);
  });
});
