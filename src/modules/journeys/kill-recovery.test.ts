import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/connect.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/server.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { SIM_CORP } from '../../testing/linked.ts';
import { adminSession, type Child, killSiyu, simCall, startSiyu, until } from '../../testing/siyu-child.ts';
import { tempDir } from '../../testing/temp-dir.ts';
import type { Tables } from '../tables.ts';

/**
 * `siyu start` killed with SIGKILL twice in the middle of a journey with a wait and two sends, and started
 * again each time: every customer ends the journey, each step done once (its counts say so) and each
 * message reaching WeCom once. The first kill lands while the scheduler is going through the customers'
 * first sends, the second while it goes through the second sends after the wait; sends WeCom took before a
 * kill whose answer never reached Siyu are found in WeCom's list, not sent again. Siyu runs as a child
 * process on the engine under test; WeCom is the simulator in this process, behind a proxy that holds back
 * the add_msg_template call at which the child is killed (never forwarded: WeCom did not get it).
 */
const PASSWORD = 'journey-kill-pw';
const CUSTOMERS = 60;
const ADD_MSG_TEMPLATE = '/cgi-bin/externalcontact/add_msg_template';

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field
type Json = any;

let simulator: RunningSimulator;
let proxy: Server;
let proxyUrl: string;
let database: Database<Tables> | undefined;
let dataDir: string;
let trap: { path: string; reached: () => void } | null = null;

/** A send node's outcome: one message per customer, none twice. */
const sent = (messages: number) => expect.objectContaining({ messages });

const sim = (method: string, path: string, body?: unknown): Promise<Json> =>
  simCall(simulator.url, method, path, body);

/** Forwards WeCom API calls to the simulator; a trapped call is never forwarded nor answered. */
async function relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const path = new URL(req.url!, 'http://x').pathname;
  const caught = trap?.path === path ? trap : null;
  if (caught) {
    trap = null;
    return caught.reached();
  }
  const up = await fetch(`${simulator.url}${req.url}`, {
    method: req.method,
    headers: { 'content-type': 'application/json' },
    ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
  });
  res.writeHead(up.status, { 'content-type': 'application/json' }).end(await up.text());
}

const trapNext = (path: string, what: string, ms = 120_000) =>
  new Promise<void>((reached, fail) => {
    const timer = setTimeout(() => fail(new Error(`timed out waiting for ${what}`)), ms);
    trap = {
      path,
      reached: () => {
        clearTimeout(timer);
        reached();
      },
    };
  });

const start = () =>
  startSiyu({ dataDir, databaseUrl: database?.url, wecomApiUrl: proxyUrl, adminPassword: PASSWORD });

/** Each customer's messages in WeCom, by the text's first word (A or B). */
async function received(): Promise<Map<string, string[]>> {
  const list = (await sim('GET', '/mass-sends')).mass_sends as { text?: { content: string } }[];
  const out = new Map<string, string[]>();
  for (const m of list) {
    const [step, name] = (m.text?.content ?? '').split(' ');
    out.set(name!, [...(out.get(name!) ?? []), step!]);
  }
  return out;
}

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, push: { timeoutMs: 2000, retryDelaysMs: [50, 100, 200] } });
  proxy = createServer((req, res) => void relay(req, res));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  await fetch(`${simulator.url}/sim/corps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(SIM_CORP),
  });
  await sim('POST', '/departments', { id: 2, name: '上海一店', parentid: 1 });
  await sim('POST', '/members', { userid: 'sh1a', name: '张丽', department: [2], position: '导购' });
  // The brand's customers, there before Siyu: its first full sync brings them.
  for (let i = 0; i < CUSTOMERS; i++) {
    const ext = (await sim('POST', '/customers', { name: `c${i}` })).external_userid as string;
    await sim('POST', '/scenarios/member-adds-customer', { userid: 'sh1a', external_userid: ext });
  }
  dataDir = join(tempDir('journey-kill'), 'data');
  if (process.env.DATABASE_URL) database = await openTestDatabase();
}, 180_000);

afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await simulator?.close();
  await database?.close();
});

describe('Siyu killed with SIGKILL in the middle of a journey', () => {
  it('resumes every enrolment where it was: no step twice, none lost, each message once', async () => {
    let child: Child = await start();
    try {
      let api = await adminSession(child, PASSWORD);
      await until(
        'the first full sync',
        async () => (await api('GET', '/wecom/status')).sync?.status === 'done',
        60_000,
      );
      const hq = ((await api('GET', '/org/units')).items as { id: number; parentId: number | null }[]).find(
        (u) => u.parentId === null,
      )!;
      // Two messages a minute apart: the budget allows them, at any hour.
      await api('PUT', `/outreach/budgets/${hq.id}`, {
        maxTouches: 10,
        windowHours: 1,
        quiet: { start: '00:00', end: '00:00' },
      });
      const segment = await api('POST', '/segments', {
        name: '全部新客',
        rule: { field: 'stage', cmp: 'in', value: ['new'] },
      });
      const journey = await api('POST', '/journeys', {
        name: '两步',
        graph: {
          trigger: { kind: 'broadcast', audience: { segmentId: segment.id }, at: new Date().toISOString() },
          start: 'a',
          nodes: [
            { id: 'a', kind: 'send', text: 'A {{name}}', next: 'wait' },
            { id: 'wait', kind: 'wait', wait: { minutes: 1 }, next: 'b' },
            { id: 'b', kind: 'send', text: 'B {{name}}' },
          ],
        },
      });
      // 1. Killed while the scheduler goes through the first sends (at the first one WeCom would get).
      const first = trapNext(ADD_MSG_TEMPLATE, 'the first sends');
      await api('POST', `/journeys/${journey.id}/status`, { status: 'active' });
      await first;
      await killSiyu(child, 'SIGKILL');
      child = await start();
      api = await adminSession(child, PASSWORD);
      await until(
        'every first message in WeCom',
        async () => [...(await received()).values()].filter((s) => s.includes('A')).length === CUSTOMERS,
        60_000,
      );
      // 2. Killed again in the second sends, after the wait.
      const second = trapNext(ADD_MSG_TEMPLATE, 'the second sends');
      await second;
      await killSiyu(child, 'SIGKILL');
      child = await start();
      api = await adminSession(child, PASSWORD);
      const done = await until(
        'every enrolment to end',
        async () => {
          const j = await api('GET', `/journeys/${journey.id}`);
          return j.versions[0].done === CUSTOMERS && j;
        },
        90_000,
      );
      expect(done.versions[0]).toMatchObject({ active: 0, done: CUSTOMERS, exited: 0 });
      // each node's step done once per customer: a step done twice would count twice
      expect(done.counts).toEqual([
        { node: 'a', entered: CUSTOMERS, waiting: 0, done: CUSTOMERS, exited: 0, outcome: sent(CUSTOMERS) },
        { node: 'wait', entered: CUSTOMERS, waiting: 0, done: CUSTOMERS, exited: 0, outcome: null },
        { node: 'b', entered: CUSTOMERS, waiting: 0, done: CUSTOMERS, exited: 0, outcome: sent(CUSTOMERS) },
      ]);
      await until(
        'every second message in WeCom',
        async () => [...(await received()).values()].filter((s) => s.includes('B')).length === CUSTOMERS,
        30_000,
      );
      const messages = await received();
      const status = await api('GET', '/wecom/status');
      expect(status.outbox).toEqual({ done: 2 * CUSTOMERS });
      expect(messages.size).toBe(CUSTOMERS);
      for (const [name, steps] of messages) expect(steps.sort(), name).toEqual(['A', 'B']);
    } finally {
      await killSiyu(child, 'SIGTERM');
    }
  }, 300_000);
});
