import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSiyuDatabase } from '../../server.ts';
import { tempDir } from '../../testing/temp-dir.ts';
import { loadConfig } from '../config.ts';
import {
  BackupSchedule,
  backupsDir,
  listBackups,
  resolveBackup,
  restoreBackup,
  writeBackup,
} from './backup.ts';
import { uncleanStopReport } from './check.ts';
import { openDatabase } from './connect.ts';

// A dead process's pid: above any pid_max.
const DEAD_PID = '999999999';

let template: string;
beforeAll(async () => {
  // initdb takes seconds: each test copies a folder made once.
  template = join(tempDir('db-template'), 'data');
  const db = await openDatabase({ dataDir: template });
  await sql`create table kept (v int primary key, note text)`.execute(db.db);
  await sql`insert into kept select g, 'row ' || g from generate_series(1, 500) g`.execute(db.db);
  await db.close();
}, 60_000);

function freshDataDir(): string {
  const dataDir = join(tempDir('db'), 'data');
  cpSync(template, dataDir, { recursive: true });
  return dataDir;
}

async function values(db: Kysely<unknown>): Promise<number[]> {
  const r = await sql<{ v: number }>`select v from kept order by v`.execute(db);
  return r.rows.map((x) => x.v);
}

describe('an unclean stop of the embedded database', () => {
  it('is reported on opening, with a check of the database', async () => {
    const dataDir = freshDataDir();
    writeFileSync(`${dataDir}.lock`, DEAD_PID);
    const db = await openDatabase({ dataDir });
    try {
      expect(db.uncleanStop).toMatchObject({ pid: Number(DEAD_PID), check: { ok: true, problems: [] } });
      expect(db.uncleanStop!.check.tables).toBeGreaterThanOrEqual(1);
    } finally {
      await db.close();
    }
    const clean = await openDatabase({ dataDir });
    expect(clean.uncleanStop).toBeUndefined();
    await clean.close();
  });

  it('is said at start, and a database that does not read is refused with what to do', async () => {
    const dataDir = freshDataDir();
    const config = loadConfig({ SIYU_DATA_DIR: dataDir });
    const said: string[] = [];
    await (await openSiyuDatabase(config, (line) => said.push(line))).close();
    expect(said).toEqual([]);
    writeFileSync(`${dataDir}.lock`, DEAD_PID);
    const ok = await openSiyuDatabase(config, (line) => said.push(line));
    const file = (await sql<{ p: string }>`select pg_relation_filepath('kept') as p`.execute(ok.db)).rows[0]!
      .p;
    await ok.close();
    expect(said[0]).toMatch(/previous run \(process 999999999\) did not stop cleanly/);
    expect(said[1]).toMatch(/^siyu: Checked it: opens; \d+ migrations in the ledger .*: OK$/);

    const page = readFileSync(join(dataDir, file));
    page.fill(0x41, 0, 8192);
    writeFileSync(join(dataDir, file), page);
    writeFileSync(`${dataDir}.lock`, DEAD_PID);
    said.length = 0;
    await expect(openSiyuDatabase(config, (line) => said.push(line))).rejects.toThrow(
      /siyu doctor --restore latest/,
    );
    expect(said.join('\n')).toMatch(/public\.kept: invalid page in block 0/);
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it('that left a folder which does not open says how to restore', async () => {
    const dataDir = freshDataDir();
    writeFileSync(join(dataDir, 'global', 'pg_control'), 'not a control file');
    writeFileSync(`${dataDir}.lock`, DEAD_PID);
    await expect(openDatabase({ dataDir })).rejects.toThrow(
      /does not open after an unclean stop \(process 999999999 did not close it\)[\s\S]*siyu doctor --restore latest/,
    );
  });

  it('gives a report that refuses to go on when the check failed', () => {
    const check = { ok: false, migrations: null, tables: 3, verified: 0, problems: ['public.t: bad page'] };
    const report = uncleanStopReport('/d', { pid: 7, check });
    expect(report.ok).toBe(false);
    expect(report.lines.join('\n')).toMatch(/public\.t: bad page[\s\S]*siyu doctor --restore latest/);
  });
});

describe('backups of the embedded database', () => {
  it('restore what was there when they were taken, keeping the current folder aside', async () => {
    const dataDir = freshDataDir();
    const db = await openDatabase({ dataDir });
    const backup = await writeBackup(db, 'manual', 7);
    await sql`delete from kept where v > 10`.execute(db.db);
    await db.close();
    expect(backup.path.startsWith(backupsDir(dataDir))).toBe(true);
    expect(listBackups(backupsDir(dataDir)).map((b) => b.name)).toEqual([backup.name]);

    const { aside, check } = await restoreBackup(dataDir, resolveBackup(dataDir, 'latest'));
    expect(check).toMatch(/: OK$/);
    const restored = await openDatabase({ dataDir });
    expect(await values(restored.db)).toHaveLength(500);
    expect(
      (await sql<{ note: string }>`select note from kept where v = 321`.execute(restored.db)).rows,
    ).toEqual([{ note: 'row 321' }]);
    await restored.close();
    const before = await openDatabase({ dataDir: aside! });
    expect(await values(before.db)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await before.close();
    expect(existsSync(`${dataDir}.restoring`)).toBe(false);
  });

  it('keep the newest N and clear what a killed backup left', async () => {
    const dataDir = freshDataDir();
    const db = await openDatabase({ dataDir });
    const dir = backupsDir(dataDir);
    const taken = [];
    try {
      for (const day of [1, 2, 3]) {
        if (day === 3) writeFileSync(join(dir, 'siyu-2026-01-02T00-00-00-000Z-daily.tar.gz.tmp'), 'partial');
        taken.push(await writeBackup(db, 'daily', 2, new Date(`2026-01-0${day}T03:00:00Z`)));
      }
    } finally {
      await db.close();
    }
    expect(listBackups(dir).map((b) => b.name)).toEqual([taken[1]!.name, taken[2]!.name]);
    expect(readdirSync(dir).sort()).toEqual([taken[1]!.name, taken[2]!.name]);
    expect(listBackups(dir)[1]).toMatchObject({ reason: 'daily', takenAt: new Date('2026-01-03T03:00:00Z') });
  });

  it('are not restored while a process holds the database', async () => {
    const dataDir = freshDataDir();
    const db = await openDatabase({ dataDir });
    try {
      const backup = await writeBackup(db, 'manual', 7);
      await sql`insert into kept values (501, 'after')`.execute(db.db);
      await expect(restoreBackup(dataDir, backup.path)).rejects.toThrow(/in use by process/);
      expect(await values(db.db)).toHaveLength(501);
      expect(existsSync(`${dataDir}.restoring`)).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('are taken daily by the running server: when none is a day old', async () => {
    const dataDir = freshDataDir();
    const db = await openDatabase({ dataDir });
    const said: string[] = [];
    try {
      const first = new BackupSchedule(db, 3, (line) => said.push(line));
      first.start();
      await first.stop();
      expect(said).toEqual([expect.stringMatching(/^Daily backup written: .*-daily\.tar\.gz/)]);
      const again = new BackupSchedule(db, 3, (line) => said.push(line));
      again.start();
      await again.stop();
      expect(said).toHaveLength(1);
    } finally {
      await db.close();
    }
    expect(listBackups(backupsDir(dataDir))).toHaveLength(1);
  });
});
