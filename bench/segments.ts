import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import type { Ctx } from '../src/modules/context.ts';
import { countAudience, sampleAudience } from '../src/modules/segments/compile.ts';
import { checkRule, type Rule } from '../src/modules/segments/rule.ts';
import {
  benchContexts,
  brandOf,
  CORP,
  fmt,
  GENERATOR_HELP,
  generateBrand,
  line,
  machine,
  quantile,
} from './brand.ts';
import { openBenchDatabase } from './setup.ts';

const HELP = `npm run bench:segments -- [options]
  --customers N   customers to generate (default 1,000,000)
  --orders N      orders to generate (default 5 × customers)
  --runs N        timed runs per query after one warm-up (default 10)
  --seed N        the generator's seed (default 1)
  --keep          PostgreSQL: keep the generated database (its name is printed) to look at plans

${GENERATOR_HELP}`;

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    orders: { type: 'string' },
    runs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const N = Number(args.customers);
const M = Number(args.orders ?? 5 * N);
const RUNS = Number(args.runs);
const SEED = Number(args.seed);
if (!(N >= 1000 && N <= 10_000_000) || !(M >= 0 && M <= 100_000_000) || !(RUNS >= 1 && RUNS <= 1000)) {
  throw new Error('--customers in [1000, 1e7], --orders in [0, 1e8], --runs in [1, 1000]');
}

const brand = brandOf({ customers: N, orders: M, seed: SEED });
const { stores: STORES, regions: REGIONS, firstStore } = brand;

/** Ten trees an operator would build (PLAYBOOK §4), from one condition to a four-level mix. */
function trees(): { name: string; rule: Rule }[] {
  const region1Stores = Array.from({ length: Math.min(12, STORES) }, (_, k) => firstStore + k);
  return [
    { name: 'one tag', rule: { field: 'tag', cmp: 'in', value: [3] } },
    {
      name: 'stage + recency',
      rule: {
        op: 'and',
        rules: [
          { field: 'stage', cmp: 'in', value: ['super', 'repeat'] },
          { field: 'last_order_days', cmp: 'lte', value: 30 },
        ],
      },
    },
    {
      name: 'RFM high value',
      rule: {
        op: 'and',
        rules: [
          { field: 'r_score', cmp: 'gte', value: 4 },
          { field: 'f_score', cmp: 'gte', value: 4 },
          { field: 'm_score', cmp: 'gte', value: 4 },
        ],
      },
    },
    {
      name: 'price-sensitive, not tagged',
      rule: {
        op: 'and',
        rules: [
          { field: 'coupon_share', cmp: 'gte', value: 0.5 },
          { op: 'not', rule: { field: 'tag', cmp: 'in', value: [1, 2] } },
        ],
      },
    },
    {
      name: 'region, 90-day repeaters',
      rule: {
        op: 'and',
        rules: [
          { field: 'follow_unit', cmp: 'in', value: [2] },
          { field: 'orders_90d', cmp: 'gte', value: 2 },
        ],
      },
    },
    {
      name: 'dormant high LTV',
      rule: {
        op: 'and',
        rules: [
          { field: 'last_order_days', cmp: 'between', value: [60, 180] },
          { field: 'ltv_fen', cmp: 'gte', value: 50_000 },
        ],
      },
    },
    {
      name: 'bought A, never B',
      rule: {
        op: 'and',
        rules: [
          { field: 'product', cmp: 'in', value: ['P010'] },
          { field: 'product', cmp: 'not_in', value: ['P001'] },
        ],
      },
    },
    {
      name: 'offline channel, no order 30d',
      rule: {
        op: 'and',
        rules: [
          { field: 'channel_method', cmp: 'in', value: ['table_card', 'poster', 'rollup_banner'] },
          { field: 'orders_30d', cmp: 'eq', value: 0 },
        ],
      },
    },
    {
      name: 'in no group, spent 200+/yr',
      rule: {
        op: 'and',
        rules: [
          { field: 'group', cmp: 'none' },
          { field: 'spend_365d_fen', cmp: 'gte', value: 20_000 },
        ],
      },
    },
    {
      name: 'four-level mix',
      rule: {
        op: 'or',
        rules: [
          {
            op: 'and',
            rules: [
              { field: 'top_unit', cmp: 'in', value: region1Stores.slice(0, 3) },
              { op: 'not', rule: { field: 'stage', cmp: 'in', value: ['churned'] } },
              {
                op: 'or',
                rules: [
                  { field: 'tag', cmp: 'all', value: [1, 5] },
                  { op: 'not', rule: { field: 'coupon_share', cmp: 'gt', value: 0.3 } },
                ],
              },
            ],
          },
          {
            op: 'and',
            rules: [
              { field: 'staff', cmp: 'in', value: [1, 2, 3] },
              { field: 'orders_365d', cmp: 'between', value: [3, 10] },
              { op: 'not', rule: { field: 'group', cmp: 'any' } },
            ],
          },
        ],
      },
    },
  ];
}

async function measure(ctx: Ctx, label: string) {
  console.log(`\n${label}: p50 / p95 over ${RUNS} runs (after one warm-up), in ms`);
  console.log(
    `  ${'tree'.padEnd(32)} ${'count'.padStart(10)} ${'count p50'.padStart(10)} ${'p95'.padStart(8)} ${'page p50'.padStart(10)} ${'p95'.padStart(8)}`,
  );
  const all = { count: [] as number[], page: [] as number[] };
  for (const { name, rule } of trees()) {
    const checked = checkRule(rule);
    if (!checked.rule) throw new Error(`${name}: ${JSON.stringify(checked.issues)}`);
    const times = { count: [] as number[], page: [] as number[] };
    let size = 0;
    for (let run = 0; run <= RUNS; run++) {
      let t0 = performance.now();
      size = await countAudience(ctx, checked.rule);
      const countMs = performance.now() - t0;
      t0 = performance.now();
      await sampleAudience(ctx, checked.rule, 20);
      const pageMs = performance.now() - t0;
      if (run === 0) continue; // warm-up
      times.count.push(countMs);
      times.page.push(pageMs);
    }
    const c = times.count.sort((a, b) => a - b);
    const p = times.page.sort((a, b) => a - b);
    all.count.push(...c);
    all.page.push(...p);
    console.log(
      `  ${name.padEnd(32)} ${fmt(size).padStart(10)} ${quantile(c, 0.5).toFixed(0).padStart(10)} ${quantile(c, 0.95).toFixed(0).padStart(8)} ${quantile(p, 0.5).toFixed(0).padStart(10)} ${quantile(p, 0.95).toFixed(0).padStart(8)}`,
    );
  }
  all.count.sort((a, b) => a - b);
  all.page.sort((a, b) => a - b);
  console.log(
    `  ${'all trees'.padEnd(32)} ${''.padStart(10)} ${quantile(all.count, 0.5).toFixed(0).padStart(10)} ${quantile(all.count, 0.95).toFixed(0).padStart(8)} ${quantile(all.page, 0.5).toFixed(0).padStart(10)} ${quantile(all.page, 0.95).toFixed(0).padStart(8)}`,
  );
}

const bench = await openBenchDatabase();
let failed = false;
try {
  const { database } = bench;
  console.log('Siyu segment benchmark');
  line('database', bench.label);
  line('machine', machine());
  line(
    'brand',
    `${fmt(N)} customers, ${fmt(M)} orders, ${STORES} stores in ${REGIONS} regions, seed ${SEED}`,
  );
  const t0 = performance.now();
  await generateBrand(database, brand);
  line('generated in', `${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const counts = await sql<{ t: string; n: number }>`
    select 'follows' as t, count(*) as n from follows where corp_id = ${CORP}
    union all select 'customer_tags', count(*) from customer_tags where corp_id = ${CORP}
    union all select 'group_members', count(*) from group_members where corp_id = ${CORP}
    union all select 'channel_adds', count(*) from channel_adds where corp_id = ${CORP}
    union all select 'order_items', count(*) from order_items where corp_id = ${CORP}
    union all select 'customer_facts', count(*) from customer_facts where corp_id = ${CORP}`.execute(
    database.db,
  );
  line('rows', counts.rows.map((r) => `${r.t} ${fmt(Number(r.n))}`).join(', '));

  const { hq, region, regionStores } = benchContexts(database.db, brand);
  await measure(hq, 'HQ (the whole brand)');
  await measure(region, `A region manager (${regionStores.length} stores)`);
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  if (args.keep && bench.database.kind === 'postgres') {
    console.log(`\nkept: ${bench.label}`);
    await bench.database.close();
  } else await bench.dispose();
}
process.exit(failed ? 1 : 0);
