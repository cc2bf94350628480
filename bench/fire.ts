/**
 * The bench's second process: plays WeCom pushing add_external_contact callbacks to Siyu over loopback.
 * Reads a FireJob (bench/protocol.ts) as JSON on stdin; fires the warm-up sends, prints `{"measuring":true}`,
 * fires the rest (the measured phase) and prints a FireReport, each as a JSON line on stdout; progress on
 * stderr. Started by bench/callbacks.ts; not meant to be run by hand.
 *
 * Each event is built with buildEventXml, then every HTTP attempt is sealed afresh (encrypt + sign with a new
 * timestamp and nonce), as WeCom does; a share of events is sent a second time to exercise the inbox dedup,
 * and a failed attempt (non-200, error, timeout) is retried like WeCom retries.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { text } from 'node:stream/consumers';
import { callbackCrypto, sealMessage } from '../src/wecom/crypto.ts';
import { buildEventXml } from '../src/wecom/events.ts';
import { type FireJob, type FireReport, summarize } from './protocol.ts';

interface Send {
  index: number;
  attempt: number;
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const job = JSON.parse(await text(process.stdin)) as FireJob;
const crypto = callbackCrypto(job.token, job.encodingAesKey, job.corpid);
const target = new URL(job.url);
const agent = new Agent({ keepAlive: true, maxSockets: job.concurrency });

// The order of sends: every event once; a duplicate of every `1 / duplicateShare`-th event ~200 sends later.
const queue: Send[] = [];
const every = job.duplicateShare > 0 ? Math.max(1, Math.round(1 / job.duplicateShare)) : 0;
const DUP_LAG = 200;
const pending: number[] = [];
for (let i = 0; i < job.pairs.length; i++) {
  queue.push({ index: i, attempt: 0 });
  if (every && i % every === every - 1) pending.push(i);
  if (pending.length && pending[0]! + DUP_LAG <= i) queue.push({ index: pending.shift()!, attempt: 0 });
}
for (const i of pending) queue.push({ index: i, attempt: 0 });
const duplicates = queue.length - job.pairs.length;

// The inner XML of each event, built once: a duplicate or retry carries the same event (same CreateTime).
const xmls: (string | undefined)[] = new Array(job.pairs.length);
function eventXml(index: number): string {
  let xml = xmls[index];
  if (xml === undefined) {
    const [userId, externalUserId] = job.pairs[index]!;
    xml = buildEventXml({
      type: 'add_external_contact',
      corpId: job.corpid,
      createTime: Math.floor(Date.now() / 1000),
      userId,
      externalUserId,
      state: 'bench',
      welcomeCode: randomBytes(32).toString('base64url').slice(0, 43),
    });
    xmls[index] = xml;
  }
  return xml;
}

interface Sealed {
  path: string;
  body: string;
  sealedAt: number;
}
/** Siyu refuses a timestamp more than 300 s off; a send sealed in advance is sealed again well before that. */
const SEAL_FRESH_MS = 200_000;

/** Encrypts and signs one attempt with its own timestamp and nonce, as WeCom does for every push. */
function seal(index: number): Sealed {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = String(randomInt(1_000_000_000, 9_999_999_999));
  const { body, msgSignature } = sealMessage(crypto, eventXml(index), timestamp, nonce);
  const path = `${target.pathname}?msg_signature=${msgSignature}&timestamp=${timestamp}&nonce=${nonce}`;
  return { body, path, sealedAt: Date.now() };
}

function post(path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: 'POST',
        path,
        headers: { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.setTimeout(job.timeoutMs, () =>
      req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
    );
    req.on('error', reject);
    req.end(body);
  });
}

const acked = new Set<number>();
const intervalNs = job.rate > 0 ? 1e9 / job.rate : 0;

/** One run over a list of sends; a failed send is retried at the end of the same list. */
class Phase {
  readonly latencies: number[] = [];
  /** Paced runs: from the moment the request was actually written (the firer's own lateness left out). */
  readonly sendLatencies: number[] = [];
  readonly ackedPerSecond: number[] = [];
  readonly failures: Record<string, number> = {};
  sent = 0;
  ok = 0;
  retries = 0;
  lastAck = 0n;
  /** When run() started: the paced schedule and the per-second counts start here. */
  t0 = 0n;
  private next = 0;
  private inFlight = 0;

  /**
   * First attempts sealed before the phase starts: WeCom seals on its own machines, so doing it during the
   * phase would only take CPU from the server being measured. Retries are sealed when they go.
   */
  private readonly sealed: Sealed[];

  constructor(
    readonly queue: Send[],
    private readonly intervalNs: number,
  ) {
    this.sealed = queue.map((s) => seal(s.index));
  }

  /** Starts what is due: in a paced run a send is due at its slot; otherwise when a slot in flight is free. */
  run(): Promise<void> {
    this.t0 = process.hrtime.bigint();
    return new Promise((resolve) => {
      let timerSet = false;
      const pump = () => {
        while (this.next < this.queue.length && this.inFlight < job.concurrency) {
          const now = process.hrtime.bigint();
          const due = this.intervalNs ? this.t0 + BigInt(Math.round(this.next * this.intervalNs)) : now;
          if (due > now) {
            if (!timerSet) {
              timerSet = true;
              const wake = () => {
                timerSet = false;
                pump();
              };
              setTimeout(wake, Math.max(1, Number((due - now) / 1_000_000n)));
            }
            break;
          }
          const at = this.next++;
          const s = this.queue[at]!;
          this.inFlight++;
          // Paced: latency counts from the scheduled start, so a firer falling behind does not hide a slow server.
          const early = this.sealed[at];
          const sealed = early && Date.now() - early.sealedAt < SEAL_FRESH_MS ? early : seal(s.index);
          void this.fire(s, sealed, this.intervalNs ? due : null).finally(() => {
            this.inFlight--;
            pump();
          });
        }
        if (this.next === this.queue.length && this.inFlight === 0) resolve();
      };
      pump();
    });
  }

  private async fire(s: Send, { path, body }: Sealed, scheduledAt: bigint | null): Promise<void> {
    const sentAt = process.hrtime.bigint();
    const startedAt = scheduledAt ?? sentAt;
    this.sent++;
    let outcome: string;
    try {
      outcome = String(await post(path, body));
    } catch (err) {
      outcome = (err as NodeJS.ErrnoException).code ?? 'error';
    }
    const end = process.hrtime.bigint();
    if (outcome === '200') {
      this.ok++;
      acked.add(s.index);
      this.latencies.push(Number(end - startedAt) / 1e6);
      if (scheduledAt !== null) this.sendLatencies.push(Number(end - sentAt) / 1e6);
      const second = Number((end - this.t0) / 1_000_000_000n);
      this.ackedPerSecond[second] = (this.ackedPerSecond[second] ?? 0) + 1;
      this.lastAck = end;
    } else {
      this.failures[outcome] = (this.failures[outcome] ?? 0) + 1;
      if (s.attempt < job.maxRetries) {
        this.retries++;
        this.queue.push({ index: s.index, attempt: s.attempt + 1 });
      }
    }
  }
}

// Warm-up (JIT, pool connections, caches) in a closed loop, then the measured phase; stdout says when.
const warm = new Phase(queue.slice(0, job.warmup), 0);
await warm.run();
const measured = new Phase(queue.slice(job.warmup), intervalNs);
process.stdout.write(`${JSON.stringify({ measuring: true })}\n`);
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
const cpu0 = process.cpuUsage();
const progress = setInterval(() => {
  const s = Number(process.hrtime.bigint() - measured.t0) / 1e9;
  process.stderr.write(
    `  firing: ${measured.ok} acked of ${measured.queue.length} sends, ${Math.round(measured.ok / s)}/s\n`,
  );
}, 1000);
await measured.run();
clearInterval(progress);
const cpu = cpuMs(process.cpuUsage(cpu0));
loopDelay.disable();
agent.destroy();

const unacked: number[] = [];
for (let i = 0; i < job.pairs.length; i++) if (!acked.has(i)) unacked.push(i);
const report: FireReport = {
  events: job.pairs.length,
  duplicates,
  warmup: job.warmup,
  unacked,
  sent: warm.sent + measured.sent,
  acked: warm.ok + measured.ok,
  retries: warm.retries + measured.retries,
  failures: Object.fromEntries(
    [...new Set([...Object.keys(warm.failures), ...Object.keys(measured.failures)])].map((k) => [
      k,
      (warm.failures[k] ?? 0) + (measured.failures[k] ?? 0),
    ]),
  ),
  measured: {
    acked: measured.ok,
    durationMs: Number((measured.lastAck || process.hrtime.bigint()) - measured.t0) / 1e6,
    latency: summarize(measured.latencies),
    sendLatency: measured.sendLatencies.length ? summarize(measured.sendLatencies) : null,
    ackedPerSecond: Array.from(measured.ackedPerSecond, (n) => n ?? 0),
    cpuMs: cpu,
    loopDelay: {
      p50: loopDelay.percentile(50) / 1e6,
      p99: loopDelay.percentile(99) / 1e6,
      max: loopDelay.max / 1e6,
    },
  },
};
process.stdout.write(`${JSON.stringify(report)}\n`);
