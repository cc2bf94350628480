import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aesKey, decrypt, signature } from '../wecom/crypto.ts';
import { ManualClock } from './clock.ts';
import { type RunningSimulator, type SimulatorServerOptions, startSimulator } from './server.ts';

/** Test helpers: a simulator on 127.0.0.1:0 with a manual clock, small HTTP clients, a callback receiver. */

export const CORP = {
  corpid: 'wwsim00000000001',
  name: '禾木茶饮',
  secret: 'test-secret-1',
  token: 'SimToken123',
  encoding_aes_key: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  agentid: 1000002,
};

// biome-ignore lint/suspicious/noExplicitAny: responses in tests are free-form JSON, read field by field
export type Json = any;

/** A small HTTP client of a simulator: its control API and its WeCom API (with a token of CORP). */
export interface SimClient {
  url: string;
  /** POST (body given) or GET to a WeCom API path with a fresh token when `token` is omitted. */
  api(path: string, body?: unknown, query?: Record<string, string>): Promise<Json>;
  token(): Promise<string>;
  control(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  /** control() that must succeed (2xx). */
  ok(method: string, path: string, body?: unknown): Promise<Json>;
}

export interface TestSim extends RunningSimulator, SimClient {
  clock: ManualClock;
  /** Waits for every queued callback delivery. */
  idle(): Promise<void>;
}

export async function startTestSim(opts: SimulatorServerOptions = {}): Promise<TestSim> {
  const clock = new ManualClock('2026-03-10T02:00:00Z');
  const running = await startSimulator({
    port: 0,
    clock,
    push: { timeoutMs: 1000, retryDelaysMs: [10, 10, 10] },
    ...opts,
  });
  return {
    ...running,
    ...simClient(running.url),
    clock: (opts.clock as ManualClock | undefined) ?? clock,
    idle: () => running.sim.idle(),
  };
}

export function simClient(url: string): SimClient {
  let cachedToken: string | null = null;
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const client: SimClient = {
    url,
    control,
    async ok(method, path, body) {
      const res = await control(method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async token() {
      if (!cachedToken) {
        const res = await fetch(`${url}/cgi-bin/gettoken?corpid=${CORP.corpid}&corpsecret=${CORP.secret}`);
        cachedToken = ((await res.json()) as { access_token: string }).access_token;
      }
      return cachedToken;
    },
    async api(path, body, query = {}) {
      const call = async () => {
        const params = new URLSearchParams({
          access_token: query.access_token ?? (await client.token()),
          ...query,
        });
        const res = await fetch(`${url}${path}?${params}`, {
          method: body === undefined ? 'GET' : 'POST',
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        return (await res.json()) as Json;
      };
      const first = await call();
      // Like a real client: refetch the token once on 40014/42001.
      if (query.access_token === undefined && (first.errcode === 40014 || first.errcode === 42001)) {
        cachedToken = null;
        return call();
      }
      return first;
    },
  };
  return client;
}

/** A corp with departments 2 (华东) and members zhangsan, lisi (dept 2) and wangwu (dept 1). */
export async function seedCorp(sim: SimClient, extra: Record<string, unknown> = {}): Promise<void> {
  await sim.ok('POST', '/sim/corps', { ...CORP, ...extra });
  await sim.ok('POST', `/sim/corps/${CORP.corpid}/departments`, { id: 2, name: '华东大区', parentid: 1 });
  for (const [userid, name, department] of [
    ['zhangsan', '张三', [2]],
    ['lisi', '李四', [2]],
    ['wangwu', '王五', [1]],
  ] as const) {
    await sim.ok('POST', `/sim/corps/${CORP.corpid}/members`, { userid, name, department, position: '导购' });
  }
}

export const corpPath = (path = '') => `/sim/corps/${CORP.corpid}${path}`;

export async function newCustomer(sim: SimClient, name = '王小美'): Promise<string> {
  return (await sim.ok('POST', corpPath('/customers'), { name, gender: 2 })).external_userid;
}

/** A contact way made through the API; returns its config_id. */
export async function newContactWay(sim: SimClient, body: Record<string, unknown> = {}): Promise<string> {
  const res = await sim.api('/cgi-bin/externalcontact/add_contact_way', {
    type: 2,
    scene: 2,
    state: 'store-001',
    user: ['zhangsan', 'lisi'],
    ...body,
  });
  if (res.errcode !== 0) throw new Error(JSON.stringify(res));
  return res.config_id;
}

export interface ReceivedCallback {
  query: URLSearchParams;
  body: string;
  encrypt: string;
  signatureOk: boolean;
  /** The decrypted inner XML. */
  xml: string;
  at: number;
}

/**
 * A callback receiver that checks the signature and decrypts with src/wecom/crypto.ts. `respond` decides each
 * answer: a status code, or 'hang' to never answer.
 */
export class Receiver {
  readonly received: ReceivedCallback[] = [];
  respond: (n: number) => number | 'hang' = () => 200;
  private server: Server | null = null;
  private readonly hanging = new Set<IncomingMessage>();
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const query = new URL(req.url ?? '/', 'http://x').searchParams;
        const encrypt = /<Encrypt><!\[CDATA\[(.*?)\]\]><\/Encrypt>/.exec(body)?.[1] ?? '';
        const signatureOk =
          signature(CORP.token, query.get('timestamp') ?? '', query.get('nonce') ?? '', encrypt) ===
          query.get('msg_signature');
        let xml = '';
        try {
          xml = decrypt(aesKey(CORP.encoding_aes_key), encrypt, CORP.corpid);
        } catch {
          xml = '';
        }
        this.received.push({ query, body, encrypt, signatureOk, xml, at: Date.now() });
        const answer = this.respond(this.received.length);
        if (answer === 'hang') {
          this.hanging.add(req);
          return;
        }
        res.writeHead(answer).end(answer === 200 ? '' : 'error');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/wecom/callback/${CORP.corpid}`;
    return this;
  }

  async close(): Promise<void> {
    for (const req of this.hanging) req.socket.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** The value of a field in the inner XML (CDATA or bare). */
export function xmlField(xml: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>(?:<!\\[CDATA\\[(.*?)\\]\\]>|([^<]*))</${name}>`).exec(xml);
  return match ? (match[1] ?? match[2]) : undefined;
}
