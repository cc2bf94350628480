import { type Clock, systemClock } from './clock.ts';
import { notFound } from './errors.ts';
import type { SimEvent } from './event-xml.ts';
import { Ids } from './ids.ts';
import { type CorpState, emptyState, type SimState } from './model.ts';
import { type Delivery, Pusher, type PushOptions } from './push.ts';
import { Rng } from './random.ts';
import { RateLimiter } from './rate-limit.ts';
import { SETTLE_OP, settleTransfers } from './transfer.ts';

export interface SimulatorOptions {
  clock?: Clock;
  /** Seeds the id generator (ids are then reproducible). */
  seed?: number;
  push?: PushOptions;
  state?: SimState;
  /** Where members' and customers' avatars are served (see Ids); default WeCom's image host. */
  avatarBase?: string;
}

/** A state change as the journal keeps it: replayed with the same time, random state and input, it does the same. */
export interface OpRecord {
  seq: number;
  op: string;
  /** The simulated time (ms) the operation ran at: nowMs() answers it throughout. */
  at: number;
  /** The id generator's state when it began. */
  rng: number;
  input: unknown;
}

/** Where operations are written before they run (persist.ts). */
export interface OpJournal {
  /** Appends one operation (the JSON text of its input given); returns its sequence number. */
  append(op: string, at: number, rng: number, inputJson: string): number;
  /** Resolves when every operation appended so far is on disk. */
  durable(): Promise<void>;
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
  /**
   * A test's fault, not state (never journaled): `corpid|path` → how many of the next calls to that API act
   * and then lose their answer (the connection is closed), as a timeout after WeCom accepted a call.
   */
  readonly droppedAnswers = new Map<string, number>();
  state: SimState;
  private readonly counters = new Map<string, CorpCounters>();
  private readonly ops = new Map<string, (input: never) => unknown>();
  private journal: OpJournal | null = null;
  private opAtMs: number | null = null;
  private replaying = false;

  /** Counts down one dropped answer of `path` for the corp: true when this call's answer is to be lost. */
  takeDroppedAnswer(corpid: string, path: string): boolean {
    const key = `${corpid}|${path}`;
    const left = this.droppedAnswers.get(key) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.droppedAnswers.delete(key);
    else this.droppedAnswers.set(key, left - 1);
    return true;
  }

  constructor(opts: SimulatorOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.rng = new Rng(opts.seed);
    this.ids = new Ids(this.rng, opts.avatarBase);
    this.pusher = new Pusher(this.clock, opts.push);
    this.state = opts.state ?? emptyState();
    this.defineOp<{ corpid: string }>(SETTLE_OP, ({ corpid }) => settleTransfers(this, this.corp(corpid)));
  }

  /** Inside an operation, the time it began: one operation reads one instant, and its replay the same. */
  nowMs(): number {
    return this.opAtMs ?? this.clock.now().getTime();
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

  /**
   * Names a kind of state change. Every change of the state goes through run(name, input): with a journal
   * (a state file), the operation is appended before it runs and replayed after a crash, so a handler must
   * be synchronous and depend only on the state, its input, nowMs() and this.rng.
   */
  defineOp<I>(name: string, handler: (input: I) => unknown): void {
    this.ops.set(name, handler as (input: never) => unknown);
  }

  /** Runs a state change as one journaled operation (nested calls are part of the outer one). */
  run<R>(name: string, input: unknown): R {
    const handler = this.ops.get(name) as ((input: unknown) => R) | undefined;
    if (!handler) throw new Error(`simulator: no operation ${name}`);
    if (this.opAtMs !== null) return handler(input);
    const at = this.clock.now().getTime();
    let given = input;
    if (this.journal) {
      const json = JSON.stringify(input ?? null);
      this.journal.append(name, at, this.rng.state, json);
      // The handler sees what the journal holds, so that its replay starts from the same input.
      given = JSON.parse(json);
    }
    this.opAtMs = at;
    try {
      const result = handler(given);
      if (result instanceof Promise) throw new Error(`simulator: operation ${name} must be synchronous`);
      return result;
    } finally {
      this.opAtMs = null;
    }
  }

  /**
   * Replays journaled operations on the state they were recorded after; pushes nothing (what was pushed went
   * out before the crash). An operation that failed when it ran fails again, the same way, and is passed over.
   */
  replay(records: Iterable<OpRecord>): number {
    let n = 0;
    this.replaying = true;
    try {
      for (const r of records) {
        const handler = this.ops.get(r.op);
        if (!handler)
          throw new Error(
            `the simulator's journal holds an operation this version does not know (${r.op}, #${r.seq})`,
          );
        this.rng.state = r.rng;
        this.opAtMs = r.at;
        try {
          (handler as (input: unknown) => unknown)(r.input);
        } catch {
          // failed the same way when it ran
        } finally {
          this.opAtMs = null;
        }
        n++;
      }
    } finally {
      this.replaying = false;
    }
    return n;
  }

  /** From now on, operations are appended to this journal before they run. */
  attachJournal(journal: OpJournal | null): void {
    this.journal = journal;
  }

  /** Resolves when every operation so far is on disk (at once without a journal). */
  durable(): Promise<void> {
    return this.journal ? this.journal.durable() : Promise.resolve();
  }

  /**
   * Pushes a callback event for a user-side action. `orderKey` groups events that must arrive in order
   * (`customer:<external_userid>`, `chat:<chat_id>`, `tags`).
   */
  emit(corp: CorpState, orderKey: string, event: SimEvent): Delivery {
    if (this.replaying) return replayedDelivery(corp.corpid, orderKey, event);
    const counters = this.countersOf(corp.corpid);
    const name = `${event.Event}/${event.ChangeType}`;
    counters.events[name] = (counters.events[name] ?? 0) + 1;
    // Pushed once the operation that emits it is on disk: what Siyu hears of, a crash cannot take back.
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
      this.journal?.durable(),
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

function replayedDelivery(corpid: string, orderKey: string, event: SimEvent): Delivery {
  return {
    id: 0,
    corpid,
    event: event.Event,
    change_type: event.ChangeType,
    order_key: orderKey,
    fields: event,
    xml: '',
    url: null,
    created_at: '',
    status: 'cancelled',
    attempts: [],
  };
}
