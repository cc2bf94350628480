import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEMO_CORP_ID, type DemoLogin, removeDemo } from '../demo/seed.ts';
import { ShiftableClock } from '../demo/shift-clock.ts';
import { buildDemoThroughSimulator } from '../demo/simulated.ts';
import { hashPassword } from '../modules/accounts/index.ts';
import { requestFullSync, runFullSync, SYNC_JOB, type SyncRun } from '../modules/connector/index.ts';
import { syncCtxOf } from '../modules/context.ts';
import { recomputeAllFacts, stageCounts } from '../modules/customers/index.ts';
import { DEFAULT_SOURCE, importOrdersCli, SOURCE_PATTERN } from '../modules/orders/index.ts';
import type { Tables } from '../modules/tables.ts';
import { systemClock } from '../platform/clock.ts';
import { type Config, configHelp, loadConfig, wecomCredentials } from '../platform/config.ts';
import {
  BackupSchedule,
  backupsDir,
  formatBytes,
  listBackups,
  resolveBackup,
  restoreBackup,
  writeBackup,
} from '../platform/db/backup.ts';
import { checkDatabase, describeCheck, uncleanStopReport } from '../platform/db/check.ts';
import { type Database, lockHolder, openDatabase } from '../platform/db/connect.ts';
import { createLogger, resolveLogFormat } from '../platform/log.ts';
import { createPii } from '../platform/pii.ts';
import { allowPrivateFetch } from '../platform/public-fetch.ts';
import { createRuntime, inboxConcurrencyFor } from '../runtime.ts';
import { createServer, openSiyuDatabase, printLogins, resolveSecretKey, WEB_DIST } from '../server.ts';
import type { RunningSimulator } from '../simulator/server.ts';
import {
  callbackUrl,
  connectRealWecom,
  relinkSimulatedBrands,
  startBundledSimulator,
} from '../wecom-link.ts';

const ENV_HELP = Object.entries(configHelp)
  .map(([k, v]) => `  ${k.padEnd(24)} ${v}`)
  .join('\n');

interface Command {
  summary: string;
  help: string;
  /** May resolve to the exit code (a number); anything else is 0. */
  run: (args: string[]) => Promise<unknown>;
}

const COMMANDS: Record<string, Command> = {
  start: {
    summary: 'run Siyu: migrate, connect WeCom (or its simulator), serve the API and the console',
    help: `Usage: siyu start [--role all|web|worker]

Runs Siyu as one process: applies pending migrations, builds the web console if it is missing or stale,
and serves
  http://HOST:PORT/                   the console
  http://HOST:PORT/api/v1             the JSON API
  http://HOST:PORT/api/docs           the OpenAPI documentation
  http://HOST:PORT/wecom/callback/ID  WeCom's callbacks for brand ID

With WECOM_CORP_ID, WECOM_SECRET, WECOM_TOKEN and WECOM_ENCODING_AES_KEY set, it connects the brand
SIYU_BRAND to that WeCom (creating the brand and admin@SIYU_BRAND on first start) and runs a full sync.
Without them, it starts the bundled WeCom simulator on SIYU_SIM_PORT and, on an empty database (unless
SIYU_DEMO=false), builds the demo brand there: its history reaches Siyu through a full sync, its live
customers through real encrypted callbacks.
Stops cleanly on Ctrl-C / SIGTERM (the embedded database is checkpointed, backed up and closed).
On the embedded database it also backs up daily, keeping the newest SIYU_BACKUPS in backups/ beside the
data folder. After an unclean stop (a killed process) it says so and checks the database before serving;
see "siyu doctor --help" when that check fails.

--role all (the default) is one process doing everything. On a PostgreSQL server (DATABASE_URL) the work
can be split over several processes, any number of each:
  --role web      serves HTTP only (the API, the console, WeCom's callbacks, the webhooks): what it
                  receives is written to the database and the workers are woken (LISTEN/NOTIFY)
  --role worker   runs the background work only: WeCom's callbacks from the inbox, the domain events, the
                  calls to WeCom, full syncs, imports and the modules' jobs; no HTTP
The inbox, the event log, the outbox and the jobs hand each row to one process (FOR UPDATE SKIP LOCKED,
leases), so nothing is handled twice. The demo brand is built only by --role all (or siyu demo).

Environment:
${ENV_HELP}`,
    run: (args) => {
      const { values } = parseArgs({ args, options: { role: { type: 'string', default: 'all' } } });
      if (!ROLES.includes(values.role as Role)) throw new UsageError(`--role takes ${ROLES.join(', ')}`);
      return start(values.role as Role);
    },
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
    summary: 'remove the demo brand and build it again through the WeCom simulator',
    help: `Usage: siyu demo [--customers N]

Deletes the demo brand (brand "demo") from Siyu and from the WeCom simulator, builds it again in the
simulator and brings it into Siyu through a full sync and live callbacks, then prints its logins.
Other brands are left untouched. Stop a running Siyu on the embedded database first: only one process
may open it.

Options:
  --customers N   how many customers to generate (default SIYU_DEMO_CUSTOMERS, 3000)

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
      if (wecomCredentials(config))
        throw new UsageError('The demo brand lives in the WeCom simulator: unset WECOM_* first');
      await withServer(config, { port: 0 }, async ({ database, app, simulator, simClock, url }) => {
        const wecomCorp = await database.db
          .selectFrom('wecom_connections')
          .select('wecom_corp_id')
          .where('corp_id', '=', DEMO_CORP_ID)
          .executeTakeFirst();
        if (wecomCorp)
          await fetch(`${simulator.url}/sim/corps/${wecomCorp.wecom_corp_id}`, { method: 'DELETE' });
        await removeDemo(database.db);
        const logins = await buildDemo(config, database, app, simulator, simClock, url, customers);
        printLogins(logins);
      });
    },
  },
  sync: {
    summary: 'run (or resume) a full sync of a brand from WeCom, with progress',
    help: `Usage: siyu sync [--brand ID]

Pulls staff, corp tags, customers with their follows and groups with their members from WeCom (or the
bundled simulator) into Siyu. A sync that failed or was interrupted resumes where it stopped. On the
embedded database, stop a running Siyu first (or use the console's 企业微信 page while it runs).

Options:
  --brand ID   the brand to sync (default: the only connected brand)

Environment:
${ENV_HELP}`,
    run: async (args) => {
      const { values } = parseArgs({ args, options: { brand: { type: 'string' } } });
      const config = loadConfig();
      const database = await openSiyuDatabase(config);
      let simulator: RunningSimulator | undefined;
      try {
        const connected = await database.db
          .selectFrom('wecom_connections')
          .select(['corp_id', 'simulated'])
          .execute();
        const brand = values.brand ?? (connected.length === 1 ? connected[0]!.corp_id : undefined);
        const link = connected.find((c) => c.corp_id === brand);
        if (!link) {
          const known = connected.map((c) => c.corp_id).join(', ') || 'none';
          throw new UsageError(`Name a connected brand with --brand (connected: ${known})`);
        }
        if (link.simulated) {
          simulator = await startBundledSimulator(config);
          await relinkSimulatedBrands(
            database.db,
            simulator.url,
            publicUrl(config, `http://${config.HOST}:${config.PORT}`),
          );
        }
        const runtime = cliRuntime(config, database);
        const run = await runFullSync(runtime.deps, link.corp_id, printSyncProgress);
        // what follows from the mirror (OneID, facts) is delivered now rather than at the next start
        await runtime.events.drain();
        console.log(`\nFull sync of ${link.corp_id} ${run.status}: ${describeCounts(run.counts)}`);
      } finally {
        await simulator?.close();
        await database.close();
      }
    },
  },
  import: {
    summary: 'import orders from an .xlsx or CSV file, with a progress bar and a row-level error report',
    help: `Usage: siyu import orders FILE [--source NAME] [--dry-run] [--brand ID] [--report PATH]

Imports the orders of an .xlsx or CSV file (the console's 订单导入 template: one row per order line, the
rows with the same 订单号 are one order; see the README for the columns). Every row is checked first; an
order with any bad row is left out whole and the others are imported, in batches of 500, with a progress
bar. Importing a file again creates nothing twice: orders are known by (source, 订单号).
Every problem is listed with its row (as Excel numbers it), its column and why, and saved as CSV.
On the embedded database, stop a running Siyu first (or use the console's 订单导入 page while it runs).
Exit code: 0 all imported, 2 some orders rejected (see the report), 1 the import failed or was stopped.

Options:
  --source NAME   the orders' source system (default "${DEFAULT_SOURCE}"): lowercase letters, digits, _ and -;
                  the orders are kept under the source import:NAME
  --dry-run       check and count everything, show the first lines as they will land; write nothing
  --brand ID      the brand to import into (default: the only brand)
  --report PATH   where to save the error report (default: FILE's name + -errors.csv, beside it)

Environment:
${ENV_HELP}`,
    run: async (args) => {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          source: { type: 'string' },
          'dry-run': { type: 'boolean' },
          brand: { type: 'string' },
          report: { type: 'string' },
        },
      });
      const [what, path, ...extra] = positionals;
      if (what !== 'orders' || !path || extra.length)
        throw new UsageError('Name what to import and the file: siyu import orders FILE');
      const source = values.source ?? DEFAULT_SOURCE;
      if (!SOURCE_PATTERN.test(source))
        throw new UsageError('--source takes lowercase letters, digits, _ and - (at most 32)');
      const bytes = await readFile(path).catch((err: Error) => {
        throw new UsageError(`Cannot read ${path}: ${err.message}`);
      });
      const config = loadConfig();
      const database = await openSiyuDatabase(config);
      try {
        const brands = (
          await database.db.selectFrom('corps').select('corp_id').orderBy('corp_id').execute()
        ).map((c) => c.corp_id);
        const brand = values.brand ?? (brands.length === 1 ? brands[0] : undefined);
        if (!brand || !brands.includes(brand))
          throw new UsageError(`Name the brand with --brand (brands: ${brands.join(', ') || 'none'})`);
        const runtime = cliRuntime(config, database);
        const code = await importOrdersCli(runtime.deps, brand, {
          path,
          bytes,
          source,
          dryRun: values['dry-run'] ?? false,
          report: values.report,
        });
        await runtime.events.drain();
        return code;
      } finally {
        await database.close();
      }
    },
  },
  facts: {
    summary: "recompute a brand's customer facts (RFM, lifecycle stage, LTV, top store…), with progress",
    help: `Usage: siyu facts recompute [--brand ID]

Recomputes every customer's derived facts from their orders, membership and follows: order count, LTV,
first and last order, coupon share, the store of most orders, RFM scores, lifecycle stage (new → active →
repeat → super user → dormant → churned, by the brand's thresholds), member level, birthday. Runs in
batches of 1,000 customers with a progress line; stage changes go on the customers' timelines. A running
Siyu does the same by itself after orders arrive, when the thresholds change, and daily for the stages
time moves. On the embedded database, stop a running Siyu first.

Options:
  --brand ID   the brand to recompute (default: the only brand)

Environment:
${ENV_HELP}`,
    run: async (args) => {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { brand: { type: 'string' } },
      });
      if (positionals.length !== 1 || positionals[0] !== 'recompute')
        throw new UsageError('Name what to do: siyu facts recompute');
      const config = loadConfig();
      const database = await openSiyuDatabase(config);
      try {
        const brands = (
          await database.db.selectFrom('corps').select('corp_id').orderBy('corp_id').execute()
        ).map((c) => c.corp_id);
        const brand = values.brand ?? (brands.length === 1 ? brands[0] : undefined);
        if (!brand || !brands.includes(brand))
          throw new UsageError(`Name the brand with --brand (brands: ${brands.join(', ') || 'none'})`);
        const ctx = syncCtxOf(cliRuntime(config, database).deps, brand);
        const { customers, changed } = await recomputeAllFacts(ctx, progressLine(`Facts of ${brand}`));
        const stages = await stageCounts(ctx.cdb);
        console.log(
          `Facts of ${brand} recomputed: ${customers} customers, ${changed} changed — ${describeCounts(stages)}`,
        );
      } finally {
        await database.close();
      }
    },
  },
};

COMMANDS.backup = {
  summary: 'back up the embedded database now (rolling backups beside the data folder)',
  help: `Usage: siyu backup

Writes a backup of the embedded database (SIYU_DATA_DIR) to the backups/ folder beside it:
siyu-<UTC time>-manual.tar.gz, a gzipped tarball of the data folder (PGlite's dumpDataDir), then keeps the
newest SIYU_BACKUPS (default 7) of all backups there. A running Siyu takes one itself every day and at each
clean stop; it holds the database, so stop it to take one by hand. Restore one with
"siyu doctor --restore FILE|latest". The secret key (SIYU_SECRET_KEY or the secret.key file beside the data
folder) is not in the backup: keep a copy of it too, phone numbers cannot be read without it.

On a PostgreSQL server (DATABASE_URL), Siyu does not back up: it prints the pg_dump command and exits 1.

Environment:
${ENV_HELP}`,
  run: async () => {
    const config = loadConfig();
    if (config.DATABASE_URL) {
      console.error(
        "Siyu does not back up a PostgreSQL server database: back it up with the server's tools, e.g.\n" +
          `  ${PG_DUMP}\n` +
          'and restore such a file with\n' +
          `  ${PG_RESTORE}`,
      );
      return 1;
    }
    if (!existsSync(config.dataDir)) throw new Error(`There is no database at ${config.dataDir} yet`);
    const holder = lockHolder(config.dataDir);
    if (holder !== null)
      throw new Error(
        `Siyu (process ${holder}) has the embedded database open. It backs up by itself every day and at ` +
          'each clean stop; stop it (Ctrl-C) to take one now.',
      );
    const database = await openDatabase({ dataDir: config.dataDir });
    try {
      if (database.uncleanStop) {
        const report = uncleanStopReport(config.dataDir, database.uncleanStop);
        for (const line of report.lines.slice(0, -1)) console.warn(`siyu: ${line}`);
        if (!report.ok)
          throw new Error('Not backing up a database that does not read: run "siyu doctor" (see above)');
      }
      const started = performance.now();
      const backup = await writeBackup(database as Database<unknown>, 'manual', config.SIYU_BACKUPS);
      console.log(
        `Backup written: ${backup.path} (${formatBytes(backup.bytes)}, ${((performance.now() - started) / 1000).toFixed(1)} s)`,
      );
      console.log(`Keeping the newest ${Math.max(1, config.SIYU_BACKUPS)} in ${backupsDir(config.dataDir)}.`);
    } finally {
      await database.close();
    }
  },
};

COMMANDS.doctor = {
  summary: 'check the embedded database and list its backups; --restore one',
  help: `Usage: siyu doctor [--restore FILE|latest]

Checks the embedded database (SIYU_DATA_DIR): that it opens, that the migrations ledger reads, that a sample
of every table reads, and verifies every table and btree index with PostgreSQL's amcheck (in a transaction
rolled back: the database is left as it was). Then lists the backups in the backups/ folder beside it.
Exit code 0 when the database is fine, 1 otherwise. Siyu must be stopped: it holds the database.

After a crash (a killed process, a power cut), "siyu start" says that the previous run did not stop cleanly
and checks the database itself; when it does not open or does not read, restore a backup:

Options:
  --restore FILE|latest   restore a backup (a file, a name in backups/, or the newest) into the data
                          folder: it is unpacked beside it and checked first, then the current folder is
                          moved aside to <data>.before-restore-<time> (not deleted) and the restored one
                          takes its place. Refused while a Siyu holds the database. Changes made after the
                          backup are lost: WeCom's side comes back with a full sync (siyu sync).

On a PostgreSQL server (DATABASE_URL) it only reads the migrations ledger and a sample of every table;
back such a server up and check it with its own tools (pg_dump, pg_amcheck).

Environment:
${ENV_HELP}`,
  run: async (args) => {
    const { values } = parseArgs({ args, options: { restore: { type: 'string' } } });
    const config = loadConfig();
    if (config.DATABASE_URL) {
      if (values.restore !== undefined)
        throw new UsageError(`--restore is for the embedded database; on a PostgreSQL server: ${PG_RESTORE}`);
      const database = await openDatabase({ url: config.DATABASE_URL });
      try {
        const check = await checkDatabase(database.db);
        console.log(`PostgreSQL server from DATABASE_URL: ${describeCheck(check)}`);
        for (const p of check.problems) console.log(`  ${p}`);
        console.log(`Siyu does not back up a server database: ${PG_DUMP}`);
        return check.ok ? 0 : 1;
      } finally {
        await database.close();
      }
    }
    if (values.restore !== undefined) {
      const file = resolveBackup(config.dataDir, values.restore);
      console.log(`Restoring ${file} into ${config.dataDir}…`);
      const { aside, check } = await restoreBackup(config.dataDir, file);
      console.log(`Restored. The restored database ${check}`);
      if (aside) console.log(`The previous folder is kept at ${aside}: delete it once Siyu runs well again.`);
      console.log(
        'Start Siyu again; then run a full sync (siyu sync, or the console’s 企业微信 page) so that what ' +
          'changed in WeCom since the backup comes back.',
      );
      return 0;
    }
    return doctor(config);
  },
};

const PG_DUMP = 'pg_dump --format=custom --file="siyu-$(date -u +%Y%m%dT%H%M%SZ).dump" "$DATABASE_URL"';
const PG_RESTORE = 'pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" FILE.dump';

async function doctor(config: Config): Promise<number> {
  let ok = true;
  console.log(`Embedded database: ${config.dataDir}`);
  const holder = lockHolder(config.dataDir);
  if (holder !== null) {
    console.log(`  in use by process ${holder} (a running Siyu): stop it to check the database`);
    ok = false;
  } else if (!existsSync(config.dataDir)) {
    console.log('  not created yet ("siyu start" creates it)');
  } else {
    try {
      const database = await openDatabase({ dataDir: config.dataDir, amcheck: true });
      try {
        if (database.uncleanStop)
          console.log(`  the previous run (process ${database.uncleanStop.pid}) did not stop cleanly`);
        const check = await checkDatabase(database.db, { deep: true });
        console.log(`  ${describeCheck(check)}`);
        for (const p of check.problems) console.log(`    ${p}`);
        ok = check.ok;
      } finally {
        await database.close();
      }
    } catch (err) {
      console.log(`  ${(err as Error).message.replaceAll('\n', '\n  ')}`);
      ok = false;
    }
  }
  const dir = backupsDir(config.dataDir);
  const backups = listBackups(dir);
  console.log(
    `Backups in ${dir}: ${backups.length} (keeping the newest ${config.SIYU_BACKUPS}, SIYU_BACKUPS)`,
  );
  for (const b of [...backups].reverse())
    console.log(`  ${b.name}  ${b.reason.padEnd(6)}  ${formatBytes(b.bytes).padStart(9)}`);
  if (!ok && backups.length)
    console.log('Restore the newest with "siyu doctor --restore latest" (or name one).');
  return ok ? 0 : 1;
}

class UsageError extends Error {}

/** What a one-off command runs on: the modules' deps, its workers not started (it drains what it needs). */
function cliRuntime(config: Config, database: Database<Tables>) {
  return createRuntime({ db: database.db, clock: systemClock, pii: createPii(resolveSecretKey(config)) });
}

function describeDb(config: Config): string {
  return config.DATABASE_URL ? 'PostgreSQL server from DATABASE_URL' : `embedded PGlite in ${config.dataDir}`;
}

const publicUrl = (config: Config, address: string) => config.SIYU_PUBLIC_URL ?? address;

function describeCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

function printSyncProgress(run: SyncRun): void {
  const line = `Syncing from WeCom: ${run.phase} — ${describeCounts(run.counts)}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(100)}`);
  else console.log(line);
}

/** "LABEL: 42% (420/1000)", in place on a terminal, else a line per quarter (and at 100 %). */
function progressLine(label: string): (done: number, total: number) => void {
  let last = '';
  return (done, total) => {
    const pct = total ? Math.floor((done / total) * 100) : 100;
    const key = String(process.stdout.isTTY ? pct : Math.floor(pct / 25));
    if (key === last) return;
    last = key;
    const line = `${label}: ${pct}% (${done}/${total})`;
    if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(80)}${pct === 100 ? '\n' : ''}`);
    else console.log(line);
  };
}

function stageProgress(): (stage: string, done: number, total: number) => void {
  const lines = new Map<string, (done: number, total: number) => void>();
  return (stage, done, total) => {
    if (!lines.has(stage)) lines.set(stage, progressLine(`Demo brand: ${stage}`));
    lines.get(stage)!(done, total);
  };
}

interface Running {
  database: Database<Tables>;
  app: Awaited<ReturnType<typeof createServer>>;
  simulator: RunningSimulator;
  simClock: ShiftableClock;
  url: string;
}

/** Opens the database, serves Siyu with its workers and the bundled simulator, runs `body`, then closes. */
async function withServer(
  config: Config,
  opts: { port: number },
  body: (r: Running) => Promise<void>,
): Promise<void> {
  const database = await openSiyuDatabase(config);
  const simClock = new ShiftableClock();
  let app: Running['app'] | undefined;
  let simulator: RunningSimulator | undefined;
  try {
    app = await createServer({ database, secretKey: resolveSecretKey(config), logger: false });
    const address = await app.listen({ port: opts.port, host: '127.0.0.1' });
    await app.runtime.start();
    simulator = await startBundledSimulator(config, simClock);
    await body({ database, app, simulator, simClock, url: address });
  } finally {
    await app?.close();
    await simulator?.close();
    await database.close();
  }
}

function buildDemo(
  config: Config,
  database: Database<Tables>,
  app: Running['app'],
  simulator: RunningSimulator,
  simClock: ShiftableClock,
  siyuUrl: string,
  customers?: number,
): Promise<DemoLogin[]> {
  return buildDemoThroughSimulator({
    db: database.db,
    pii: createPii(resolveSecretKey(config)),
    hashPassword,
    simulatorUrl: simulator.url,
    sim: simulator.sim,
    simClock,
    siyuUrl,
    runtime: app.runtime,
    customers: customers ?? config.SIYU_DEMO_CUSTOMERS,
    onProgress: stageProgress(),
  }).then((r) => r.logins);
}

const ROLES = ['all', 'web', 'worker'] as const;
type Role = (typeof ROLES)[number];

async function start(role: Role): Promise<void> {
  const config = loadConfig();
  allowPrivateFetch(config.SIYU_FETCH_PRIVATE);
  if (role !== 'all' && !config.DATABASE_URL) {
    throw new UsageError(
      `--role ${role} shares its work with other processes through a PostgreSQL server: set DATABASE_URL (the embedded database is one process)`,
    );
  }
  if (role === 'worker') return startWorker(config);
  const creds = wecomCredentials(config);
  const { buildWebIfNeeded } = await import('../../scripts/build-web-if-needed.js');
  await buildWebIfNeeded();
  const database = await openSiyuDatabase(config);
  const secretKey = resolveSecretKey(config);
  const logFormat = resolveLogFormat(config.SIYU_LOG_FORMAT, process.stdout.isTTY);
  const logger = createLogger({ level: config.SIYU_LOG_LEVEL, format: logFormat });
  const simClock = new ShiftableClock();
  let app: Awaited<ReturnType<typeof createServer>> | undefined;
  let simulator: RunningSimulator | undefined;
  const backups = new BackupSchedule(database as Database<unknown>, config.SIYU_BACKUPS, (line) =>
    console.log(line),
  );
  const close = async (withBackup = false) => {
    await app?.close();
    await simulator?.close();
    await backups.stop();
    if (withBackup && database.dumpDataDir && config.SIYU_BACKUPS > 0) {
      try {
        const b = await writeBackup(database as Database<unknown>, 'stop', config.SIYU_BACKUPS);
        console.log(`Backup written: ${b.path} (${formatBytes(b.bytes)})`);
      } catch (err) {
        console.error(`siyu: the backup at stop failed: ${(err as Error).message}`);
      }
    }
    await database.close();
  };
  const shutdown = async (signal: string) => {
    console.log(`\n${signal}: stopping Siyu…`);
    try {
      await close(true);
    } finally {
      process.exit(0);
    }
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    app = await createServer({
      database,
      secretKey,
      logger,
      secureCookies: config.SIYU_SECURE_COOKIES,
      trustedProxies: config.SIYU_TRUSTED_PROXIES,
      frameAncestors: config.SIYU_FRAME_ANCESTORS,
      accessLogLevel: logFormat === 'json' ? 'info' : 'debug',
      webDir: WEB_DIST,
      publicUrl: config.SIYU_PUBLIC_URL,
      ready: false,
    });
    const address = await app.listen({ port: config.PORT, host: config.HOST });
    if (role === 'all') await app.runtime.start();
    const url = publicUrl(config, address);
    console.log(
      `Siyu ${role === 'web' ? '(web only: workers run elsewhere) ' : ''}is listening on ${address} (database: ${describeDb(config)})`,
    );
    console.log(`  console  ${address}/`);
    console.log(`  API docs ${address}/api/docs`);

    if (creds) {
      const pii = createPii(secretKey);
      const linked = await connectRealWecom(database.db, pii, config, creds);
      app.runtime.deps.links.invalidate(linked.brand);
      console.log(`WeCom: corp ${creds.corpId} → brand ${linked.brand}`);
      console.log(`  set the app's callback URL (接收事件服务器) to ${callbackUrl(url, linked.brand)}`);
      if (linked.adminPassword)
        console.log(`  first start: sign in as ${linked.adminLogin} with password ${linked.adminPassword}`);
      const synced = await database.db
        .selectFrom('wecom_sync_runs')
        .select('id')
        .where('corp_id', '=', linked.brand)
        .executeTakeFirst();
      if (!synced && (await requestFullSync(database.db, linked.brand, systemClock.now()))) {
        app.runtime.deps.wake.job(SYNC_JOB);
      }
      app.markReady();
      backups.start();
      return;
    }

    simulator = await startBundledSimulator(config, simClock);
    console.log(`WeCom: the bundled simulator at ${simulator.url} (no WECOM_* credentials set)`);
    // its WeCom client page (/sim/client) frames the staff sidebar and gives it the JS-SDK
    app.allowOrigin(simulator.url);
    const empty = !(await database.db.selectFrom('corps').select('corp_id').limit(1).executeTakeFirst());
    if (empty && config.SIYU_DEMO && role === 'all') {
      console.log(
        'Building the demo brand in the simulator; it reaches Siyu through WeCom sync and callbacks…',
      );
      printLogins(await buildDemo(config, database, app, simulator, simClock, url));
    } else {
      await relinkSimulatedBrands(database.db, simulator.url, url);
    }
    app.markReady();
    backups.start();
    console.log('Siyu is ready.');
  } catch (err) {
    await close();
    throw err;
  }
}

/** `siyu start --role worker`: the background work of Siyu on a shared PostgreSQL server, no HTTP. */
async function startWorker(config: Config): Promise<void> {
  const database = await openSiyuDatabase(config);
  const runtime = createRuntime(
    { db: database.db, clock: systemClock, pii: createPii(resolveSecretKey(config)) },
    {
      logger: createLogger({
        level: config.SIYU_LOG_LEVEL,
        format: resolveLogFormat(config.SIYU_LOG_FORMAT, process.stdout.isTTY),
      }),
      inboxConcurrency: inboxConcurrencyFor(database.kind),
      databaseUrl: database.url,
    },
  );
  const stop = async (signal: string) => {
    await runtime.stop();
    await database.close();
    const handled = `inbox ${runtime.inbox.handled}, events ${runtime.events.handled}, outbox ${runtime.sender.sent}`;
    console.log(`${signal}: Siyu worker ${process.pid} stopped (handled: ${handled})`);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  await runtime.start();
  console.log(`Siyu worker ${process.pid} is running (database: ${describeDb(config)})`);
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
    const code = await command.run(rest);
    return typeof code === 'number' ? code : 0;
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
