import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// End-to-end tests: a real `siyu start` driven by Debian's Chromium through playwright-core.
// `npm run test:e2e`. One worker: each file starts its own server and browser, and they are heavy.
export default defineConfig({
  test: {
    root: resolve(import.meta.dirname, '../..'),
    include: ['test/e2e/**/*.e2e.ts'],
    // The demo brand is built once, and every file starts a server on a copy of it.
    globalSetup: ['test/e2e/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    // Starting a server on the seeded copy takes seconds; the global setup's seed up to ~90 s.
    hookTimeout: 180_000,
    testTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
