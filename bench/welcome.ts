/**
 * Welcome benchmark: customers scan a channel code at a steady rate in the WeCom simulator; each add is a
 * real encrypted callback to Siyu, which attributes it and sends the channel's welcome through the outbox's
 * welcome lane. Prints p50/p99 from the add (the moment WeCom issued the WelcomeCode) to the welcome
 * accepted by the simulator, and the share sent inside WeCom's 20 s window, after a warm-up at the same rate
 * (--warmup, printed but not counted).
 *
 *   npm run bench:welcome                                                       # PGlite, 50 adds/s for 20 s
 *   DATABASE_URL=$(bash scripts/pg-test-server.sh start) npm run bench:welcome  # PostgreSQL, 150 adds/s for 20 s
 *   npm run bench:welcome -- --rate 300 --seconds 30
 *
 * WeCom (the simulator, its per-minute rate limit lifted) and the customers run in a second process, as the
 * real WeCom runs off Siyu's machine; callbacks and API calls go over loopback HTTP.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createChannel, getChannel } from '../src/modules/channels/service.ts';
import { ctxFor, syncCtxOf } from '../src/modules/context.ts';
import { runFactsJob } from '../src/modules/customers/facts.ts';
import type { Tables } from '../src/modules/tables.ts';
import type { Actor } from '../src/platform/actor.ts';
import { systemClock } from '../src/platform/clock.ts';
import type { Database } from '../src/platform/db/connect.ts';
import { createPii } from '../src/platform/pii.ts';
import { createRuntime } from '../src/runtime.ts';
import { summarize } from './protocol.ts';
import { BRAND, openBenchDatabase, seedSiyuBrand, startSiyu } from './setup.ts';
import type { WelcomeReport } from './welcome-sim.ts';

const HELP = `npm run bench:welcome -- [options]
  --rate N      adds per second (default 150 on PostgreSQL; 50 on PGlite, which runs inside Siyu's process
                and saturates near 100/s)
  --seconds N   how long to add customers, measured (default 20)
  --warmup N    seconds of adds at the same rate before, not counted (default 5; 0 for a cold start)
  --existing N  customers the brand has in Siyu already, with a follow, identities, timeline and handled
                callbacks each (default 50,000; 0 for an empty brand)`;

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    existing: { type: 'string', default: '50000' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const line = (label: string, value: string) => console.log(`  ${label.padEnd(22)} ${value}`);
const ms = (v: number) => `${v.toFixed(0)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/**
 * A brand that runs Siyu has customers already, and the statements of an add are planned for tables of
 * that size: each customer with a follow, their WeCom identity, two timeline entries, a handled callback
 * and their facts, written by set-based SQL, then VACUUM ANALYZE (as autovacuum would have by then; left to
 * autovacuum, it runs during the measured adds and takes a core of this machine).
 */
async function seedExistingCustomers(database: Database<Tables>, n: number, secretKey: string) {
  if (n === 0) return;
  const db = database.db;
  await sql`
    insert into customers (corp_id, external_userid, name, name_pinyin, search_text, first_added_at, updated_at)
    select ${BRAND}, 'wm_old_' || g, '老客' || g, 'laoke', '老客' || g, now() - g * interval '1 minute', now()
    from generate_series(1, ${n}) g`.execute(db);
  await sql`
    insert into follows (corp_id, customer_id, staff_id, journey_role, add_way, added_at, status)
    select c.corp_id, c.id, s.id, 'store_staff', 1, c.first_added_at, 'active'
    from customers c
    join lateral (select id from staff where corp_id = c.corp_id order by id offset c.id % 8 limit 1) s on true
    where c.corp_id = ${BRAND}`.execute(db);
  await sql`
    insert into customer_identities (corp_id, customer_id, kind, value, source, created_at)
    select corp_id, id, 'external_userid', external_userid, 'wecom', first_added_at
    from customers where corp_id = ${BRAND}`.execute(db);
  await sql`
    insert into customer_events (corp_id, customer_id, at, kind, staff_id, summary)
    select f.corp_id, f.customer_id, f.added_at, k, f.staff_id, '添加了导购'
    from follows f cross join unnest(array['follow_added', 'channel_add']) k
    where f.corp_id = ${BRAND}`.execute(db);
  await sql`
    insert into wecom_inbox (corp_id, dedup_key, order_key, event_type, event, received_at, status, attempts,
      next_attempt_at, done_at)
    select ${BRAND}, 'old:' || g, 'customer:wm_old_' || g, 'add_external_contact', '{}', now(), 'done', 1, now(), now()
    from generate_series(1, ${n}) g`.execute(db);
  // A running brand has its customers' facts (stage, RFM) computed: without this, the server's facts job
  // computes them for every customer in its first seconds, while the adds run.
  const ctx = syncCtxOf(createRuntime({ db, clock: systemClock, pii: createPii(secretKey) }).deps, BRAND);
  await runFactsJob(ctx, { driftEveryMs: 86_400_000 });
  await sql`vacuum analyze`.execute(db);
}

/**
 * CPU the PostgreSQL server has used, ms, read from /proc: its live processes, and through the postmaster's
 * children times those that ended (a pool closes idle connections, and their backends' CPU must still
 * count). Null on PGlite (it runs inside Siyu's process) or when the server is not on this machine.
 */
async function postgresCpuMs(database: Awaited<ReturnType<typeof openBenchDatabase>>['database']) {
  if (database.kind !== 'postgres') return null;
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
  // Fields after the command name (which may hold spaces): [1] ppid, [11] utime, [12] stime, [13] cutime,
  // [14] cstime, in clock ticks (USER_HZ, 100 on Linux).
  const stat = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  try {
    // A server on another machine: that pid here, if any, is some other process.
    if (!readFileSync(`/proc/${rows[0]!.pid}/comm`, 'utf8').startsWith('postgres')) return null;
    const postmaster = stat(rows[0]!.pid)[1]!;
    const own = stat(postmaster);
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const f = stat(pid);
        if (f[1] === postmaster) ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // it ended meanwhile: the postmaster's children times have it
      }
    }
    return ticks * 10;
  } catch {
    return null;
  }
}

const bench = await openBenchDatabase();
let failed = false;
try {
  const { database } = bench;
  const rate = Number(args.rate ?? (database.kind === 'pglite' ? 50 : 150));
  const seconds = Number(args.seconds);
  const warmup = Number(args.warmup);
  const existing = Number(args.existing);
  if (
    !(rate > 0 && rate <= 5000) ||
    !(seconds > 0 && seconds <= 600) ||
    !(warmup >= 0 && warmup <= 600) ||
    !(Number.isInteger(existing) && existing >= 0 && existing <= 10_000_000)
  ) {
    throw new Error(
      '--rate must be in (0, 5000], --seconds in (0, 600], --warmup in [0, 600], --existing in [0, 1e7]',
    );
  }
  const secretKey = randomBytes(32).toString('hex');
  // WeCom runs in its own process (bench/welcome-sim.ts), as the real one runs off Siyu's machine.
  const child = spawn(
    process.execPath,
    // `node --cpu-prof --import tsx bench/welcome.ts` profiles WeCom's process too.
    [
      ...process.execArgv.filter((a) => a.startsWith('--cpu-prof')),
      '--import',
      'tsx',
      fileURLToPath(new URL('./welcome-sim.ts', import.meta.url)),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async <T>(message: unknown): Promise<T> => {
    child.stdin.write(`${JSON.stringify(message)}\n`);
    const reply = await replies.next();
    if (reply.done) throw new Error('the simulator process ended early');
    return JSON.parse(reply.value as string) as T;
  };
  // Siyu listens first (the simulator needs its callback URL), then learns the simulator's.
  const { unitId } = await seedSiyuBrand(database, secretKey, 'http://127.0.0.1:1');
  await seedExistingCustomers(database, existing, secretKey);
  const siyu = await startSiyu(database, secretKey);
  const { url: simulatorUrl } = await ask<{ url: string }>({
    callbackUrl: `${siyu.url}/wecom/callback/${BRAND}`,
  });
  await database.db
    .updateTable('wecom_connections')
    .set({ api_base_url: simulatorUrl })
    .where('corp_id', '=', BRAND)
    .execute();
  siyu.runtime.deps.links.invalidate(BRAND);
  await siyu.runtime.start();

  // A pool channel over every staff member, with a welcome that uses the variables and the bait.
  const staff = await database.db
    .selectFrom('staff')
    .select('id')
    .where('corp_id', '=', BRAND)
    .orderBy('id')
    .execute();
  const actor: Actor = {
    corpId: BRAND,
    accountId: 0,
    role: 'hq_admin',
    unitId,
    seesWholeCorp: true,
    unitIds: [unitId],
    staffId: null,
  };
  const ctx = ctxFor(siyu.runtime.deps, actor);
  const created = await createChannel(ctx, {
    name: '压测台卡',
    scene: '收银台',
    method: 'table_card',
    bait: '第二杯半价券',
    unitId,
    assignMode: 'pool',
    poolStrategy: 'round_robin',
    dailyCap: null,
    workingHours: null,
    skipVerify: true,
    remarkTemplate: '',
    welcome: {
      text: '{客户昵称}你好，我是{员工}，送你一张{诱饵}',
      link: { title: '本周新品', url: 'https://example.com/new' },
    },
    staff: staff.map((s) => ({ staffId: s.id, backup: false })),
    tagIds: [],
  });
  siyu.runtime.sender.kick();
  let configId: string | null = null;
  for (let i = 0; i < 100 && !configId; i++) {
    await sleep(100);
    configId = (await getChannel(ctx, created.id)).codes[0]?.configId ?? null;
  }
  if (!configId) throw new Error('the channel code was never created in the simulator');

  const cpu = cpus();
  console.log('Siyu welcome benchmark');
  line('database', bench.label);
  line(
    'machine',
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`,
  );
  line('brand', `${existing.toLocaleString('en')} customers in Siyu before the first add`);
  line('load', `${rate} adds/s for ${seconds} s through one channel code (8 staff taking turns)`);
  // A server that has just started is slower for its first seconds (new connections to PostgreSQL with cold
  // caches, statements not prepared yet, code not optimised): the warm-up runs at the same rate, uncounted.
  if (warmup > 0) {
    const w = await ask<WelcomeReport>({ configId, rate, seconds: warmup });
    const ws = summarize(w.latencies);
    line(
      'warm-up (not counted)',
      `${w.adds} adds in ${w.addSeconds.toFixed(1)} s: p50 ${ms(ws.p50)} · p99 ${ms(ws.p99)} · max ${ms(ws.max)}`,
    );
  }
  const measuredFrom = new Date();
  const pg0 = await postgresCpuMs(database);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const report = await ask<WelcomeReport>({ configId, rate, seconds });
  const siyuCpu = process.cpuUsage(cpu0);
  const pgMs = pg0 === null ? null : ((await postgresCpuMs(database)) ?? pg0) - pg0;
  const wall = Date.now() - t0;
  line(
    'adds',
    `${report.adds} in ${report.addSeconds.toFixed(1)} s (${Math.round(report.adds / report.addSeconds)}/s), ${report.codes} with a WelcomeCode`,
  );
  line('Siyu CPU', `${Math.round(((siyuCpu.user + siyuCpu.system) / 1000 / wall) * 100)} % of a core`);
  // CPU per add says what a machine can carry, whatever else shares it while the benchmark runs.
  const perAdd = (cpuMs: number) => `${(cpuMs / report.adds).toFixed(1)} ms`;
  const siyuMs = (siyuCpu.user + siyuCpu.system) / 1000;
  const totalMs = siyuMs + report.cpuMs + (pgMs ?? 0);
  line(
    'CPU per add',
    `Siyu ${perAdd(siyuMs)} · WeCom ${perAdd(report.cpuMs)} · PostgreSQL ${pgMs === null ? 'n/a' : perAdd(pgMs)} → ${(((totalMs / report.adds) * rate) / 1000).toFixed(2)} cores at ${rate} adds/s`,
  );
  const { latencies } = report;
  const codes = { length: report.codes };
  const s = summarize(latencies);
  const inWindow = latencies.filter((v) => v <= 20_000).length;
  console.log('\nAdd → welcome accepted by WeCom (the simulator):');
  line('welcomes sent', `${latencies.length} of ${codes.length}`);
  line(
    'latency',
    `p50 ${ms(s.p50)} · p90 ${ms(s.p90)} · p99 ${ms(s.p99)} · max ${ms(s.max)} · mean ${ms(s.mean)}`,
  );
  line('within 20 s', `${((100 * inWindow) / Math.max(1, codes.length)).toFixed(2)} % of the adds`);
  const outbox = await database.db
    .selectFrom('wecom_outbox')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('lane', '=', 'welcome')
    .where('created_at', '>=', measuredFrom)
    .groupBy('status')
    .execute();
  line('welcome lane', outbox.map((r) => `${r.status} ${r.n}`).join(', '));
  // Where the time goes: callback received → inbox row handled (welcome enqueued) → welcome sent.
  const stages = await sql<{ inbox_ms: number; outbox_ms: number }>`
    select extract(epoch from (i.done_at - i.received_at)) * 1000 as inbox_ms,
           extract(epoch from (o.done_at - o.created_at)) * 1000 as outbox_ms
    from wecom_inbox i
    join wecom_outbox o on o.corp_id = i.corp_id and o.idem_key = 'welcome:' || (i.event ->> 'welcomeCode')
    where i.event_type = 'add_external_contact' and i.done_at is not null and o.done_at is not null
      and i.received_at >= ${measuredFrom}`.execute(database.db);
  const inboxS = summarize(stages.rows.map((r) => Number(r.inbox_ms)));
  const outboxS = summarize(stages.rows.map((r) => Number(r.outbox_ms)));
  line(
    '  received → handled',
    `p50 ${ms(inboxS.p50)} · p99 ${ms(inboxS.p99)} (inbox: customer read from WeCom, add attributed, welcome enqueued)`,
  );
  line('  enqueued → sent', `p50 ${ms(outboxS.p50)} · p99 ${ms(outboxS.p99)} (outbox welcome lane)`);
  const errors = siyu.handlerErrors();
  if (errors.count) line('worker warnings', `${errors.count}; first: ${errors.first[0]?.slice(0, 300)}`);
  if (latencies.length !== codes.length) failed = true;

  await siyu.app.close();
  // Its stdin ending ends the simulator process (which writes its profile, if asked for one).
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await bench.dispose();
}
process.exit(failed ? 1 : 0);
