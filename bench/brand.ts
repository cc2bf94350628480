/**
 * The generated bench brand 压测品牌 (corp 'bench'), shared by the benchmarks that need a large brand inside
 * the database (bench:segments, bench:outreach): set-based SQL — generate_series for rows, and
 * hashint8extended(row, salt), PostgreSQL's stable 64-bit hash, as the source of every random choice — so the
 * same seed gives the same brand on PGlite and on a server, in minutes.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { ctxFor } from '../src/modules/context.ts';
import type { Tables } from '../src/modules/tables.ts';
import type { Actor } from '../src/platform/actor.ts';
import { ManualClock } from '../src/platform/clock.ts';
import type { Database } from '../src/platform/db/connect.ts';
import { createPii } from '../src/platform/pii.ts';
import { createRuntime } from '../src/runtime.ts';

export const GENERATOR_HELP = `The generated brand 压测品牌 (corp 'bench'), all rows inserted by set-based SQL:
  org        HQ → 1 region per 12 stores → one store per 20,000 customers (at least 4)
  staff      10 online-ops staff at HQ, 8 staff per store
  customers  each with a home store (uniform); added over the last 2 years
  follows    every customer follows one staff of their home store (7 % ended by the customer);
             25 % also follow an HQ online-ops staff member
  tags       12 groups × 8 tags; 0–5 tags per customer (2.5 on average), popularity skewed (u²)
  channels   30 (the 10 methods in turn), one code each; 60 % of customers came through one
  groups     40 per store (bench:groups: 400); 40 % of customers in one of their store's groups, 10 % in a second; 10 % left
  orders     customer = 1 + ⌊0.65 N · u²⌋: the first 65 % of customers may buy, the lower ids far more
             often (so ~45 % of customers never ordered); time = now − u^1.3 · 730 days; paid 15–95 yuan,
             5 % of orders ×5; 30 % with a 3-yuan coupon; 70 % mini-program, 20 % POS, 10 % e-commerce;
             80 % in the customer's home store
  items      1 line per order, a 2nd for 30 %, a 3rd for 5 %; 40 products, popularity skewed (u^1.5)
  facts      one row per customer who ordered, derived from the orders: count, LTV, first/last order,
             coupon share, top store (mode), R/F/M as quintiles, stage (super: ≥ 12 orders and recent;
             repeat: ≥ 2; dormant: last order 60–180 days ago; churned: > 180 days)
Then VACUUM ANALYZE, so plans and index-only scans are what a running server would have.`;

export const CORP = 'bench';
/** The generator's "now": every generated time is before it. */
export const NOW = new Date('2026-11-30T12:00:00Z');
export const STORE_STAFF = 8;
export const OPS_STAFF = 10;
const TAGS = 96;
const CHANNELS = 30;
const DEFAULT_GROUPS_PER_STORE = 40;
const PRODUCTS = 40;
const CHUNK = 250_000;

export interface BrandSize {
  customers: number;
  orders: number;
  seed: number;
  /** Customer groups per store (default 40). */
  groupsPerStore?: number;
}

export interface Brand extends BrandSize {
  stores: number;
  regions: number;
  /** ids are fixed by the generator (fresh database): HQ is unit 1, regions 2…, stores after them. */
  firstStore: number;
  /** A uniform number in [0, 1) from (row, salt): PostgreSQL's stable 64-bit hash, seeded. */
  u(row: RawBuilder<unknown> | string, salt: number): RawBuilder<unknown>;
  /** The home store (unit id) of customer `i`. */
  home(i: string): RawBuilder<unknown>;
  /** Every unit id, HQ first. */
  unitIds(): number[];
}

export function brandOf(size: BrandSize): Brand {
  const stores = Math.max(4, Math.round(size.customers / 20_000));
  const regions = Math.ceil(stores / 12);
  const firstStore = 2 + regions;
  const u = (row: RawBuilder<unknown> | string, salt: number) =>
    sql`((hashint8extended((${typeof row === 'string' ? sql.raw(row) : row})::int8, ${sql.lit(size.seed * 1000 + salt)}) & 16777215)::float8 / 16777216)`;
  return {
    ...size,
    stores,
    regions,
    firstStore,
    u,
    home: (i: string) => sql`(${sql.lit(firstStore)} + floor(${u(i, 1)} * ${sql.lit(stores)})::int)`,
    unitIds: () => Array.from({ length: 1 + regions + stores }, (_, k) => 1 + k),
  };
}

export const line = (label: string, value: string) => console.log(`  ${label.padEnd(24)} ${value}`);
export const fmt = (n: number) => n.toLocaleString('en-US');
export const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;

/** The machine and its load, which every figure is read with. */
export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`;
}

/** A runtime at the brand's NOW, with the contexts the benches measure: HQ, and a region manager of 12 stores. */
export function benchContexts(db: Conn, brand: Brand) {
  const { deps } = createRuntime({ db, clock: new ManualClock(NOW), pii: createPii('00'.repeat(32)) });
  const regionStores = Array.from({ length: Math.min(12, brand.stores) }, (_, k) => brand.firstStore + k);
  const hq: Actor = {
    corpId: CORP,
    accountId: 0,
    role: 'hq_admin',
    unitId: 1,
    seesWholeCorp: true,
    unitIds: brand.unitIds(),
    staffId: null,
  };
  const region: Actor = {
    ...hq,
    role: 'region_manager',
    unitId: 2,
    seesWholeCorp: false,
    unitIds: [2, ...regionStores],
  };
  return { deps, hq: ctxFor(deps, hq), region: ctxFor(deps, region), regionStores };
}

export async function timed(label: string, fn: () => Promise<unknown>) {
  const t0 = performance.now();
  await fn();
  line(label, `${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

export async function inChunks(
  total: number,
  step: (from: number, to: number) => RawBuilder<unknown>,
  db: Database<Tables>['db'],
) {
  for (let from = 1; from <= total; from += CHUNK) {
    await step(from, Math.min(total, from + CHUNK - 1)).execute(db);
  }
}

export type Conn = Kysely<Tables>;

/**
 * Bulk load as a restore would: secondary indexes dropped and built again afterwards (one sort each instead
 * of millions of inserts into them), and — where the role may (PGlite, a superuser on the server) — foreign
 * key triggers off for the session, the generator's rows being consistent by construction.
 */
async function bulkLoad(db: Conn, load: () => Promise<void>) {
  const tables = [
    'customers',
    'follows',
    'customer_tags',
    'channel_adds',
    'group_members',
    'orders',
    'order_items',
    'customer_facts',
  ];
  const { rows: indexes } = await sql<{ name: string; def: string }>`
    select i.indexname as name, i.indexdef as def from pg_indexes i
    where i.schemaname = current_schema() and i.tablename in (${sql.join(tables)})
      and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`.execute(db);
  for (const i of indexes) await sql`drop index ${sql.id(i.name)}`.execute(db);
  let triggersOff = false;
  try {
    await sql`set session_replication_role = replica`.execute(db);
    triggersOff = true;
  } catch {
    // not a superuser: foreign keys are checked row by row
  }
  await load();
  if (triggersOff) await sql`set session_replication_role = default`.execute(db);
  await timed(`indexes (${indexes.length} rebuilt)`, async () => {
    for (const i of indexes) await sql.raw(i.def).execute(db);
  });
}

/**
 * Generates the brand into a fresh database (bulk-loaded), then `more` on the same connection (its rows
 * may reference the brand's), then VACUUM ANALYZE.
 */
export async function generateBrand(
  database: Database<Tables>,
  brand: Brand,
  more?: (db: Conn) => Promise<void>,
) {
  // one connection: session settings hold for every statement
  await database.db.connection().execute((db) =>
    bulkLoad(db, async () => {
      await generateRows(db, brand);
      await more?.(db);
    }),
  );
  // what the triggers keep, which were off for the load
  await timed('sender candidates', () => sql`select sender_candidates_rebuild(${CORP})`.execute(database.db));
  await timed('vacuum analyze', () => sql`vacuum analyze`.execute(database.db));
}

async function generateRows(db: Conn, brand: Brand) {
  const { customers: N, orders: M, stores: STORES, regions: REGIONS, firstStore, u, home } = brand;
  const GROUPS_PER_STORE = brand.groupsPerStore ?? DEFAULT_GROUPS_PER_STORE;
  const now = NOW;
  const day = sql`interval '1 day'`;
  console.log('\nGenerating (set-based SQL):');
  await timed('org, staff, tags', async () => {
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
    await sql`insert into tag_groups (corp_id, id, name) overriding system value
      select ${CORP}, g, '标签组' || g from generate_series(1, 12) g`.execute(db);
    await sql`insert into tags (corp_id, id, group_id, name) overriding system value
      select ${CORP}, t, 1 + (t - 1) / 8, '标签' || t from generate_series(1, ${sql.lit(TAGS)}) t`.execute(
      db,
    );
  });
  /** A staff member of customer i's home store. */
  const storeStaff = (i: string) =>
    sql`(${sql.lit(OPS_STAFF + 1)} + (${home(i)} - ${sql.lit(firstStore)}) * ${sql.lit(STORE_STAFF)} + floor(${u(i, 2)} * ${sql.lit(STORE_STAFF)})::int)`;
  const addedAt = (i: string) => sql`(${now}::timestamptz - ${u(i, 20)} * 730 * ${day})`;

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
        select ${CORP}, i, 1 + floor(${u('i', 5)} * ${sql.lit(OPS_STAFF)})::int, 'online_ops', 'active', ${addedAt('i')}
        from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i where ${u('i', 4)} < 0.25`,
      db,
    ),
  );
  await timed('channels and adds', async () => {
    await sql`insert into channels (corp_id, id, name, scene, method, unit_id, assign_mode) overriding system value
      select ${CORP}, c, '渠道' || c, '场景' || c,
        (array['package_card','sms','ai_call','rollup_banner','table_card','poster','wangwang','livestream','mini_program','other'])[1 + (c - 1) % 10],
        case when c % 3 = 0 then 1 else ${sql.lit(firstStore)} + c % ${sql.lit(STORES)} end, 'pool'
      from generate_series(1, ${sql.lit(CHANNELS)}) c`.execute(db);
    await sql`insert into channel_codes (corp_id, id, channel_id, unit_id, state) overriding system value
      select corp_id, id, id, unit_id, 'bench' || id from channels where corp_id = ${CORP}`.execute(db);
    await inChunks(
      N,
      (a, b) => sql`insert into channel_adds (corp_id, code_id, channel_id, customer_id, staff_id, added_at)
        select ${CORP}, ch, ch, i, ${storeStaff('i')}, ${addedAt('i')}
        from (select i, 1 + floor(${u('i', 6)} * ${sql.lit(CHANNELS)})::int as ch
              from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i where ${u('i', 7)} < 0.6) x`,
      db,
    );
  });
  await timed('customer tags', () =>
    inChunks(
      N,
      (a, b) => sql`insert into customer_tags (corp_id, customer_id, tag_id, tagged_at)
        select ${CORP}, i, 1 + floor(${sql.lit(TAGS)} * power(${u(sql`i * 8 + j`, 9)}, 2))::int, ${addedAt('i')}
        from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i
        join generate_series(0, 5) j on j < floor(${u('i', 8)} * 6)
        on conflict do nothing`,
      db,
    ),
  );
  await timed('groups and members', async () => {
    await sql`insert into groups (corp_id, id, chat_id, name, owner_staff_id, synced_at) overriding system value
      select ${CORP}, g, 'wr' || g, '群' || g,
        ${sql.lit(OPS_STAFF + 1)} + ((g - 1) / ${sql.lit(GROUPS_PER_STORE)}) * ${sql.lit(STORE_STAFF)}, ${now}
      from generate_series(1, ${sql.lit(STORES * GROUPS_PER_STORE)}) g`.execute(db);
    const group = (salt: number) =>
      sql`(${home('i')} - ${sql.lit(firstStore)}) * ${sql.lit(GROUPS_PER_STORE)} + 1 + floor(${u('i', salt)} * ${sql.lit(GROUPS_PER_STORE)})::int`;
    await inChunks(
      N,
      (
        a,
        b,
      ) => sql`insert into group_members (corp_id, group_id, member_key, member_type, customer_id, join_time, left_at)
        select ${CORP}, g, 'wm' || i, 2, i, ${addedAt('i')}, case when ${u('i', 12)} < 0.1 then ${now}::timestamptz end
        from (select i, ${group(10)} as g from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i where ${u('i', 11)} < 0.4
              union all
              select i, ${group(13)} from generate_series(${sql.lit(a)}, ${sql.lit(b)}) i where ${u('i', 14)} < 0.1) x
        on conflict do nothing`,
      db,
    );
  });
  const buyer = sql`(1 + floor(${sql.lit(Math.floor(0.65 * N))} * power(${u('o', 30)}, 2))::int)`;
  await timed(`orders (${fmt(M)})`, () =>
    inChunks(
      M,
      (a, b) => sql`insert into orders (corp_id, id, source, source_order_id, channel, unit_id, customer_id,
          total_fen, paid_fen, coupon_code, coupon_fen, ordered_at, linked_by, created_at)
        overriding system value
        select ${CORP}, o, 'bench', o::text,
          case when ${u('o', 31)} < 0.7 then 'miniprogram' when ${u('o', 31)} < 0.9 then 'pos' else 'ecommerce' end,
          case when ${u('o', 32)} < 0.8 then ${home('c')}
               else ${sql.lit(firstStore)} + floor(${u('o', 33)} * ${sql.lit(STORES)})::int end,
          c, paid + coupon, paid, case when coupon > 0 then 'C3' end, coupon,
          ${now}::timestamptz - power(${u('o', 34)}, 1.3) * 730 * ${day}, 'external_userid', ${now}
        from (select o, ${buyer} as c,
                (1500 + floor(${u('o', 35)} * 8000)::int) * case when ${u('o', 36)} < 0.05 then 5 else 1 end as paid,
                case when ${u('o', 37)} < 0.3 then 300 else 0 end as coupon
              from generate_series(${sql.lit(a)}, ${sql.lit(b)}) o) x`,
      db,
    ),
  );
  await timed('order items', () =>
    inChunks(
      M,
      (
        a,
        b,
      ) => sql`insert into order_items (corp_id, order_id, line, product_code, product_name, quantity, price_fen)
        select ${CORP}, o, l, 'P' || lpad(p::text, 3, '0'), '商品' || p, 1, 1500 + p * 100
        from (select o, l, 1 + floor(${sql.lit(PRODUCTS)} * power(${u(sql`o * 4 + l`, 40)}, 1.5))::int as p
              from generate_series(${sql.lit(a)}, ${sql.lit(b)}) o
              join generate_series(1, 3) l on l = 1 or (l = 2 and ${u('o', 41)} < 0.3) or (l = 3 and ${u('o', 41)} < 0.05)) x`,
      db,
    ),
  );
  await timed('customer facts', () =>
    sql`insert into customer_facts (corp_id, customer_id, order_count, paid_fen, first_order_at, last_order_at,
        coupon_orders, coupon_share, top_unit_id, r_score, f_score, m_score, stage, computed_at)
      select ${CORP}, customer_id, n, paid, first_at, last_at, coupons, coupons::real / n, top_unit,
        -- ties broken by id, so both engines score alike
        ntile(5) over (order by last_at, customer_id), ntile(5) over (order by n, customer_id),
        ntile(5) over (order by paid, customer_id),
        case when last_at < ${now}::timestamptz - 180 * ${day} then 'churned'
             when last_at < ${now}::timestamptz - 60 * ${day} then 'dormant'
             when n >= 12 then 'super'
             when n >= 2 then 'repeat'
             else 'active' end,
        ${now}
      from (select customer_id, count(*) as n, sum(paid_fen) as paid, min(ordered_at) as first_at,
              max(ordered_at) as last_at, count(*) filter (where coupon_fen > 0) as coupons,
              mode() within group (order by unit_id) as top_unit
            from orders where corp_id = ${CORP} and customer_id is not null group by customer_id) f`.execute(
      db,
    ),
  );
}
