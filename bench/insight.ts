import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { Ctx } from '../src/modules/context.ts';
import { home } from '../src/modules/insight/home.ts';
import { rebuildInsight, refreshDirty } from '../src/modules/insight/refresh.ts';
import {
  addMonths,
  brandDay,
  cohorts,
  funnel,
  gmvCompare,
  monthOf,
  performance,
  scopeOf,
} from '../src/modules/insight/service.ts';
import { corpDb } from '../src/platform/db/corp-db.ts';
import {
  benchContexts,
  brandOf,
  CORP,
  fmt,
  GENERATOR_HELP,
  generateBrand,
  line,
  machine,
  NOW,
  quantile,
} from './brand.ts';
import { openBenchDatabase } from './setup.ts';

const HELP = `npm run bench:insight -- [options]
  --customers N   customers to generate (default 300,000; the issue's target is 3,000,000)
  --orders N      orders to generate (default 1,000,000; the issue's target is 10,000,000)
  --runs N        timed runs per answer after one warm-up (default 20)
  --seed N        the generator's seed (default 1)

${GENERATOR_HELP}`;

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '300000' },
    orders: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const N = Number(args.customers);
const M = Number(args.orders);
const RUNS = Number(args.runs);
const brand = brandOf({ customers: N, orders: M, seed: Number(args.seed) });
const { stores: STORES, regions: REGIONS } = brand;

async function measure(ctx: Ctx, label: string) {
  const scope = await scopeOf(ctx, {});
  const month = monthOf(brandDay(NOW));
  const prev = addMonths(month, -1);
  const answers: [string, () => Promise<unknown>][] = [
    ['home', () => home(ctx, scope)],
    ['gmv total', () => gmvCompare(ctx, scope, month, prev, 'total')],
    ['gmv by channel', () => gmvCompare(ctx, scope, month, prev, 'channel')],
    ['gmv by store', () => gmvCompare(ctx, scope, month, prev, 'store')],
    ['gmv by staff', () => gmvCompare(ctx, scope, month, prev, 'staff')],
    ['funnel by method (3 mo)', () => funnel(ctx, scope, addMonths(month, -2), month, 'method')],
    ['cohorts 3 months', () => cohorts(ctx, scope, month, 3)],
    ['cohorts 18 months', () => cohorts(ctx, scope, month, 18)],
    ['performance by staff', () => performance(ctx, scope, addMonths(month, -2), month, 'staff')],
    ['performance by store', () => performance(ctx, scope, addMonths(month, -2), month, 'store')],
  ];
  console.log(`\n${label}: p50 / p95 over ${RUNS} runs (after one warm-up), in ms`);
  for (const [name, fn] of answers) {
    const times: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      const t0 = performance_now();
      await fn();
      if (run > 0) times.push(performance_now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(
      `  ${name.padEnd(28)} ${quantile(times, 0.5).toFixed(1).padStart(8)} ${quantile(times, 0.95).toFixed(1).padStart(8)}`,
    );
  }
}
const performance_now = () => globalThis.performance.now();

const bench = await openBenchDatabase();
let failed = false;
try {
  const { database } = bench;
  console.log('Siyu insight benchmark');
  line('database', bench.label);
  line('machine', machine());
  line('brand', `${fmt(N)} customers, ${fmt(M)} orders, ${STORES} stores in ${REGIONS} regions`);
  let t0 = performance_now();
  await generateBrand(database, brand);
  line('generated in', `${((performance_now() - t0) / 1000).toFixed(0)} s`);
  const cdb = corpDb(database.db, CORP);
  t0 = performance_now();
  await rebuildInsight(cdb);
  const buildS = (performance_now() - t0) / 1000;
  line('rollups built in', `${buildS.toFixed(1)} s (${fmt(Math.round(N / buildS))} customers/s)`);
  await sql`vacuum analyze`.execute(database.db);
  const sizes = await sql<{ t: string; n: unknown }>`
    select 'insight_daily' t, count(*) n from insight_daily union all
    select 'insight_monthly', count(*) from insight_monthly union all
    select 'insight_cohorts', count(*) from insight_cohorts union all
    select 'insight_buyer_months', count(*) from insight_buyer_months`.execute(database.db);
  line('rollup rows', sizes.rows.map((r) => `${r.t} ${fmt(Number(r.n))}`).join(', '));
  // incremental: 2,000 customers changed (as the domain events would mark them), refreshed in one pass
  await sql`insert into insight_dirty (corp_id, customer_id)
    select ${CORP}, g from generate_series(1, ${N}, ${Math.max(1, Math.floor(N / 2000))}) g limit 2000`.execute(
    database.db,
  );
  t0 = performance_now();
  while (await refreshDirty(cdb, 2000));
  line('refresh 2,000 changed', `${(performance_now() - t0).toFixed(0)} ms`);

  const { hq, region, regionStores } = benchContexts(database.db, brand);
  await measure(hq, 'HQ (the whole brand)');
  await measure(region, `A region manager (${regionStores.length} stores)`);
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await bench.dispose();
}
process.exit(failed ? 1 : 0);
