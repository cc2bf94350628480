import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger } from 'fastify';
import { DEMO_PASSWORD, type DemoLogin } from './demo/seed.ts';
import { resolveSession, SESSION_COOKIE } from './modules/accounts/service.ts';
import { landingRoutes } from './modules/channels/landing.ts';
import { callbackRoutes } from './modules/connector/callback-routes.ts';
import type { Deps } from './modules/context.ts';
import { migrationDirs, moduleRoutes } from './modules/index.ts';
import { hookRoutes } from './modules/orders/hooks.ts';
import type { Tables } from './modules/tables.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import type { Config } from './platform/config.ts';
import { type Database, openDatabase } from './platform/db/connect.ts';
import { loadMigrations, migrate } from './platform/db/migrate.ts';
import { buildApp } from './platform/http/app.ts';
import type { LoginLimits } from './platform/http/rate-limit.ts';
import { createPii } from './platform/pii.ts';
import { createRuntime, inboxConcurrencyFor, type Runtime } from './runtime.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_DIST = join(ROOT, 'web', 'dist');

export async function openSiyuDatabase(config: Config): Promise<Database<Tables>> {
  const database = await openDatabase<Tables>(
    config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.dataDir },
  );
  try {
    await migrate(database.db as never, loadMigrations(migrationDirs));
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

/** SIYU_SECRET_KEY, or a key generated once beside the data folder (kept out of logs and the database). */
export function resolveSecretKey(config: Config): string {
  if (config.SIYU_SECRET_KEY) return config.SIYU_SECRET_KEY;
  const file = join(dirname(config.dataDir), 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

export interface ServerOptions {
  database: Database<Tables>;
  secretKey: string;
  logger: FastifyBaseLogger | boolean;
  secureCookies?: boolean;
  clock?: Clock;
  loginLimits?: Partial<LoginLimits>;
  /** SIYU_TRUSTED_PROXIES: the reverse proxies whose X-Forwarded-For names the client. */
  trustedProxies?: string[];
  /** SIYU_FRAME_ANCESTORS: origins besides Siyu that may frame the console. */
  frameAncestors?: string[];
  /** The level of the per-request log line (default info). */
  accessLogLevel?: 'info' | 'debug';
  webDir?: string;
  /** SIYU_PUBLIC_URL: where customers and WeCom reach Siyu. */
  publicUrl?: string;
  runtime?: Runtime;
  /** false: /healthz answers 503 until app.markReady(). */
  ready?: boolean;
}

/**
 * The HTTP app on top of a runtime (created here, not started, unless given): API routes, the WeCom
 * callback endpoint, the console. Closing the app stops the runtime's workers.
 */
export async function createServer(opts: ServerOptions) {
  const clock = opts.clock ?? systemClock;
  const deps: Deps = { db: opts.database.db, clock, pii: createPii(opts.secretKey) };
  const runtime =
    opts.runtime ??
    createRuntime(deps, {
      logger: typeof opts.logger === 'object' ? opts.logger : undefined,
      inboxConcurrency: inboxConcurrencyFor(opts.database.kind),
    });
  const app = await buildApp({
    logger: opts.logger,
    webDir: opts.webDir,
    ready: opts.ready,
    trustedProxies: opts.trustedProxies,
    frameAncestors: opts.frameAncestors,
    accessLogLevel: opts.accessLogLevel,
    authenticate: (request) =>
      resolveSession(deps.db, clock, request.cookies[SESSION_COOKIE], { ip: request.ip }),
    routes: moduleRoutes(deps, runtime, {
      secureCookies: opts.secureCookies ?? false,
      loginLimits: opts.loginLimits,
      publicUrl: opts.publicUrl,
    }),
    rootRoutes: async (root) => {
      await root.register(
        callbackRoutes({
          db: deps.db,
          clock,
          links: runtime.links,
          onRecorded: () => runtime.dispatcher.kick(),
        }),
      );
      await root.register(landingRoutes(deps));
      await root.register(hookRoutes(deps));
    },
  });
  app.addHook('onClose', () => runtime.stop());
  return Object.assign(app, { runtime });
}

export function printLogins(logins: DemoLogin[], print: (line: string) => void = console.log): void {
  print(`Demo brand ready. Password for every demo login: ${DEMO_PASSWORD}`);
  for (const l of logins) print(`  ${l.login.padEnd(22)} ${l.role.padEnd(15)} ${l.unit}`);
}
