import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from './http/errors.ts';

/**
 * CPU- or memory-heavy work (reading an uploaded file) off the main thread, so the API keeps answering while
 * it runs, inside a heap of its own (`resourceLimits`): running out of it ends that worker, never the
 * process. The module's default export is `(input, emit) => result`: `emit` sends a chunk to `onChunk` as it
 * goes (a large result in pieces, each a small task of the main thread's event loop rather than one long
 * one). A worker that stops before answering (out of memory, killed, crashed) rejects with WorkerStopped,
 * and the chunks it sent must then be thrown away: the result is whole or it is nothing. At most
 * `MAX_WORKERS` run at once in a process (a core is left to the main thread); the others wait their turn.
 */
export type WorkerTask<I, C, R> = (input: I, emit: (chunk: C) => void) => Promise<R>;

/** The worker stopped before it answered. */
export class WorkerStopped extends Error {}
/** The worker ran out of its heap (ERR_WORKER_OUT_OF_MEMORY). */
export class WorkerOutOfMemory extends WorkerStopped {}

export interface WorkerStart {
  module: string;
  /** Ends the worker as a crash would (tests make a worker die with it). */
  terminate(): Promise<number>;
}

const BOOT = new URL('./worker-boot.mjs', import.meta.url);
/**
 * 'start' (a WorkerStart) when a worker has booted and begins its task, 'end' ({ module, ms }: the task's
 * time from its start) when it has answered: tests and benchmarks watch them.
 */
export const workerEvents = new EventEmitter();
export const MAX_WORKERS = Math.max(1, availableParallelism() - 1);
let running = 0;
const waiting: (() => void)[] = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_WORKERS) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

type Message<C, R> =
  | { kind: 'started' }
  | { kind: 'chunk'; chunk: C }
  | { kind: 'done'; result: R }
  | { kind: 'error'; error: SentError };

export async function runInWorker<I, C, R>(
  module: URL,
  input: I,
  opts: { resourceLimits?: ResourceLimits; onChunk?: (chunk: C) => void } = {},
): Promise<R> {
  const release = await slot();
  try {
    return await new Promise<R>((resolve, reject) => {
      const worker = new Worker(BOOT, {
        workerData: { module: module.href, input },
        resourceLimits: opts.resourceLimits,
        // the worker's output is its messages; its stdout/stderr are the process's
        stdout: false,
        stderr: false,
      });
      let settled = false;
      // once ended from outside, what it still sends is not read: it died there
      let ended = false;
      let startedAt = 0;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
        void worker.terminate();
      };
      worker.on('message', (m: Message<C, R>) => {
        if (settled || ended) return;
        if (m.kind === 'started') {
          startedAt = performance.now();
          const start: WorkerStart = {
            module: module.href,
            terminate: () => {
              ended = true;
              return worker.terminate();
            },
          };
          workerEvents.emit('start', start);
        } else if (m.kind === 'chunk') opts.onChunk?.(m.chunk);
        else {
          workerEvents.emit('end', { module: module.href, ms: performance.now() - startedAt });
          settle(() => (m.kind === 'done' ? resolve(m.result) : reject(revive(m.error))));
        }
      });
      worker.on('error', (err: Error & { code?: string }) =>
        settle(() =>
          reject(
            err.code === 'ERR_WORKER_OUT_OF_MEMORY'
              ? new WorkerOutOfMemory(err.message)
              : new WorkerStopped(`the worker failed: ${err.message}`),
          ),
        ),
      );
      worker.on('exit', (code) =>
        settle(() => reject(new WorkerStopped(`the worker stopped (exit code ${code}) before it answered`))),
      );
    });
  } finally {
    release();
  }
}

interface SentError {
  app: boolean;
  message: string;
  code?: string;
  detail?: { zh: string; en: string };
  stack?: string;
}

/** An AppError thrown in the worker is the same AppError here; anything else an Error with its message. */
function revive(e: SentError): Error {
  if (e.app) return new AppError(e.code as ErrorCode, e.detail);
  const err = new Error(e.message);
  err.stack = e.stack;
  return err;
}
