import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { inject } from 'vitest';

/** The repository root (the e2e files live in test/e2e/). */
export const repoRoot = resolve(import.meta.dirname, '../..');
/** Screenshots and server logs go here; the folder is gitignored. */
export const resultsDir = join(repoRoot, 'test-results');

export const CHROMIUM_PATH = process.env.SIYU_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Debian's Chromium, headless; the flags keep it quiet and working as root in a container. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error('no free port'))));
    });
  });
}

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether it had to be killed with SIGKILL after ignoring SIGTERM for 30 s. */
  killed: boolean;
}

export interface SiyuServer {
  /** e.g. http://127.0.0.1:41234 */
  baseUrl: string;
  /** Everything the server printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Its folder: the embedded database (data/) and the simulator's state beside it. */
  folder: string;
  ports: { siyu: number; simulator: number };
  /** SIGTERM, wait for the exit (SIGKILL after 30 s), save the log, delete the folder (unless kept). */
  stop(): Promise<ServerExit>;
}

/**
 * Starts `node bin/siyu.js start` on a free loopback port and resolves once GET /healthz answers 200. Its
 * folder is a copy of the one the e2e global setup seeded (a restart of the demo brand), or, outside the
 * e2e run or in that setup itself, an empty one (the server migrates it and seeds the demo brand).
 */
export async function startSiyu(opts: {
  name: string;
  readyTimeoutMs?: number;
  /** Leave the folder in place on stop (the global setup copies it). */
  keepFolder?: boolean;
  /** Siyu's and the simulator's ports (default: free ones). */
  ports?: SeededServer['ports'];
}): Promise<SiyuServer> {
  const tempDir = mkdtempSync(join(tmpdir(), 'siyu-e2e-'));
  const seeded = seededServer();
  if (seeded) cpSync(seeded.folder, tempDir, { recursive: true });
  // A copy listens where the seeded server did: what the seed stored holds its addresses (the codes' QR
  // links, the material), and the e2e files run one after another.
  const ports = opts.ports ?? seeded?.ports ?? { siyu: await freePort(), simulator: await freePort() };
  const port = ports.siyu;
  const baseUrl = `http://127.0.0.1:${port}`;
  const logPath = join(resultsDir, `${opts.name}-server.log`);

  // Run it as a user would: embedded PGlite (no DATABASE_URL), demo seed on, and none of the variables
  // Vitest sets for its own workers (NODE_ENV=test and friends).
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(VITEST|TEST$|NODE_ENV$|MODE$|DEV$|PROD$|SSR$|BASE_URL$)/.test(key)) delete env[key];
  }
  delete env.DATABASE_URL;
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    SIYU_DATA_DIR: join(tempDir, 'data'),
    SIYU_DEMO: 'true',
    SIYU_SIM_PORT: String(ports.simulator),
  });

  const chunks: string[] = [];
  const child: ChildProcess = spawn(process.execPath, ['bin/siyu.js', 'start'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.setEncoding('utf8').on('data', (c: string) => chunks.push(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => chunks.push(c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit({ code, signal }));
  });
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((info) => {
    exitInfo = info;
  });
  const output = () => chunks.join('');

  let stopped: Promise<ServerExit> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      let killed = false;
      if (!exitInfo) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          killed = true;
          child.kill('SIGKILL');
        }, 30_000);
        await exited;
        clearTimeout(timer);
      }
      const info = await exited;
      mkdirSync(resultsDir, { recursive: true });
      writeFileSync(logPath, `${output()}\n[e2e] exit code ${info.code}, signal ${info.signal}\n`);
      if (!opts.keepFolder) rmSync(tempDir, { recursive: true, force: true });
      return { ...info, killed };
    })();
    return stopped;
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (exitInfo) {
      await stop();
      throw new Error(
        `siyu start exited (code ${exitInfo.code}, signal ${exitInfo.signal}) before /healthz answered.\n` +
          `--- its output ---\n${tail(output())}`,
      );
    }
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return { baseUrl, folder: tempDir, ports, output, stop };
      lastProblem = `HTTP ${res.status}`;
    } catch (err) {
      lastProblem = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(
    `siyu start did not answer GET /healthz with 200 within ${(opts.readyTimeoutMs ?? 90_000) / 1000} s ` +
      `(last: ${lastProblem}).\n--- its output ---\n${tail(output())}`,
  );
}

/** What the e2e global setup built: a stopped server's folder with the demo brand, and where it listened. */
export interface SeededServer {
  folder: string;
  ports: { siyu: number; simulator: number };
}

/** The global setup's seeded server; null outside a Vitest test (the setup itself) or without one. */
function seededServer(): SeededServer | null {
  try {
    return inject('seededServer');
  } catch {
    return null;
  }
}

export function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** The demo brand's logins share this password; HQ's admin is `DEMO_ADMIN`. */
export const DEMO_PASSWORD = 'siyu1234';
export const DEMO_ADMIN = 'admin@demo';

/**
 * The demo brand's server for one e2e file: a `siyu start` of its own, or one already running at
 * SIYU_E2E_BASE_URL (e.g. `npm run dev:web` over `siyu start`, while working).
 */
export async function demoServer(name: string): Promise<SiyuServer> {
  const external = process.env.SIYU_E2E_BASE_URL;
  if (external)
    return {
      baseUrl: external,
      folder: '',
      ports: { siyu: Number(new URL(external).port), simulator: 0 },
      output: () => '',
      stop: async () => ({ code: 0, signal: null, killed: false }),
    };
  return startSiyu({ name, readyTimeoutMs: 570_000 });
}

/** Signs in through the console's login page and waits to leave it. */
export async function signIn(page: Page, login: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto('/login');
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(password);
  await page.locator('button[type=submit]').click();
  await page.waitForURL((url) => url.pathname !== '/login', { timeout: 30_000 });
}
