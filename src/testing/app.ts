import type { FastifyBaseLogger } from 'fastify';
import type { Tables } from '../modules/tables.ts';
import type { Database } from '../platform/db/connect.ts';
import type { LoginLimits } from '../platform/http/rate-limit.ts';
import { createServer } from '../server.ts';
import { openTestDatabase } from './db.ts';
import { type Fixture, PASSWORD, seedFixture, TEST_KEY } from './fixture.ts';

export interface TestSession {
  cookie: string;
  csrfToken: string;
}

export interface TestApp {
  app: Awaited<ReturnType<typeof createServer>>;
  database: Database<Tables>;
  fx: Fixture;
  login(login: string): Promise<TestSession>;
  close(): Promise<void>;
}

/** A real server (inject only, no socket) on a fresh database seeded with the fixture brand. */
export async function openTestApp(
  opts: { loginLimits?: Partial<LoginLimits>; logger?: FastifyBaseLogger; trustedProxies?: string[] } = {},
): Promise<TestApp> {
  const database = await openTestDatabase();
  const fx = await seedFixture(database.db);
  const app = await createServer({
    database,
    secretKey: TEST_KEY,
    logger: opts.logger ?? false,
    loginLimits: opts.loginLimits ?? { perAccountAddress: 1000, perAccount: 1000, perAddress: 1000 },
    trustedProxies: opts.trustedProxies,
  });
  await app.ready();
  return {
    app,
    database,
    fx,
    async login(login) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login, password: PASSWORD },
      });
      if (res.statusCode !== 200) throw new Error(`login ${login} failed: ${res.statusCode} ${res.body}`);
      const cookie = res.cookies.find((c) => c.name === 'siyu_session');
      if (!cookie) throw new Error('no session cookie');
      return { cookie: `siyu_session=${cookie.value}`, csrfToken: res.json().csrfToken };
    },
    async close() {
      await app.close();
      await database.close();
    },
  };
}
