import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { TEST_KEY } from './fixture.ts';
import { SIM_CORP } from './linked.ts';

/**
 * A real `siyu start` in a child process, for tests that kill it (SIGKILL) and start it again: on the
 * database of `databaseUrl` when given (a PostgreSQL server), else in the PGlite data folder `dataDir`,
 * linked to the simulator's corp SIM_CORP through `wecomApiUrl`.
 */
const BIN = resolve(import.meta.dirname, '../../bin/siyu.js');

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field
type Json = any;

export interface Child {
  proc: ChildProcess;
  url: string;
  out: () => string;
}

export interface ChildOptions {
  dataDir: string;
  databaseUrl?: string;
  wecomApiUrl: string;
  adminPassword: string;
}

export function startSiyu(o: ChildOptions): Promise<Child> {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const proc = spawn(process.execPath, [BIN, 'start'], {
    env: {
      ...env,
      ...(o.databaseUrl ? { DATABASE_URL: o.databaseUrl } : {}),
      SIYU_DATA_DIR: o.dataDir,
      SIYU_SECRET_KEY: TEST_KEY,
      SIYU_BACKUPS: '0',
      SIYU_LOG_LEVEL: 'warn',
      SIYU_LOG_FORMAT: 'json',
      PORT: '0',
      HOST: '127.0.0.1',
      WECOM_CORP_ID: SIM_CORP.corpid,
      WECOM_SECRET: SIM_CORP.secret,
      WECOM_TOKEN: SIM_CORP.token,
      WECOM_ENCODING_AES_KEY: SIM_CORP.encoding_aes_key,
      WECOM_API_URL: o.wecomApiUrl,
      SIYU_BRAND: 'acme',
      SIYU_ADMIN_PASSWORD: o.adminPassword,
    },
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return new Promise((done, fail) => {
    const began = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - began > 120_000) {
        clearInterval(timer);
        proc.kill('SIGKILL');
        fail(new Error(`siyu start did not come up within 120 s: ${out}`));
        return;
      }
      const m = /listening on (http:\/\/[\d.:]+)[\s\S]*WeCom: corp /.exec(out);
      if (m) {
        clearInterval(timer);
        done({ proc, url: m[1]!, out: () => out });
      }
    }, 50);
    proc.on('exit', (code) => {
      clearInterval(timer);
      fail(new Error(`siyu start exited with ${code}: ${out}`));
    });
  });
}

export function killSiyu(child: Child, signal: NodeJS.Signals): Promise<void> {
  return new Promise((done) => {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return done();
    child.proc.on('exit', () => done());
    child.proc.kill(signal);
  });
}

export async function until<T>(what: string, fn: () => Promise<T | false>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An HQ admin's session on a running Siyu: a function calling its API (throws on an error status). */
export async function adminSession(child: Child, password: string) {
  const login = await fetch(`${child.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: 'admin@acme', password }),
  });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const cookie = /siyu_session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await fetch(`${child.url}/api/v1${path}`, {
      method,
      headers: {
        cookie,
        'x-csrf-token': csrfToken,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** A control call of the simulator at `simUrl` on SIM_CORP (/sim/corps/:corpid/...); JSON in and out. */
export async function simCall(simUrl: string, method: string, path: string, body?: unknown): Promise<Json> {
  const res = await fetch(`${simUrl}/sim/corps/${SIM_CORP.corpid}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
