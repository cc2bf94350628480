import { parseArgs } from 'node:util';
import { ManualClock } from './clock.ts';
import { startSimulator } from './server.ts';

/**
 * Runs the WeCom simulator on its own:
 *   npx tsx src/simulator/main.ts [--port 4010] [--host 127.0.0.1] [--state .siyu/simulator.json]
 *                                  [--seed N] [--manual-clock] [--log]
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.SIYU_SIM_PORT ?? '4010' },
    host: { type: 'string', default: process.env.SIYU_SIM_HOST ?? '127.0.0.1' },
    state: { type: 'string', default: process.env.SIYU_SIM_STATE },
    seed: { type: 'string' },
    'manual-clock': { type: 'boolean', default: false },
    log: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`WeCom simulator
  --port N          listen port (default 4010, env SIYU_SIM_PORT; 0 = random)
  --host H          listen address (default 127.0.0.1, env SIYU_SIM_HOST)
  --state FILE      keep state in FILE (a snapshot) and FILE.wal.* (a journal of every change,
                    fsynced before answering or pushing) across restarts and crashes (env SIYU_SIM_STATE)
  --seed N          reproducible ids
  --manual-clock    time stands still until POST /sim/clock moves it
  --log             log every request`);
  process.exit(0);
}

const sim = await startSimulator({
  port: Number(values.port),
  host: values.host,
  stateFile: values.state,
  seed: values.seed === undefined ? undefined : Number(values.seed),
  clock: values['manual-clock'] ? new ManualClock() : undefined,
  logger: values.log,
});
console.log(`WeCom simulator listening on ${sim.url} (API: ${sim.url}/cgi-bin, control: ${sim.url}/sim)`);
if (values.state) console.log(`state file: ${values.state}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}
