import { sql } from 'kysely';
import { type Ctx, type Deps, syncCtxOf } from '../modules/context.ts';
import {
  backfillEnrolments,
  createJourney,
  runScans,
  setJourneyStatus,
  templateOf,
} from '../modules/journeys/index.ts';
import { ingestOrders, type OrderInput } from '../modules/orders/index.ts';
import { adminCtxAt } from './mass-sends.ts';
import { MENU } from './orders.ts';

/**
 * The demo brand's journeys, HQ's, from the playbook's templates: the new customer's day 0 / 3 / 7 (running
 * before today's customers arrive, so their day-0 pack really goes out through the engine), birthday and
 * membership-anniversary care for super users, and the win-back of dormant high-value customers. Customers
 * who entered before today are placed where the journey would have taken them (backfilled: their past steps
 * recorded, nothing sent for the past); from here on the engine moves them for real.
 */

const DAY = 86_400_000;
/** How long the demo's journeys have been running. */
const RUNNING_DAYS = 30;

async function fromTemplate(ctx: Ctx, key: string, name: string) {
  const template = templateOf(key)!;
  const made = await createJourney(ctx, { name, graph: template.graph, template: key });
  const started = await setJourneyStatus(ctx, made.id, 'active');
  return {
    id: started.id,
    unitId: started.unitId,
    version: started.currentVersion,
    graph: started.graph,
    name,
  };
}

/** The welcome journey, started before today's customers add the brand's staff. */
export async function startDemoWelcome(deps: Deps, corpId: string): Promise<number> {
  const ctx = (await adminCtxAt(deps, corpId))();
  return (await fromTemplate(ctx, 'welcome_series', '新客 7 天欢迎旅程')).id;
}

/**
 * The other journeys, once the facts are in, and the enrolments of the days before today. Returns how many
 * enrolments each journey has.
 */
export async function createDemoJourneys(
  deps: Deps,
  corpId: string,
  welcomeId: number,
): Promise<Record<string, number>> {
  const ctx = (await adminCtxAt(deps, corpId))();
  const now = deps.clock.now();
  const since = new Date(now.getTime() - RUNNING_DAYS * DAY);

  // Customers who added a member within the last 10 days (before today's), where days 0–7 took them.
  const welcome = await deps.db
    .selectFrom('journeys')
    .innerJoin('journey_versions as v', (j) =>
      j.onRef('v.corp_id', '=', 'journeys.corp_id').onRef('v.journey_id', '=', 'journeys.id'),
    )
    .select(['journeys.id', 'journeys.unit_id', 'journeys.name', 'v.version', 'v.graph'])
    .where('journeys.corp_id', '=', corpId)
    .where('journeys.id', '=', welcomeId)
    .executeTakeFirstOrThrow();
  const recent = await deps.db
    .selectFrom('customers')
    .select(['id', 'first_added_at'])
    .where('corp_id', '=', corpId)
    .where('first_added_at', '>=', new Date(now.getTime() - 10 * DAY))
    .where('first_added_at', '<', new Date(now.getTime() - DAY / 2))
    .execute();
  await backfillEnrolments(
    ctx,
    {
      id: welcome.id,
      unitId: welcome.unit_id,
      name: welcome.name,
      version: welcome.version,
      graph: templateOf('welcome_series')!.graph,
    },
    recent.map((c) => ({ customerId: c.id, enteredAt: c.first_added_at! })),
  );

  // Win-back: each dormant high-value customer entered the day their 60 days without an order were up.
  const winBack = await fromTemplate(ctx, 'win_back', '高价值沉睡客户唤醒');
  const trigger = winBack.graph.trigger as { days: number };
  const dormant = await sql<{ id: number; occ: string; last_order_at: Date }>`
    select f.customer_id as id, 'no_order:' || f.last_order_at::text as occ, f.last_order_at
    from customer_facts f
    where f.corp_id = ${corpId} and f.last_order_at <= ${new Date(now.getTime() - trigger.days * DAY)}
      and f.paid_fen >= 30000`.execute(deps.db);
  await backfillEnrolments(
    ctx,
    winBack,
    dormant.rows.map((r) => ({
      customerId: Number(r.id),
      occurrence: r.occ,
      enteredAt: new Date(
        Math.max(new Date(r.last_order_at).getTime() + trigger.days * DAY, since.getTime()),
      ),
    })),
  );

  // Birthdays and membership anniversaries: the periodic trigger finds today's.
  await fromTemplate(ctx, 'birthday_care', '超级用户生日关怀');
  await fromTemplate(ctx, 'member_anniversary', '超级用户入会周年');
  await runScans(deps);

  const counts = await deps.db
    .selectFrom('journey_enrolments as e')
    .innerJoin('journeys as j', (jn) =>
      jn.onRef('j.corp_id', '=', 'e.corp_id').onRef('j.id', '=', 'e.journey_id'),
    )
    .select(['j.name', (eb) => eb.fn.countAll<number>().as('n')])
    .where('e.corp_id', '=', corpId)
    .groupBy('j.name')
    .execute();
  return Object.fromEntries(counts.map((c) => [c.name, Number(c.n)]));
}

/**
 * Some of today's new customers order in the mini-program after the welcome journey's day-0 pack reached
 * them (a drink and the egg-yolk pastry, at the store of the member who welcomed them), so the journey has
 * orders credited to it on 经营杠杆 › CAC 与 ROI from the first login. Written through the ingest API: the
 * outreach engine credits them as it would. Returns how many orders were placed.
 */
export async function orderAfterWelcome(deps: Deps, corpId: string): Promise<number> {
  const now = deps.clock.now();
  const touched = await sql<{ customer_id: number; unionid: string; store: string | null }>`
    select distinct on (t.customer_id) t.customer_id, i.value unionid, u.code store
    from touches t
    join customer_identities i on i.corp_id = t.corp_id and i.customer_id = t.customer_id and i.kind = 'unionid'
    join staff s on s.corp_id = t.corp_id and s.id = t.staff_id
    left join org_units u on u.corp_id = s.corp_id and u.id = s.unit_id and u.kind = 'store'
    where t.corp_id = ${corpId} and t.source_kind = 'journey' and t.status <> 'released' and t.at <= ${now}
    order by t.customer_id, t.at`.execute(deps.db);
  // two in three of them
  const buyers = touched.rows.filter((_, i) => i % 3 !== 2);
  const drink = MENU.find((p) => p.code === 'D01')!;
  const snack = MENU.find((p) => p.code === 'S01')!;
  const orders: OrderInput[] = buyers.map((b) => ({
    sourceOrderId: `MJ${now.toISOString().slice(0, 10).replaceAll('-', '')}${b.customer_id}`,
    ...(b.store ? { storeCode: b.store } : {}),
    channel: 'miniprogram',
    orderedAt: now.toISOString(),
    items: [drink, snack].map((p) => ({
      productCode: p.code,
      productName: p.name,
      quantity: 1,
      priceFen: p.priceFen,
    })),
    totalFen: drink.priceFen + snack.priceFen,
    paidFen: drink.priceFen + snack.priceFen,
    customer: { unionid: b.unionid },
  }));
  if (orders.length === 0) return 0;
  const results = await ingestOrders(syncCtxOf(deps, corpId), 'miniprogram', orders);
  const bad = results.find((r) => r.status === 'invalid');
  if (bad) throw new Error(`demo order ${bad.sourceOrderId} refused: ${JSON.stringify(bad.errors)}`);
  return orders.length;
}
