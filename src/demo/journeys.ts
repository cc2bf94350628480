import { sql } from 'kysely';
import { type Ctx, type Deps, syncCtxOf } from '../modules/context.ts';
import {
  backfillEnrolments,
  createJourney,
  runScans,
  setJourneyStatus,
  templateOf,
} from '../modules/journeys/index.ts';
import { subtreeUnitIds } from '../modules/org/index.ts';

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

async function adminCtx(deps: Deps, corpId: string): Promise<Ctx> {
  const admin = await deps.db
    .selectFrom('accounts')
    .select(['id', 'unit_id'])
    .where('corp_id', '=', corpId)
    .where('username', '=', 'admin')
    .executeTakeFirstOrThrow();
  const base = syncCtxOf(deps, corpId);
  return {
    ...base,
    actor: {
      corpId,
      accountId: admin.id,
      role: 'hq_admin',
      unitId: admin.unit_id,
      seesWholeCorp: true,
      unitIds: await subtreeUnitIds(base.cdb, admin.unit_id),
      staffId: null,
    },
  };
}

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
  const ctx = await adminCtx(deps, corpId);
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
  const ctx = await adminCtx(deps, corpId);
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
