import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannel, getChannel } from './modules/channels/service.ts';
import { ctxFor } from './modules/context.ts';
import { actorOf, TEST_KEY } from './testing/fixture.ts';
import { type Linked, openLinked } from './testing/linked.ts';
import { tempDir } from './testing/temp-dir.ts';

/**
 * Several processes on one PostgreSQL server: this process serves HTTP only (WeCom's callbacks land in the
 * inbox here) and two `siyu start --role worker` processes share the work. Every add is handled once, every
 * welcome sent once, every domain event delivered once, though both workers take part.
 */
const BIN = resolve(import.meta.dirname, '../bin/siyu.js');
const url = process.env.DATABASE_URL;
const ADDS = 40;

interface Worker {
  child: ChildProcess;
  out: () => string;
}

function startWorker(databaseUrl: string): Promise<Worker> {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [BIN, 'start', '--role', 'worker'], {
    env: {
      ...env,
      DATABASE_URL: databaseUrl,
      SIYU_SECRET_KEY: TEST_KEY,
      SIYU_DATA_DIR: `${tempDir('worker')}/data`,
      SIYU_LOG_LEVEL: 'warn',
    },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((done, fail) => {
    const timer = setInterval(() => {
      if (/Siyu worker \d+ is running/.test(out)) {
        clearInterval(timer);
        done({ child, out: () => out });
      }
    }, 50);
    child.on('exit', (code) => {
      clearInterval(timer);
      fail(new Error(`the worker exited with ${code}: ${out}`));
    });
  });
}

function stopWorker(w: Worker): Promise<string> {
  return new Promise((done) => {
    w.child.on('exit', () => done(w.out()));
    w.child.kill('SIGTERM');
  });
}

async function until<T>(what: string, fn: () => Promise<T | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(url)('two worker processes on one PostgreSQL server', () => {
  let t: Linked;
  let workers: Worker[] = [];
  beforeAll(async () => {
    t = await openLinked();
    await t.app.runtime.stop(); // this process is the web role from here on
    const databaseUrl = t.database.url!;
    workers = await Promise.all([startWorker(databaseUrl), startWorker(databaseUrl)]);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => (w.child.exitCode === null ? stopWorker(w) : undefined)));
    await t?.close();
  });

  it('handles every add once and sends every welcome once', async () => {
    const admin = ctxFor(t.app.runtime.deps, actorOf('hq_admin', Object.values(t.fx.units)));
    const created = await createChannel(admin, {
      name: '多进程台卡',
      scene: '收银台',
      method: 'table_card',
      bait: '第二杯半价券',
      unitId: t.fx.units.sh1,
      assignMode: 'pool',
      poolStrategy: 'round_robin',
      dailyCap: null,
      workingHours: null,
      skipVerify: true,
      remarkTemplate: '',
      welcome: { text: '{客户昵称}你好，送你{诱饵}' },
      staff: [
        { staffId: t.fx.staff.sh1a, backup: false },
        { staffId: t.fx.staff.sh1b, backup: false },
      ],
      tagIds: [],
    });
    // a worker creates the «联系我» in WeCom (the outbox) and keeps its config_id
    const configId = await until('the code in WeCom', async () => {
      const code = (await getChannel(admin, created.id)).codes[0];
      return code?.configId ?? false;
    });

    const customers: string[] = [];
    for (let i = 0; i < ADDS; i++) {
      const ext = (await t.corp('POST', '/customers', { name: `并发${i}` })).external_userid as string;
      customers.push(ext);
      await t.corp('POST', '/scenarios/scan-contact-way', { config_id: configId, external_userid: ext });
    }
    await t.simulator.sim.idle();

    const pending = async () =>
      Number(
        (
          await sql<{ n: number }>`
            select (select count(*) from wecom_inbox where status <> 'done')
              + (select count(*) from domain_event_deliveries where status <> 'done')
              + (select count(*) from wecom_outbox where status = 'pending') as n`.execute(t.database.db)
        ).rows[0]!.n,
      );
    await until('the workers to finish', async () => (await pending()) === 0 || false);

    const adds = await t.database.db
      .selectFrom('wecom_inbox')
      .select(['attempts', 'status'])
      .where('event_type', '=', 'add_external_contact')
      .execute();
    expect(adds).toHaveLength(ADDS);
    expect(adds.every((r) => r.status === 'done' && r.attempts === 1)).toBe(true);
    const attributed = await t.database.db
      .selectFrom('channel_adds')
      .select('customer_id')
      .where('channel_id', '=', created.id)
      .execute();
    expect(new Set(attributed.map((a) => a.customer_id)).size).toBe(ADDS);
    expect(attributed).toHaveLength(ADDS);
    const welcomes = await t.database.db
      .selectFrom('wecom_outbox')
      .select(['status', 'attempts'])
      .where('kind', '=', '/cgi-bin/externalcontact/send_welcome_msg')
      .execute();
    expect(welcomes).toHaveLength(ADDS);
    expect(welcomes.every((w) => w.status === 'done' && w.attempts === 1)).toBe(true);
    for (const ext of customers) {
      const sent = (await t.corp('GET', `/customers/${ext}/welcomes`)).welcomes as unknown[];
      expect(sent, ext).toHaveLength(1);
    }
    const deliveries = await t.database.db
      .selectFrom('domain_event_deliveries')
      .select(['attempts'])
      .execute();
    expect(deliveries.length).toBeGreaterThanOrEqual(ADDS * 2);
    expect(deliveries.every((d) => d.attempts === 1)).toBe(true);

    // both took part: each stops with what it handled
    const outs = await Promise.all(workers.map(stopWorker));
    const handled = outs.map((out) => {
      const m = /handled: inbox (\d+), events (\d+), outbox (\d+)/.exec(out);
      expect(m, out).not.toBeNull();
      return { inbox: Number(m![1]), events: Number(m![2]), outbox: Number(m![3]) };
    });
    expect(handled[0]!.inbox + handled[1]!.inbox).toBeGreaterThanOrEqual(ADDS);
    expect(handled.every((h) => h.inbox + h.events + h.outbox > 0)).toBe(true);
  });
});
