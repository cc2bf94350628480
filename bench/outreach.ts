/**
 * Outreach benchmark, part (a): planning a mass send to a whole generated brand with the touch budget
 * applied — the time to the exact counts by exclusion reason (outreach's planAudience: one set-based
 * statement), p50 / p95 over --runs runs after one warm-up. Part (b), the journey engine, is not here yet.
 *
 *   DATABASE_URL=postgres://… npm run bench:outreach                      # PostgreSQL, 1M customers
 *   npm run bench:outreach -- --customers 50000 --runs 3                  # PGlite, smaller
 *
 * The brand is generated in the database by set-based SQL (generate_series, hashint8extended as the seeded
 * source of every choice), with what planning reads: org, staff, customers, follows, facts (coupon share,
 * top store), touches of the last days and opt-outs, and budget settings on a region and a store.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { type Ctx, ctxFor } from '../src/modules/context.ts';
import { type Plan, type PlanInput, planAudience } from '../src/modules/outreach/index.ts';
import type { Tables } from '../src/modules/tables.ts';
import type { Actor } from '../src/platform/actor.ts';
import { ManualClock } from '../src/platform/clock.ts';
import { createPii } from '../src/platform/pii.ts';
import { createRuntime } from '../src/runtime.ts';
import { openBenchDatabase } from './setup.ts';

const HELP = `npm run bench:outreach -- [options]
  --customers N   customers to generate (default 1,000,000)
  --runs N        timed plans per case after one warm-up (default 5)
  --seed N        the generator's seed (default 1)
  --keep          PostgreSQL: keep the generated database (its name is printed) to look at plans

The generated brand 压测品牌 (corp 'bench'):
  org        HQ → 1 region per 12 stores → one store per 20,000 customers (at least 4)
  staff      10 online-ops staff at HQ, 8 staff per store
  customers  each with a home store; follows one staff member of it (7 % ended by the customer),
             25 % also an HQ online-ops member
  facts      55 % of customers: coupon share u (price-sensitive from 0.5), top store = home store
  touches    20 % touched in the last 3 days (a journey or an earlier mass send), 1 % opted out
  budgets    the defaults (1 per 48 h, quiet 21:00–09:00); the first store 2 per 72 h, the second no quiet hours
Planned at 10:00 brand time, so quiet hours do not apply; the coupon case adds the price-sensitive guard.`;

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
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
const RUNS = Number(args.runs);
const SEED = Number(args.seed);
if (!(N >= 1000 && N <= 10_000_000) || !(RUNS >= 1 && RUNS <= 100)) {
  throw new Error('--customers in [1000, 1e7], --runs in [1, 100]');
}

const CORP = 'bench';
const NOW = new Date('2026-11-30T02:00:00Z'); // 10:00 brand time
const STORES = Math.max(4, Math.round(N / 20_000));
const REGIONS = Math.ceil(STORES / 12);
const STORE_STAFF = 8;
const OPS_STAFF = 10;
const CHUNK = 250_000;
const firstStore = 2 + REGIONS;

const line = (label: string, value: string) => console.log(`  ${label.padEnd(24)} ${value}`);
const fmt = (n: number) => n.toLocaleString('en-US');
const u = (row: string, salt: number) =>
  sql`((hashint8extended((${sql.raw(row)})::int8, ${sql.lit(SEED * 1000 + salt)}) & 16777215)::float8 / 16777216)`;
const home = (i: string) => sql`(${sql.lit(firstStore)} + floor(${u(i, 1)} * ${sql.lit(STORES)})::int)`;
const storeStaff = (i: string) =>
  sql`(${sql.lit(OPS_STAFF + 1)} + (${home(i)} - ${sql.lit(firstStore)}) * ${sql.lit(STORE_STAFF)} + floor(${u(i, 2)} * ${sql.lit(STORE_STAFF)})::int)`;

async function timed(label: string, fn: () => Promise<unknown>) {
  const t0 = performance.now();
  await fn();
  line(label, `${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function inChunks(
  total: number,
  step: (from: number, to: number) => RawBuilder<unknown>,
  db: Kysely<Tables>,
) {
  for (let from = 1; from <= total; from += CHUNK)
    await step(from, Math.min(total, from + CHUNK - 1)).execute(db);
}

async function generate(db: Kysely<Tables>) {
  const now = NOW;
  const day = sql`interval '1 day'`;
  console.log('\nGenerating (set-based SQL):');
  await timed('org, staff, budgets', async () => {
    await sql`insert into corps (corp_id, name) values (${CORP}, '压测品牌')`.execute(db);
    await sql`insert into org_units (corp_id, id, parent_id, kind, name, code, path) overriding system value
      values (${CORP}, 1, null, 'hq', '总部', 'hq', '/1/')`.execute(db);
    await sql`insert into org_units (corp_id, id, parent_id, kind, name, code, path) overriding system value
      select ${CORP}, r, 1, 'region', '大区' || (r - 1), 'r' || (r - 1), '/1/' || r || '/'
      from generate_series(2, ${sql.lit(1 + REGIONS)}) r`.execute(db);
    await sql`insert into org_units (corp_id, id, parent_id, kind, name, code, path) overriding system value
      select ${CORP}, s, 2 + (s - ${sql.lit(firstStore)}) / 12, 'store', '门店' || (s - ${sql.lit(firstStore - 1)}),
        's' || s, '/1/' || (2 + (s - ${sql.lit(firstStore)}) / 12) || '/' || s || '/'
      from generate_series(${sql.lit(firstStore)}, ${sql.lit(firstStore + STORES - 1)}) s`.execute(db);
    await sql`insert into staff (corp_id, id, userid, name, unit_id, persona, journey_role) overriding system value
      select ${CORP}, k, 'ops' || k, '运营' || k, 1, 'brand', 'online_ops' from generate_series(1, ${sql.lit(OPS_STAFF)}) k`.execute(
      db,
    );
    await sql`insert into staff (corp_id, id, userid, name, unit_id, persona, journey_role) overriding system value
      select ${CORP}, k, 'st' || k, '导购' || k,
        ${sql.lit(firstStore)} + (k - ${sql.lit(OPS_STAFF + 1)}) / ${sql.lit(STORE_STAFF)}, 'sales', 'store_staff'
      from generate_series(${sql.lit(OPS_STAFF + 1)}, ${sql.lit(OPS_STAFF + STORES * STORE_STAFF)}) k`.execute(
      db,
    );
    await sql`insert into touch_budget_settings (corp_id, unit_id, max_touches, window_hours, quiet_start, quiet_end, updated_at)
      values (${CORP}, ${firstStore}, 2, 72, null, null, ${now}), (${CORP}, ${firstStore + 1}, null, null, 0, 0, ${now})`.execute(
      db,
    );
  });
  const addedAt = (i: string) => sql`(${now}::timestamptz - (1 + ${u(i, 20)} * 729) * ${day})`;
  await timed(`customers (${fmt(N)})`, () =>
    inChunks(
      N,
      (
        a,
        b,
      ) => sql`insert into customers (corp_id, id, external_userid, name, first_added_at, created_at, updated_at)
        overriding system value
        select ${CORP}, i, 'wm' || i, '客户' || i, ${addedAt('i')}, ${now}, ${now}
        from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i`,
      db,
    ),
  );
  await timed('follows', () =>
    inChunks(
      N,
      (a, b) => sql`insert into follows (corp_id, customer_id, staff_id, journey_role, status, added_at)
        select ${CORP}, i, ${storeStaff('i')}, 'store_staff',
          case when ${u('i', 3)} < 0.07 then 'deleted_by_customer' else 'active' end, ${addedAt('i')}
        from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i
        union all
        select ${CORP}, i, 1 + floor(${u('i', 4)} * ${sql.lit(OPS_STAFF)})::int, 'online_ops', 'active', ${addedAt('i')}
        from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i where ${u('i', 5)} < 0.25`,
      db,
    ),
  );
  await timed('facts', () =>
    inChunks(
      N,
      (a, b) => sql`insert into customer_facts (corp_id, customer_id, order_count, paid_fen, coupon_orders,
          coupon_share, top_unit_id, stage, computed_at)
        select ${CORP}, i, 1 + floor(${u('i', 7)} * 10)::int, 3000 + floor(${u('i', 8)} * 100000)::int, 0,
          ${u('i', 9)}::real, ${home('i')}, 'active', ${now}
        from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i where ${u('i', 6)} < 0.55`,
      db,
    ),
  );
  await timed('touches, opt-outs', async () => {
    await inChunks(
      N,
      (
        a,
        b,
      ) => sql`insert into touches (corp_id, customer_id, staff_id, source_kind, source_id, at, wecom_mass, status)
        select ${CORP}, i, ${storeStaff('i')}, 'journey', 'j' || (1 + floor(${u('i', 11)} * 5)::int),
          ${now}::timestamptz - ${u('i', 12)} * 3 * ${day}, true, 'sent'
        from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i where ${u('i', 10)} < 0.2`,
      db,
    );
    await inChunks(
      N,
      (a, b) => sql`insert into touch_opt_outs (corp_id, customer_id, at)
        select ${CORP}, i, ${now} from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i where ${u('i', 13)} < 0.01`,
      db,
    );
  });
  await timed('vacuum analyze', () => sql`vacuum analyze`.execute(db));
}

function quantile(sorted: number[], q: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

async function measure(ctx: Ctx, label: string, input: PlanInput) {
  const times: number[] = [];
  let plan: Plan | undefined;
  for (let run = 0; run <= RUNS; run++) {
    const t0 = performance.now();
    plan = await planAudience(ctx, input);
    if (run > 0) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const p = plan!;
  console.log(`\n${label}`);
  line(
    'time to exact counts',
    `p50 ${(quantile(times, 0.5) / 1000).toFixed(2)} s, p95 ${(quantile(times, 0.95) / 1000).toFixed(2)} s`,
  );
  line('audience', `${fmt(p.total)}: receiving ${fmt(p.receiving)}`);
  line(
    'excluded',
    Object.entries(p.excluded)
      .map(([k, n]) => `${k} ${fmt(n)}`)
      .join(', '),
  );
  line('senders', `${fmt(p.senders.length)}`);
  return quantile(times, 0.5);
}

const bench = await openBenchDatabase();
let failed = false;
try {
  const { database } = bench;
  const cpu = cpus();
  console.log('Siyu outreach benchmark (a): planning a mass send to the whole brand');
  line('database', bench.label);
  line(
    'machine',
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`,
  );
  line('brand', `${fmt(N)} customers, ${STORES} stores in ${REGIONS} regions, seed ${SEED}`);
  const t0 = performance.now();
  await database.db.connection().execute((db) => generate(db));
  line('generated in', `${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const { id: everyone } = await database.db
    .insertInto('segments')
    .values({
      corp_id: CORP,
      unit_id: 1,
      name: '全部客户',
      rule: JSON.stringify({ field: 'order_count', cmp: 'gte', value: 0 }),
      created_by: null,
      created_at: NOW,
      updated_at: NOW,
    })
    .returning('id')
    .executeTakeFirstOrThrow();

  const { deps } = createRuntime({
    db: database.db,
    clock: new ManualClock(NOW),
    pii: createPii('00'.repeat(32)),
  });
  const regionStores = Array.from({ length: Math.min(12, STORES) }, (_, k) => firstStore + k);
  const hq: Actor = {
    corpId: CORP,
    accountId: 0,
    role: 'hq_admin',
    unitId: 1,
    seesWholeCorp: true,
    unitIds: [
      1,
      ...Array.from({ length: REGIONS }, (_, k) => 2 + k),
      ...Array.from({ length: STORES }, (_, k) => firstStore + k),
    ],
    staffId: null,
  };
  const region: Actor = {
    ...hq,
    role: 'region_manager',
    unitId: 2,
    seesWholeCorp: false,
    unitIds: [2, ...regionStores],
  };
  const base = { audience: { segmentId: everyone }, senderRule: { prefer: 'store_staff' as const }, at: NOW };
  const p50 = await measure(ctxFor(deps, hq), 'HQ, the whole brand, product content', {
    ...base,
    contentKind: 'product',
  });
  await measure(ctxFor(deps, hq), 'HQ, the whole brand, coupon to the price-sensitive part only', {
    ...base,
    contentKind: 'coupon',
    guard: 'price_sensitive_only',
  });
  await measure(ctxFor(deps, region), `A region manager (${regionStores.length} stores), product content`, {
    ...base,
    contentKind: 'product',
  });
  console.log(
    `\nTarget: under 3 s for the whole brand — ${p50 < 3000 ? 'met' : 'NOT met'} (p50 ${(p50 / 1000).toFixed(2)} s)`,
  );
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
