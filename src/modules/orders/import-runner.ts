import { corpDb } from '../../platform/db/corp-db.ts';
import type { Deps } from '../context.ts';
import { type ImportJob, type RunOptions, runImport } from './import-service.ts';

/**
 * Runs imports in the background of the server, one promise per import; on start (and every minute) picks up
 * the imports left running by a process that stopped or crashed, once their lease has run out.
 */
export class ImportRunner {
  private readonly running = new Map<string, Promise<ImportJob | null>>();
  private stopping = false;

  constructor(
    private readonly deps: Deps,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  start(corpId: string, id: number, opts: Pick<RunOptions, 'checked'> = {}): void {
    const key = `${corpId}:${id}`;
    if (this.running.has(key) || this.stopping) return;
    const ctx = { cdb: corpDb(this.deps.db, corpId), clock: this.deps.clock, pii: this.deps.pii };
    const p = runImport(ctx, id, { ...opts, shouldStop: () => this.stopping }).finally(() =>
      this.running.delete(key),
    );
    p.catch(this.onError);
    this.running.set(key, p);
  }

  /** The running import's end (tests and the CLI wait on it). */
  wait(corpId: string, id: number): Promise<ImportJob | null> {
    return this.running.get(`${corpId}:${id}`) ?? Promise.resolve(null);
  }

  /** Resumes every import whose process is gone; true when it found one. */
  async resumeInterrupted(): Promise<boolean> {
    const now = this.deps.clock.now();
    const open = await this.deps.db
      .selectFrom('order_imports')
      .select(['corp_id', 'id'])
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .execute();
    for (const j of open) this.start(j.corp_id, j.id);
    return false;
  }

  /** Lets each running import finish its batch and leave itself resumable. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.running.values());
  }
}
