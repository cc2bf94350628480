/**
 * bench:welcome's second process: WeCom (the simulator) and its customers, off Siyu's CPU as real WeCom is.
 * Protocol, JSON lines: reads `{"callbackUrl"}` on stdin, answers `{"url"}` once the simulator listens; reads
 * `{"configId","rate","seconds"}` (as many runs as asked: the warm-up, then the measured one), makes customers
 * scan that «联系我» at the rate, waits until every WelcomeCode was used or had its 20 s (plus 5 s), and
 * answers a WelcomeReport for each. Not meant to be run by hand.
 */
import { createInterface } from 'node:readline';
import { scanContactWay } from '../src/simulator/contact-ways.ts';
import { createCustomer } from '../src/simulator/contacts.ts';
import { startSimulator } from '../src/simulator/server.ts';
import { seedSimulatorCorp } from './setup.ts';

export interface WelcomeReport {
  adds: number;
  addSeconds: number;
  /** Add (WelcomeCode issued) → welcome accepted, ms, for the codes used. */
  latencies: number[];
  codes: number;
  /** CPU this process (WeCom) spent from the first add until every welcome settled, ms. */
  cpuMs: number;
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const next = async <T>() => JSON.parse((await lines.next()).value as string) as T;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const { callbackUrl } = await next<{ callbackUrl: string }>();
const simulator = await startSimulator({ port: 0, seed: 2 });
const corp = seedSimulatorCorp(simulator.sim, callbackUrl);
process.stdout.write(`${JSON.stringify({ url: simulator.url })}\n`);

let made = 0; // customers made over all runs, so every run's names are new
for (;;) {
  const ask = await lines.next();
  if (ask.done) break;
  const { configId, rate, seconds } = JSON.parse(ask.value as string) as {
    configId: string;
    rate: number;
    seconds: number;
  };
  process.stdout.write(`${JSON.stringify(await run(configId, rate, seconds))}\n`);
}
await simulator.close();
process.exit(0);

async function run(configId: string, rate: number, seconds: number): Promise<WelcomeReport> {
  const total = Math.round(rate * seconds);
  const first = made;
  const codes: string[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  while (made - first < total) {
    const due = first + Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
    for (; made < due; made++) {
      const customer = createCustomer(simulator.sim, corp, {
        name: `扫码客户${made}`,
        gender: (made % 3) as 0 | 1 | 2,
      });
      const added = scanContactWay(simulator.sim, corp, {
        config_id: configId,
        external_userid: customer.external_userid,
      });
      if (added.welcome_code) codes.push(added.welcome_code);
    }
    await sleep(5);
  }
  const addSeconds = (Date.now() - t0) / 1000;
  const settled = () => codes.every((c) => corp.welcome_codes[c]?.used_at_ms != null);
  const deadline = Date.now() + 25_000;
  while (!settled() && Date.now() < deadline) await sleep(200);
  const latencies = codes
    .map((c) => corp.welcome_codes[c]!)
    .filter((w) => w.used_at_ms !== null)
    .map((w) => w.used_at_ms! - w.issued_at_ms);
  const cpu = process.cpuUsage(cpu0);
  return {
    adds: made - first,
    addSeconds,
    latencies,
    codes: codes.length,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}
