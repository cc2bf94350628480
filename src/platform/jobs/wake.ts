import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';

const CHANNEL = 'siyu_wake';
/** Wakes of one name within this window go out as one NOTIFY (other processes hear of them this much later). */
const NOTIFY_WINDOW_MS = 10;

/**
 * Wakes workers at once instead of at their next poll: in this process by calling `onWake`, and, on a
 * PostgreSQL server, in every process listening (NOTIFY, delivered when the notifying transaction commits).
 * Names are the work to look at: `inbox`, `outbox`, `events`, `job:<name>`. Polls stay the fallback, so a
 * lost notification only delays work.
 */
export class Waker {
  private client: pg.Client | undefined;
  /** Sent with each NOTIFY: this process woke its own workers already, so it ignores its own notifications. */
  private readonly sender = randomUUID();

  constructor(
    private readonly db: Kysely<unknown>,
    private readonly onWake: (name: string) => void,
    /** A PostgreSQL server's URL: other processes share it. Without one (PGlite) waking stays in process. */
    private readonly url?: string,
  ) {}

  /** Names to notify at the end of the current window: a burst of wakes is one NOTIFY, not a round trip each. */
  private readonly queued = new Set<string>();

  wake(name: string): void {
    this.onWake(name);
    if (!this.url || this.queued.has(name)) return;
    this.queued.add(name);
    setTimeout(() => {
      this.queued.delete(name);
      sql`select pg_notify(${CHANNEL}, ${`${name} ${this.sender}`})`.execute(this.db).catch(() => {});
    }, NOTIFY_WINDOW_MS).unref();
  }

  /** Listens for the other processes' wakes (a worker). */
  async listen(): Promise<void> {
    if (!this.url || this.client) return;
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (n) => {
      const [name, sender] = (n.payload ?? '').split(' ');
      if (name && sender !== this.sender) this.onWake(name);
    });
    // a lost connection only means polling until the next start; it must not crash the process
    client.on('error', () => {});
    await client.connect();
    await client.query(`listen ${CHANNEL}`);
    this.client = client;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
