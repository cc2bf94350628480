/**
 * The bench's world, set up directly (setup is not what is measured): a scratch database, the brand `bench`
 * with a root unit and a few staff, an in-process WeCom simulator whose corp has those staff as members and
 * N customers already following them (created silently: no callback URL, no event pushed), the connection
 * saved in Siyu, and Siyu's HTTP server on loopback.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import type { Tables } from '../src/modules/tables.ts';
import { systemClock } from '../src/platform/clock.ts';
import { loadConfig } from '../src/platform/config.ts';
import type { Database } from '../src/platform/db/connect.ts';
import { createPii } from '../src/platform/pii.ts';
import { saveConnection } from '../src/platform/wecom-links.ts';
import { createRuntime, inboxConcurrencyFor } from '../src/runtime.ts';
import { createServer, openSiyuDatabase } from '../src/server.ts';
import { createCustomer, insertFollow } from '../src/simulator/contacts.ts';
import { createCorp } from '../src/simulator/corps.ts';
import { createMember } from '../src/simulator/directory.ts';
import { startSimulator } from '../src/simulator/server.ts';
import type { Simulator } from '../src/simulator/state.ts';

export const BRAND = 'bench';
export const CORP = {
  corpid: 'wwbench000000001',
  name: '压测品牌',
  secret: 'bench-secret',
  token: 'BenchToken123',
  encoding_aes_key: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  agentid: 1000002,
};
/** Members of the corp = staff of the brand; customers are spread over them. */
export const STAFF = 8;
/** Lifted for the bench: real WeCom allows 10,000 calls a minute per API, see the note printed. */
const UNLIMITED_PER_MINUTE = 1_000_000_000;

export interface BenchDatabase {
  database: Database<Tables>;
  /** e.g. "PostgreSQL 16.4 (scratch database siyu_bench_… on 127.0.0.1:54329)". */
  label: string;
  dispose(): Promise<void>;
}

/** DATABASE_URL → a scratch database on that server, dropped afterwards; else PGlite in a temp folder. */
export async function openBenchDatabase(): Promise<BenchDatabase> {
  const config = loadConfig();
  if (config.DATABASE_URL) {
    const name = `siyu_bench_${randomBytes(4).toString('hex')}`;
    await adminQuery(config.DATABASE_URL, `create database ${name}`);
    const url = new URL(config.DATABASE_URL);
    url.pathname = `/${name}`;
    const database = await openSiyuDatabase({ ...config, DATABASE_URL: url.toString() });
    const { rows } = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(
      database.db,
    );
    return {
      database,
      label: `PostgreSQL ${rows[0]?.v} (scratch database ${name} on ${url.host}, pools of 10 unbound + 10 brand-bound)`,
      async dispose() {
        await database.close();
        // SIYU_BENCH_KEEP=1 keeps the generated brand for EXPLAIN ANALYZE on it (dropped by hand afterwards)
        if (process.env.SIYU_BENCH_KEEP === '1') {
          console.log(`kept the scratch database ${name}`);
          return;
        }
        // Not `with (force)`: a pool connection still closing would get killed and error out unhandled.
        for (let attempt = 1; ; attempt++) {
          try {
            await adminQuery(config.DATABASE_URL!, `drop database if exists ${name}`);
            return;
          } catch (err) {
            if ((err as { code?: string }).code !== '55006' || attempt === 50) throw err;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'siyu-bench-'));
  const database = await openSiyuDatabase({ ...config, DATABASE_URL: undefined, dataDir: join(dir, 'data') });
  return {
    database,
    label: `PGlite, embedded (fresh data folder in ${dir})`,
    async dispose() {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** The bench's members (= Siyu's staff). */
export const STAFF_USERIDS = Array.from(
  { length: STAFF },
  (_, i) => `bench${String(i + 1).padStart(2, '0')}`,
);

/** Siyu's side of the bench brand: the brand, a root unit, the staff, and the connection to `apiBaseUrl`. */
export async function seedSiyuBrand(database: Database<Tables>, secretKey: string, apiBaseUrl: string) {
  const db = database.db;
  await db
    .insertInto('corps')
    .values({ corp_id: BRAND, name: CORP.name, wecom_corp_id: CORP.corpid, business_type: null })
    .execute();
  const { id: unitId } = await db
    .insertInto('org_units')
    .values({
      corp_id: BRAND,
      kind: 'hq',
      name: '总部',
      code: 'hq',
      parent_id: null,
      wecom_dept_id: 1,
      path: '',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .updateTable('org_units')
    .set({ path: `/${unitId}/` })
    .where('corp_id', '=', BRAND)
    .execute();
  for (const [i, userid] of STAFF_USERIDS.entries()) {
    await db
      .insertInto('staff')
      .values({
        corp_id: BRAND,
        userid,
        name: `导购${i + 1}号`,
        unit_id: unitId,
        persona: 'sales',
        persona_name: null,
        journey_role: 'store_staff',
        title: '导购',
        mobile_masked: null,
      })
      .execute();
  }
  await saveConnection(db, createPii(secretKey), BRAND, {
    wecomCorpId: CORP.corpid,
    agentId: String(CORP.agentid),
    apiBaseUrl,
    secret: CORP.secret,
    callbackToken: CORP.token,
    encodingAesKey: CORP.encoding_aes_key,
    simulated: true,
  });
  return { unitId };
}

/** WeCom's side: the corp (rate limit lifted) and its members, in a simulator. */
export function seedSimulatorCorp(sim: Simulator, callbackUrl: string | null) {
  const corp = createCorp(sim, {
    ...CORP,
    callback_url: callbackUrl,
    limits: { rate_per_minute: UNLIMITED_PER_MINUTE },
  });
  for (const [i, userid] of STAFF_USERIDS.entries()) {
    createMember(sim, corp, { userid, name: `导购${i + 1}号`, department: [1], position: '导购' });
  }
  return corp;
}

/** The brand, its staff and the connection in Siyu; the corp, members, customers and follows in WeCom. */
export async function seedWorld(database: Database<Tables>, secretKey: string, customers: number) {
  const simulator = await startSimulator({ port: 0, seed: 1 });
  const sim = simulator.sim;
  const corp = seedSimulatorCorp(sim, null);
  await seedSiyuBrand(database, secretKey, simulator.url);

  // One follow per customer, so that each event's effect is exactly one follow (and the customer row).
  const pairs: [string, string][] = [];
  for (let i = 0; i < customers; i++) {
    const userid = STAFF_USERIDS[i % STAFF_USERIDS.length]!;
    const customer = createCustomer(sim, corp, { name: `压测客户${i}`, gender: (i % 3) as 0 | 1 | 2 });
    insertFollow(corp, {
      userid,
      external_userid: customer.external_userid,
      remark: '',
      description: '',
      createtime: sim.nowS(),
      tag_ids: [],
      remark_corp_name: '',
      remark_mobiles: [],
      oper_userid: userid,
      add_way: 1,
      state: 'bench',
    });
    pairs.push([userid, customer.external_userid]);
  }
  return { simulator, pairs };
}

/** Siyu as `siyu start` builds it (without request logging), its WeCom client's rate limit lifted. */
export async function startSiyu(database: Database<Tables>, secretKey: string) {
  const handlerErrors: string[] = [];
  let handlerErrorCount = 0;
  // Warnings of the workers (a failed inbox event) are counted; the first few are kept to be printed.
  const logger = pino(
    { level: 'warn' },
    {
      write(line: string) {
        handlerErrorCount++;
        if (handlerErrors.length < 3) handlerErrors.push(line.trim());
      },
    },
  ) as unknown as FastifyBaseLogger;
  const deps = { db: database.db, clock: systemClock, pii: createPii(secretKey) };
  const runtime = createRuntime(deps, {
    logger,
    clientOptions: { rateLimitPerMinute: UNLIMITED_PER_MINUTE },
    inboxConcurrency: inboxConcurrencyFor(database.kind),
  });
  const app = await createServer({ database, secretKey, logger: false, runtime });
  // Siyu's own view of each callback: Fastify's request received → reply sent, in ms.
  const serverTimes: number[] = [];
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === '/wecom/callback/:corp') serverTimes.push(reply.elapsedTime);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    runtime,
    url,
    serverTimes,
    handlerErrors: () => ({ count: handlerErrorCount, first: handlerErrors }),
  };
}
