import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allCustomersOf, allGroupChats, WecomClient, type WecomClientOptions } from './client.ts';
import { WecomApiError, WecomNetworkError } from './errors.ts';

/**
 * A throwaway WeCom double on 127.0.0.1: gettoken issues TOKEN-1, TOKEN-2…; other paths answer from a
 * per-path script (a queue of replies), then with a default success.
 */
const SECRET = 'S3CRET-do-not-leak-0123456789';

type Reply =
  | { json: Record<string, unknown> }
  | { hang: true }
  | { status: number; text: string }
  | ((req: Seen) => Record<string, unknown>);

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

let server: Server;
let baseUrl: string;
let tokensIssued = 0;
let seen: Seen[] = [];
const scripts = new Map<string, Reply[]>();
const hanging = new Set<ServerResponse>();

function script(path: string, ...replies: Reply[]): void {
  scripts.set(path, [...(scripts.get(path) ?? []), ...replies]);
}

function calls(path: string): Seen[] {
  return seen.filter((s) => s.path === path);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const s: Seen = {
    method: req.method ?? '',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    body: raw ? JSON.parse(raw) : undefined,
  };
  seen.push(s);
  const send = (json: Record<string, unknown>) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(json));
  };
  const queued = scripts.get(s.path)?.shift();
  if (queued === undefined && s.path === '/cgi-bin/gettoken') {
    if (s.query.corpsecret !== SECRET) return send({ errcode: 40001, errmsg: 'invalid credential' });
    tokensIssued++;
    return send({ errcode: 0, errmsg: 'ok', access_token: `TOKEN-${tokensIssued}`, expires_in: 7200 });
  }
  if (queued === undefined) return send({ errcode: 0, errmsg: 'ok', echo: s.body ?? s.query });
  if (typeof queued === 'function') return send(queued(s));
  if ('hang' in queued) {
    hanging.add(res);
    return;
  }
  if ('status' in queued) {
    res.writeHead(queued.status);
    res.end(queued.text);
    return;
  }
  send(queued.json);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  tokensIssued = 0;
  seen = [];
  scripts.clear();
});

/** A client whose sleeps are recorded (and advance a fake clock) instead of waited. */
function makeClient(opts: Partial<WecomClientOptions> = {}) {
  const delays: number[] = [];
  let clock = 1_700_000_000_000;
  const client = new WecomClient({
    baseUrl,
    corpId: 'wwcorp',
    secret: SECRET,
    now: () => clock,
    sleep: async (ms) => {
      delays.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    ...opts,
  });
  return {
    client,
    delays,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

const FOLLOW = '/cgi-bin/externalcontact/get_follow_user_list';

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

function expectNoSecrets(err: unknown): void {
  const texts = [String(err), (err as Error).stack ?? '', JSON.stringify(err), inspect(err, { depth: 5 })];
  for (const t of texts) {
    expect(t).not.toContain(SECRET);
    expect(t).not.toMatch(/TOKEN-\d/);
  }
}

describe('WecomClient: token', () => {
  it('fetches a token once, caches it, and sends it in the query string', async () => {
    const { client } = makeClient();
    script(FOLLOW, { json: { errcode: 0, errmsg: 'ok', follow_user: ['zhangsan', 'lisi'] } });
    expect(await client.getFollowUserList()).toMatchObject({ follow_user: ['zhangsan', 'lisi'] });
    await client.getFollowUserList();
    expect(calls('/cgi-bin/gettoken')).toHaveLength(1);
    expect(calls('/cgi-bin/gettoken')[0]?.query).toEqual({ corpid: 'wwcorp', corpsecret: SECRET });
    expect(calls(FOLLOW).map((c) => c.query.access_token)).toEqual(['TOKEN-1', 'TOKEN-1']);
  });

  it('refetches when the cached token is about to expire', async () => {
    const { client, advance } = makeClient();
    await client.getFollowUserList();
    advance((7200 - 301) * 1000);
    await client.getFollowUserList();
    expect(calls('/cgi-bin/gettoken')).toHaveLength(1);
    advance(2000);
    await client.getFollowUserList();
    expect(calls('/cgi-bin/gettoken')).toHaveLength(2);
    expect(calls(FOLLOW).at(-1)?.query.access_token).toBe('TOKEN-2');
  });

  it.each([42001, 40014, 41001])(
    'on %i drops the token, refetches exactly once and retries once',
    async (code) => {
      const { client, delays } = makeClient();
      script(FOLLOW, { json: { errcode: code, errmsg: 'access_token expired' } });
      expect(await client.getFollowUserList()).toMatchObject({ errcode: 0 });
      expect(calls('/cgi-bin/gettoken')).toHaveLength(2);
      expect(calls(FOLLOW).map((c) => c.query.access_token)).toEqual(['TOKEN-1', 'TOKEN-2']);
      expect(delays).toEqual([]);
    },
  );

  it('gives up after one refetch if the new token is refused too', async () => {
    const { client } = makeClient();
    script(
      FOLLOW,
      { json: { errcode: 42001, errmsg: 'expired' } },
      { json: { errcode: 42001, errmsg: 'expired' } },
    );
    const err = await caught(client.getFollowUserList());
    expect(err).toBeInstanceOf(WecomApiError);
    expect(err).toMatchObject({ errcode: 42001, tokenInvalid: true, retryable: false });
    expect(calls('/cgi-bin/gettoken')).toHaveLength(2);
    expect(calls(FOLLOW)).toHaveLength(2);
  });

  it('concurrent calls share one gettoken', async () => {
    const { client } = makeClient();
    await Promise.all(Array.from({ length: 8 }, () => client.getFollowUserList()));
    expect(calls('/cgi-bin/gettoken')).toHaveLength(1);
    expect(calls(FOLLOW)).toHaveLength(8);
  });

  it('a wrong secret fails at once without leaking it', async () => {
    const { client, delays } = makeClient({ secret: 'wrong-secret-value' });
    const err = await caught(client.getFollowUserList());
    expect(err).toMatchObject({ errcode: 40001, api: '/cgi-bin/gettoken', retryable: false });
    expect(String(err)).not.toContain('wrong-secret-value');
    expect(delays).toEqual([]);
    expect(calls(FOLLOW)).toHaveLength(0);
  });
});

describe('WecomClient: retries and errors', () => {
  it('retries 45009 with exponential backoff and jitter, then succeeds', async () => {
    const { client, delays } = makeClient();
    script(
      FOLLOW,
      { json: { errcode: 45009, errmsg: 'api freq out of limit, hint: [1651125626252370061579454]' } },
      { json: { errcode: 45009, errmsg: 'api freq out of limit' } },
      { json: { errcode: 0, errmsg: 'ok', follow_user: ['a'] } },
    );
    expect(await client.getFollowUserList()).toMatchObject({ follow_user: ['a'] });
    expect(calls(FOLLOW)).toHaveLength(3);
    // base 500 ms · 2ⁿ, jitter in [d/2, d] (random fixed at 0.5 → ¾ d).
    expect(delays).toEqual([375, 750]);
  });

  it('-1 on every attempt: throws a retryable WecomApiError after maxRetries', async () => {
    const { client, delays } = makeClient();
    const busy = { json: { errcode: -1, errmsg: 'system busy' } };
    script(FOLLOW, busy, busy, busy, busy);
    const err = await caught(client.getFollowUserList());
    expect(err).toBeInstanceOf(WecomApiError);
    expect(err).not.toBeInstanceOf(WecomNetworkError);
    expect(err).toMatchObject({ errcode: -1, retryable: true, api: FOLLOW });
    expect(calls(FOLLOW)).toHaveLength(4);
    expect(delays).toHaveLength(3);
  });

  it('45033 and 41096 are retried too', async () => {
    const { client } = makeClient();
    script('/cgi-bin/externalcontact/send_welcome_msg', { json: { errcode: 41096, errmsg: 'busy' } });
    script('/cgi-bin/externalcontact/remark', {
      json: { errcode: 45033, errmsg: 'api concurrent out of limit' },
    });
    await client.sendWelcomeMsg({ welcome_code: 'WC', text: { content: 'hi' } });
    await client.remark({ userid: 'u', external_userid: 'wm', remark: 'vip' });
    expect(calls('/cgi-bin/externalcontact/send_welcome_msg')).toHaveLength(2);
    expect(calls('/cgi-bin/externalcontact/remark')).toHaveLength(2);
  });

  it('a non-retryable errcode (60011) throws at once, without leaking the secret or token', async () => {
    const { client, delays } = makeClient();
    script('/cgi-bin/externalcontact/get', (s) => ({
      errcode: 60011,
      errmsg: `no privilege to access/modify contact/party/agent, hint: [x], access_token=${s.query.access_token} corpsecret=${SECRET}`,
    }));
    const err = await caught(client.getExternalContact('wmX'));
    expect(err).toBeInstanceOf(WecomApiError);
    expect(err).toMatchObject({
      errcode: 60011,
      retryable: false,
      tokenInvalid: false,
      api: '/cgi-bin/externalcontact/get',
    });
    expect((err as Error).message).toContain('60011');
    expect((err as Error).message).toContain('/cgi-bin/externalcontact/get');
    expect(calls('/cgi-bin/externalcontact/get')).toHaveLength(1);
    expect(delays).toEqual([]);
    expectNoSecrets(err);
  });

  it('a hanging response times out as a WecomNetworkError, retried, then thrown', async () => {
    const { client, delays } = makeClient({ timeoutMs: 100, maxRetries: 1 });
    script(FOLLOW, { hang: true }, { hang: true });
    const err = await caught(client.getFollowUserList());
    expect(err).toBeInstanceOf(WecomNetworkError);
    expect(err).toBeInstanceOf(WecomApiError);
    expect(err).toMatchObject({ kind: 'timeout', retryable: true, api: FOLLOW });
    expect(calls(FOLLOW)).toHaveLength(2);
    expect(delays).toHaveLength(1);
    expectNoSecrets(err);
  });

  it('a refused connection is a retryable WecomNetworkError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { client, delays } = makeClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2 });
    const err = await caught(client.getFollowUserList());
    expect(err).toBeInstanceOf(WecomNetworkError);
    expect(err).toMatchObject({ kind: 'network', retryable: true, api: '/cgi-bin/gettoken' });
    expect(delays).toHaveLength(2);
    expectNoSecrets(err);
  });

  it('HTTP 5xx is retried; a non-JSON body is a bad_response', async () => {
    const { client } = makeClient();
    script(FOLLOW, { status: 502, text: 'bad gateway' });
    await client.getFollowUserList();
    expect(calls(FOLLOW)).toHaveLength(2);
    const { client: c2 } = makeClient({ maxRetries: 0 });
    script(FOLLOW, { status: 200, text: '<html>proxy</html>' });
    expect(await caught(c2.getFollowUserList())).toMatchObject({ kind: 'bad_response' });
    script(FOLLOW, { status: 404, text: 'nope' });
    expect(await caught(c2.getFollowUserList())).toMatchObject({
      kind: 'http_status',
      status: 404,
      retryable: false,
    });
  });

  it('never shows the secret or token when the client itself is logged', async () => {
    const { client } = makeClient();
    await client.getFollowUserList();
    expect(inspect(client, { depth: 5 })).not.toContain(SECRET);
    expect(inspect(client, { depth: 5 })).not.toContain('TOKEN-1');
    expect(JSON.stringify(client)).not.toContain(SECRET);
  });
});

describe('WecomClient: rate limiter', () => {
  it('with 3 calls a minute the 4th waits (per API path), without really waiting', async () => {
    const { client, delays } = makeClient({ rateLimitPerMinute: 3 });
    for (let i = 0; i < 3; i++) await client.getFollowUserList();
    expect(delays).toEqual([]);
    await client.getFollowUserList();
    expect(delays).toEqual([20_000]);
    // Another API has its own bucket.
    await client.listExternalContacts('zhangsan');
    expect(delays).toEqual([20_000]);
    expect(calls(FOLLOW)).toHaveLength(4);
  });

  it('concurrent callers queue behind each other', async () => {
    // Here the clock stands still while they wait: each caller reserves the next free slot.
    const waits: number[] = [];
    const { client } = makeClient({ rateLimitPerMinute: 2, sleep: async (ms) => void waits.push(ms) });
    await Promise.all(Array.from({ length: 4 }, () => client.getFollowUserList()));
    expect(calls(FOLLOW)).toHaveLength(4);
    expect(waits.sort((a, b) => a - b)).toEqual([30_000, 60_000]);
  });
});

describe('WecomClient: typed methods', () => {
  it('GETs with query parameters and POSTs JSON bodies to the documented paths', async () => {
    const { client } = makeClient();
    await client.getUser('zhangsan');
    await client.listDepartments(2);
    await client.listDepartments();
    await client.getExternalContact('wmA', 'CURSOR');
    await client.addContactWay({ type: 1, scene: 2, state: 'store:42', user: ['zhangsan'] });
    await client.getGroupChat('wr1', true);
    await client.transferGroupChats({ chat_id_list: ['wr1'], new_owner: 'lisi' });
    await client.onjobTransferGroupChats({ chat_id_list: ['wr1'], new_owner: 'lisi' });
    await client.resignedTransferCustomer({
      handover_userid: 'a',
      takeover_userid: 'b',
      external_userid: ['wm1'],
    });
    await client.listUserIds(undefined, 100);
    const got = seen
      .filter((s) => s.path !== '/cgi-bin/gettoken')
      .map((s) => [s.method, s.path, s.query, s.body]);
    const t = { access_token: 'TOKEN-1' };
    expect(got).toEqual([
      ['GET', '/cgi-bin/user/get', { ...t, userid: 'zhangsan' }, undefined],
      ['GET', '/cgi-bin/department/list', { ...t, id: '2' }, undefined],
      ['GET', '/cgi-bin/department/list', t, undefined],
      ['GET', '/cgi-bin/externalcontact/get', { ...t, external_userid: 'wmA', cursor: 'CURSOR' }, undefined],
      [
        'POST',
        '/cgi-bin/externalcontact/add_contact_way',
        t,
        { type: 1, scene: 2, state: 'store:42', user: ['zhangsan'] },
      ],
      ['POST', '/cgi-bin/externalcontact/groupchat/get', t, { chat_id: 'wr1', need_name: 1 }],
      [
        'POST',
        '/cgi-bin/externalcontact/groupchat/transfer',
        t,
        { chat_id_list: ['wr1'], new_owner: 'lisi' },
      ],
      [
        'POST',
        '/cgi-bin/externalcontact/groupchat/onjob_transfer',
        t,
        { chat_id_list: ['wr1'], new_owner: 'lisi' },
      ],
      [
        'POST',
        '/cgi-bin/externalcontact/resigned/transfer_customer',
        t,
        { handover_userid: 'a', takeover_userid: 'b', external_userid: ['wm1'] },
      ],
      ['POST', '/cgi-bin/user/list_id', t, { limit: 100 }],
    ]);
  });

  it('checks documented limits before any request, naming the field', async () => {
    const { client } = makeClient();
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => client.addContactWay({ type: 1, scene: 2, user: ['u'], state: 'x'.repeat(31) }), /^state /],
      [() => client.addContactWay({ type: 1, scene: 2, user: ['u', 'v'] }), /^user /],
      [
        () => client.batchGetByUser({ userid_list: Array.from({ length: 101 }, (_, i) => `u${i}`) }),
        /^userid_list /,
      ],
      [() => client.batchGetByUser({ userid_list: ['u'], limit: 101 }), /^limit /],
      [() => client.remark({ userid: 'u', external_userid: 'wm', remark: '一'.repeat(21) }), /^remark /],
      [
        () => client.remark({ userid: 'u', external_userid: 'wm', description: 'd'.repeat(151) }),
        /^description /,
      ],
      [
        () => client.sendWelcomeMsg({ welcome_code: 'w', text: { content: '中'.repeat(1334) } }),
        /^text\.content /,
      ],
      [
        () =>
          client.sendWelcomeMsg({
            welcome_code: 'w',
            attachments: Array.from({ length: 10 }, () => ({
              msgtype: 'image' as const,
              image: { media_id: 'm' },
            })),
          }),
        /^attachments /,
      ],
      [
        () =>
          client.addMsgTemplate({
            external_userid: Array.from({ length: 10_001 }, (_, i) => `wm${i}`),
            text: { content: 'x' },
          }),
        /^external_userid /,
      ],
      [
        () =>
          client.addMsgTemplate({
            chat_type: 'group',
            sender: 's',
            chat_id_list: Array.from({ length: 2001 }, (_, i) => `wr${i}`),
            text: { content: 'x' },
          }),
        /^chat_id_list /,
      ],
      [() => client.addMsgTemplate({ chat_type: 'group', text: { content: 'x' } }), /^sender /],
      [() => client.addCorpTag({ group_name: 'g', tag: [{ name: 't'.repeat(31) }] }), /^tag\[0\]\.name /],
      [() => client.listGroupChats({ limit: 1001 }), /^limit /],
      [
        () =>
          client.listGroupChats({
            limit: 10,
            owner_filter: { userid_list: Array.from({ length: 101 }, (_, i) => `u${i}`) },
          }),
        /^owner_filter\.userid_list /,
      ],
      [() => client.addJoinWay({ scene: 2, chat_id_list: ['1', '2', '3', '4', '5', '6'] }), /^chat_id_list /],
      [() => client.addJoinWay({ scene: 2, chat_id_list: ['wr1'], state: 's'.repeat(31) }), /^state /],
      [
        () =>
          client.transferCustomer({
            handover_userid: 'a',
            takeover_userid: 'b',
            external_userid: Array.from({ length: 101 }, (_, i) => `wm${i}`),
          }),
        /^external_userid /,
      ],
      [() => client.transferGroupChats({ chat_id_list: [], new_owner: 'b' }), /^chat_id_list /],
      [() => client.listUserIds(undefined, 10_001), /^limit /],
    ];
    for (const [call, field] of cases) {
      const err = await caught(call());
      expect(err).toBeInstanceOf(RangeError);
      expect((err as Error).message).toMatch(field);
    }
    expect(seen).toEqual([]);
    // The bounds themselves are allowed.
    await client.addContactWay({ type: 1, scene: 2, user: ['u'], state: 'x'.repeat(30) });
    await client.remark({ userid: 'u', external_userid: 'wm', remark: '一'.repeat(20) });
    await client.sendWelcomeMsg({ welcome_code: 'w', text: { content: '中'.repeat(1333) } });
    expect(calls('/cgi-bin/externalcontact/send_welcome_msg')).toHaveLength(1);
  });
});

describe('paged reads', () => {
  it('allGroupChats follows next_cursor to the end', async () => {
    const { client } = makeClient();
    const LIST = '/cgi-bin/externalcontact/groupchat/list';
    script(
      LIST,
      { json: { errcode: 0, group_chat_list: [{ chat_id: 'wr1', status: 0 }], next_cursor: 'c1' } },
      { json: { errcode: 0, group_chat_list: [{ chat_id: 'wr2', status: 0 }], next_cursor: 'c2' } },
      { json: { errcode: 0, group_chat_list: [{ chat_id: 'wr3', status: 1 }], next_cursor: '' } },
    );
    const ids: string[] = [];
    for await (const g of allGroupChats(client, { status_filter: 0 })) ids.push(g.chat_id);
    expect(ids).toEqual(['wr1', 'wr2', 'wr3']);
    expect(calls(LIST).map((c) => c.body)).toEqual([
      { status_filter: 0, limit: 1000 },
      { status_filter: 0, limit: 1000, cursor: 'c1' },
      { status_filter: 0, limit: 1000, cursor: 'c2' },
    ]);
  });

  it('allCustomersOf asks 100 userids at a time and pages each batch', async () => {
    const { client } = makeClient();
    const BATCH = '/cgi-bin/externalcontact/batch/get_by_user';
    const row = (id: string, userid: string) => ({
      external_contact: { external_userid: id, name: id, type: 1, gender: 0 },
      follow_info: { userid, createtime: 1 },
    });
    script(
      BATCH,
      { json: { errcode: 0, external_contact_list: [row('wm1', 'u0')], next_cursor: 'k1' } },
      { json: { errcode: 0, external_contact_list: [row('wm2', 'u99')] } },
      { json: { errcode: 0, external_contact_list: [row('wm3', 'u100')], next_cursor: '' } },
    );
    const userids = Array.from({ length: 150 }, (_, i) => `u${i}`);
    const rows: string[] = [];
    for await (const r of allCustomersOf(client, userids)) rows.push(r.external_contact.external_userid);
    expect(rows).toEqual(['wm1', 'wm2', 'wm3']);
    const bodies = calls(BATCH).map(
      (c) => c.body as { userid_list: string[]; cursor?: string; limit: number },
    );
    expect(bodies.map((b) => [b.userid_list.length, b.userid_list[0], b.cursor, b.limit])).toEqual([
      [100, 'u0', undefined, 100],
      [100, 'u0', 'k1', 100],
      [50, 'u100', undefined, 100],
    ]);
  });
});
