import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tables } from './modules/tables.ts';
import type { Database } from './platform/db/connect.ts';
import { type RunningSimulator, startSimulator } from './simulator/server.ts';
import { openTestDatabase } from './testing/db.ts';
import { SIM_CORP } from './testing/linked.ts';
import {
  adminSession,
  type Child,
  killSiyu as kill,
  simCall,
  startSiyu as startChild,
  until,
} from './testing/siyu-child.ts';
import { tempDir } from './testing/temp-dir.ts';

/**
 * Siyu killed with SIGKILL in the middle of an add, then started again: the add's welcome still reaches the
 * customer inside WeCom's 20 s window, because a dead process's leases lapse within seconds (lease.ts)
 * rather than after a minute; and a welcome WeCom accepted just before the kill ends `unknown`, not
 * `expired`. Siyu runs as a child process (`siyu start`, on the engine under test), WeCom is the simulator
 * in this process, behind a proxy that holds back the WeCom call at which the child is killed.
 */
const PASSWORD = 'kill-recovery-pw';
const WINDOW_MS = 20_000;

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field
type Json = any;

let simulator: RunningSimulator;
let proxy: Server;
let proxyUrl: string;
let database: Database<Tables> | undefined;
let dataDir: string;
/** What the proxy does with the next WeCom call to `path`: nothing special, or answer never. */
let trap: { path: string; forward: boolean; reached: () => void } | null = null;

const sim = (method: string, path: string, body?: unknown): Promise<Json> =>
  simCall(simulator.url, method, path, body);

/** Forwards WeCom API calls to the simulator; a trapped call is forwarded or not, and never answered. */
async function relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const path = new URL(req.url!, 'http://x').pathname;
  const caught = trap?.path === path ? trap : null;
  if (caught) trap = null;
  if (caught && !caught.forward) return caught.reached();
  const up = await fetch(`${simulator.url}${req.url}`, {
    method: req.method,
    headers: { 'content-type': 'application/json' },
    ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
  });
  const text = await up.text();
  if (caught) return caught.reached(); // WeCom has done it; the answer never leaves
  res.writeHead(up.status, { 'content-type': 'application/json' }).end(text);
}

function trapNext(path: string, forward: boolean): Promise<void> {
  return new Promise((reached) => {
    trap = { path, forward, reached };
  });
}

const startSiyu = () =>
  startChild({ dataDir, databaseUrl: database?.url, wecomApiUrl: proxyUrl, adminPassword: PASSWORD });
const session = (child: Child) => adminSession(child, PASSWORD);

async function scan(configId: string, name: string) {
  const ext = (await sim('POST', '/customers', { name })).external_userid as string;
  const at = Date.now();
  await sim('POST', '/scenarios/scan-contact-way', { config_id: configId, external_userid: ext });
  return { ext, at };
}

const welcomesOf = async (ext: string) =>
  (await sim('GET', `/customers/${ext}/welcomes`)).welcomes as { at: number }[];

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
  for (const userid of ['sh1a', 'sh1b'])
    await sim('POST', '/members', { userid, name: userid, department: [2], position: '导购' });
  dataDir = join(tempDir('kill-recovery'), 'data');
  // On a PostgreSQL server Siyu gets a fresh database of its own; on PGlite, a data folder.
  if (process.env.DATABASE_URL) database = await openTestDatabase();
});

afterAll(async () => {
  proxy?.closeAllConnections();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  await simulator?.close();
  await database?.close();
});

describe('Siyu killed with SIGKILL in the middle of an add', () => {
  it('sends the welcome inside the window after a restart, and calls a welcome WeCom took before the kill unknown', async () => {
    let child = await startSiyu();
    try {
      await sim('PATCH', '', { callback_url: `${child.url}/wecom/callback/acme` });
      let api = await session(child);
      await until(
        'the first full sync',
        async () => (await api('GET', '/wecom/status')).sync?.status === 'done',
        60_000,
      );
      const unit = ((await api('GET', '/org/units')).items as { id: number; name: string }[]).find(
        (u) => u.name === '上海一店',
      )!;
      const staff = ((await api('GET', '/staff')).items as { id: number; userid: string }[]).find(
        (s) => s.userid === 'sh1a',
      )!;
      const channel = await api('POST', '/channels', {
        name: '收银台台卡',
        scene: '收银台',
        method: 'table_card',
        bait: '第二杯半价券',
        unitId: unit.id,
        assignMode: 'single',
        welcome: { text: '{客户昵称}你好，送你{诱饵}' },
        staff: [{ staffId: staff.id }],
      });
      const configId = await until(
        'the code in WeCom',
        async () => (await api('GET', `/channels/${channel.id}`)).codes[0]?.configId ?? false,
        30_000,
      );

      // 1. Killed while handling the add (waiting on externalcontact/get): the inbox row is its.
      const reading = trapNext('/cgi-bin/externalcontact/get', false);
      const first = await scan(configId, '林小满');
      await reading;
      await kill(child, 'SIGKILL');
      child = await startSiyu();
      const welcomed = await until(
        'the welcome',
        async () => (await welcomesOf(first.ext))[0] ?? false,
        WINDOW_MS,
      );
      expect(welcomed.at * 1000 - first.at).toBeLessThan(WINDOW_MS);

      // 2. Killed after WeCom accepted the welcome, before Siyu heard so: the outcome is unknown.
      await sim('PATCH', '', { callback_url: `${child.url}/wecom/callback/acme` });
      const sending = trapNext('/cgi-bin/externalcontact/send_welcome_msg', true);
      const second = await scan(configId, '周末');
      await sending;
      await kill(child, 'SIGKILL');
      expect(await welcomesOf(second.ext)).toHaveLength(1);
      child = await startSiyu();
      api = await session(child);
      const outbox = await until(
        'the welcome row to end',
        async () => {
          const counts = (await api('GET', '/wecom/status')).outbox as Record<string, number>;
          return (counts.pending ?? 0) === 0 && counts;
        },
        40_000,
      );
      expect(outbox).toMatchObject({ unknown: 1 });
      expect(outbox.expired ?? 0).toBe(0);
      expect(await welcomesOf(second.ext)).toHaveLength(1);
    } finally {
      await kill(child, 'SIGTERM');
    }
  }, 240_000);
});
