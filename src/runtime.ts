import type { FastifyBaseLogger } from 'fastify';
import { SyncRunner } from './modules/connector/full-sync.ts';
import { type ContactAdded, createEventHandler } from './modules/connector/handlers.ts';
import { ConnectionRegistry } from './modules/connector/service.ts';
import type { Deps } from './modules/context.ts';
import { InboxDispatcher } from './platform/jobs/inbox.ts';
import { OutboxSender } from './platform/jobs/outbox.ts';
import { jobsDb } from './platform/jobs/tables.ts';
import type { WecomClientOptions } from './wecom/client.ts';

/** The background half of Siyu: WeCom links, the inbox dispatcher, the outbox sender, full syncs. */
export interface Runtime {
  links: ConnectionRegistry;
  dispatcher: InboxDispatcher;
  sender: OutboxSender;
  sync: SyncRunner;
  start(): void;
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  logger?: FastifyBaseLogger;
  clientOptions?: Partial<WecomClientOptions>;
  onContactAdded?: ((added: ContactAdded) => Promise<void>)[];
}

export function createRuntime(deps: Deps, opts: RuntimeOptions = {}): Runtime {
  const log = opts.logger;
  const links = new ConnectionRegistry(deps.db, deps.pii, opts.clientOptions);
  const dispatcher = new InboxDispatcher({
    db: jobsDb(deps.db),
    clock: deps.clock,
    handle: createEventHandler({ ...deps, links, onContactAdded: opts.onContactAdded }),
    onError: (err, event) =>
      log?.warn(
        { err, inbox: event && { corp: event.corpId, id: event.id, type: event.eventType } },
        'inbox event failed',
      ),
  });
  const sender = new OutboxSender({
    db: jobsDb(deps.db),
    clock: deps.clock,
    send: async (row) =>
      (await links.require(row.corpId)).client.post(row.kind, row.request) as Promise<
        Record<string, unknown>
      >,
    onError: (err, row) =>
      log?.warn(
        { err, outbox: row && { corp: row.corpId, id: row.id, kind: row.kind } },
        'outbox call failed',
      ),
  });
  const sync = new SyncRunner({ ...deps, links }, (err) => log?.warn({ err }, 'full sync failed'));
  return {
    links,
    dispatcher,
    sender,
    sync,
    start() {
      dispatcher.start();
      sender.start();
    },
    async stop() {
      await Promise.all([dispatcher.stop(), sender.stop()]);
    },
  };
}
