import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Kysely } from 'kysely';
import { checkDatabase, describeCheck } from './check.ts';
import { type Database, lockDataDir, openDatabase } from './connect.ts';

/**
 * Rolling backups of the embedded database: PGlite's dumpDataDir (a tarball of the data folder, taken after a
 * CHECKPOINT while queries wait, about half a second for the demo brand), gzipped off the main thread, written
 * to `<data folder's parent>/backups/` under a temporary name and renamed when complete. The newest `keep`
 * are kept. Restoring unpacks one into a fresh folder, checks it, and only then swaps it in, keeping the
 * current folder aside.
 */

export type BackupReason = 'daily' | 'stop' | 'manual';

export interface BackupFile {
  path: string;
  name: string;
  reason: string;
  takenAt: Date;
  bytes: number;
}

const NAME = /^siyu-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)-([a-z]+)\.tar\.gz$/;
const DAY_MS = 24 * 60 * 60 * 1000;

export function backupsDir(dataDir: string): string {
  return join(dirname(resolve(dataDir)), 'backups');
}

/** Oldest first. Only files named as Siyu names them. */
export function listBackups(dir: string): BackupFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((name) => {
      const m = NAME.exec(name);
      if (!m) return [];
      const path = join(dir, name);
      const [date, time] = m[1]!.split('T') as [string, string];
      const [h, min, s, ms] = time.slice(0, -1).split('-');
      return [
        {
          path,
          name,
          reason: m[2]!,
          takenAt: new Date(`${date}T${h}:${min}:${s}.${ms}Z`),
          bytes: statSync(path).size,
        },
      ];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Writes a backup of an open embedded database, then keeps the newest `keep` (at least this one). */
export async function writeBackup(
  database: Database<unknown>,
  reason: BackupReason,
  keep: number,
  now: Date = new Date(),
): Promise<BackupFile> {
  if (!database.dumpDataDir || !database.dataDir)
    throw new Error('Only the embedded database (PGlite in a data folder) is backed up by Siyu');
  const dir = backupsDir(database.dataDir);
  mkdirSync(dir, { recursive: true });
  const tar = await database.dumpDataDir();
  const gz = await promisify(gzip)(tar);
  const name = `siyu-${now.toISOString().replace(/[:.]/g, '-')}-${reason}.tar.gz`;
  const path = join(dir, name);
  const temp = `${path}.tmp`;
  const file = await open(temp, 'w');
  try {
    await file.writeFile(gz);
    await file.sync();
  } finally {
    await file.close();
  }
  renameSync(temp, path);
  rotateBackups(dir, Math.max(1, keep));
  return { path, name, reason, takenAt: now, bytes: gz.length };
}

/** Deletes all but the newest `keep` backups, and temporary files a killed backup left. */
export function rotateBackups(dir: string, keep: number): BackupFile[] {
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (name.startsWith('siyu-') && name.endsWith('.tar.gz.tmp')) rmSync(join(dir, name), { force: true });
  }
  const all = listBackups(dir);
  const gone = all.slice(0, Math.max(0, all.length - keep));
  for (const b of gone) rmSync(b.path, { force: true });
  return gone;
}

/** `latest`, a file name in the backups folder, or a path. */
export function resolveBackup(dataDir: string, which: string): string {
  const dir = backupsDir(dataDir);
  if (which === 'latest') {
    const newest = listBackups(dir).at(-1);
    if (!newest) throw new Error(`There is no backup in ${dir}`);
    return newest.path;
  }
  for (const candidate of [which, join(dir, which)]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return resolve(candidate);
  }
  throw new Error(`No backup file ${which} (looked in the current folder and in ${dir})`);
}

/**
 * Restores a backup into the data folder: refused while a process holds the folder's lock; the backup is
 * unpacked into `<data>.restoring` and checked, then the current folder moves to `<data>.before-restore-<time>`
 * and the restored one takes its place. Returns where the previous folder went (null when there was none).
 */
export async function restoreBackup(
  dataDir: string,
  file: string,
  now: Date = new Date(),
): Promise<{ aside: string | null; check: string }> {
  mkdirSync(dirname(dataDir), { recursive: true });
  const lock = lockDataDir(dataDir);
  const staging = `${dataDir}.restoring`;
  try {
    rmSync(staging, { recursive: true, force: true });
    const bytes = await readFile(file);
    const restored = await openDatabase({
      dataDir: staging,
      loadFrom: new File([bytes], basename(file), { type: 'application/x-gzip' }),
    }).catch((err: Error) => {
      throw new Error(`${file} does not restore: ${err.cause instanceof Error ? err.cause.message : err}`);
    });
    let summary: string;
    try {
      const check = await checkDatabase(restored.db as Kysely<unknown>);
      if (!check.ok) throw new Error(`${file} restores but does not read: ${check.problems.join('; ')}`);
      summary = describeCheck(check);
    } finally {
      await restored.close();
    }
    const aside = existsSync(dataDir)
      ? `${dataDir}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`
      : null;
    if (aside) renameSync(dataDir, aside);
    renameSync(staging, dataDir);
    return { aside, check: summary };
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  } finally {
    lock.release();
  }
}

/**
 * The running server's daily backup: checked at start and every hour, taken when the newest backup is a day
 * old or there is none. `stop()` waits for a backup under way.
 */
export class BackupSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly database: Database<unknown>,
    private readonly keep: number,
    private readonly log: (line: string) => void,
    private readonly checkEveryMs = 60 * 60 * 1000,
  ) {}

  start(): void {
    if (this.keep <= 0 || !this.database.dataDir) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.checkEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    const newest = listBackups(backupsDir(this.database.dataDir!)).at(-1);
    if (newest && Date.now() - newest.takenAt.getTime() < DAY_MS) return;
    this.running = writeBackup(this.database, 'daily', this.keep)
      .then((b) => this.log(`Daily backup written: ${b.path} (${formatBytes(b.bytes)})`))
      .catch((err: Error) => this.log(`Daily backup failed: ${err.message}`))
      .finally(() => {
        this.running = null;
      });
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
