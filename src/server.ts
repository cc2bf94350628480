import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyBaseLogger } from 'fastify';
import { DEMO_PASSWORD, type DemoLogin } from './demo/seed.ts';
import { MIGRATION_SOURCES, MODULES } from './modules/index.ts';
import type { Tables } from './modules/tables.ts';
import { type Clock, systemClock } from './platform/clock.ts';
import type { Config } from './platform/config.ts';
import { uncleanStopReport } from './platform/db/check.ts';
import { type Database, openDatabase } from './platform/db/connect.ts';
import { loadMigrations, migrate } from './platform/db/migrate.ts';
import { buildApp } from './platform/http/app.ts';
import type { LoginLimits } from './platform/http/rate-limit.ts';
import { createPii } from './platform/pii.ts';
import { createRuntime, inboxConcurrencyFor, type Runtime } from './runtime.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_DIST = join(ROOT, 'web', 'dist');

/** Opens and migrates; after an unclean stop of the embedded database, says so and refuses a bad check. */
export async function openSiyuDatabase(
  config: Config,
  warn: (line: string) => void = console.warn,
): Promise<Database<Tables>> {
  const database = await openDatabase<Tables>(
    config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: config.dataDir },
  );
  try {
    if (database.uncleanStop) {
      const report = uncleanStopReport(config.dataDir, database.uncleanStop);
      for (const line of report.lines) warn(`siyu: ${line}`);
      if (!report.ok) throw new Error(report.lines.at(-1));
    }
    await migrate(database.db as never, loadMigrations(MIGRATION_SOURCES));
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
 * The HTTP app on top of a runtime (created here, not started, unless given): every module's routes (the
 * API, WeCom's callbacks, the signed webhooks, the landing pages) and the console. Closing the app stops
 * the runtime's workers.
 */
export async function createServer(opts: ServerOptions) {
  const clock = opts.clock ?? systemClock;
  const runtime =
    opts.runtime ??
    createRuntime(
      { db: opts.database.db, clock, pii: createPii(opts.secretKey) },
      {
        logger: typeof opts.logger === 'object' ? opts.logger : undefined,
        inboxConcurrency: inboxConcurrencyFor(opts.database.kind),
        databaseUrl: opts.database.url,
        settings: {
          secureCookies: opts.secureCookies ?? false,
          loginLimits: opts.loginLimits,
          publicUrl: opts.publicUrl,
        },
      },
    );
  const { deps } = runtime;
  const authenticators = MODULES.flatMap((m) => (m.authenticate ? [m.authenticate(deps)] : []));
  if (authenticators.length !== 1) throw new Error('exactly one module must authenticate requests');
  const app = await buildApp({
    logger: opts.logger,
    webDir: opts.webDir,
    ready: opts.ready,
    trustedProxies: opts.trustedProxies,
    frameAncestors: opts.frameAncestors,
    accessLogLevel: opts.accessLogLevel,
    authenticate: authenticators[0]!,
    routes: async (api) => {
      for (const m of MODULES) if (m.routes) await api.register(m.routes(deps));
    },
    rootRoutes: async (root) => {
      for (const m of MODULES) if (m.rootRoutes) await root.register(m.rootRoutes(deps));
    },
  });
  // the background work yields to a busy foreground (Runtime.foreground); 'close' comes once per response,
  // sent or aborted
  app.addHook('onRequest', async (_request, reply) => {
    runtime.foreground.inFlight++;
    reply.raw.once('close', () => runtime.foreground.inFlight--);
  });
  app.addHook('onClose', () => runtime.stop());
  return Object.assign(app, { runtime });
}

export function printLogins(logins: DemoLogin[], print: (line: string) => void = console.log): void {
  print(`Demo brand ready. Password for every demo login: ${DEMO_PASSWORD}`);
  for (const l of logins) print(`  ${l.login.padEnd(22)} ${l.role.padEnd(15)} ${l.unit}`);
}
