import { randomBytes } from 'node:crypto';
import { aesKey, encrypt, signature } from '../wecom/crypto.ts';
import { httpCall } from '../wecom/http.ts';
import type { Clock } from './clock.ts';
import { buildEventXml, type SimEvent } from './event-xml.ts';

/**
 * Pushes callback events the way WeCom does: encrypted and signed with the corp's token and EncodingAESKey,
 * POSTed to the callback URL with a 5 s timeout; HTTP 200 is an acknowledgement, anything else (connection
 * failure, timeout, non-200) is retried, 3 retries in all. Deliveries run concurrently (bounded), but the
 * events of one corp with the same order key (a customer, a group) go out one after the other, in order.
 */
export interface PushOptions {
  /** Per attempt (default 5000, as WeCom). */
  timeoutMs?: number;
  /** Waits before retry 1, 2, 3 (default 1 s, 2 s, 4 s). Its length is the number of retries. */
  retryDelaysMs?: number[];
  /** Deliveries in flight at once (default 16). */
  concurrency?: number;
  /** Deliveries kept in each corp's log (default 10,000). */
  logLimit?: number;
}

export interface PushTarget {
  corpid: string;
  url: string | null;
  token: string;
  encoding_aes_key: string;
  agentid: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'no_callback_url' | 'cancelled';

export interface DeliveryAttempt {
  n: number;
  at: string;
  outcome: 'delivered' | 'http_status' | 'timeout' | 'connection_error' | 'cancelled';
  http_status?: number;
  error?: string;
  duration_ms: number;
}

export interface Delivery {
  id: number;
  corpid: string;
  event: string;
  change_type: string;
  order_key: string;
  fields: SimEvent;
  xml: string;
  url: string | null;
  created_at: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
}

export class Pusher {
  private readonly timeoutMs: number;
  private readonly retryDelaysMs: number[];
  private readonly concurrency: number;
  private readonly logLimit: number;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly logs = new Map<string, Delivery[]>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly closing = new AbortController();
  /**
   * What close() must interrupt: in-flight attempts and retry waits. A set rather than one abort listener
   * each on `closing.signal`: at full concurrency that is more listeners than an EventTarget allows before
   * it warns of a leak (MaxListenersExceededWarning, seen in bench:welcome).
   */
  private readonly onClose = new Set<() => void>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    opts: PushOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.retryDelaysMs = opts.retryDelaysMs ?? [1000, 2000, 4000];
    this.concurrency = opts.concurrency ?? 16;
    this.logLimit = opts.logLimit ?? 10_000;
  }

  /** `ready`: the delivery starts when it resolves (the journal has the change that made the event). */
  push(
    target: PushTarget,
    orderKey: string,
    event: SimEvent,
    createTime: number,
    ready?: Promise<void>,
  ): Delivery {
    const delivery: Delivery = {
      id: ++this.seq,
      corpid: target.corpid,
      event: event.Event,
      change_type: event.ChangeType,
      order_key: orderKey,
      fields: event,
      xml: buildEventXml(target.corpid, createTime, event),
      url: target.url,
      created_at: this.clock.now().toISOString(),
      status: target.url ? 'pending' : 'no_callback_url',
      attempts: [],
    };
    this.record(delivery);
    if (!target.url || this.closing.signal.aborted) {
      if (target.url) delivery.status = 'cancelled';
      return delivery;
    }
    const key = `${target.corpid}|${orderKey}`;
    // Handled through the chain below, possibly after it settles: not an unhandled rejection meanwhile.
    ready?.catch(() => {});
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => ready)
      .then(() => this.withSlot(() => this.deliver(delivery, target)))
      .catch((err: unknown) => {
        // Never break the chain of the next events of this customer or group.
        delivery.status = 'failed';
        delivery.attempts.push({
          n: delivery.attempts.length + 1,
          at: this.clock.now().toISOString(),
          outcome: 'connection_error',
          error: describe(err),
          duration_ms: 0,
        });
      });
    this.chains.set(key, next);
    this.inFlight.add(next);
    void next.finally(() => {
      this.inFlight.delete(next);
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return delivery;
  }

  log(corpid: string): readonly Delivery[] {
    return this.logs.get(corpid) ?? [];
  }

  forget(corpid: string): void {
    this.logs.delete(corpid);
  }

  /** Resolves when every queued delivery has finished (delivered, failed or cancelled). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Cancels queued and in-flight deliveries. */
  async close(): Promise<void> {
    this.closing.abort();
    for (const cancel of [...this.onClose]) cancel();
    await this.idle();
  }

  /** Runs `cancel` when the pusher closes, until the returned function is called. */
  private whileOpen(cancel: () => void): () => void {
    this.onClose.add(cancel);
    return () => this.onClose.delete(cancel);
  }

  private record(delivery: Delivery): void {
    let log = this.logs.get(delivery.corpid);
    if (!log) {
      log = [];
      this.logs.set(delivery.corpid, log);
    }
    log.push(delivery);
    // Trimmed in chunks: splicing one entry per push would shift the whole log every time.
    if (log.length > this.logLimit + Math.max(1, this.logLimit >> 4))
      log.splice(0, log.length - this.logLimit);
  }

  private async withSlot(task: () => Promise<void>): Promise<void> {
    if (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private async deliver(delivery: Delivery, target: PushTarget): Promise<void> {
    const timestamp = String(Math.floor(this.clock.now().getTime() / 1000));
    const nonce = String(randomBytes(4).readUInt32BE(0));
    const encrypted = encrypt(aesKey(target.encoding_aes_key), delivery.xml, target.corpid);
    const msgSignature = signature(target.token, timestamp, nonce, encrypted);
    const body = `<xml><ToUserName><![CDATA[${target.corpid}]]></ToUserName><AgentID><![CDATA[${target.agentid}]]></AgentID><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`;
    const url = withQuery(target.url!, { msg_signature: msgSignature, timestamp, nonce });

    for (let n = 1; n <= this.retryDelaysMs.length + 1; n++) {
      if (n > 1) await this.sleep(this.retryDelaysMs[n - 2]!);
      if (this.closing.signal.aborted) {
        delivery.status = 'cancelled';
        return;
      }
      const attempt = await this.attempt(n, url, body);
      delivery.attempts.push(attempt);
      if (attempt.outcome === 'delivered') {
        delivery.status = 'delivered';
        return;
      }
      if (attempt.outcome === 'cancelled') {
        delivery.status = 'cancelled';
        return;
      }
    }
    delivery.status = 'failed';
  }

  private async attempt(n: number, url: string, body: string): Promise<DeliveryAttempt> {
    const at = this.clock.now().toISOString();
    const started = performance.now();
    // A timer and a listener rather than AbortSignal.timeout/any: those cost more CPU than the push itself.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    const stopWatching = this.whileOpen(() => abort.abort());
    const took = () => Math.round(performance.now() - started);
    try {
      const res = await httpCall(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'text/xml; charset=utf-8', 'user-agent': 'Mozilla/4.0' },
        signal: abort.signal,
      });
      if (res.status === 200) return { n, at, outcome: 'delivered', http_status: 200, duration_ms: took() };
      return { n, at, outcome: 'http_status', http_status: res.status, duration_ms: took() };
    } catch (err) {
      if (this.closing.signal.aborted) return { n, at, outcome: 'cancelled', duration_ms: took() };
      if (abort.signal.aborted) {
        return {
          n,
          at,
          outcome: 'timeout',
          error: `no answer within ${this.timeoutMs} ms`,
          duration_ms: took(),
        };
      }
      return { n, at, outcome: 'connection_error', error: describe(err), duration_ms: took() };
    } finally {
      clearTimeout(timer);
      stopWatching();
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closing.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const stopWatching = this.whileOpen(done);
      function done() {
        clearTimeout(timer);
        stopWatching();
        resolve();
      }
    });
  }
}

export interface VerifyResult {
  ok: boolean;
  url: string;
  expected: string;
  received: string | null;
  http_status: number | null;
  duration_ms: number;
  error?: string;
}

/** WeCom's URL check: GET url?msg_signature&timestamp&nonce&echostr; the answer must be the plaintext within 1 s. */
export async function verifyCallbackUrl(
  target: PushTarget & { url: string },
  nowS: number,
  timeoutMs = 1000,
): Promise<VerifyResult> {
  const expected = String(BigInt(`0x${randomBytes(8).toString('hex')}`) % 10n ** 19n);
  const timestamp = String(nowS);
  const nonce = String(randomBytes(4).readUInt32BE(0));
  const echostr = encrypt(aesKey(target.encoding_aes_key), expected, target.corpid);
  const msgSignature = signature(target.token, timestamp, nonce, echostr);
  const url = withQuery(target.url, { msg_signature: msgSignature, timestamp, nonce, echostr });
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    const res = await httpCall(url, { signal: AbortSignal.timeout(timeoutMs) });
    const received = await res.text();
    const duration = took();
    const ok = res.status === 200 && received === expected && duration <= timeoutMs;
    return {
      ok,
      url: target.url,
      expected,
      received,
      http_status: res.status,
      duration_ms: duration,
      ...(ok
        ? {}
        : { error: res.status !== 200 ? `HTTP ${res.status}` : 'the answer is not the plaintext echostr' }),
    };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return {
      ok: false,
      url: target.url,
      expected,
      received: null,
      http_status: null,
      duration_ms: took(),
      error: timedOut ? `no answer within ${timeoutMs} ms` : describe(err),
    };
  }
}

function withQuery(url: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    if (cause instanceof Error)
      return `${err.message}: ${(cause as Error & { code?: string }).code ?? cause.message}`;
    return err.message;
  }
  return String(err);
}
