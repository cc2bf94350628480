import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SimState } from './model.ts';
import type { OpJournal, OpRecord, Simulator } from './state.ts';

/**
 * The state on disk: a snapshot (the state file, JSON) and a journal of the operations since, in files
 * `<state file>.wal.<first sequence number>` of one JSON line each. An operation is appended before it runs;
 * the simulator's answers and callback pushes wait until it is fsynced (one fsync covers all the operations
 * appended meanwhile), so that nothing Siyu has heard of is lost when the simulator is killed. At start the
 * snapshot is loaded and the journal replayed on it; when the journal passes `compactBytes`, at start after a
 * replay, and at close, the state is written as a new snapshot and the journal files it covers are deleted.
 */

export interface Persisted {
  state: SimState | undefined;
  /** The operations after the snapshot, in order. */
  records: OpRecord[];
}

export function loadState(file: string): SimState | undefined {
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as SimState;
  if (state.version !== 1 || typeof state.corps !== 'object') {
    throw new Error(`${file} is not a simulator state file (version 1)`);
  }
  state.tokens ??= {};
  return state;
}

export function loadPersisted(file: string): Persisted {
  const state = loadState(file);
  const after = state?.seq ?? 0;
  const records: OpRecord[] = [];
  const segments = journalSegments(file);
  for (const [i, segment] of segments.entries()) {
    const lines = readFileSync(segment.path, 'utf8').split('\n');
    for (const [n, line] of lines.entries()) {
      if (!line) continue;
      let record: OpRecord;
      try {
        record = JSON.parse(line);
      } catch {
        // A last line cut short by a crash during its write was never acknowledged: nobody saw its effects.
        if (i === segments.length - 1 && n === lines.length - 1) break;
        throw new Error(`${segment.path}, line ${n + 1}, is not a journal record`);
      }
      if (record.seq > after) records.push(record);
    }
  }
  records.sort((a, b) => a.seq - b.seq);
  for (const [i, r] of records.entries()) {
    if (r.seq !== after + 1 + i)
      throw new Error(`the simulator's journal beside ${file} misses operation #${after + 1 + i}`);
  }
  return { state, records };
}

function journalSegments(file: string): { path: string; first: number }[] {
  const dir = dirname(file);
  const prefix = `${basename(file)}.wal.`;
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .map((name) => ({ path: join(dir, name), first: Number(name.slice(prefix.length)) }))
    .sort((a, b) => a.first - b.first);
}

const segmentPath = (file: string, first: number) => `${file}.wal.${String(first).padStart(12, '0')}`;

type Queued = { seq: number; line: string } | { rotateTo: string; sealed: () => void };

export interface PersistenceOptions {
  /** Journal bytes after which the state is written as a new snapshot (default 8 MB). */
  compactBytes?: number;
}

export class Persistence implements OpJournal {
  private seq: number;
  private synced: number;
  private queue: Queued[] = [];
  private path: string;
  private file: FileHandle | null = null;
  private bytes = 0;
  private flushing: Promise<void> | null = null;
  private compacting: Promise<void> | null = null;
  private failure: Error | null = null;
  private waiters: { seq: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  private readonly compactBytes: number;

  /** `seq`: the last operation the state holds (the snapshot's, or the last replayed). */
  constructor(
    private readonly sim: Simulator,
    private readonly stateFile: string,
    seq: number,
    opts: PersistenceOptions = {},
  ) {
    this.seq = seq;
    this.synced = seq;
    this.path = segmentPath(stateFile, seq + 1);
    this.compactBytes = opts.compactBytes ?? 8 * 1024 * 1024;
    mkdirSync(dirname(stateFile), { recursive: true });
  }

  append(op: string, at: number, rng: number, inputJson: string): number {
    if (this.failure) throw this.failure;
    const seq = ++this.seq;
    const line = `{"seq":${seq},"op":${JSON.stringify(op)},"at":${at},"rng":${rng},"input":${inputJson}}\n`;
    this.queue.push({ seq, line });
    this.kick();
    return seq;
  }

  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.seq;
    if (this.synced >= seq) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  /**
   * Writes the state as a new snapshot and deletes the journal files it covers. Runs between operations
   * (they are synchronous), so the snapshot is the state after exactly the operations appended so far.
   */
  compact(): Promise<void> {
    this.compacting ??= this.writeSnapshot().finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }

  /** Resolves when the journal has nothing left to write and no snapshot is being written. */
  async settled(): Promise<void> {
    while (this.flushing || this.compacting) await (this.compacting ?? this.flushing);
  }

  /** A last snapshot; the journal is gone after it. */
  async close(): Promise<void> {
    await this.compacting;
    await this.compact();
    await this.flushing;
    await this.file?.close();
    this.file = null;
  }

  private async writeSnapshot(): Promise<void> {
    const cut = this.seq;
    const json = JSON.stringify({ ...this.sim.state, seq: cut });
    // Operations after the cut go to a new journal file; the ones before end in the old files.
    const sealed = new Promise<void>((resolve) =>
      this.queue.push({ rotateTo: segmentPath(this.stateFile, cut + 1), sealed: resolve }),
    );
    this.kick();
    await writeDurably(this.stateFile, json);
    await sealed;
    for (const segment of journalSegments(this.stateFile)) {
      if (segment.first <= cut) await rm(segment.path, { force: true });
    }
  }

  private kick(): void {
    // On the next turn of the event loop: the operations of this one share one write and one fsync.
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    let batch: Queued[] = [];
    try {
      while (this.queue.length > 0 && !this.failure) {
        let text = '';
        let last = this.synced;
        batch = this.queue.splice(0);
        for (const item of batch) {
          if ('line' in item) {
            text += item.line;
            last = item.seq;
            continue;
          }
          await this.write(text);
          text = '';
          this.settle(last);
          await this.file?.close();
          this.file = null;
          this.path = item.rotateTo;
          this.bytes = 0;
          item.sealed();
        }
        await this.write(text);
        this.settle(last);
      }
    } catch (err) {
      this.failure = new Error(`simulator: cannot write its journal: ${(err as Error).message}`);
      console.error(this.failure.message);
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
      // A snapshot waiting for the old journal file to be closed need not wait for a journal that failed.
      for (const item of [...batch, ...this.queue.splice(0)]) if ('sealed' in item) item.sealed();
    } finally {
      this.flushing = null;
    }
    if (this.bytes > this.compactBytes) void this.compact();
  }

  private async write(text: string): Promise<void> {
    if (!text) return;
    if (!this.file) {
      this.file = await open(this.path, 'a');
      syncDir(dirname(this.path));
    }
    await this.file.write(text);
    await this.file.datasync();
    this.bytes += Buffer.byteLength(text);
  }

  private settle(seq: number): void {
    this.synced = seq;
    this.waiters = this.waiters.filter((w) => {
      if (w.seq > seq) return true;
      w.resolve();
      return false;
    });
  }
}

/** Write to a temporary file, fsync, rename over the target, fsync the folder. */
async function writeDurably(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  syncDir(dirname(file));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

const heldHere = new Set<string>();

/**
 * One simulator per state file: a second one would delete the journal files the first writes to. A lock
 * whose process is gone (killed) is taken over.
 */
export function lockStateFile(file: string): () => void {
  const lock = `${file}.lock`;
  mkdirSync(dirname(file), { recursive: true });
  if (heldHere.has(lock)) throw stateInUse(file, process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      heldHere.add(lock);
      return () => {
        heldHere.delete(lock);
        rmSync(lock, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) throw stateInUse(file, holder);
      rmSync(lock, { force: true });
    }
  }
  throw new Error(`Could not lock ${file}`);
}

function stateInUse(file: string, pid: number): Error {
  return new Error(`The simulator state ${file} is in use by process ${pid}: one simulator per state file`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
