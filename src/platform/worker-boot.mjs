// A worker thread of runInWorker (worker.ts): loads TypeScript through tsx as the main thread does, runs the
// module's default export, and answers 'started', its chunks, then its result or its error.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { module, input } = workerData;
try {
  const run = (await import(module)).default;
  parentPort.postMessage({ kind: 'started' });
  const result = await run(input, (chunk) => parentPort.postMessage({ kind: 'chunk', chunk }));
  parentPort.postMessage({ kind: 'done', result });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  parentPort.postMessage({
    kind: 'error',
    error: {
      app: e.constructor?.name === 'AppError',
      message: e.message,
      code: e.code,
      detail: e.detail,
      stack: e.stack,
    },
  });
}
