import { sql } from 'kysely';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import type { SyncCtx } from '../context.ts';
import { addTimeline, removeTimeline } from '../customers/index.ts';
import type { Tables } from '../tables.ts';
import { budgetsByUnit, type OutreachSettings, outreachSettingsOf } from './budget.ts';
import {
  type Budget,
  brandMonth,
  DEFAULT_BUDGET,
  decide,
  HOUR_MS,
  monthlyCapAt,
  type Refusal,
} from './rules.ts';
import type { TouchSourceKind } from './schema.ts';

type Cdb = CorpDb<Tables>;

export interface TouchSource {
  kind: TouchSourceKind;
  id: string;
}

export interface ReserveTouchInput {
  customerId: number;
  staffId: number;
  source: TouchSource;
  contentId?: number | null;
  /** When the message goes out (normally now). */
  at: Date;
  /** The source's name, for the customer's timeline (a mass send's, a journey step's). */
  label?: string;
}

export type ReserveTouchResult =
  | { ok: true; touchId: number }
  | { ok: false; reason: Refusal; retryAt?: Date };

/** What a reservation reads once per batch: every unit's budget and the brand's settings. */
export interface BudgetEnv {
  budgets: Map<number, Budget>;
  settings: OutreachSettings;
}

export async function loadBudgetEnv(cdb: Cdb): Promise<BudgetEnv> {
  const [budgets, settings] = await Promise.all([budgetsByUnit(cdb), outreachSettingsOf(cdb)]);
  return { budgets, settings };
}

/** Journeys and mass sends go through add_msg_template, which WeCom's monthly receive cap counts (tasks and
 * the sidebar's messages are 1:1 chat messages). */
export const countsForWecomCap = (kind: TouchSourceKind) => kind !== 'task' && kind !== 'sidebar';

/**
 * Takes one slot of a customer's touch budget, or says why not (and when it would fit). Runs in the caller's
 * transaction (one is opened when there is none): it locks the customer's row of touch_locks first, so two
 * campaigns reserving the same customer at once take turns, and the second sees the first's touch.
 */
export async function reserveTouch(ctx: SyncCtx, input: ReserveTouchInput): Promise<ReserveTouchResult> {
  return ctx.cdb.transaction(async (tx) => reserveWith(tx, await loadBudgetEnv(tx), input));
}

/**
 * The budget that holds for a customer is their home unit's: the store they buy from most (facts'
 * top_unit_id), else the sender's unit.
 */
export async function reserveWith(
  tx: Cdb,
  env: BudgetEnv,
  input: ReserveTouchInput,
): Promise<ReserveTouchResult> {
  const corpId = tx.corpId;
  const { customerId, staffId, at } = input;
  await tx.db
    .insertInto('touch_locks')
    .values({ corp_id: corpId, customer_id: customerId })
    .onConflict((oc) => oc.columns(['corp_id', 'customer_id']).doNothing())
    .execute();
  await sql`select 1 from touch_locks where corp_id = ${corpId} and customer_id = ${customerId} for update`.execute(
    tx.db,
  );
  const who = await tx.db
    .selectFrom('customers as c')
    .leftJoin('customer_facts as f', (j) =>
      j.onRef('f.corp_id', '=', 'c.corp_id').onRef('f.customer_id', '=', 'c.id'),
    )
    .select([
      'f.top_unit_id',
      (eb) =>
        eb
          .selectFrom('staff as s')
          .select('s.unit_id')
          .where('s.corp_id', '=', corpId)
          .where('s.id', '=', staffId)
          .as('staff_unit'),
      (eb) =>
        eb
          .exists(
            eb
              .selectFrom('follows as fo')
              .select('fo.id')
              .whereRef('fo.corp_id', '=', 'c.corp_id')
              .whereRef('fo.customer_id', '=', 'c.id')
              .where('fo.staff_id', '=', staffId)
              .where('fo.status', '=', 'active'),
          )
          .as('friend'),
      (eb) =>
        eb
          .exists(
            eb
              .selectFrom('touch_opt_outs as o')
              .select('o.customer_id')
              .whereRef('o.corp_id', '=', 'c.corp_id')
              .whereRef('o.customer_id', '=', 'c.id'),
          )
          .as('opted_out'),
    ])
    .where('c.corp_id', '=', corpId)
    .where('c.id', '=', customerId)
    .executeTakeFirst();
  if (!who) return { ok: false, reason: 'not_friend' };
  const unitId = who.top_unit_id ?? who.staff_unit;
  const budget = (unitId !== null ? env.budgets.get(Number(unitId)) : undefined) ?? DEFAULT_BUDGET;
  const month = brandMonth(at);
  const windowMs = budget.windowHours * HOUR_MS;
  const since = new Date(Math.min(at.getTime() - windowMs, month.start.getTime()));
  const live = await tx.db
    .selectFrom('touches')
    .select(['at', 'wecom_mass'])
    .where('corp_id', '=', corpId)
    .where('customer_id', '=', customerId)
    .where('status', '<>', 'released')
    .where('at', '>', since)
    .execute();
  const wecomMass = countsForWecomCap(input.source.kind);
  // A message a member sends in a conversation (the sidebar) is counted, never held back by the budget's
  // frequency or quiet hours: only a customer who opted out or is no longer the member's friend refuses it.
  const conversation = input.source.kind === 'sidebar';
  const refusal = who.opted_out ? 'opted_out' : who.friend ? null : 'not_friend';
  if (conversation && refusal) return { ok: false, reason: refusal };
  const answer = conversation
    ? { ok: true as const }
    : decide({
        budget,
        monthlyCap: monthlyCapAt(env.settings.monthlyCap, at),
        at,
        optedOut: Boolean(who.opted_out),
        friend: Boolean(who.friend),
        wecomMass,
        touches: live.map((t) => t.at),
        massThisMonth: live.filter((t) => t.wecom_mass && t.at >= month.start && t.at < month.next).length,
      });
  if (!answer.ok) return answer;
  const { id } = await tx.db
    .insertInto('touches')
    .values({
      corp_id: corpId,
      customer_id: customerId,
      staff_id: staffId,
      source_kind: input.source.kind,
      source_id: input.source.id,
      content_id: input.contentId ?? null,
      at,
      wecom_mass: wecomMass,
      released_reason: null,
      settled_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await addTimeline(tx, [
    {
      customerId,
      kind: 'touch',
      at,
      staffId,
      summary: '发送消息',
      data: {
        touchId: id,
        sourceKind: input.source.kind,
        sourceId: input.source.id,
        ...(input.label ? { sourceName: input.label } : {}),
      },
    },
  ]);
  return { ok: true, touchId: id };
}

/**
 * Gives a touch's slot back when its send failed for good (WeCom refused it, the member never sent it and
 * the task was cancelled): it no longer counts, and leaves the customer's timeline.
 */
export async function releaseTouch(ctx: Pick<SyncCtx, 'cdb' | 'clock'>, touchId: number, reason: string) {
  await releaseTouches(ctx, [touchId], reason);
}

export async function releaseTouches(
  ctx: Pick<SyncCtx, 'cdb' | 'clock'>,
  touchIds: number[],
  reason: string,
) {
  if (touchIds.length === 0) return;
  await ctx.cdb.transaction(async (tx) => {
    const released = await tx.db
      .updateTable('touches')
      .set({ status: 'released', released_reason: reason, settled_at: ctx.clock.now() })
      .where('corp_id', '=', tx.corpId)
      .where('id', 'in', touchIds)
      .where('status', '<>', 'released')
      .returning(['id', 'customer_id'])
      .execute();
    for (const r of released) {
      await removeTimeline(tx, r.customer_id, 'touch', { key: 'touchId', values: [r.id] });
    }
    if (released.length) {
      await tx.db
        .deleteFrom('touch_attributions')
        .where('corp_id', '=', tx.corpId)
        .where(
          'touch_id',
          'in',
          released.map((r) => r.id),
        )
        .execute();
    }
  });
}

/** The touches WeCom reports delivered. */
export async function markTouchesSent(ctx: Pick<SyncCtx, 'cdb' | 'clock'>, touchIds: number[]) {
  if (touchIds.length === 0) return;
  await ctx.cdb.db
    .updateTable('touches')
    .set({ status: 'sent', settled_at: ctx.clock.now() })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', 'in', touchIds)
    .where('status', '=', 'reserved')
    .execute();
}

export interface CustomerReply {
  customerId: number;
  /** The member the customer wrote to, when known: then only that member's touches count. */
  staffId?: number | null;
  at: Date;
}

/**
 * Customers' messages (the seam for the session archive, the only way WeCom hands them over): each marks the
 * latest touch before it within the brand's attribution window as replied, once. Set-based; returns how many
 * touches were marked.
 */
export async function markReplies(ctx: Pick<SyncCtx, 'cdb'>, replies: CustomerReply[]): Promise<number> {
  if (replies.length === 0) return 0;
  const { attributionDays } = await outreachSettingsOf(ctx.cdb);
  const rows = replies.map(
    (r) => sql`(${r.customerId}::bigint, ${r.staffId ?? null}::bigint, ${r.at}::timestamptz)`,
  );
  const { rows: marked } = await sql<{ id: number }>`
    with r(customer_id, staff_id, at) as (values ${sql.join(rows)}),
    hit as (
      select distinct on (t.id) t.id, r.at from r
      join lateral (
        select t.id from touches t
        where t.corp_id = ${ctx.cdb.corpId} and t.customer_id = r.customer_id and t.status <> 'released'
          and (r.staff_id is null or t.staff_id = r.staff_id)
          and t.at <= r.at and t.at > r.at - ${attributionDays} * interval '1 day'
        order by t.at desc, t.id desc limit 1) t on true
      order by t.id, r.at)
    update touches t set replied_at = hit.at from hit
    where t.corp_id = ${ctx.cdb.corpId} and t.id = hit.id and t.replied_at is null
    returning t.id`.execute(ctx.cdb.db);
  return marked.length;
}
