import { type Clock, systemClock } from './clock.ts';
import { notFound } from './errors.ts';
import type { SimEvent } from './event-xml.ts';
import { Ids } from './ids.ts';
import { type CorpState, emptyState, type SimState } from './model.ts';
import { type Delivery, Pusher, type PushOptions } from './push.ts';
import { Rng } from './random.ts';
import { RateLimiter } from './rate-limit.ts';

export interface SimulatorOptions {
  clock?: Clock;
  /** Seeds the id generator (ids are then reproducible). */
  seed?: number;
  push?: PushOptions;
  state?: SimState;
}

export interface CorpCounters {
  api: Record<string, { calls: number; errors: Record<string, number> }>;
  events: Record<string, number>;
  scenarios: Record<string, number>;
}

/**
 * The in-memory WeCom: state of every corp plus the clock, id generator, rate limiter and callback pusher.
 * Domain functions (contacts.ts, groups.ts, …) take it as their first argument; the HTTP routes are thin.
 */
export class Simulator {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly ids: Ids;
  readonly pusher: Pusher;
  readonly rateLimiter = new RateLimiter();
  state: SimState;
  private readonly counters = new Map<string, CorpCounters>();
  private readonly listeners = new Set<() => void>();

  constructor(opts: SimulatorOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.rng = new Rng(opts.seed);
    this.ids = new Ids(this.rng);
    this.pusher = new Pusher(this.clock, opts.push);
    this.state = opts.state ?? emptyState();
  }

  nowMs(): number {
    return this.clock.now().getTime();
  }

  nowS(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  findCorp(corpid: string): CorpState | undefined {
    return Object.hasOwn(this.state.corps, corpid) ? this.state.corps[corpid] : undefined;
  }

  /** The corp, or a 404 for the control API. */
  corp(corpid: string): CorpState {
    const corp = this.findCorp(corpid);
    if (!corp) throw notFound('corp', corpid);
    return corp;
  }

  /** Tells listeners (the state file) that state changed. */
  changed(): void {
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Pushes a callback event for a user-side action. `orderKey` groups events that must arrive in order
   * (`customer:<external_userid>`, `chat:<chat_id>`, `tags`).
   */
  emit(corp: CorpState, orderKey: string, event: SimEvent): Delivery {
    const counters = this.countersOf(corp.corpid);
    const name = `${event.Event}/${event.ChangeType}`;
    counters.events[name] = (counters.events[name] ?? 0) + 1;
    return this.pusher.push(
      {
        corpid: corp.corpid,
        url: corp.callback_url,
        token: corp.token,
        encoding_aes_key: corp.encoding_aes_key,
        agentid: corp.agentid,
      },
      orderKey,
      event,
      this.nowS(),
    );
  }

  countersOf(corpid: string): CorpCounters {
    let counters = this.counters.get(corpid);
    if (!counters) {
      counters = { api: {}, events: {}, scenarios: {} };
      this.counters.set(corpid, counters);
    }
    return counters;
  }

  countApiCall(corpid: string, api: string, errcode: number): void {
    const counters = this.countersOf(corpid);
    const entry = counters.api[api] ?? { calls: 0, errors: {} };
    entry.calls++;
    if (errcode !== 0) entry.errors[String(errcode)] = (entry.errors[String(errcode)] ?? 0) + 1;
    counters.api[api] = entry;
  }

  countScenario(corpid: string, name: string): void {
    const counters = this.countersOf(corpid);
    counters.scenarios[name] = (counters.scenarios[name] ?? 0) + 1;
  }

  forgetCorp(corpid: string): void {
    this.counters.delete(corpid);
    this.pusher.forget(corpid);
  }

  /** Waits until every queued callback delivery has finished. */
  idle(): Promise<void> {
    return this.pusher.idle();
  }

  async close(): Promise<void> {
    await this.pusher.close();
  }
}
