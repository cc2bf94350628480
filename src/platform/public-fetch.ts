import { type LookupAddress, lookup } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';

/**
 * Fetching a URL a user typed (a library item's image or file) without letting them reach what only the
 * server can: the host must resolve to a public address, checked on the address actually connected to (a
 * name that resolves to a public address for a check and a private one for the connection gains nothing),
 * again on every redirect; the body is read up to a byte limit, whatever Content-Length says. Private,
 * loopback, link-local, carrier-grade NAT, multicast and reserved ranges are refused unless an operator
 * allows them (SIYU_FETCH_PRIVATE: an intranet file server; the tests' local server).
 */

const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  ['::', 127],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NON_PUBLIC.addSubnet(net, bits, 'ipv6');

let allowed = new BlockList();

const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * Ranges an operator lets Siyu fetch from although they are not public: addresses, CIDR ranges, or loopback,
 * linklocal, uniquelocal (SIYU_FETCH_PRIVATE, validated by the config like SIYU_TRUSTED_PROXIES).
 */
export function allowPrivateFetch(specs: readonly string[]): void {
  const list = new BlockList();
  for (const spec of specs.flatMap((s) => NAMED[s] ?? [s])) {
    const [address = '', bits] = spec.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  allowed = list;
}

/** Whether Siyu may connect to this address to fetch a user's URL. */
export function isFetchable(address: string): boolean {
  const family = isIP(address);
  if (!family) return false;
  // BlockList matches an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against the IPv4 ranges
  const f = family === 4 ? 'ipv4' : 'ipv6';
  return allowed.check(address, f) || !NON_PUBLIC.check(address, f);
}

export class FetchRefused extends Error {
  override readonly name = 'FetchRefused';
  constructor(
    message: string,
    /** Worth trying again later (a timeout, a 5xx, 429). */
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** DNS lookup that answers only fetchable addresses: used for every connection, redirects included. */
function guardedLookup(
  hostname: string,
  options: object,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => !isFetchable(a.address));
    if (bad || list.length === 0) {
      return callback(
        Object.assign(new FetchRefused(`${hostname} is not a public address`), { code: 'ENOTPUBLIC' }),
        '',
      );
    }
    if ((options as { all?: boolean }).all) return callback(null, list);
    callback(null, list[0]!.address, list[0]!.family);
  });
}

const MAX_REDIRECTS = 3;

/** GETs a user-given http(s) URL from a public address, at most `maxBytes` of body, within `timeoutMs`. */
export async function fetchPublic(
  url: string,
  opts: { maxBytes: number; timeoutMs: number },
): Promise<{ data: Uint8Array; contentType: string }> {
  let current = new URL(url);
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:')
      throw new FetchRefused(`${current.protocol} URLs are not fetched`);
    if (current.username || current.password) throw new FetchRefused('URLs with credentials are not fetched');
    const literal = current.hostname.replace(/^\[|\]$/g, '');
    if (isIP(literal) && !isFetchable(literal)) throw new FetchRefused(`${literal} is not a public address`);
    const res = await get(current, opts.timeoutMs, deadline);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (hop >= MAX_REDIRECTS) throw new FetchRefused(`more than ${MAX_REDIRECTS} redirects`);
      current = new URL(res.headers.location, current);
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      throw new FetchRefused(`answered HTTP ${status}`, status >= 500 || status === 429);
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > opts.maxBytes) {
      res.destroy();
      throw new FetchRefused(`is ${declared} bytes, more than ${opts.maxBytes}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > opts.maxBytes) {
        res.destroy();
        throw new FetchRefused(`is more than ${opts.maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
    return {
      data: new Uint8Array(Buffer.concat(chunks)),
      contentType: String(res.headers['content-type'] ?? 'application/octet-stream'),
    };
  }
}

function get(url: URL, timeoutMs: number, signal: AbortSignal): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', lookup: guardedLookup, signal }, resolve);
    req.on('error', (err) =>
      reject(
        err instanceof FetchRefused
          ? err
          : new FetchRefused(signal.aborted ? `no answer within ${timeoutMs} ms` : err.message, true),
      ),
    );
    req.end();
  });
}
