import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import { QueueDispatcher } from '../jobs/queue.ts';
import { type BusSubscriber, type DomainEventShape, ON_EVENT } from './bus.ts';

interface DeliveryRow {
  corp_id: string;
  id: number;
  attempts: number;
  event_id: number;
  subscriber: string;
  done_by: string[];
}

export interface EventDispatcherOptions<C, E extends DomainEventShape> {
  db: Kysely<unknown>;
  clock: Clock;
  subscribers: readonly BusSubscriber<C, E>[];
  /** The context an after-commit subscriber runs in, for one corp. */
  ctxFor(corpId: string): C;
  concurrency?: number;
  /** The concurrency allowed now, when lower (see JobPumpOptions.limit). */
  limit?: () => number;
  /** This process's name on the leases it takes (see jobs/lease.ts). */
  holder?: string;
  pollMs?: number;
  onError?: (err: unknown, delivery?: { corpId: string; subscriber: string; eventIds: number[] }) => void;
}

/**
 * After-commit work waits this long for more to claim with it: every publishing commit kicks the dispatcher,
 * and a claim looks at a window of the oldest due deliveries whatever it finds there, so at 150 adds a second
 * one claim per kick cost more of PostgreSQL than the deliveries' own work. Nobody waits on these 200 ms.
 */
const GATHER_MS = 200;

/**
 * Delivers the log to the after-commit subscribers at least once: claimed with a lease like the inbox's,
 * in order per customer and event type, retried with backoff, parked after 8 failures (kept, visible).
 * Deliveries of one event type and brand claimed together go to each of the type's subscribers in one call,
 * in event order; when one fails, those before it are recorded as done (done_by), so the retry runs only
 * the others.
 */
export class EventDispatcher<C, E extends DomainEventShape> extends QueueDispatcher<DeliveryRow> {
  constructor(opts: EventDispatcherOptions<C, E>) {
    const afterCommit = opts.subscribers.filter((s) => s.mode === 'afterCommit');
    const byId = new Map(afterCommit.map((s) => [s.id, s]));
    super({
      db: opts.db,
      clock: opts.clock,
      table: 'domain_event_deliveries',
      columns: ['event_id', 'subscriber', 'done_by'],
      groupBy: 'subscriber',
      concurrency: opts.concurrency ?? 4,
      limit: opts.limit,
      holder: opts.holder,
      pollMs: opts.pollMs ?? 1_000,
      gatherMs: GATHER_MS,
      batchSize: 200,
      handle: async (rows) => {
        const { corp_id: corpId, subscriber } = rows[0]!;
        // a row of an event type, or (written before rows were per event) of one subscriber
        const subscribers = subscriber.startsWith(ON_EVENT)
          ? afterCommit.filter((s) => s.event === subscriber.slice(ON_EVENT.length))
          : [byId.get(subscriber) ?? missing(subscriber)];
        const { rows: found } = await sql<{ id: number; payload: E }>`
          select id, payload from domain_events
          where corp_id = ${corpId} and id in (${sql.join(rows.map((r) => r.event_id))}) order by id`.execute(
          opts.db,
        );
        const payloads = new Map(found.map((e) => [Number(e.id), e.payload]));
        const ctx = opts.ctxFor(corpId);
        const done: string[] = [];
        for (const s of subscribers) {
          const due = rows.filter((r) => !r.done_by.includes(s.id));
          if (due.length === 0) continue;
          try {
            await s.handle(
              ctx,
              due.map((r) => payloads.get(Number(r.event_id))!),
            );
          } catch (err) {
            if (done.length > 0) {
              // kept on the rows too: a failed batch is tried again row by row with these very rows
              for (const r of rows) r.done_by = [...new Set([...r.done_by, ...done])];
              await sql`
                update domain_event_deliveries
                set done_by = array(select distinct x from unnest(done_by || ${done}::text[]) x)
                where corp_id = ${corpId} and id in (${sql.join(rows.map((r) => r.id))})`.execute(opts.db);
            }
            throw Object.assign(new Error(`${s.id}: ${(err as Error)?.message ?? err}`), { cause: err });
          }
          done.push(s.id);
        }
      },
      onError: (err, rows) =>
        opts.onError?.(
          err,
          rows?.[0] && {
            corpId: rows[0].corp_id,
            subscriber: rows[0].subscriber,
            eventIds: rows.map((r) => r.event_id),
          },
        ),
    });
  }
}

function missing(subscriber: string): never {
  throw new Error(`no subscriber ${subscriber} in this process`);
}

/**
 * Deletes events older than `before` whose deliveries are all done (their delivery rows go with them), in
 * batches, so a large backlog never holds one long transaction. Parked or pending deliveries keep their
 * event. Returns the number of events deleted.
 */
export async function purgeDomainEvents(db: Kysely<unknown>, before: Date, batch = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      with gone as (
        delete from domain_events e where (e.corp_id, e.id) in (
          select x.corp_id, x.id from domain_events x
          where x.created_at < ${before}
            and not exists (select 1 from domain_event_deliveries d
              where d.corp_id = x.corp_id and d.event_id = x.id and d.status <> 'done')
          limit ${batch})
        returning 1)
      select count(*)::int as n from gone`.execute(db);
    total += rows[0]!.n;
    if (rows[0]!.n < batch) return total;
  }
}
