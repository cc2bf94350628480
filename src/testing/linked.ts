import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { Tables } from '../modules/tables.ts';
import type { Database } from '../platform/db/connect.ts';
import { saveConnection } from '../platform/wecom-links.ts';
import { createServer } from '../server.ts';
import type { Clock } from '../simulator/clock.ts';
import { type RunningSimulator, startSimulator } from '../simulator/server.ts';
import { openTestDatabase } from './db.ts';
import { type Fixture, pii, seedFixture, TEST_KEY } from './fixture.ts';

// biome-ignore lint/suspicious/noExplicitAny: control-API answers are read field by field in tests
type Json = any;

export const SIM_CORP = {
  corpid: 'wwacme0000000001',
  name: '测试品牌',
  secret: 'sim-secret',
  token: 'SimToken123',
  encoding_aes_key: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  agentid: 1000002,
};

export interface Linked {
  database: Database<Tables>;
  fx: Fixture;
  app: Awaited<ReturnType<typeof createServer>>;
  siyuUrl: string;
  simulator: RunningSimulator;
  /** A control-API call to the simulator that must succeed. */
  sim(method: string, path: string, body?: unknown): Promise<Json>;
  /** Same, for the corp: path relative to /sim/corps/:corpid. */
  corp(method: string, path: string, body?: unknown): Promise<Json>;
  /** Waits until the simulator has delivered everything and Siyu's inbox is empty of due work. */
  settle(): Promise<void>;
  /**
   * Settles, then moves the clock to each pending inbox/outbox row and event delivery (a group read lags
   * 2 s, a retry waits) until none is pending.
   */
  settleDue(clock: { now(): Date; shiftBy(ms: number): void }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Siyu (the fixture brand `acme`, a real server on a loopback port, its workers running) linked to a real
 * simulator: the simulator's corp has the fixture's org as departments and its staff as members, and pushes
 * its callbacks to Siyu's callback URL.
 */
export async function openLinked(
  opts: {
    callbacks?: boolean;
    withMembers?: boolean;
    simClock?: Clock;
    /** Siyu's clock and, unless simClock is given, the simulator's (a ShiftableClock moves both). */
    clock?: Clock;
  } = {},
): Promise<Linked> {
  const database = await openTestDatabase();
  const fx = await seedFixture(database.db);
  const simulator = await startSimulator({
    port: 0,
    clock: opts.simClock ?? opts.clock,
    push: { timeoutMs: 10_000, retryDelaysMs: [50, 100, 200] },
  });
  const app = await createServer({ database, secretKey: TEST_KEY, logger: false, clock: opts.clock });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const siyuUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await app.runtime.start();

  const sim = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${simulator.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  const corp = (method: string, path: string, body?: unknown) =>
    sim(method, `/sim/corps/${SIM_CORP.corpid}${path}`, body);

  await sim('POST', '/sim/corps', {
    ...SIM_CORP,
    ...(opts.callbacks === false ? {} : { callback_url: `${siyuUrl}/wecom/callback/acme` }),
  });
  if (opts.withMembers !== false) {
    await corp('POST', '/departments', { id: 2, name: '华东大区', parentid: 1 });
    await corp('POST', '/departments', { id: 3, name: '上海一店', parentid: 2 });
    await corp('POST', '/departments', { id: 4, name: '广州一店', parentid: 1 });
    for (const [userid, name, department] of [
      ['ops1', '运营小禾', [1]],
      ['sh1a', '张丽', [3]],
      ['sh1b', '陈静', [3]],
      ['gz1a', '黄敏', [4]],
    ] as const) {
      await corp('POST', '/members', { userid, name, department, position: '导购' });
    }
  }
  await saveConnection(database.db, pii, 'acme', {
    wecomCorpId: SIM_CORP.corpid,
    agentId: String(SIM_CORP.agentid),
    apiBaseUrl: simulator.url,
    secret: SIM_CORP.secret,
    callbackToken: SIM_CORP.token,
    encodingAesKey: SIM_CORP.encoding_aes_key,
    simulated: true,
  });

  const settle = async () => {
    await simulator.sim.idle();
    await app.runtime.drain();
  };
  return {
    database,
    fx,
    app,
    siyuUrl,
    simulator,
    sim,
    corp,
    settle,
    async settleDue(clock) {
      await settle();
      for (let round = 0; round < 10; round++) {
        const { rows } = await sql<{ at: Date | null }>`
          select min(next_attempt_at) as at from (
            select next_attempt_at from wecom_inbox where status = 'pending'
            union all select next_attempt_at from domain_event_deliveries where status = 'pending'
            union all select next_attempt_at from wecom_outbox where status = 'pending') p`.execute(
          database.db,
        );
        const at = rows[0]?.at;
        if (!at) return;
        clock.shiftBy(Math.max(0, new Date(at).getTime() - clock.now().getTime()) + 1);
        await settle();
      }
    },
    async close() {
      await app.close();
      await simulator.close();
      await database.close();
    },
  };
}
