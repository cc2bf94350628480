import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allowPrivateFetch, FetchRefused, fetchPublic, isFetchable } from './public-fetch.ts';

let server: Server;
let port: number;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/a.png') res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(100, 1));
    else if (req.url === '/big') {
      // no Content-Length: the limit must hold on the bytes themselves
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.write(Buffer.alloc(3000, 2));
      res.end(Buffer.alloc(3000, 2));
    } else if (req.url === '/elsewhere')
      res.writeHead(302, { location: `http://127.0.0.2:${port}/a.png` }).end();
    else if (req.url === '/home') res.writeHead(302, { location: '/a.png' }).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => allowPrivateFetch([]));

const opts = { maxBytes: 5000, timeoutMs: 5000 };

describe('isFetchable', () => {
  it('refuses loopback, private, link-local, CGNAT, multicast and mapped addresses; takes public ones', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ])
      expect(isFetchable(a), a).toBe(false);
    for (const a of ['8.8.8.8', '101.226.4.6', '2606:4700::1111', '::ffff:8.8.8.8'])
      expect(isFetchable(a), a).toBe(true);
    expect(isFetchable('localhost')).toBe(false);
  });
});

describe('fetchPublic', () => {
  it('refuses a private address, given as an address or by a name that resolves to one', async () => {
    await expect(fetchPublic(`http://127.0.0.1:${port}/a.png`, opts)).rejects.toThrow(/not a public address/);
    await expect(fetchPublic(`http://localhost:${port}/a.png`, opts)).rejects.toThrow(/not a public address/);
    await expect(fetchPublic(`http://[::ffff:7f00:1]:${port}/a.png`, opts)).rejects.toThrow(
      /not a public address/,
    );
    await expect(fetchPublic('file:///etc/passwd', opts)).rejects.toThrow(/not fetched/);
  });

  it('fetches from what the operator allowed, and follows a redirect only to an allowed address', async () => {
    allowPrivateFetch(['127.0.0.1']);
    const got = await fetchPublic(`http://127.0.0.1:${port}/a.png`, opts);
    expect(got.contentType).toBe('image/png');
    expect(got.data.byteLength).toBe(100);
    expect((await fetchPublic(`http://127.0.0.1:${port}/home`, opts)).data.byteLength).toBe(100);
    await expect(fetchPublic(`http://127.0.0.1:${port}/elsewhere`, opts)).rejects.toThrow(
      /127\.0\.0\.2 is not a public address/,
    );
    allowPrivateFetch(['loopback']);
    expect((await fetchPublic(`http://localhost:${port}/a.png`, opts)).data.byteLength).toBe(100);
  });

  it('stops reading past the byte limit even without a Content-Length, and says why a fetch failed', async () => {
    allowPrivateFetch(['loopback']);
    await expect(fetchPublic(`http://127.0.0.1:${port}/big`, opts)).rejects.toThrow(/more than 5000 bytes/);
    const missing = await fetchPublic(`http://127.0.0.1:${port}/none`, opts).catch((e: FetchRefused) => e);
    expect(missing).toBeInstanceOf(FetchRefused);
    expect((missing as FetchRefused).message).toBe('answered HTTP 404');
    expect((missing as FetchRefused).retryable).toBe(false);
  });
});
