import pg from 'pg';

/**
 * One background job runs at a time across the processes sharing a PostgreSQL server: a session advisory lock
 * per job name, taken on a connection of its own (one per process, whatever the number of jobs). Taking it
 * on a pool connection held for the job's whole run (as before) starved the pool: with as many jobs as the
 * pool has connections, every connection held a lock while each job waited for one to do its work.
 * If the connection drops, its locks go with it and it is made again on the next run.
 */
export class JobLocks {
  private client: Promise<pg.Client> | undefined;

  constructor(private readonly url: string) {}

  private connection(): Promise<pg.Client> {
    if (!this.client) {
      const client = new pg.Client({ connectionString: this.url });
      const connecting = client.connect().then(() => client);
      client.on('error', () => {
        if (this.client === connecting) this.client = undefined;
      });
      connecting.catch(() => {
        if (this.client === connecting) this.client = undefined;
      });
      this.client = connecting;
    }
    return this.client;
  }

  /** Runs `run` holding the lock of `name`; false at once, without running, when another process holds it. */
  async exclusive(name: string, run: () => Promise<boolean>): Promise<boolean> {
    const client = await this.connection();
    const { rows } = await client.query<{ ok: boolean }>(
      `select pg_try_advisory_lock(hashtext('siyu.job'), hashtext($1)) as ok`,
      [name],
    );
    if (!rows[0]?.ok) return false;
    try {
      return await run();
    } finally {
      await client
        .query(`select pg_advisory_unlock(hashtext('siyu.job'), hashtext($1))`, [name])
        .catch(() => {});
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await (await client?.catch(() => undefined))?.end().catch(() => {});
  }
}
