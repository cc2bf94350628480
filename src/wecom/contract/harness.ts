import { afterAll, beforeAll } from 'vitest';
import type { z } from 'zod';
import { CORP, corpPath, type Json, seedCorp, startTestSim, type TestSim } from '../../simulator/testing.ts';
import {
  allCustomersOf as allCustomersOfImpl,
  allGroupChats as allGroupChatsImpl,
  allUserIds as allUserIdsImpl,
  WecomClient,
  type WecomClientOptions,
} from '../client.ts';
import { WecomApiError } from '../errors.ts';
import { type HttpCall, httpCall } from '../http.ts';

/**
 * The harness of the client ↔ simulator contract suite: a real simulator on 127.0.0.1:0 with a manual clock,
 * state built through its /sim control API only, and WecomClient instances pointed at it whose method calls
 * are recorded (so the suite can prove it drove every public method).
 */

export { CORP, corpPath, type Json };

export const EC = '/cgi-bin/externalcontact';

/** Every public method of WecomClient (compile-time list: a new method makes tsc ask for its contract). */
export type PublicMethod = {
  [K in keyof WecomClient]: WecomClient[K] extends (...args: never[]) => unknown ? K : never;
}[keyof WecomClient];

/** Methods and iterators called by the suite so far (the last test checks nothing was left out). */
export const called = new Set<string>();

/** The client, with its method calls recorded. Private #fields need the real instance as `this`. */
function recorded(client: WecomClient): WecomClient {
  return new Proxy(client, {
    get(target, prop, _receiver) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      called.add(prop);
      return value.bind(target);
    },
  });
}

export const allGroupChats: typeof allGroupChatsImpl = (...args) => {
  called.add('allGroupChats');
  return allGroupChatsImpl(...args);
};
export const allCustomersOf: typeof allCustomersOfImpl = (...args) => {
  called.add('allCustomersOf');
  return allCustomersOfImpl(...args);
};
export const allUserIds: typeof allUserIdsImpl = (...args) => {
  called.add('allUserIds');
  return allUserIdsImpl(...args);
};

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Parses a response with its schema and returns the typed value; on mismatch the error names every issue. */
export function shape<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(
      `response does not match its contract:\n  ${issues.join('\n  ')}\n${JSON.stringify(value)}`,
    );
  }
  return result.data;
}

/** The WecomApiError a call rejects with (fails the test if it resolves or throws something else). */
export async function apiError(promise: Promise<unknown>): Promise<WecomApiError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof WecomApiError) return err;
    throw err;
  }
  throw new Error('expected a WecomApiError, but the call succeeded');
}

export interface WireEntry {
  path: string;
  errcode: number;
}

/**
 * The client's transport, recording the path and errcode of every answer on the wire (the simulator's
 * counters do not count calls refused for their token: a bad token names no corp).
 */
export function wireLog(): { fetch: HttpCall; log: WireEntry[]; errcodes(path: string): number[] } {
  const log: WireEntry[] = [];
  const spy: HttpCall = async (url, init) => {
    const res = await httpCall(url, init);
    const text = await res.text();
    log.push({
      path: new URL(url).pathname,
      errcode: (JSON.parse(text) as { errcode?: number }).errcode ?? 0,
    });
    return { status: res.status, text: async () => text };
  };
  return { fetch: spy, log, errcodes: (path) => log.filter((e) => e.path === path).map((e) => e.errcode) };
}

export interface ApiCounter {
  calls: number;
  errors: Record<string, number>;
}

export interface Contract {
  sim: TestSim;
  /** A client sharing the simulator's clock (token cache and rate limiter on simulated time). */
  client: WecomClient;
  /** Another recorded client on the same simulator and corp, with options of its own. */
  newClient(opts?: Partial<WecomClientOptions>): WecomClient;
  /** Control API that must succeed. */
  ok(method: string, path: string, body?: unknown): Promise<Json>;
  scenario(name: string, body: Record<string, unknown>): Promise<Json>;
  /** The simulator's counter of an API path (`calls` and `errors` by errcode). */
  counter(path: string): Promise<ApiCounter>;
  /** A new customer (control API); returns its external_userid. */
  customer(name?: string, extra?: Record<string, unknown>): Promise<string>;
  /** A new customer befriended by `userid` (member-adds-customer); returns the scenario's answer too. */
  befriend(
    userid: string,
    opts?: { add_way?: number; state?: string; name?: string },
  ): Promise<{ external_userid: string; welcome_code: string | null }>;
  member(userid: string, name: string, department?: number[]): Promise<void>;
  /** Advances the manual clock through the control API. */
  advance(ms: number): Promise<void>;
  nowS(): number;
}

/**
 * Registers a simulator for the enclosing describe: started in beforeAll with the corp of
 * simulator/testing.ts (departments 1 and 2; members zhangsan, lisi in 2 and wangwu in 1), closed in afterAll.
 */
export function useContract(corpExtra: Record<string, unknown> = {}): () => Contract {
  let contract: Contract | undefined;
  beforeAll(async () => {
    const sim = await startTestSim();
    await seedCorp(sim, corpExtra);
    const newClient = (opts: Partial<WecomClientOptions> = {}) =>
      recorded(
        new WecomClient({
          baseUrl: sim.url,
          corpId: CORP.corpid,
          secret: CORP.secret,
          now: () => sim.clock.now().getTime(),
          sleep: async () => {},
          ...opts,
        }),
      );
    const ok = sim.ok.bind(sim);
    contract = {
      sim,
      client: newClient(),
      newClient,
      ok,
      scenario: (name, body) => ok('POST', corpPath(`/scenarios/${name}`), body),
      async counter(path) {
        const counters = await ok('GET', corpPath('/counters'));
        return counters.api[path] ?? { calls: 0, errors: {} };
      },
      async customer(name = '王小美', extra = {}) {
        return (await ok('POST', corpPath('/customers'), { name, gender: 2, ...extra })).external_userid;
      },
      async befriend(userid, opts = {}) {
        const external_userid = await contract!.customer(opts.name);
        const res = await contract!.scenario('member-adds-customer', {
          userid,
          external_userid,
          ...(opts.add_way === undefined ? {} : { add_way: opts.add_way }),
          ...(opts.state === undefined ? {} : { state: opts.state }),
        });
        return { external_userid, welcome_code: res.welcome_code };
      },
      async member(userid, name, department = [1]) {
        await ok('POST', corpPath('/members'), { userid, name, department });
      },
      async advance(ms) {
        await ok('POST', '/sim/clock', { advance_ms: ms });
      },
      nowS: () => Math.floor(sim.clock.now().getTime() / 1000),
    };
  });
  afterAll(async () => {
    await contract?.sim.close();
  });
  return () => {
    if (!contract) throw new Error('useContract(): the simulator is not started yet (use it inside a test)');
    return contract;
  };
}

/** Runs `fn` over `items`, `width` at a time (building state through the control API in bulk). */
export async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
