import { type Kysely, sql } from 'kysely';
import type { Clock } from '../clock.ts';
import type { CorpDb } from '../db/corp-db.ts';

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

/**
 * Publishing writes the events to `domain_events` and a delivery row per after-commit subscriber in the
 * producer's transaction (a transactional outbox), then runs the in-transaction subscribers in that same
 * transaction: they commit with the producer or not at all. After-commit subscribers are delivered from
 * the log by the EventDispatcher.
 */
export class EventBus<C extends BusCtx, E extends DomainEventShape = DomainEventShape> {
  private readonly inTransaction = new Map<string, BusSubscriber<C, E>[]>();
  private readonly afterCommit: { type: string; subscriber: string }[] = [];

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
        this.afterCommit.push({ type: s.event, subscriber: s.id });
      }
    }
  }

  async publish(ctx: C, events: readonly E[]): Promise<void> {
    if (events.length === 0) return;
    await ctx.cdb.transaction(async (tx) => {
      await this.log(tx, events);
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
      if (this.afterCommit.some((s) => events.some((e) => e.type === s.type))) tx.onCommit(this.onPublished);
    });
  }

  /** One statement: the events in order, and a delivery per after-commit subscriber of each. */
  private async log(tx: C['cdb'], events: readonly E[]): Promise<void> {
    const now = this.clock.now();
    await sql`
      with x as (
        select r.type, r.customer_id, r.payload, r.n
        from jsonb_to_recordset(${JSON.stringify(events.map((e, n) => ({ type: e.type, customer_id: e.customerId, payload: e, n })))}::jsonb)
          as r(type text, customer_id bigint, payload jsonb, n int)
        order by r.n),
      e as (
        insert into domain_events (corp_id, type, customer_id, payload, created_at)
        select ${tx.corpId}, x.type, x.customer_id, x.payload, ${now} from x order by x.n
        returning id, type, customer_id)
      insert into domain_event_deliveries (corp_id, event_id, subscriber, order_key, next_attempt_at)
      select ${tx.corpId}, e.id, s.subscriber, s.subscriber || ':' || coalesce(e.customer_id::text, '-'), ${now}
      from e join jsonb_to_recordset(${JSON.stringify(this.afterCommit)}::jsonb) as s(type text, subscriber text)
        on s.type = e.type
      order by e.id, s.subscriber`.execute(tx.db as Kysely<unknown>);
  }
}
