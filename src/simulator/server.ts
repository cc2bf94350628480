import Fastify from 'fastify';
import { registerApiRoutes } from './api-routes.ts';
import type { Clock } from './clock.ts';
import { registerControlRoutes } from './control-routes.ts';
import { loadPersisted, lockStateFile, Persistence } from './persist.ts';
import { Populations } from './population.ts';
import type { PushOptions } from './push.ts';
import { registerSidebarRoutes } from './sidebar.ts';
import { Simulator } from './state.ts';

export interface SimulatorServerOptions {
  /** 0 = a random free port (default 0). */
  port?: number;
  host?: string;
  clock?: Clock;
  /**
   * Where the state lives: a snapshot plus a journal of the changes since (persist.ts), loaded and replayed at
   * start. Answers and callbacks wait until the change they follow is on disk.
   */
  stateFile?: string;
  /** Fastify's request log (default false). */
  logger?: boolean;
  /** Seeds the id generator. */
  seed?: number;
  /** Callback delivery: timeoutMs (5000), retryDelaysMs ([1000, 2000, 4000]), concurrency (16). */
  push?: PushOptions;
  /** Journal bytes after which the state is written as a new snapshot (default 8 MB). */
  compactBytes?: number;
  /** Where avatars are served (SimulatorOptions.avatarBase). */
  avatarBase?: string;
}

export interface RunningSimulator {
  url: string;
  sim: Simulator;
  populations: Populations;
  /** With a state file: resolves when every change so far is on disk and no snapshot is being written. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP server that behaves like WeCom (/cgi-bin) plus the control API (/sim). */
export async function startSimulator(opts: SimulatorServerOptions = {}): Promise<RunningSimulator> {
  const unlock = opts.stateFile ? lockStateFile(opts.stateFile) : () => {};
  let persisted: ReturnType<typeof loadPersisted> | undefined;
  try {
    persisted = opts.stateFile ? loadPersisted(opts.stateFile) : undefined;
  } catch (err) {
    unlock();
    throw err;
  }
  const sim = new Simulator({
    clock: opts.clock,
    seed: opts.seed,
    push: opts.push,
    state: persisted?.state,
    avatarBase: opts.avatarBase,
  });
  const populations = new Populations(sim);

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 2 * 1024 * 1024 });
  // WeCom reads the body whatever its content type: every route gets the raw string and parses it itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  // media/upload_attachment: the file as bytes (a video or image may be up to 10 MB, a file 20 MB)
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: 21 * 1024 * 1024 },
    (_request, body, done) => done(null, body),
  );
  registerApiRoutes(app, sim);
  registerControlRoutes(app, sim, populations);
  registerSidebarRoutes(app, sim);
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

  let persistence: Persistence | null = null;
  if (opts.stateFile && persisted) {
    try {
      // The routes defined the operations: the journal since the snapshot can be replayed.
      sim.replay(persisted.records);
      const seq = persisted.records.at(-1)?.seq ?? persisted.state?.seq ?? 0;
      persistence = new Persistence(sim, opts.stateFile, seq, { compactBytes: opts.compactBytes });
      if (persisted.records.length > 0) await persistence.compact();
    } catch (err) {
      unlock();
      throw err;
    }
    sim.attachJournal(persistence);
    // Serialized before this hook runs: the answer shows no change that is not on disk once it is sent.
    app.addHook('onSend', async (_request, _reply, payload) => {
      await sim.durable();
      return payload;
    });
  }

  try {
    await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  } catch (err) {
    await persistence?.close();
    unlock();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closed: Promise<void> | null = null;
  return {
    url,
    sim,
    populations,
    settled: async () => {
      await sim.durable();
      await persistence?.settled();
    },
    close: () => {
      closed ??= (async () => {
        populations.stopAll();
        await app.close();
        await sim.close();
        await persistence?.close();
        unlock();
      })();
      return closed;
    },
  };
}
