import { parseArgs } from 'node:util';
import { removeDemo } from '../demo/seed.ts';
import { type Config, configHelp, loadConfig } from '../platform/config.ts';
import {
  createLogger,
  createServer,
  openSiyuDatabase,
  printLogins,
  resolveSecretKey,
  seedDemoIfEmpty,
  WEB_DIST,
} from '../server.ts';

const ENV_HELP = Object.entries(configHelp)
  .map(([k, v]) => `  ${k.padEnd(20)} ${v}`)
  .join('\n');

const COMMANDS: Record<string, { summary: string; help: string; run: (args: string[]) => Promise<void> }> = {
  start: {
    summary: 'run Siyu: migrate, seed the demo brand into an empty database, serve the API and the console',
    help: `Usage: siyu start

Runs Siyu as one process: applies pending migrations, seeds the demo brand when the database is empty
(unless SIYU_DEMO=false), builds the web console if it is missing or stale, and serves
  http://HOST:PORT/          the console
  http://HOST:PORT/api/v1    the JSON API
  http://HOST:PORT/api/docs  the OpenAPI documentation
Stops cleanly on Ctrl-C / SIGTERM (the embedded database is checkpointed and closed).

Environment:
${ENV_HELP}`,
    run: start,
  },
  migrate: {
    summary: 'apply pending database migrations and exit',
    help: `Usage: siyu migrate

Applies every pending migration (forward-only, one transaction each) to the database named by
DATABASE_URL, or to the embedded database in SIYU_DATA_DIR, then exits.

Environment:
${ENV_HELP}`,
    run: async () => {
      const config = loadConfig();
      const database = await openSiyuDatabase(config);
      await database.close();
      console.log(`Migrations applied (${describeDb(config)}).`);
    },
  },
  demo: {
    summary: 'remove the demo brand and seed it again',
    help: `Usage: siyu demo [--customers N]

Deletes the demo brand (corp "demo") with all its data, seeds it again and prints its logins.
Other brands in the same database are left untouched. Stop a running Siyu on the embedded
database first: only one process may open it.

Options:
  --customers N   how many customers to generate (default 3000)

Environment:
${ENV_HELP}`,
    run: async (args) => {
      const { values } = parseArgs({ args, options: { customers: { type: 'string' } } });
      const customers = values.customers === undefined ? undefined : Number(values.customers);
      if (
        customers !== undefined &&
        (!Number.isInteger(customers) || customers < 0 || customers > 1_000_000)
      ) {
        throw new UsageError('--customers takes a whole number from 0 to 1000000');
      }
      const config = loadConfig();
      const database = await openSiyuDatabase(config);
      try {
        await removeDemo(database.db);
        const { seedDemo } = await import('../demo/seed.ts');
        const { hashPassword } = await import('../modules/accounts/passwords.ts');
        const { createPii } = await import('../platform/pii.ts');
        const { logins } = await seedDemo(database.db, {
          pii: createPii(resolveSecretKey(config)),
          hashPassword,
          customers,
          onProgress: progress('Seeding demo brand'),
        });
        printLogins(logins);
      } finally {
        await database.close();
      }
    },
  },
};

class UsageError extends Error {}

function describeDb(config: Config): string {
  return config.DATABASE_URL ? 'PostgreSQL server from DATABASE_URL' : `embedded PGlite in ${config.dataDir}`;
}

function progress(label: string) {
  let last = -1;
  return (done: number, total: number) => {
    const pct = total ? Math.floor((done / total) * 100) : 100;
    if (pct === last) return;
    last = pct;
    if (process.stdout.isTTY)
      process.stdout.write(`\r${label}: ${pct}% (${done}/${total})${pct === 100 ? '\n' : ''}`);
    else if (pct % 25 === 0) console.log(`${label}: ${pct}% (${done}/${total})`);
  };
}

async function start(): Promise<void> {
  const config = loadConfig();
  const { buildWebIfNeeded } = await import('../../scripts/build-web-if-needed.js');
  await buildWebIfNeeded();
  const database = await openSiyuDatabase(config);
  const secretKey = resolveSecretKey(config);
  const logger = createLogger(config.SIYU_LOG_LEVEL);
  let app: Awaited<ReturnType<typeof createServer>> | undefined;
  const shutdown = async (signal: string) => {
    console.log(`\n${signal}: stopping Siyu…`);
    try {
      await app?.close();
    } finally {
      await database.close();
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    const logins = config.SIYU_DEMO
      ? await seedDemoIfEmpty(database, secretKey, progress('Seeding demo brand'))
      : null;
    app = await createServer({
      database,
      secretKey,
      logger,
      secureCookies: config.SIYU_SECURE_COOKIES,
      webDir: WEB_DIST,
    });
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    app.runtime.start();
    console.log(
      `Siyu is listening on ${address} (database: ${describeDb(config)}; WeCom: not connected yet)`,
    );
    console.log(`  console  ${address}/`);
    console.log(`  API docs ${address}/api/docs`);
    if (logins) printLogins(logins);
  } catch (err) {
    await app?.close();
    await database.close();
    throw err;
  }
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`);
  return `Usage: siyu <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "siyu <command> --help" for details.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${usage()}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(err as Error).message}\n\n${command.help}`);
      return 1;
    }
    console.error(`siyu ${name}: ${(err as Error).message}`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code !== 0 || process.argv[2] !== 'start') process.exitCode = code;
