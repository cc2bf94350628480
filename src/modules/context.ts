import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Actor } from '../platform/actor.ts';
import type { Clock } from '../platform/clock.ts';
import { type CorpDb, corpDb } from '../platform/db/corp-db.ts';
import type { EventBus } from '../platform/events/bus.ts';
import { AppError } from '../platform/http/errors.ts';
import type { LoginLimits } from '../platform/http/rate-limit.ts';
import type { Pii } from '../platform/pii.ts';
import type { ConnectionRegistry } from '../platform/wecom-links.ts';
import type { DomainEvent } from './events.ts';
import type { Tables } from './tables.ts';

/** Wakes the process's workers (and, on a PostgreSQL server, the other processes') at once. */
export interface Wake {
  inbox(): void;
  outbox(): void;
  /** A module's background job, by the name its manifest gives it. */
  job(name: string): void;
}

/** How this process serves HTTP (from the configuration). */
export interface ProcessSettings {
  secureCookies: boolean;
  /** Failed logins allowed (per account and address, per address, per account) within 15 minutes. */
  loginLimits?: Partial<LoginLimits>;
  /** SIYU_PUBLIC_URL: where customers and WeCom reach Siyu. */
  publicUrl?: string;
}

/** What the modules' routes, services, subscribers and jobs share, built once per process. */
export interface Deps {
  db: Kysely<Tables>;
  clock: Clock;
  pii: Pii;
  events: Events;
  links: ConnectionRegistry;
  wake: Wake;
  settings: ProcessSettings;
}

/** A system-side view of one corp (event handlers, subscribers, sync): no caller, no scope narrowing. */
export interface SyncCtx {
  cdb: CorpDb<Tables>;
  clock: Clock;
  pii: Pii;
  events: Events;
}

/** One request's view: a handle bound to the caller's corp, and the caller. */
export interface Ctx extends SyncCtx {
  actor: Actor;
  /** The client's address, for a request (what the audit log records). */
  address?: string;
}

export type Events = EventBus<SyncCtx, DomainEvent>;

/** Publishes domain events in the transaction of `ctx` (one is opened when it has none). */
export function publish(ctx: SyncCtx, events: readonly DomainEvent[]): Promise<void> {
  return ctx.events.publish(ctx, events);
}

export function syncCtxOf(deps: Pick<Deps, 'db' | 'clock' | 'pii' | 'events'>, corpId: string): SyncCtx {
  return { cdb: corpDb(deps.db, corpId), clock: deps.clock, pii: deps.pii, events: deps.events };
}

/** A caller's view of their corp (a request's, or a system actor's in the demo and tests). */
export function ctxFor(deps: Pick<Deps, 'db' | 'clock' | 'pii' | 'events'>, actor: Actor): Ctx {
  return { ...syncCtxOf(deps, actor.corpId), actor };
}

export function ctxOf(deps: Deps, request: FastifyRequest): Ctx {
  const actor = request.actor;
  if (!actor) throw new AppError('unauthenticated');
  return { ...ctxFor(deps, actor), address: request.ip };
}
