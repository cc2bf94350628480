import type { FastifyBaseLogger } from 'fastify';
import { onChannelAdd } from './modules/channels/on-add.ts';
import { channelOutboxEffects, rerouteAll } from './modules/channels/routing.ts';
import { SyncRunner } from './modules/connector/full-sync.ts';
import { type ContactAdded, createEventHandler } from './modules/connector/handlers.ts';
import type { OutboxEffects } from './modules/connector/outbox-effects.ts';
import { ConnectionRegistry } from './modules/connector/service.ts';
import type { Deps } from './modules/context.ts';
import { runFactsJob } from './modules/customers/facts.ts';
import { DAY_MS } from './modules/customers/rfm.ts';
import { ImportRunner } from './modules/orders/import-runner.ts';
import { onAddTagRules } from './modules/tags/auto-rules.ts';
import { tagOutboxEffects } from './modules/tags/push.ts';
import type { DatabaseKind } from './platform/db/connect.ts';
import { corpDb } from './platform/db/corp-db.ts';
import { InboxDispatcher } from './platform/jobs/inbox.ts';
import { WorkLoop } from './platform/jobs/loop.ts';
import { OutboxSender } from './platform/jobs/outbox.ts';
import { jobsDb } from './platform/jobs/tables.ts';
import type { WecomClientOptions } from './wecom/client.ts';

/** The background half of Siyu: WeCom links, the inbox dispatcher, the outbox sender, full syncs. */
export interface Runtime {
  links: ConnectionRegistry;
  dispatcher: InboxDispatcher;
  sender: OutboxSender;
  sync: SyncRunner;
  imports: ImportRunner;
  /** The customer facts job: full recomputes after a settings change, the daily pass over stale facts. */
  facts: WorkLoop;
  start(): void;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  logger?: FastifyBaseLogger;
  clientOptions?: Partial<WecomClientOptions>;
  onContactAdded?: ((added: ContactAdded) => Promise<void>)[];
  /** Inbox events handled at once; see inboxConcurrencyFor. */
  inboxConcurrency?: number;
  /** How often the facts job looks for customers whose stage moved with time alone; default a day. */
  factsDriftMs?: number;
}

/**
 * PGlite is one connection in this process: handlers running side by side only queue on it and keep the
 * outbox (the welcome lane) waiting, so two at once; a PostgreSQL server takes the dispatcher's default.
 */
export function inboxConcurrencyFor(kind: DatabaseKind): number | undefined {
  return kind === 'pglite' ? 2 : undefined;
}

export function createRuntime(deps: Deps, opts: RuntimeOptions = {}): Runtime {
  const log = opts.logger;
  const links = new ConnectionRegistry(deps.db, deps.pii, opts.clientOptions);
  const handleEvent = createEventHandler({
    ...deps,
    links,
    // The channel's attribution and welcome first (WeCom's 20 s window), then the channel tag rules.
    onContactAdded: [onChannelAdd, onAddTagRules, ...(opts.onContactAdded ?? [])],
  });
  const dispatcher = new InboxDispatcher({
    db: jobsDb(deps.db),
    clock: deps.clock,
    ...(opts.inboxConcurrency ? { concurrency: opts.inboxConcurrency } : {}),
    // A handled event may have enqueued calls (a welcome has 20 s): wake the sender rather than wait for its poll.
    handle: async (event) => {
      await handleEvent(event);
      sender.kick();
    },
    onError: (err, event) =>
      log?.warn(
        { err, inbox: event && { corp: event.corpId, id: event.id, type: event.eventType } },
        'inbox event failed',
      ),
  });
  // What the modules do around their calls, by kind (the WeCom API path).
  const effects: OutboxEffects = { ...channelOutboxEffects, ...tagOutboxEffects };
  const sender = new OutboxSender({
    db: jobsDb(deps.db),
    clock: deps.clock,
    send: async (row) => {
      const { client } = await links.require(row.corpId);
      const send = effects[row.kind]?.send;
      return send
        ? send(syncCtx(row.corpId), client, row)
        : (client.post(row.kind, row.request) as Promise<Record<string, unknown>>);
    },
    onDone: async (row, result) => {
      await effects[row.kind]?.onDone?.(syncCtx(row.corpId), row, result);
    },
    onError: (err, row) =>
      log?.warn(
        { err, outbox: row && { corp: row.corpId, id: row.id, kind: row.kind } },
        'outbox call failed',
      ),
  });
  const syncCtx = (corpId: string) => ({ cdb: corpDb(deps.db, corpId), clock: deps.clock, pii: deps.pii });
  // Channel codes follow working hours and daily caps: re-route every code once a minute.
  const reroute = new WorkLoop(
    async () => {
      const corps = await deps.db.selectFrom('corps').select('corp_id').execute();
      for (const { corp_id } of corps) await rerouteAll(syncCtx(corp_id));
      return false;
    },
    60_000,
    (err) => log?.warn({ err }, 'channel re-routing failed'),
  );
  // Customer facts: a full recompute when a brand's thresholds changed (kicked by the settings API), and
  // once a day the customers whose stage moved with time alone (dormant without any event). Hourly polls
  // that find neither are one read per brand.
  const facts = new WorkLoop(
    async () => {
      const corps = await deps.db.selectFrom('corps').select('corp_id').execute();
      for (const { corp_id } of corps) {
        await runFactsJob(syncCtx(corp_id), { driftEveryMs: opts.factsDriftMs ?? DAY_MS }).catch((err) =>
          log?.warn({ err, corp: corp_id }, 'customer facts job failed'),
        );
      }
      return false;
    },
    3_600_000,
    (err) => log?.warn({ err }, 'customer facts job failed'),
  );
  const sync = new SyncRunner({ ...deps, links }, (err) => log?.warn({ err }, 'full sync failed'));
  const imports = new ImportRunner(deps, (err) => log?.warn({ err }, 'order import failed'));
  // Order imports left running by a stopped or crashed process resume once their lease runs out.
  const resumeImports = new WorkLoop(
    () => imports.resumeInterrupted(),
    60_000,
    (err) => log?.warn({ err }, 'resuming order imports failed'),
  );
  return {
    links,
    dispatcher,
    sender,
    sync,
    imports,
    facts,
    start() {
      dispatcher.start();
      sender.start();
      reroute.start();
      resumeImports.start();
      facts.start();
    },
    async stop() {
      await Promise.all([
        dispatcher.stop(),
        sender.stop(),
        reroute.stop(),
        resumeImports.stop(),
        facts.stop(),
        imports.stop(),
      ]);
    },
  };
}
