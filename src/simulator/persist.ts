import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SimState } from './model.ts';
import type { Simulator } from './state.ts';

/** The state file: loaded at start, saved (debounced, write-to-temp + rename) after changes. */

export function loadState(file: string): SimState | undefined {
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as SimState;
  if (state.version !== 1 || typeof state.corps !== 'object') {
    throw new Error(`${file} is not a simulator state file (version 1)`);
  }
  state.tokens ??= {};
  return state;
}

export async function saveState(file: string, state: SimState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(state));
  await rename(temp, file);
}

export class StateSaver {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private dirty = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly sim: Simulator,
    private readonly file: string,
    private readonly debounceMs = 1000,
  ) {
    this.unsubscribe = sim.onChange(() => this.schedule());
  }

  schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write().catch((err) => console.error('simulator: cannot save state', err));
    }, this.debounceMs);
  }

  /** Writes now if anything changed, and waits for it. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.write();
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.flush();
  }

  private async write(): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    this.writing = saveState(this.file, this.sim.state).finally(() => {
      this.writing = null;
    });
    await this.writing;
  }
}
