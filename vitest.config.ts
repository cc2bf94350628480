import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'web/src/**/*.test.ts'],
    // Each test file opens its own database (PGlite in memory, or a fresh database on the PostgreSQL
    // server named by DATABASE_URL); two workers fit the 2-core machines.
    pool: 'forks',
    // one migrated database for the run, copied by each file's (src/testing/db.ts)
    globalSetup: ['src/testing/global-setup.ts'],
    maxWorkers: 2,
    // the route-walking authz test visits every route × role: ~25 s on a busy 2-core machine
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
