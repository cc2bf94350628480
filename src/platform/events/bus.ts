import { sql } from 'kysely';
import type { Clock } from '../clock.ts';
import { type CorpDb, gatheredUntilCommit, type Write } from '../db/corp-db.ts';

/** What the bus needs of an event; the whole event is its payload. */
export interface DomainEventShape {
  type: string;
  /** The customer it is about: after-commit deliveries of one customer run in order. Null: brand-wide. */
  customerId: number | null;
}

export type SubscriberMode = 'inTransaction' | 'afterCommit';

export interface BusSubscriber<C, E extends DomainEventShape = DomainEventShape> {
  /** Unique in the process, `<module>.<name>`: the delivery log names it. */
  id: string;
  event: E['type'];
  mode: SubscriberMode;
  handle(ctx: C, events: E[]): Promise<void>;
}

/** A context whose handle is bound to one corp (services' SyncCtx / Ctx). */
export interface BusCtx {
  // biome-ignore lint/suspicious/noExplicitAny: any schema; the bus reaches only its own tables
  cdb: CorpDb<any>;
}

/** A delivery row's `subscriber` is this and the event's type: every after-commit subscriber of the type. */
export const ON_EVENT = 'on:';

/**
 * Publishing writes the events to `domain_events` and a delivery row per event that has after-commit
 * subscribers in the producer's transaction (a transactional outbox), and runs the in-transaction
 * subscribers in that same transaction: they commit with the producer or not at all. After-commit
 * subscribers are delivered from the log by the EventDispatcher. The events a transaction publishes (an
 * add's, and those its subscribers publish in turn) are written together just before it commits: one
 * statement per transaction, not one per publish.
 */
export class EventBus<C extends BusCtx, E extends DomainEventShape = DomainEventShape> {
  private readonly inTransaction = new Map<string, BusSubscriber<C, E>[]>();
  /** The event types some after-commit subscriber takes. */
  private readonly afterCommit = new Set<string>();
  private readonly unwritten = gatheredUntilCommit((tx: C['cdb'], events: E[]) => this.log(tx, events));

  constructor(
    subscribers: readonly BusSubscriber<C, E>[],
    private readonly clock: Clock,
    /** Called after a publishing transaction commits (wakes the dispatcher). */
    private readonly onPublished: () => void = () => {},
  ) {
    const ids = new Set<string>();
    for (const s of subscribers) {
      if (ids.has(s.id)) throw new Error(`two subscribers are named ${s.id}`);
      ids.add(s.id);
      if (s.mode === 'inTransaction') {
        this.inTransaction.set(s.event, [...(this.inTransaction.get(s.event) ?? []), s]);
      } else {
        this.afterCommit.add(s.event);
      }
    }
  }

  async publish(ctx: C, events: readonly E[]): Promise<void> {
    if (events.length === 0) return;
    await ctx.cdb.transaction(async (tx) => {
      await this.unwritten.add(tx, events);
      const txCtx = { ...ctx, cdb: tx };
      // each subscriber once, with its events in publishing order
      const seen = new Set<string>();
      for (const e of events) {
        for (const s of this.inTransaction.get(e.type) ?? []) {
          if (seen.has(s.id)) continue;
          seen.add(s.id);
          await s.handle(
            txCtx,
            events.filter((x) => x.type === s.event),
          );
        }
      }
      if (events.some((e) => this.afterCommit.has(e.type))) tx.onCommit(this.onPublished);
    });
  }

  /**
   * The events in order, and a delivery for each that has after-commit subscribers, in order per customer and
   * event type: three writes of the transaction's final statement.
   */
  private log(tx: C['cdb'], events: readonly E[]): Write[] {
    const now = this.clock.now();
    const rows = events.map((e, n) => ({ type: e.type, customer_id: e.customerId, payload: e, n }));
    return [
      {
        name: 'published',
        sql: sql`select r.type, r.customer_id, r.payload, r.n
          from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
            as r(type text, customer_id bigint, payload jsonb, n int)
          order by r.n`,
      },
      {
        name: 'published_events',
        sql: sql`insert into domain_events (corp_id, type, customer_id, payload, created_at)
          select ${tx.corpId}, x.type, x.customer_id, x.payload, ${now} from published x order by x.n
          returning id, type, customer_id`,
      },
      {
        name: 'published_deliveries',
        sql: sql`insert into domain_event_deliveries (corp_id, event_id, subscriber, order_key, next_attempt_at)
          select ${tx.corpId}, e.id, ${ON_EVENT} || e.type,
            ${ON_EVENT} || e.type || ':' || coalesce(e.customer_id::text, '-'), ${now}
          from published_events e where e.type = any(${[...this.afterCommit]}::text[])
          order by e.id`,
      },
    ];
  }
}
