import { sql } from 'kysely';
import { syncCtxOf } from '../modules/context.ts';
import { changeCustomerTags, type TagChange } from '../modules/customers/index.ts';
import type { Runtime } from '../runtime.ts';
import { PILOTS } from './brand.ts';
import { MENU } from './orders.ts';
import { mixSeed, Random } from './random.ts';

const ROLES: Record<string, 'traffic' | 'trust' | 'profit' | 'expansion'> = {
  D08: 'traffic',
  S02: 'traffic',
  R01: 'profit',
  R03: 'profit',
  R02: 'expansion',
};

/**
 * The demo brand's levers (issue 16, points 4–7): its products on the ladder (the cheap lemon tea and toast
 * bring customers in, the drinks and the egg-yolk pastry build trust, the gift box and cold brew make the
 * margin, the tumbler expands), the spend of the last three months per channel (about ¥12–18 a new
 * customer), on the mass sends and on the journeys, its two pilots, and the complaints noted on buyers. Written after the rollups are built, read by the
 * dashboards from the first login.
 */
export async function createDemoLevers(runtime: Runtime, corpId: string, now: Date): Promise<void> {
  const db = runtime.deps.db;
  for (const p of MENU)
    await db
      .insertInto('products')
      .values({
        corp_id: corpId,
        code: p.code,
        name: p.name,
        ladder_role: ROLES[p.code] ?? 'trust',
        updated_at: now,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  const hq = await db
    .selectFrom('org_units')
    .select('id')
    .where('corp_id', '=', corpId)
    .where('kind', '=', 'hq')
    .executeTakeFirstOrThrow();
  // spend per channel and month: what its new customers cost at ¥12–18 each, never below ¥300
  const acquired = await sql<{ channel_id: unknown; month: string; c: unknown }>`
    select channel_id, date_trunc('month', acquired_day)::date::text "month", count(*) c from insight_customers
    where corp_id = ${corpId} and channel_id <> 0
      and acquired_day >= (date_trunc('month', ${now}::timestamptz + interval '8 hours') - interval '2 months')::date
    group by 1, 2`.execute(db);
  const rows = acquired.rows.map((r, i) => ({
    corp_id: corpId,
    unit_id: hq.id,
    target_kind: 'channel' as 'channel' | 'method' | 'campaign' | 'journey',
    target_key: String(r.channel_id),
    month: r.month,
    amount_fen: Math.max(30_000, Number(r.c) * (1200 + ((i * 137) % 600))),
    note: '物料与奖品',
    created_at: now,
  }));
  const sends = await db.selectFrom('mass_sends').select('id').where('corp_id', '=', corpId).execute();
  for (const s of sends)
    rows.push({
      corp_id: corpId,
      unit_id: hq.id,
      target_kind: 'campaign',
      target_key: String(s.id),
      month: new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 8).concat('01'),
      amount_fen: 20_000,
      note: '优惠券成本',
      created_at: now,
    });
  // the journeys' coupons this month, so their ROI shows beside the mass sends'
  const journeys = await db
    .selectFrom('journeys')
    .select('id')
    .where('corp_id', '=', corpId)
    .where('status', '<>', 'draft')
    .orderBy('id')
    .execute();
  for (const [i, j] of journeys.entries())
    rows.push({
      corp_id: corpId,
      unit_id: hq.id,
      target_kind: 'journey',
      target_key: String(j.id),
      month: new Date(now.getTime() + 8 * 3_600_000).toISOString().slice(0, 8).concat('01'),
      amount_fen: 15_000 + i * 5_000,
      note: '旅程优惠券成本',
      created_at: now,
    });
  if (rows.length) await db.insertInto('insight_spend').values(rows).execute();
  // the pilots (brand.ts PILOTS), whose effect the orders carry from their start
  for (const p of PILOTS) {
    const stores = await db
      .selectFrom('org_units')
      .select('id')
      .where('corp_id', '=', corpId)
      .where('code', 'in', [...p.stores])
      .execute();
    if (stores.length === 0) continue;
    const startsOn = new Date(now.getTime() + 8 * 3_600_000 - p.startsDaysAgo * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const { id } = await db
      .insertInto('insight_pilots')
      .values({
        corp_id: corpId,
        name: p.name,
        kind: p.kind,
        note: p.note,
        starts_on: startsOn,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('insight_pilot_units')
      .values(stores.map((s) => ({ corp_id: corpId, pilot_id: id, unit_id: s.id })))
      .execute();
  }
  await tagComplaints(runtime, corpId, now);
}

/** The product whose buyers complain more: the 芋泥波波 (long waits at the counter when it sells out). */
export const COMPLAINED_PRODUCT = 'D10';

/**
 * The front line notes complaints with the 投诉 tag: about one buyer of the 芋泥波波 in five, one in forty of
 * the other buyers. Put on by each store's manager in Siyu (and in WeCom through the outbox), so the product
 * ladder flags the 芋泥波波 on its page.
 */
async function tagComplaints(runtime: Runtime, corpId: string, now: Date): Promise<number> {
  const db = runtime.deps.db;
  const tag = await db
    .selectFrom('tags')
    .select('id')
    .where('corp_id', '=', corpId)
    .where('name', '=', '投诉')
    .executeTakeFirst();
  if (!tag) return 0;
  const buyers = await sql<{
    customer_id: unknown;
    unit_id: unknown;
    account_id: unknown;
    name: string | null;
    d10: boolean;
  }>`
    select o.customer_id, max(o.unit_id) unit_id, max(a.id) account_id, max(a.display_name) "name",
      bool_or(i.product_code = ${COMPLAINED_PRODUCT}) d10
    from orders o
    join order_items i on i.corp_id = o.corp_id and i.order_id = o.id
    join org_units u on u.corp_id = o.corp_id and u.id = o.unit_id
    join accounts a on a.corp_id = u.corp_id and a.username = u.code
    where o.corp_id = ${corpId} and o.customer_id is not null
    group by o.customer_id
    order by o.customer_id`.execute(db);
  const changes: TagChange[] = [];
  for (const b of buyers.rows) {
    const id = Number(b.customer_id);
    if (!new Random(mixSeed(0x746f7573, id)).chance(b.d10 ? 0.2 : 0.025)) continue;
    changes.push({
      customerId: id,
      add: [tag.id],
      remove: [],
      via: { unitId: Number(b.unit_id) },
      at: now,
      cause: { source: 'siyu', by: b.name ?? '店长', accountId: Number(b.account_id) },
      key: `demo:complaint:${id}`,
    });
  }
  const ctx = syncCtxOf(runtime.deps, corpId);
  for (let i = 0; i < changes.length; i += 200) await changeCustomerTags(ctx, changes.slice(i, i + 200), now);
  await runtime.drain();
  return changes.length;
}
