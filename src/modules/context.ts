import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Actor } from '../platform/actor.ts';
import type { Clock } from '../platform/clock.ts';
import { type CorpDb, corpDb } from '../platform/db/corp-db.ts';
import { AppError } from '../platform/http/errors.ts';
import type { Pii } from '../platform/pii.ts';
import type { Tables } from './tables.ts';

/** What the modules' routes and services share: the database, time, PII crypto. */
export interface Deps {
  db: Kysely<Tables>;
  clock: Clock;
  pii: Pii;
}

/** One request's view: a handle bound to the caller's corp, and the caller. */
export interface Ctx {
  cdb: CorpDb<Tables>;
  actor: Actor;
  clock: Clock;
  pii: Pii;
}

/** A system-side view of one corp (event handlers, sync): no caller, no scope narrowing. */
export interface SyncCtx {
  cdb: CorpDb<Tables>;
  clock: Clock;
  pii: Pii;
}

export function ctxOf(deps: Deps, request: FastifyRequest): Ctx {
  const actor = request.actor;
  if (!actor) throw new AppError('unauthenticated');
  return { cdb: corpDb(deps.db, actor.corpId), actor, clock: deps.clock, pii: deps.pii };
}
