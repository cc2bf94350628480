import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp-dir.ts';

const BIN = resolve(import.meta.dirname, '../../bin/siyu.js');

/** The command's environment: these tests are about the embedded database, whatever the suite runs on. */
function envWith(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, ...rest } = process.env;
  return { ...rest, ...extra };
}

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: envWith(env) });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => done({ code, out }));
  });
}

function waitFor(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((done, fail) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = pattern.exec(out);
      if (m) done(m[1] ?? m[0]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => fail(new Error(`exited with ${code}: ${out}`)));
  });
}

describe('the siyu command', () => {
  it('explains itself and each command', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.out).toMatch(/start\s+run Siyu/);
    expect(top.out).toMatch(/migrate/);
    expect(top.out).toMatch(/demo/);
    for (const cmd of ['start', 'migrate', 'demo', 'backup', 'doctor']) {
      const help = await run([cmd, '--help']);
      expect(help.code, cmd).toBe(0);
      expect(help.out).toContain(`Usage: siyu ${cmd}`);
      expect(help.out).toContain('DATABASE_URL');
      expect(help.out).toContain('SIYU_DATA_DIR');
    }
  });

  it('refuses an unknown command, a bad option and a bad setting clearly', async () => {
    const unknown = await run(['launch']);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('Unknown command "launch"');
    const badOption = await run(['demo', '--customers', 'many']);
    expect(badOption.code).toBe(1);
    expect(badOption.out).toContain('--customers takes a whole number');
    const badEnv = await run(['migrate'], { PORT: 'eighty' });
    expect(badEnv.code).toBe(1);
    expect(badEnv.out).toContain('PORT');
  });

  it('migrates, starts, refuses a second opener of the same data, stops cleanly, re-seeds the demo and syncs it', async () => {
    const dataDir = join(tempDir('cli'), 'data');
    const env = {
      SIYU_DATA_DIR: dataDir,
      SIYU_DEMO: 'false',
      PORT: '0',
      SIYU_SIM_PORT: '0',
      SIYU_LOG_LEVEL: 'warn',
    };
    const migrated = await run(['migrate'], env);
    expect(migrated.out).toContain('Migrations applied');
    expect(migrated.code).toBe(0);

    const server = spawn(process.execPath, [BIN, 'start'], { env: envWith(env) });
    const url = await waitFor(server, /listening on (http:\/\/[\d.:]+)[\s\S]*Siyu is ready/);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    const second = await run(['migrate'], env);
    expect(second.code).toBe(1);
    expect(second.out).toContain('in use by process');
    const exited = new Promise<number | null>((done) => server.on('exit', done));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
    // The first start took the daily backup, the clean stop another.
    expect(readdirSync(join(dataDir, '..', 'backups'))).toEqual([
      expect.stringMatching(/^siyu-.*-daily\.tar\.gz$/),
      expect.stringMatching(/^siyu-.*-stop\.tar\.gz$/),
    ]);

    const killed = spawn(process.execPath, [BIN, 'start'], { env: envWith(env) });
    await waitFor(killed, /Siyu is ready/);
    const gone = new Promise((done) => killed.on('exit', done));
    killed.kill('SIGKILL');
    await gone;
    expect(existsSync(`${dataDir}.lock`)).toBe(true);
    const restarted = spawn(process.execPath, [BIN, 'start'], { env: envWith(env) });
    const said = await waitFor(
      restarted,
      /(did not stop cleanly[\s\S]*Checked it: [^\n]*)[\s\S]*Siyu is ready/,
    );
    expect(said).toMatch(/migrations in the ledger .*: OK$/);
    const stopped = new Promise<number | null>((done) => restarted.on('exit', done));
    restarted.kill('SIGTERM');
    expect(await stopped).toBe(0);

    const demo = await run(['demo', '--customers', '40'], env);
    expect(demo.code, demo.out).toBe(0);
    expect(demo.out).toContain('admin@demo');
    expect(demo.out).toContain('sh-jingan@demo');

    // The demo lives in the simulator's state file: `siyu sync` brings the simulator back and pulls it again.
    const sync = await run(['sync'], env);
    expect(sync.code, sync.out).toBe(0);
    expect(sync.out).toMatch(/Full sync of demo done: .*customersCreated 0/);
    const unknown = await run(['sync', '--brand', 'nobrand'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('connected: demo');
  }, 300_000); // it builds the demo brand twice: minutes on a busy 2-core machine

  it('backs the embedded database up, checks it, lists and restores backups; points a server to pg_dump', async () => {
    const dataDir = join(tempDir('cli'), 'data');
    const env = { SIYU_DATA_DIR: dataDir, SIYU_BACKUPS: '2', SIYU_LOG_LEVEL: 'warn' };
    expect((await run(['migrate'], env)).code).toBe(0);
    const backup = await run(['backup'], env);
    expect(backup.code, backup.out).toBe(0);
    expect(backup.out).toMatch(/Backup written: .*backups\/siyu-.*-manual\.tar\.gz/);

    const doctor = await run(['doctor'], env);
    expect(doctor.code, doctor.out).toBe(0);
    expect(doctor.out).toMatch(
      /migrations in the ledger .*, \d+ tables and indexes verified \(amcheck\): OK/,
    );
    expect(doctor.out).toMatch(/Backups in .*: 1 \(keeping the newest 2, SIYU_BACKUPS\)\n {2}siyu-.*-manual/);

    const restore = await run(['doctor', '--restore', 'latest'], env);
    expect(restore.code, restore.out).toBe(0);
    expect(restore.out).toMatch(/Restored\. .*: OK[\s\S]*previous folder is kept at .*data\.before-restore-/);
    expect((await run(['doctor'], env)).code).toBe(0);

    const server = await run(['backup'], { ...env, DATABASE_URL: 'postgres://siyu@127.0.0.1:1/siyu' });
    expect(server.code).toBe(1);
    expect(server.out).toContain('pg_dump --format=custom');
    expect(server.out).toContain('"$DATABASE_URL"');
  }, 120_000);
});
