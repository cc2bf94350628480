import Fastify from 'fastify';
import { registerApiRoutes } from './api-routes.ts';
import type { Clock } from './clock.ts';
import { registerControlRoutes } from './control-routes.ts';
import { loadState, StateSaver } from './persist.ts';
import { Populations } from './population.ts';
import type { PushOptions } from './push.ts';
import { Simulator } from './state.ts';

export interface SimulatorServerOptions {
  /** 0 = a random free port (default 0). */
  port?: number;
  host?: string;
  clock?: Clock;
  /** Loaded at start, saved after changes (debounced, atomic). */
  stateFile?: string;
  /** Fastify's request log (default false). */
  logger?: boolean;
  /** Seeds the id generator. */
  seed?: number;
  /** Callback delivery: timeoutMs (5000), retryDelaysMs ([1000, 2000, 4000]), concurrency (16). */
  push?: PushOptions;
  /** Debounce of state saves (default 1000 ms). */
  saveDebounceMs?: number;
}

export interface RunningSimulator {
  url: string;
  sim: Simulator;
  populations: Populations;
  close(): Promise<void>;
}

/** A real HTTP server that behaves like WeCom (/cgi-bin) plus the control API (/sim). */
export async function startSimulator(opts: SimulatorServerOptions = {}): Promise<RunningSimulator> {
  const state = opts.stateFile ? loadState(opts.stateFile) : undefined;
  const sim = new Simulator({ clock: opts.clock, seed: opts.seed, push: opts.push, state });
  const saver = opts.stateFile ? new StateSaver(sim, opts.stateFile, opts.saveDebounceMs) : null;
  const populations = new Populations(sim);

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 2 * 1024 * 1024 });
  // WeCom reads the body whatever its content type: every route gets the raw string and parses it itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  registerApiRoutes(app, sim);
  registerControlRoutes(app, sim, populations);
  app.setNotFoundHandler((request, reply) => {
    if (request.url.startsWith('/cgi-bin/')) {
      return reply.status(404).send({
        errcode: 404,
        errmsg: `simulator: no such API ${request.method} ${request.url.split('?')[0]}`,
      });
    }
    return reply
      .status(404)
      .send({ error: { code: 'not_found', message: `no route ${request.method} ${request.url}` } });
  });

  await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closed: Promise<void> | null = null;
  return {
    url,
    sim,
    populations,
    close: () => {
      closed ??= (async () => {
        populations.stopAll();
        await app.close();
        await sim.close();
        await saver?.close();
      })();
      return closed;
    },
  };
}
