import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { syncCtxOf } from '../src/modules/context.ts';
import { groupPersonas, personaRollup } from '../src/modules/groups/persona.ts';
import { routeCustomerToGroup } from '../src/modules/groups/routing.ts';
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
  timed,
} from './brand.ts';
import { openBenchDatabase } from './setup.ts';

const HELP = `npm run bench:groups -- [options]
  --customers N   customers to generate (default 1,000,000)
  --orders N      orders to generate (default 2 × customers)
  --groups N      groups per store (default 400: 20,000 groups for 1,000,000 customers)
  --adds N        routing decisions timed (default 1,000)
  --runs N        timed runs of each persona query after one warm-up (default 5)
  --seed N        the generator's seed (default 1)

${GENERATOR_HELP}
Then: each group a type (store 40 %, welfare 25 %, new-customer 15 %, VIP 10 %, interest 10 %) and a
group code (QR ready); the brand's rules: top store, high frequency → VIP, coupon-heavy → welfare, first
visit → new-customer, default.`;

const { values: args } = parseArgs({
  options: {
    customers: { type: 'string', default: '1000000' },
    orders: { type: 'string' },
    groups: { type: 'string', default: '400' },
    adds: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const N = Number(args.customers);
const M = Number(args.orders ?? 2 * N);
const G = Number(args.groups);
const ADDS = Number(args.adds);
const RUNS = Number(args.runs);
const SEED = Number(args.seed);
if (!(N >= 1000 && N <= 10_000_000) || !(G >= 1 && G <= 2000) || !(ADDS >= 1) || !(RUNS >= 1)) {
  throw new Error('--customers in [1000, 1e7], --groups in [1, 2000], --adds ≥ 1, --runs ≥ 1');
}

const brand = brandOf({ customers: N, orders: M, seed: SEED, groupsPerStore: G });
const { stores: STORES, regions: REGIONS, firstStore, u } = brand;

const bench = await openBenchDatabase();
let failed = false;
try {
  const { database } = bench;
  console.log('Siyu groups benchmark');
  line('database', bench.label);
  line('machine', machine());
  line(
    'brand',
    `${fmt(N)} customers, ${fmt(M)} orders, ${STORES} stores in ${REGIONS} regions, ${fmt(STORES * G)} groups, seed ${SEED}`,
  );
  const t0 = performance.now();
  await generateBrand(database, brand, async (db) => {
    await timed('group types, codes, rules', async () => {
      await sql`update groups set type = case
          when ${u('id', 60)} < 0.4 then 'store' when ${u('id', 60)} < 0.65 then 'welfare'
          when ${u('id', 60)} < 0.8 then 'new_customer' when ${u('id', 60)} < 0.9 then 'vip' else 'interest' end,
          member_count = (select count(*) from group_members m where m.corp_id = groups.corp_id and m.group_id = groups.id and m.left_at is null)
        where corp_id = ${CORP}`.execute(db);
      await sql`insert into group_codes (corp_id, id, unit_id, name, state, room_base_name, config_id, qr_code, created_at)
        overriding system value
        select g.corp_id, g.id, s.unit_id, g.name || '活码', 'gc' || g.id, g.name, 'cfg' || g.id,
          'https://wework.qpic.cn/wwpic/gc' || g.id, ${NOW}
        from groups g join staff s on s.corp_id = g.corp_id and s.id = g.owner_staff_id
        where g.corp_id = ${CORP}`.execute(db);
      await sql`insert into group_code_groups (corp_id, code_id, group_id, position)
        select corp_id, id, id, 0 from groups where corp_id = ${CORP}`.execute(db);
      await sql`insert into group_routing_rules (corp_id, unit_id, position, kind, group_type) values
        (${CORP}, 1, 0, 'top_store', null), (${CORP}, 1, 1, 'high_frequency', null),
        (${CORP}, 1, 2, 'coupon_heavy', null), (${CORP}, 1, 3, 'first_visit', null), (${CORP}, 1, 4, 'default', null)`.execute(
        db,
      );
      // the bulk load runs with triggers off: the routing summary and the members' stores the triggers keep,
      // filled once
      await sql`select group_code_heads_refresh((select jsonb_agg(jsonb_build_object('corp_id', corp_id, 'unit_id', id))
        from org_units where corp_id = ${CORP}))`.execute(db);
      await sql`select group_member_units_rebuild(${CORP})`.execute(db);
    });
  });
  line('generated in', `${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const counts = await sql<{ t: string; n: number }>`
    select 'groups' as t, count(*) as n from groups where corp_id = ${CORP}
    union all select 'group_members', count(*) from group_members where corp_id = ${CORP}
    union all select 'group_codes', count(*) from group_codes where corp_id = ${CORP}
    union all select 'customer_facts', count(*) from customer_facts where corp_id = ${CORP}`.execute(
    database.db,
  );
  line('rows', counts.rows.map((r) => `${r.t} ${fmt(Number(r.n))}`).join(', '));

  const { deps, hq: ctx } = benchContexts(database.db, brand);
  const sync = syncCtxOf(deps, CORP);

  // Routing: a customer (buyers and non-buyers alike) adds a member in a random store.
  console.log(`\nRouting decisions (${fmt(ADDS)} adds after 50 warm-up, each stored), in ms`);
  let seed = SEED * 7919;
  const rand = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const times: number[] = [];
  const rules = new Map<string, number>();
  for (let k = 0; k < ADDS + 50; k++) {
    const customerId = 1 + Math.floor(rand() * N);
    const scanUnitId = firstStore + Math.floor(rand() * STORES);
    const t = performance.now();
    const d = await routeCustomerToGroup(sync, { customerId, staffId: null, scanUnitId });
    const ms = performance.now() - t;
    if (k < 50) continue;
    times.push(ms);
    rules.set(d.rule ?? 'none', (rules.get(d.rule ?? 'none') ?? 0) + 1);
  }
  times.sort((a, b) => a - b);
  line(
    'decision',
    `p50 ${quantile(times, 0.5).toFixed(2)}  p95 ${quantile(times, 0.95).toFixed(2)}  p99 ${quantile(times, 0.99).toFixed(2)}  max ${times.at(-1)!.toFixed(2)}`,
  );
  line('rules that decided', [...rules].map(([r, n]) => `${r} ${n}`).join(', '));

  console.log(
    `\nPersona (all ${fmt(STORES * G)} groups; p50 / max over ${RUNS} runs after one warm-up), in ms`,
  );
  for (const [label, run] of [
    ['roll-up: stores, regions, brand', () => personaRollup(ctx)],
    ['per group, every group', () => groupPersonas(ctx)],
  ] as const) {
    const ts: number[] = [];
    let size = 0;
    for (let r = 0; r <= RUNS; r++) {
      const t = performance.now();
      const out = await run();
      size = out instanceof Map ? out.size : out.length;
      if (r > 0) ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    line(label, `p50 ${quantile(ts, 0.5).toFixed(0)}  max ${ts.at(-1)!.toFixed(0)}  (${fmt(size)} rows)`);
  }
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await bench.dispose();
}
process.exit(failed ? 1 : 0);
