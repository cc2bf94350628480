import { type RawBuilder, sql } from 'kysely';
import { type Deps, type SyncCtx, syncCtxOf } from '../context.ts';
import type { ChannelAttributed, MemberLinked, OrdersLinked, StageChanged, TagsChanged } from '../events.ts';
import { audienceIds, storedRule } from '../segments/index.ts';
import { enrol, type JourneyRef, journeyCtx, versionGraph } from './engine.ts';
import type { Trigger, TriggerKind } from './graph.ts';

/**
 * What starts a journey. Domain events (an add through a channel, tags, orders, a stage, a membership) come
 * through the manifest's after-commit subscribers; dates, N days without an order, segment entry and
 * broadcasts are found by the `journeys.scan` job. Either way the customers go through `enrol`, which keeps
 * one enrolment per customer per version (or per occurrence, with re-entry) and none while one is running.
 */

export const SCAN_JOB = 'journeys.scan';
/** How often a date, no-order or segment-entry journey looks for customers. */
const SCAN_EVERY_MS = 3_600_000;

async function activeJourneys(ctx: SyncCtx, kinds: TriggerKind[]): Promise<JourneyRef[]> {
  const rows = await ctx.cdb.db
    .selectFrom('journeys')
    .select(['id', 'unit_id', 'current_version'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('status', '=', 'active')
    .where('trigger_kind', 'in', kinds)
    .orderBy('id')
    .execute();
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      unitId: r.unit_id,
      version: r.current_version,
      graph: await versionGraph(ctx, r.id, r.current_version),
    })),
  );
}

type Candidate = { customerId: number; occurrence: string };

/** Enrols, in each active journey of these trigger kinds, the candidates its trigger picks. */
async function onEvents(
  ctx: SyncCtx,
  kinds: TriggerKind[],
  pick: (trigger: Trigger) => Candidate[] | Promise<Candidate[]>,
): Promise<void> {
  const journeys = await activeJourneys(ctx, kinds);
  const now = ctx.clock.now();
  for (const j of journeys) {
    const candidates = await pick(j.graph.trigger);
    if (candidates.length) await enrol(ctx, j, candidates, now);
  }
}

export function onChannelAttributed(ctx: SyncCtx, events: ChannelAttributed[]): Promise<void> {
  return onEvents(ctx, ['channel_add'], (t) => {
    if (t.kind !== 'channel_add') return [];
    return events
      .filter(
        (e) =>
          (t.channelIds.length === 0 || t.channelIds.includes(e.channelId)) &&
          (t.methods.length === 0 || t.methods.includes(e.method)) &&
          (t.scenes.length === 0 || t.scenes.includes(e.scene)),
      )
      .map((e) => ({ customerId: e.customerId, occurrence: `add:${e.codeId}:${e.addedAt}` }));
  });
}

export function onTagsChanged(ctx: SyncCtx, events: TagsChanged[]): Promise<void> {
  return onEvents(ctx, ['tag_added', 'tag_removed'], (t) => {
    if (t.kind !== 'tag_added' && t.kind !== 'tag_removed') return [];
    return events
      .filter((e) => (t.kind === 'tag_added' ? e.added : e.removed).some((x) => t.tagIds.includes(x.id)))
      .map((e) => ({ customerId: e.customerId, occurrence: `${t.kind}:${e.at}` }));
  });
}

export function onOrdersLinked(ctx: SyncCtx, events: OrdersLinked[]): Promise<void> {
  return onEvents(ctx, ['order', 'first_order'], async (t) => {
    if (t.kind === 'order') {
      return events.flatMap((e) =>
        e.orders
          .filter((o) => o.paidFen >= (t.minPaidFen ?? 0))
          .map((o) => ({ customerId: e.customerId, occurrence: `order:${o.id}` })),
      );
    }
    if (t.kind !== 'first_order') return [];
    // first: the customer has no order but those these events link
    const out: Candidate[] = [];
    for (const e of events) {
      const ids = e.orders.map((o) => o.id);
      const other = await ctx.cdb.db
        .selectFrom('orders')
        .select('id')
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('customer_id', '=', e.customerId)
        .where('id', 'not in', ids)
        .limit(1)
        .executeTakeFirst();
      if (!other && ids.length) out.push({ customerId: e.customerId, occurrence: 'first_order' });
    }
    return out;
  });
}

export function onStageChanged(ctx: SyncCtx, events: StageChanged[]): Promise<void> {
  return onEvents(ctx, ['stage_changed'], (t) =>
    t.kind === 'stage_changed'
      ? events
          .filter((e) => t.to.includes(e.to))
          .map((e) => ({ customerId: e.customerId, occurrence: `stage:${e.to}:${e.at}` }))
      : [],
  );
}

export function onMemberLinked(ctx: SyncCtx, events: MemberLinked[]): Promise<void> {
  return onEvents(ctx, ['member_joined'], (t) =>
    t.kind === 'member_joined'
      ? events.map((e) => ({ customerId: e.customerId, occurrence: `member:${e.memberId}` }))
      : [],
  );
}

// ---- the periodic triggers ----

/** The brand's calendar day (UTC+8) of a moment, 'YYYY-MM-DD'. */
const brandDayOf = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);

/** The next yearly date on or after `today` (29 February on the 28th in other years), as SQL. */
function nextYearly(d: RawBuilder<unknown>, today: RawBuilder<unknown>, minYears: number) {
  const years = sql`greatest(extract(year from ${today})::int, extract(year from ${d})::int + ${minYears}::int)`;
  const at = (plus: number) =>
    sql`(${d} + make_interval(years => ${years} + ${plus}::int - extract(year from ${d})::int))::date`;
  return sql`case when ${at(0)} < ${today} then ${at(1)} else ${at(0)} end`;
}

/** When a scanned journey should look next after a scan at `now` (null: never again). */
export function nextScan(trigger: Trigger, now: Date, ran: Date | null): Date | null {
  if (trigger.kind !== 'broadcast') return new Date(now.getTime() + SCAN_EVERY_MS);
  if (!ran) return new Date(trigger.at);
  if (!trigger.repeat) return null;
  const next = new Date(ran);
  if (trigger.repeat === 'daily') next.setUTCDate(next.getUTCDate() + 1);
  else if (trigger.repeat === 'weekly') next.setUTCDate(next.getUTCDate() + 7);
  else next.setUTCMonth(next.getUTCMonth() + 1);
  return next;
}

/** The (id, occ) pairs a scanned journey enrols now. */
async function scanned(ctx: SyncCtx, j: JourneyRef, now: Date, runAt: Date | null) {
  const t = j.graph.trigger;
  const corp = ctx.cdb.corpId;
  switch (t.kind) {
    case 'date': {
      const today = sql`${brandDayOf(now)}::date`;
      const column = t.date === 'birthday' ? sql.ref('f.birthday') : sql.ref('f.member_since');
      const next = nextYearly(column, today, t.date === 'birthday' ? 0 : 1);
      return sql`select id, ${t.date} || ':' || next_date::text as occ from (
          select f.customer_id as id, ${next} as next_date from customer_facts f
          where f.corp_id = ${corp} and ${column} is not null) d
        where next_date <= ${today} + ${t.daysAhead}::int`;
    }
    case 'no_order':
      return sql`select f.customer_id as id, 'no_order:' || f.last_order_at::text as occ from customer_facts f
        where f.corp_id = ${corp} and f.last_order_at is not null
          and f.last_order_at <= ${new Date(now.getTime() - t.days * 86_400_000)}`;
    case 'segment_entry':
    case 'broadcast': {
      const segmentId = t.kind === 'segment_entry' ? t.segmentId : t.audience.segmentId;
      const segment = await ctx.cdb.db
        .selectFrom('segments')
        .select('rule')
        .where('corp_id', '=', corp)
        .where('id', '=', segmentId)
        .executeTakeFirst();
      if (!segment) return null;
      const jctx = await journeyCtx(ctx, j.unitId);
      const occ = t.kind === 'broadcast' ? `broadcast:${runAt?.toISOString()}` : `segment:${brandDayOf(now)}`;
      return sql`select s.id, ${occ}::text as occ from (${audienceIds(jctx, storedRule(segment.rule))}) s`;
    }
    default:
      return null;
  }
}

/**
 * Runs the periodic triggers of up to 100 journeys due for a look. Returns the customers enrolled, and
 * whether more journeys may be due.
 */
export async function runScans(
  deps: Pick<Deps, 'db' | 'clock' | 'pii' | 'events'>,
): Promise<{ enrolled: number; more: boolean }> {
  const now = deps.clock.now();
  const due = await deps.db
    .selectFrom('journeys')
    .select(['corp_id', 'id', 'unit_id', 'current_version', 'next_scan_at'])
    .where('status', '=', 'active')
    .where('next_scan_at', '<=', now)
    .orderBy('next_scan_at')
    .limit(100)
    .execute();
  let enrolled = 0;
  for (const r of due) {
    const ctx = syncCtxOf(deps, r.corp_id);
    const j: JourneyRef = {
      id: r.id,
      unitId: r.unit_id,
      version: r.current_version,
      graph: await versionGraph(ctx, r.id, r.current_version),
    };
    const runAt = j.graph.trigger.kind === 'broadcast' ? r.next_scan_at : null;
    await ctx.cdb.transaction(async (tx) => {
      const tctx = { ...ctx, cdb: tx };
      const audience = await scanned(tctx, j, now, runAt);
      if (audience) enrolled += await enrol(tctx, j, { audience }, now);
      await tx.db
        .updateTable('journeys')
        .set({ next_scan_at: nextScan(j.graph.trigger, now, runAt) })
        .where('corp_id', '=', r.corp_id)
        .where('id', '=', r.id)
        .execute();
    });
  }
  return { enrolled, more: due.length === 100 };
}
