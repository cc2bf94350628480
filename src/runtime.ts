import type { FastifyBaseLogger } from 'fastify';
import { type Kysely, sql } from 'kysely';
import type { Deps, ProcessSettings, SyncCtx } from './modules/context.ts';
import { syncCtxOf } from './modules/context.ts';
import type { DomainEvent } from './modules/events.ts';
import { MODULES } from './modules/index.ts';
import type { ModuleManifest, OutboxEffect } from './modules/manifest.ts';
import type { Tables } from './modules/tables.ts';
import type { Clock } from './platform/clock.ts';
import { analyzeGrownTables } from './platform/db/analyze.ts';
import type { DatabaseKind } from './platform/db/connect.ts';
import { EventBus } from './platform/events/bus.ts';
import { EventDispatcher, purgeDomainEvents } from './platform/events/dispatcher.ts';
import { InboxDispatcher } from './platform/jobs/inbox.ts';
import { newHolder } from './platform/jobs/lease.ts';
import { WorkLoop } from './platform/jobs/loop.ts';
import { OutboxSender } from './platform/jobs/outbox.ts';
import { purgeWecomQueues, WECOM_QUEUE_RETENTION_DAYS } from './platform/jobs/retention.ts';
import { jobsDb } from './platform/jobs/tables.ts';
import { Waker } from './platform/jobs/wake.ts';
import type { Pii } from './platform/pii.ts';
import { platformDb } from './platform/tables.ts';
import { ConnectionRegistry } from './platform/wecom-links.ts';
import type { WecomClientOptions } from './wecom/client.ts';

/** Domain events are kept this long after every delivery is done (README: Operations). */
export const EVENT_RETENTION_DAYS = 30;

/**
 * The background half of Siyu, built from the module manifests: the inbox dispatcher (WeCom callbacks to
 * the module that handles them), the domain-event dispatcher (after-commit subscribers), the outbox sender
 * (WeCom calls, with the modules' effects) and the modules' jobs. A `web` process builds it for the deps
 * its routes need and never starts it; a `worker` (or `all`) process starts it.
 */
export interface Runtime {
  deps: Deps;
  /**
   * Requests this process is serving (set by the HTTP server in the same process): while at least
   * BUSY_REQUESTS are, the inbox handles one event at a time and the event deliveries wait, so a burst of
   * callbacks is acknowledged fast and handled right after (the ack never waits on business logic). The
   * inbox keeps one going because an add's welcome has 20 s; nothing after commit is in such a hurry, so
   * while the inbox is handling events the deliveries run one batch at a time (larger batches, and the CPU
   * left to the adds and their welcomes).
   */
  foreground: { inFlight: number };
  inbox: InboxDispatcher;
  events: EventDispatcher<SyncCtx, DomainEvent>;
  sender: OutboxSender;
  jobs: ReadonlyMap<string, WorkLoop>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs the inbox, the event deliveries and the outbox until none has work left (tests, CLI, demo). */
  drain(): Promise<void>;
  /** Runs one job until it finds nothing to do. */
  runJob(name: string): Promise<void>;
}

export interface RuntimeOptions {
  logger?: FastifyBaseLogger;
  clientOptions?: Partial<WecomClientOptions>;
  /** Inbox events handled at once; see inboxConcurrencyFor. */
  inboxConcurrency?: number;
  settings?: ProcessSettings;
  modules?: readonly ModuleManifest[];
  /** A PostgreSQL server's URL: wakes reach the other processes on it (LISTEN/NOTIFY). */
  databaseUrl?: string;
}

/** HTTP requests in flight from which this process's background work yields to them. */
export const BUSY_REQUESTS = 8;

/**
 * PGlite is one connection in this process: handlers running side by side only queue on it and keep the
 * outbox (the welcome lane) waiting, so two at once; a PostgreSQL server takes the dispatcher's default.
 */
export function inboxConcurrencyFor(kind: DatabaseKind): number | undefined {
  return kind === 'pglite' ? 2 : undefined;
}

export function createRuntime(
  base: { db: Kysely<Tables>; clock: Clock; pii: Pii },
  opts: RuntimeOptions = {},
): Runtime {
  const log = opts.logger;
  const modules = opts.modules ?? MODULES;
  const { db, clock } = base;
  const subscribers = modules.flatMap((m) => m.subscribes ?? []);
  const loops = new Map<string, WorkLoop>();
  let abort = new AbortController();
  const foreground = { inFlight: 0 };
  const busy = () => foreground.inFlight >= BUSY_REQUESTS;
  // the name this process's leases carry: renewed while it lives, so a dead one's rows come back in seconds
  const holder = newHolder();

  const kick = (name: string) => {
    if (name === 'inbox') inbox.kick();
    else if (name === 'outbox') sender.kick();
    else if (name === 'events') events.kick();
    else if (name.startsWith('job:')) loops.get(name.slice(4))?.kick();
  };
  const waker = new Waker(db as Kysely<unknown>, kick, opts.databaseUrl);
  const bus = new EventBus<SyncCtx, DomainEvent>(subscribers, clock, () => waker.wake('events'));
  const deps: Deps = {
    ...base,
    events: bus,
    links: new ConnectionRegistry(platformDb(db), base.pii, opts.clientOptions),
    wake: {
      inbox: () => waker.wake('inbox'),
      outbox: () => waker.wake('outbox'),
      job: (name) => waker.wake(`job:${name}`),
    },
    settings: opts.settings ?? { secureCookies: false },
  };

  const handlers = modules.flatMap((m) => (m.inbox ? [m.inbox(deps)] : []));
  if (handlers.length > 1) throw new Error('more than one module handles the WeCom inbox');
  const handle = handlers[0];
  const inbox = new InboxDispatcher({
    db: jobsDb(db),
    clock,
    ...(opts.inboxConcurrency ? { concurrency: opts.inboxConcurrency } : {}),
    limit: () => (busy() ? 1 : Number.POSITIVE_INFINITY),
    holder,
    // A handled event may have queued calls (a welcome has 20 s): wake the sender rather than wait for its poll.
    handle: async (event) => {
      await handle?.(event);
      sender.kick();
    },
    onError: (err, event) =>
      log?.warn(
        { err, inbox: event && { corp: event.corpId, id: event.id, type: event.eventType } },
        'inbox event failed',
      ),
  });

  const events = new EventDispatcher<SyncCtx, DomainEvent>({
    db: db as Kysely<unknown>,
    clock,
    subscribers,
    limit: () => (busy() ? 0 : inbox.active > 0 ? 1 : Number.POSITIVE_INFINITY),
    holder,
    ctxFor: (corpId) => syncCtxOf(deps, corpId),
    onError: (err, delivery) => log?.warn({ err, delivery }, 'domain event delivery failed'),
  });

  const effects = combineOutboxEffects(modules);
  const sender = new OutboxSender({
    db: jobsDb(db),
    clock,
    holder,
    send: async (row) => {
      const { client } = await deps.links.require(row.corpId);
      const send = effects[row.kind]?.send;
      return send
        ? send(syncCtxOf(deps, row.corpId), client, row)
        : (client.post(row.kind, row.request) as Promise<Record<string, unknown>>);
    },
    onDone: async (row, result) => {
      for (const onDone of effects[row.kind]?.onDone ?? [])
        await onDone(syncCtxOf(deps, row.corpId), row, result);
      // what onDone published (an id kept, tags to mark) may have queued more calls
      sender.kick();
    },
    onError: (err, row) =>
      log?.warn(
        { err, outbox: row && { corp: row.corpId, id: row.id, kind: row.kind } },
        'outbox call failed',
      ),
  });

  const jobs = [
    ...modules.flatMap((m) => m.jobs ?? []),
    {
      name: 'platform.purge-events',
      everyMs: 3_600_000,
      run: async () => {
        await purgeDomainEvents(
          db as Kysely<unknown>,
          new Date(clock.now().getTime() - EVENT_RETENTION_DAYS * 86_400_000),
        );
        return false;
      },
    },
    {
      // finished WeCom inbox and outbox rows, 30 days on (parked, pending and sync_key-named rows stay)
      name: 'platform.purge-wecom-queues',
      everyMs: 3_600_000,
      run: async () => {
        await purgeWecomQueues(
          db as Kysely<unknown>,
          new Date(clock.now().getTime() - WECOM_QUEUE_RETENTION_DAYS * 86_400_000),
        );
        return false;
      },
    },
    // PGlite has no autovacuum: without this, the planner keeps the statistics of a table's first rows.
    ...(opts.databaseUrl === undefined
      ? [
          {
            name: 'platform.analyze',
            everyMs: 60_000,
            run: async () => {
              await analyzeGrownTables(db as Kysely<unknown>);
              return false;
            },
          },
        ]
      : []),
  ];
  const jobSlots = new Slots(JOBS_AT_ONCE);
  for (const job of jobs) {
    if (loops.has(job.name)) throw new Error(`two jobs are named ${job.name}`);
    loops.set(
      job.name,
      new WorkLoop(
        () =>
          exclusive(db, opts.databaseUrl !== undefined, job.name, jobSlots, () =>
            job.run(deps, abort.signal),
          ),
        job.everyMs,
        (err) => log?.warn({ err, job: job.name }, 'job failed'),
      ),
    );
  }

  return {
    deps,
    foreground,
    inbox,
    events,
    sender,
    jobs: loops,
    async start() {
      abort = new AbortController();
      await waker.listen();
      inbox.start();
      events.start();
      sender.start();
      for (const loop of loops.values()) loop.start();
    },
    async stop() {
      abort.abort();
      await Promise.all([
        inbox.stop(),
        events.stop(),
        sender.stop(),
        ...[...loops.values()].map((l) => l.stop()),
      ]);
      await waker.stop();
    },
    async drain() {
      // each may give the others work (an event queues a call, a call's effect publishes an event)
      for (let round = 0; round < 20; round++) {
        await inbox.drain();
        await events.drain();
        await sender.drain();
        if ((await dueWork(db, clock.now())) === 0) return;
      }
    },
    async runJob(name) {
      const loop = loops.get(name);
      if (!loop) throw new Error(`no job ${name}`);
      await loop.drain();
    },
  };
}

/** Rows due now in the inbox, the event deliveries and the outbox. */
async function dueWork(db: Kysely<Tables>, now: Date): Promise<number> {
  const due = (table: string) =>
    sql`(select count(*) from ${sql.table(table)} where status = 'pending' and next_attempt_at <= ${now})`;
  const { rows } = await sql<{ n: number }>`
    select ${due('wecom_inbox')} + ${due('domain_event_deliveries')} + ${due('wecom_outbox')} as n`.execute(
    db,
  );
  return Number(rows[0]!.n);
}

/**
 * How many jobs a process runs at once on a PostgreSQL server. Each holds a pooled connection for its lock
 * while its work takes others from the same pool (10): with every job of the modules started together and
 * no limit, the locks alone could take the whole pool and each job wait for a connection none gives back.
 */
const JOBS_AT_ONCE = 3;

/** At most `n` holders at once; the others wait in turn. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

/**
 * Runs a job in one process at a time on a PostgreSQL server (a session advisory lock on a connection held
 * for the run; another process finding it taken skips this turn), JOBS_AT_ONCE of them at most in this
 * process. PGlite is one process and one connection.
 */
async function exclusive(
  db: Kysely<Tables>,
  shared: boolean,
  name: string,
  slots: Slots,
  run: () => Promise<boolean>,
): Promise<boolean> {
  if (!shared) return run();
  return slots.run(() =>
    db.connection().execute(async (conn) => {
      const { rows } = await sql<{
        ok: boolean;
      }>`select pg_try_advisory_lock(hashtext('siyu.job'), hashtext(${name})) as ok`.execute(conn);
      if (!rows[0]!.ok) return false;
      try {
        return await run();
      } finally {
        await sql`select pg_advisory_unlock(hashtext('siyu.job'), hashtext(${name}))`.execute(conn);
      }
    }),
  );
}

/**
 * The modules' outbox effects by kind. Several modules may act on one kind of call (journeys and mass sends
 * both post add_msg_template): each one's onDone runs (each looks at its own rows), and at most one may say
 * how the call is sent, or which one wins would depend on the order of the module list.
 */
export function combineOutboxEffects(
  modules: readonly ModuleManifest[],
): Record<string, { send?: OutboxEffect['send']; onDone: NonNullable<OutboxEffect['onDone']>[] }> {
  const out: Record<string, { send?: OutboxEffect['send']; onDone: NonNullable<OutboxEffect['onDone']>[] }> =
    {};
  const senders: Record<string, string> = {};
  for (const m of modules) {
    for (const [kind, effect] of Object.entries(m.outboxEffects ?? {})) {
      const entry = out[kind] ?? { onDone: [] };
      out[kind] = entry;
      if (effect.send) {
        if (entry.send) throw new Error(`modules ${senders[kind]} and ${m.name} both send ${kind}`);
        entry.send = effect.send;
        senders[kind] = m.name;
      }
      if (effect.onDone) entry.onDone.push(effect.onDone);
    }
  }
  return out;
}
