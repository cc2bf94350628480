/** What the bench's main process (Siyu) and its firer process (playing WeCom) tell each other. */

/** Sent to bench/fire.ts as JSON on its stdin. */
export interface FireJob {
  /** Siyu's callback URL for the brand, e.g. http://127.0.0.1:PORT/wecom/callback/bench. */
  url: string;
  corpid: string;
  token: string;
  encodingAesKey: string;
  /** One add_external_contact per pair: [userid, external_userid]. */
  pairs: [string, string][];
  /** Requests in flight at most. */
  concurrency: number;
  /** Requests started per second; 0 = as fast as `concurrency` allows (closed loop). */
  rate: number;
  /** Share of events sent a second time (same inner event, fresh nonce/timestamp/signature). */
  duplicateShare: number;
  /** Sends before the measured phase (closed loop), not in its figures. */
  warmup: number;
  /** Per attempt; a timed-out or non-200 request is retried like WeCom does. */
  timeoutMs: number;
  maxRetries: number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Printed by bench/fire.ts as JSON lines on its stdout: `{"measuring":true}` when the warm-up is over, then
 * this report. Counts cover every request; `measured` only the phase after the warm-up.
 */
export interface FireReport {
  events: number;
  duplicates: number;
  /** The first sends, in a closed loop, warm the server up (JIT, pool connections, caches). */
  warmup: number;
  /** Indexes into `pairs` of events never acknowledged after every retry. */
  unacked: number[];
  /** HTTP requests started, acknowledged with 200, retried, and the failures by status (or error code). */
  sent: number;
  acked: number;
  retries: number;
  failures: Record<string, number>;
  measured: {
    acked: number;
    /** First request started → last 200 received. */
    durationMs: number;
    /** Ack latency (ms) of the 200s: request start (paced runs: its scheduled start) → response received. */
    latency: LatencySummary;
    /** Paced runs only: the same, counted from when the request was actually sent. */
    sendLatency: LatencySummary | null;
    /** 200s per wall-clock second. */
    ackedPerSecond: number[];
    /** CPU time (user + system) the firer itself used, ms. */
    cpuMs: number;
    /** The firer's own event-loop delay (ms): when high, part of the ack latency is the firer's. */
    loopDelay: { p50: number; p99: number; max: number };
  };
}

export function summarize(values: Float64Array | number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : 0;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted.length ? sorted[sorted.length - 1]! : 0,
    mean: sorted.length ? sum / sorted.length : 0,
  };
}
