import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// End-to-end tests: a real `siyu start` driven by Debian's Chromium through playwright-core.
// `npm run test:e2e`. One worker: each file starts its own server and browser, and they are heavy.
export default defineConfig({
  test: {
    root: resolve(import.meta.dirname, '../..'),
    include: ['test/e2e/**/*.e2e.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // Starting the server (migrations and demo seed on an empty embedded database) takes up to ~90 s.
    hookTimeout: 180_000,
    testTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
