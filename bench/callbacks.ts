/**
 * Callback benchmark: how many signed + encrypted WeCom add_external_contact callbacks Siyu acknowledges per
 * second, with what ack latency, how fast the dispatcher then turns them into customers (each one a round
 * trip to WeCom's externalcontact/get, here the in-process simulator), and whether every event's effect
 * exists exactly once. The events are fired from a second process (bench/fire.ts) over loopback; 5 % of them
 * are sent twice to exercise the inbox dedup; the first sends (up to 500) warm the server up and are left
 * out of the figures.
 *
 *   npm run bench:callbacks                                                       # PGlite, 5,000 events
 *   DATABASE_URL=$(bash scripts/pg-test-server.sh start) npm run bench:callbacks  # PostgreSQL, 20,000 events
 *   npm run bench:callbacks -- --rate 3000 --skip-processing      # paced: latency at 3,000 events/s offered
 *   npm run bench:callbacks -- --workers 1   # PostgreSQL: this process is `--role web`, a worker process handles
 *
 * Without --rate the firer keeps --concurrency requests in flight (throughput; latency is then mostly
 * queueing). PostgreSQL runs in a scratch database created (and dropped) on DATABASE_URL's server; PGlite in
 * a fresh temp folder. Exits non-zero when the exactly-once check finds a discrepancy.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { Tables } from '../src/modules/tables.ts';
import type { Database } from '../src/platform/db/connect.ts';
import { type FireJob, type FireReport, type LatencySummary, summarize } from './protocol.ts';
import { BRAND, CORP, openBenchDatabase, STAFF, seedWorld, startSiyu } from './setup.ts';
import { verifyExactlyOnce } from './verify.ts';

const HELP = `npm run bench:callbacks -- [options]
  --events N          events to fire (default 20000 on PostgreSQL, 5000 on PGlite)
  --concurrency N     requests in flight at most (default 64)
  --rate N            paced run: N requests started per second (default: as fast as the concurrency allows)
  --duplicates F      share of events sent twice (default 0.05)
  --skip-processing   measure only the acks: the dispatcher does not run, effects are not checked
  --workers N         PostgreSQL only: Siyu here serves HTTP only (--role web) and N \`siyu start --role worker\`
                      processes handle the events (default 0: one process does both, --role all)`;

const { values: args } = parseArgs({
  options: {
    events: { type: 'string' },
    concurrency: { type: 'string', default: '64' },
    rate: { type: 'string', default: '0' },
    duplicates: { type: 'string', default: '0.05' },
    'skip-processing': { type: 'boolean', default: false },
    workers: { type: 'string', default: '0' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const count = (name: string, v: string | undefined, min: number, max: number) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be in [${min}, ${max}]`);
  return n;
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const line = (label: string, value: string) => console.log(`  ${label.padEnd(22)} ${value}`);
const ms = (v: number) => `${v.toFixed(1)} ms`;
const int = (v: number) => Math.round(v).toLocaleString('en-US');
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const bench = await openBenchDatabase();
let failed = false;
try {
  const { database } = bench;
  const pglite = database.kind === 'pglite';
  const opts = {
    events: Math.floor(count('events', args.events ?? (pglite ? '5000' : '20000'), 1, 1_000_000)),
    concurrency: Math.floor(count('concurrency', args.concurrency, 1, 4096)),
    rate: count('rate', args.rate, 0, 1_000_000),
    duplicates: count('duplicates', args.duplicates, 0, 1),
    process: !args['skip-processing'],
    workers: Math.floor(count('workers', args.workers, 0, 16)),
  };
  if (opts.workers && pglite) throw new Error('--workers needs a PostgreSQL server (DATABASE_URL)');
  const cpu = cpus();
  console.log('Siyu callback benchmark');
  line('database', bench.label);
  line(
    'machine',
    `${cpu.length} cores (${cpu[0]?.model.trim()}), ${int(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`,
  );
  line(
    'options',
    `--events ${opts.events} --concurrency ${opts.concurrency} ${opts.rate ? `--rate ${opts.rate}` : '(closed loop)'}` +
      ` --duplicates ${opts.duplicates}${opts.process ? '' : ' --skip-processing'}` +
      (opts.workers ? ` --workers ${opts.workers} (this process: --role web)` : ''),
  );

  const secretKey = randomBytes(32).toString('hex');
  const setupStart = performance.now();
  const { simulator, pairs } = await seedWorld(database, secretKey, opts.events);
  const siyu = await startSiyu(database, secretKey);
  const workers =
    opts.process && opts.workers
      ? await Promise.all(Array.from({ length: opts.workers }, () => startWorker(database.url!, secretKey)))
      : [];
  if (opts.process && !opts.workers) await siyu.runtime.start();
  line(
    'setup',
    `${int(opts.events)} customers following ${STAFF} staff in the simulator (${ms(performance.now() - setupStart)})`,
  );

  try {
    const warmup = Math.min(500, Math.floor(opts.events / 10));
    console.log(`\nFiring (a second process plays WeCom; the first ${warmup} sends warm up, not measured):`);
    // Siyu's side of the measured phase: CPU, event loop delay, Fastify's time per callback.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    let cpu0 = process.cpuUsage();
    const report = await fire(
      {
        url: `${siyu.url}/wecom/callback/${BRAND}`,
        corpid: CORP.corpid,
        token: CORP.token,
        encodingAesKey: CORP.encoding_aes_key,
        pairs,
        concurrency: opts.concurrency,
        rate: opts.rate,
        duplicateShare: opts.duplicates,
        warmup,
        timeoutMs: 5000,
        maxRetries: 3,
      },
      () => {
        cpu0 = process.cpuUsage();
        siyu.serverTimes.length = 0;
        loopDelay.enable();
      },
    );
    const firingEnd = new Date();
    const siyuCpu = process.cpuUsage(cpu0);
    loopDelay.disable();
    printAcks(report, {
      cpuMs: (siyuCpu.user + siyuCpu.system) / 1000,
      server: summarize(siyu.serverTimes),
      loopDelay: {
        p50: loopDelay.percentile(50) / 1e6,
        p99: loopDelay.percentile(99) / 1e6,
        max: loopDelay.max / 1e6,
      },
      closedLoopOf: opts.rate ? null : opts.concurrency,
    });
    if (opts.process) await drain(database, firingEnd, siyu.handlerErrors);

    const issues = await verifyExactlyOnce(database.db, BRAND, pairs, { processed: opts.process });
    if (report.unacked.length)
      issues.unshift(`${report.unacked.length} events never acknowledged (after retries)`);
    console.log(`\nExactly-once${opts.process ? '' : ' (inbox only: --skip-processing)'}:`);
    if (issues.length === 0) console.log('  exactly-once: OK');
    for (const issue of issues) console.log(`  ✗ ${issue}`);
    failed = issues.length > 0;
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode === null ? w.on('exit', r) : r(null)))),
    );
    await siyu.app.close();
    await simulator.close();
  }
} finally {
  await bench.dispose();
}
process.exit(failed ? 1 : 0);

/** `siyu start --role worker` on the bench's database; resolves once it runs. */
function startWorker(databaseUrl: string, secretKey: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('../bin/siyu.js', import.meta.url)), 'start', '--role', 'worker'],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, SIYU_SECRET_KEY: secretKey, SIYU_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      if (/Siyu worker \d+ is running/.test(text)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`a worker exited with ${code}`)));
  });
}

/** Runs bench/fire.ts in a second process; `onMeasuring` when its warm-up is over. */
function fire(job: FireJob, onMeasuring: () => void): Promise<FireReport> {
  const script = fileURLToPath(new URL('./fire.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let report: FireReport | undefined;
  createInterface({ input: child.stdout }).on('line', (text) => {
    const message = JSON.parse(text) as FireReport | { measuring: true };
    if ('measuring' in message) onMeasuring();
    else report = message;
  });
  child.stdin.end(JSON.stringify(job));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || !report) return reject(new Error(`bench/fire.ts exited with ${code}`));
      resolve(report);
    });
  });
}

interface SiyuSide {
  cpuMs: number;
  server: LatencySummary;
  loopDelay: { p50: number; p99: number; max: number };
  closedLoopOf: number | null;
}

function printAcks(r: FireReport, siyu: SiyuSide) {
  const m = r.measured;
  const s = m.durationMs / 1000;
  const fullSeconds = m.ackedPerSecond.slice(0, -1).sort((a, b) => a - b);
  const failures = Object.entries(r.failures);
  console.log('\nAcks (send → empty 200, i.e. verified, decrypted, parsed and written to wecom_inbox):');
  line('events fired', `${int(r.events)} + ${int(r.duplicates)} duplicates (re-sent)`);
  line('requests', `${int(r.sent)} sent, ${int(r.acked)} acked (200), ${int(r.retries)} retries`);
  line('errors', failures.length ? failures.map(([k, n]) => `${k}: ${n}`).join(', ') : 'none');
  line('measured phase', `${int(m.acked)} acks in ${s.toFixed(2)} s (after ${r.warmup} warm-up sends)`);
  line('sustained', `${int(m.acked / s)} events/s acked`);
  if (fullSeconds.length >= 2) {
    const median = fullSeconds[Math.floor(fullSeconds.length / 2)]!;
    line(
      'per second',
      `min ${int(fullSeconds[0]!)}, median ${int(median)}, max ${int(fullSeconds.at(-1)!)} (${fullSeconds.length} full seconds)`,
    );
  }
  const cpu = (cpuMs: number) =>
    `${Math.round((cpuMs / m.durationMs) * 100)} % of a core (${((cpuMs / m.acked) * 1000).toFixed(0)} µs/request)`;
  line('CPU', `Siyu process ${cpu(siyu.cpuMs)}, firer ${cpu(m.cpuMs)}`);
  const quantiles = (l: LatencySummary) =>
    `p50 ${ms(l.p50)} · p90 ${ms(l.p90)} · p99 ${ms(l.p99)} · max ${ms(l.max)} · mean ${ms(l.mean)}`;
  line('ack latency', quantiles(m.latency));
  if (m.sendLatency)
    line('  from actual send', `${quantiles(m.sendLatency)} (the firer's own lateness left out)`);
  line('  in Siyu', `${quantiles(siyu.server)} (Fastify: request read → reply sent)`);
  const d = siyu.loopDelay;
  line('  event loop delay', `p50 ${ms(d.p50)} · p99 ${ms(d.p99)} · max ${ms(d.max)} (Siyu process)`);
  const closedLoopOf = siyu.closedLoopOf;
  if (closedLoopOf) {
    console.log(
      `  (closed loop: ${closedLoopOf} always in flight, so latency ≈ ${closedLoopOf} ÷ throughput, mostly queueing;` +
        '\n   --rate N gives the latency at a given load)',
    );
  }
}

/** Waits for the dispatcher to finish the inbox, printing progress (about 20 lines); bounded by a stall timeout. */
async function drain(
  database: Database<Tables>,
  firingEnd: Date,
  errors: () => { count: number; first: string[] },
) {
  console.log('\nProcessing (dispatcher: externalcontact/get on the simulator, then the customer upsert):');
  const STALL_MS = 60_000;
  const status = async () => {
    const { rows } = await sql<{ pending: number; done: number; parked: number }>`
      select (count(*) filter (where status = 'pending'))::int as pending,
        (count(*) filter (where status = 'done'))::int as done,
        (count(*) filter (where status = 'parked'))::int as parked
      from wecom_inbox where corp_id = ${BRAND}`.execute(database.db);
    return rows[0]!;
  };
  let now = await status();
  const total = now.pending + now.done + now.parked;
  let shown = { ...now, at: performance.now() };
  let lastChange = shown.at;
  while (now.pending > 0 && performance.now() - lastChange < STALL_MS) {
    await sleep(1000);
    const before = now;
    now = await status();
    const at = performance.now();
    if (now.done !== before.done || now.parked !== before.parked) lastChange = at;
    if (now.pending === 0 || now.done - shown.done >= total / 20 || at - shown.at >= 15_000) {
      const rate = ((now.done - shown.done) * 1000) / (at - shown.at);
      console.log(
        `  processing: ${int(now.done)} done, ${int(now.pending)} pending, ${now.parked} parked (${int(rate)}/s)`,
      );
      shown = { ...now, at };
    }
  }
  if (now.pending > 0) console.log(`  (gave up: no progress for ${STALL_MS / 1000} s)`);
  const { rows } = await sql<{ done: number; first: Date; last: Date; during: number }>`
    select count(*)::int as done, min(received_at) as first, max(done_at) as last,
      (count(*) filter (where done_at <= ${firingEnd}))::int as during
    from wecom_inbox where corp_id = ${BRAND} and status = 'done'`.execute(database.db);
  const p = rows[0]!;
  const seconds = (from: Date, to: Date) => (new Date(to).getTime() - new Date(from).getTime()) / 1000;
  const span = p.done ? seconds(p.first, p.last) : 0;
  const after = p.done ? seconds(firingEnd, p.last) : 0;
  line('handled', `${int(p.done)} events in ${span.toFixed(1)} s (first received → last done)`);
  line('  while firing', `${int(p.during)} (the dispatcher shares the process and the pool with the acks)`);
  line(
    'throughput',
    `${int(span ? p.done / span : 0)} events/s overall, ${int(after > 0 ? (p.done - p.during) / after : 0)} events/s once firing stopped`,
  );
  const e = errors();
  line('handler failures', e.count ? `${e.count} (retried); first: ${e.first.join(' | ')}` : 'none');
  console.log(
    '  note: the WeCom rate limit (10,000 externalcontact/get a minute per corp, ~167/s) is lifted here;' +
      '\n        against real WeCom a brand cannot be processed faster than that.',
  );
}
