import { type RawBuilder, sql } from 'kysely';
import type { SyncCtx } from '../context.ts';
import type { EventOf } from '../events.ts';
import { outreachSettingsOf } from './budget.ts';

/**
 * Orders credit the latest touch that preceded them within the brand's attribution window (7 days by
 * default): a mass send, a journey step or a task. A touch released later (its send failed) loses its
 * orders (releaseTouches). Set-based over the linked orders.
 */
export async function attributeOrders(ctx: SyncCtx, events: EventOf<'OrdersLinked'>[]): Promise<void> {
  const orderIds = events.flatMap((e) => e.orders.map((o) => o.id));
  if (orderIds.length === 0) return;
  await attribute(ctx, sql`o.id = any(${orderIds}::bigint[])`);
}

/**
 * Credits the orders placed since `since` that no touch was credited with yet: for touches recorded after
 * their orders arrived (a send dated in the past, as the demo's are).
 */
export async function attributeOrdersSince(ctx: SyncCtx, since: Date): Promise<void> {
  await attribute(ctx, sql`o.ordered_at >= ${since}`);
}

async function attribute(ctx: SyncCtx, which: RawBuilder<unknown>): Promise<void> {
  const { attributionDays } = await outreachSettingsOf(ctx.cdb);
  await sql`insert into touch_attributions
      (corp_id, order_id, touch_id, customer_id, source_kind, source_id, staff_id, paid_fen, ordered_at)
    select o.corp_id, o.id, t.id, t.customer_id, t.source_kind, t.source_id, t.staff_id, o.paid_fen, o.ordered_at
    from orders o
    join lateral (
      select t.id, t.customer_id, t.source_kind, t.source_id, t.staff_id from touches t
      where t.corp_id = o.corp_id and t.customer_id = o.customer_id and t.status <> 'released'
        and t.at <= o.ordered_at and t.at > o.ordered_at - ${attributionDays} * interval '1 day'
      order by t.at desc, t.id desc limit 1) t on true
    where o.corp_id = ${ctx.cdb.corpId} and ${which} and o.customer_id is not null
    on conflict (corp_id, order_id) do nothing`.execute(ctx.cdb.db);
}

/** Orders that left their customer (an undone link) are no longer credited. */
export async function unattributeOrders(ctx: SyncCtx, events: EventOf<'OrdersUnlinked'>[]): Promise<void> {
  const orderIds = events.flatMap((e) => e.orderIds);
  if (orderIds.length === 0) return;
  await ctx.cdb.db
    .deleteFrom('touch_attributions')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('order_id', 'in', orderIds)
    .execute();
}
