import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MigrationSource } from '../platform/db/migrate.ts';
import type { BusSubscriber } from '../platform/events/bus.ts';
import type { Session } from '../platform/http/app.ts';
import type { InboxEvent } from '../platform/jobs/inbox.ts';
import type { OutboxRow } from '../platform/jobs/outbox.ts';
import type { WecomClient } from '../wecom/client.ts';
import type { Deps, SyncCtx } from './context.ts';
import type { DomainEvent, DomainEventType, EventOf } from './events.ts';

/**
 * What a module does around one kind of outbox call (the kind is the WeCom API path). Without an entry, or
 * without `send`, the row's request is posted to its path as it is.
 */
export interface OutboxEffect {
  /** Makes the call itself, e.g. to send the current state rather than the one at enqueue time. */
  send?(ctx: SyncCtx, client: WecomClient, row: OutboxRow): Promise<Record<string, unknown>>;
  /** After the row is done: keep what WeCom answered (an id, a QR code). */
  onDone?(ctx: SyncCtx, row: OutboxRow, result: Record<string, unknown>): Promise<void>;
}

export type OutboxEffects = Readonly<Record<string, OutboxEffect>>;

export type Routes = (app: FastifyInstance) => Promise<void>;

/** A background job a worker process runs: every `everyMs`, and at once when woken (`deps.wake.job(name)`). */
export interface Job {
  /** Unique in the process, `<module>.<name>`. */
  name: string;
  everyMs: number;
  /** One pass; true when there may be more to do at once. `signal` aborts when the process stops. */
  run(deps: Deps, signal: AbortSignal): Promise<boolean>;
}

export type Subscriber = BusSubscriber<SyncCtx, DomainEvent>;

/**
 * What a module is, for the process that runs it: the only thing server.ts and runtime.ts read. A module
 * writes only the tables it lists; it imports only platform/, wecom/, the shared contracts (events.ts,
 * context.ts, manifest.ts, tables.ts) and other modules' index.ts (module-boundaries.test.ts checks it).
 */
export interface ModuleManifest {
  name: string;
  /** The modules whose faces it imports or whose tables its migrations refer to. */
  dependsOn: readonly string[];
  /** The tables it owns: only it writes them. */
  tables: readonly string[];
  migrations: Omit<MigrationSource, 'name'>;
  /** Its API, under /api/v1 (each route declares its access rule). */
  routes?(deps: Deps): Routes;
  /** Its routes outside /api/v1: callbacks, signed webhooks, public pages. */
  rootRoutes?(deps: Deps): Routes;
  publishes: readonly DomainEventType[];
  subscribes?: readonly Subscriber[];
  /** What it does around its kinds of WeCom calls in the outbox. */
  outboxEffects?: OutboxEffects;
  /** Resolves a request's session to its caller (one module does). */
  authenticate?(deps: Deps): (request: FastifyRequest) => Promise<Session | null>;
  /** Handles the WeCom callbacks the inbox holds (one module does). */
  inbox?(deps: Deps): (event: InboxEvent) => Promise<void>;
  jobs?: readonly Job[];
}

/** A subscriber, typed by its event. `name` is unique in its module. */
export function subscriber<T extends DomainEventType>(
  module: string,
  name: string,
  event: T,
  mode: Subscriber['mode'],
  handle: (ctx: SyncCtx, events: EventOf<T>[]) => Promise<void>,
): Subscriber {
  return { id: `${module}.${name}`, event, mode, handle: handle as Subscriber['handle'] };
}

/** A module's migrations folder, beside its module.ts: `migrationsOf(import.meta.url)`. */
export const migrationsOf = (moduleUrl: string): string => fileURLToPath(new URL('./migrations', moduleUrl));
