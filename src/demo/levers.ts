import { sql } from 'kysely';
import type { Runtime } from '../runtime.ts';
import { MENU } from './orders.ts';

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
 * customer) and on the mass sends, and one running pilot. Written after the rollups are built, read by the
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
    target_kind: 'channel' as 'channel' | 'method' | 'campaign',
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
  if (rows.length) await db.insertInto('insight_spend').values(rows).execute();
  // one running pilot: the east region's two Shanghai stores on a "second cup" journey since 45 days ago
  const stores = await db
    .selectFrom('org_units')
    .select('id')
    .where('corp_id', '=', corpId)
    .where('code', 'in', ['sh-jingan', 'sh-xuhui'])
    .execute();
  if (stores.length) {
    const startsOn = new Date(now.getTime() + 8 * 3_600_000 - 45 * 86_400_000).toISOString().slice(0, 10);
    const { id } = await db
      .insertInto('insight_pilots')
      .values({
        corp_id: corpId,
        name: '第二杯半价旅程',
        kind: 'journey',
        note: '首单后第 3 天推送第二杯半价，只发价格敏感客户',
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
}
