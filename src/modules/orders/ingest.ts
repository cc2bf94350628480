import { sql } from 'kysely';
import type { z } from 'zod';
import type { SyncCtx } from '../context.ts';
import { announceLinks, linkOrders } from './oneid.ts';
import { type FieldError, fieldErrors, type OrderInput, orderInputAt } from './order-input.ts';

export type { OrderInput } from './order-input.ts';

export interface OrderResult {
  sourceOrderId: string;
  status: 'created' | 'duplicate' | 'invalid';
  orderId?: number;
  customerId?: number | null;
  errors?: FieldError[];
}

export const MAX_BATCH = 1000;

const idOf = (raw: unknown) => {
  const id = (raw as { sourceOrderId?: unknown } | null)?.sourceOrderId;
  return typeof id === 'string' || typeof id === 'number' ? String(id).slice(0, 64) : '';
};

/**
 * Writes a batch of one source's orders: one result per input, in order. Idempotent by (source,
 * sourceOrderId): a resend, or a second input with the same id, is a 'duplicate' that changes nothing. An
 * invalid order (bad field, unknown store) is reported and never stops the others; the valid ones and their
 * items are written in one transaction with a fixed number of statements, then linked by OneID. Orders of a
 * manager's import carry `linkScopeUnitId`: OneID links them only to customers of that unit's subtree.
 */
export async function ingestOrders(
  ctx: SyncCtx,
  source: string,
  orders: OrderInput[],
  opts: { linkScopeUnitId?: number | null } = {},
): Promise<OrderResult[]> {
  const results: OrderResult[] = orders.map((raw) => ({ sourceOrderId: idOf(raw), status: 'invalid' }));
  const schema = orderInputAt(ctx.clock.now());
  const parsed: { index: number; order: z.output<typeof schema> }[] = [];
  orders.forEach((raw, index) => {
    const r = schema.safeParse(raw);
    if (r.success) parsed.push({ index, order: r.data });
    else results[index]!.errors = fieldErrors(r.error);
  });

  const { cdb } = ctx;
  const codes = [...new Set(parsed.flatMap((p) => (p.order.storeCode ? [p.order.storeCode] : [])))];
  const units = new Map(
    (codes.length
      ? await cdb.db
          .selectFrom('org_units')
          .select(['id', 'code', 'kind'])
          .where('corp_id', '=', cdb.corpId)
          .where('code', 'in', codes)
          .execute()
      : []
    ).map((u) => [u.code!, u]),
  );
  const firstOf = new Map<string, number>();
  const fresh: typeof parsed = [];
  const repeats: { index: number; first: number }[] = [];
  for (const p of parsed) {
    const { storeCode, sourceOrderId } = p.order;
    results[p.index]!.sourceOrderId = sourceOrderId;
    const unit = storeCode ? units.get(storeCode) : undefined;
    if (storeCode && unit?.kind !== 'store') {
      const message = unit
        ? `${storeCode} is the code of ${unit.kind === 'hq' ? 'the HQ' : 'a region'}, not of a store`
        : `no store has the code ${storeCode}`;
      results[p.index]!.errors = [{ field: 'storeCode', message }];
      continue;
    }
    const first = firstOf.get(sourceOrderId);
    if (first !== undefined) repeats.push({ index: p.index, first });
    else {
      firstOf.set(sourceOrderId, p.index);
      fresh.push(p);
    }
  }
  if (fresh.length === 0) {
    for (const r of repeats) results[r.index]!.status = 'duplicate';
    return results;
  }

  return cdb.transaction(async (tx) => {
    const txCtx = { ...ctx, cdb: tx };
    const now = ctx.clock.now();
    const rows = fresh.map(({ order: o }) => ({
      source,
      source_order_id: o.sourceOrderId,
      channel: o.channel,
      unit_id: o.storeCode ? units.get(o.storeCode)!.id : null,
      external_userid: o.customer.externalUserid ?? null,
      unionid: o.customer.unionid ?? null,
      openid: o.customer.openid ?? null,
      phone_hash: o.customer.phone ? ctx.pii.hash(o.customer.phone) : null,
      total_fen: o.totalFen,
      paid_fen: o.paidFen,
      coupon_code: o.couponCode ?? null,
      coupon_fen: o.couponFen ?? 0,
      ordered_at: new Date(o.orderedAt),
      link_scope_unit_id: opts.linkScopeUnitId ?? null,
      created_at: now,
    }));
    // Rows travel as one JSON parameter: thousands of bound parameters are slow to send (PGlite above all).
    const inserted = (
      await sql<{ id: number; source_order_id: string }>`
        insert into orders (corp_id, source, source_order_id, channel, unit_id, external_userid, unionid, openid,
          phone_hash, total_fen, paid_fen, coupon_code, coupon_fen, ordered_at, link_scope_unit_id, created_at)
        select ${tx.corpId}, r.source, r.source_order_id, r.channel, r.unit_id, r.external_userid, r.unionid,
          r.openid, r.phone_hash, r.total_fen, r.paid_fen, r.coupon_code, r.coupon_fen, r.ordered_at,
          r.link_scope_unit_id, r.created_at
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r (source text, source_order_id text,
          channel text, unit_id bigint, external_userid text, unionid text, openid text, phone_hash text,
          total_fen bigint, paid_fen bigint, coupon_code text, coupon_fen bigint, ordered_at timestamptz,
          link_scope_unit_id bigint, created_at timestamptz)
        on conflict (corp_id, source, source_order_id) do nothing
        returning id, source_order_id`.execute(tx.db)
    ).rows.map((r) => ({ id: Number(r.id), source_order_id: r.source_order_id }));
    const createdId = new Map(inserted.map((r) => [r.source_order_id, r.id]));
    const resent = fresh
      .filter((p) => !createdId.has(p.order.sourceOrderId))
      .map((p) => p.order.sourceOrderId);
    const existing = new Map(
      (resent.length
        ? await tx.db
            .selectFrom('orders')
            .select(['id', 'source_order_id', 'customer_id'])
            .where('corp_id', '=', tx.corpId)
            .where('source', '=', source)
            .where('source_order_id', 'in', resent)
            .execute()
        : []
      ).map((r) => [r.source_order_id, r]),
    );

    const items = fresh.flatMap(({ order: o }) => {
      const orderId = createdId.get(o.sourceOrderId);
      if (orderId === undefined) return [];
      return o.items.map((i, line) => ({
        order_id: orderId,
        line: line + 1,
        product_code: i.productCode,
        product_name: i.productName,
        quantity: i.quantity,
        price_fen: i.priceFen,
      }));
    });
    if (items.length) {
      await sql`
        insert into order_items (corp_id, order_id, line, product_code, product_name, quantity, price_fen)
        select ${tx.corpId}, i.order_id, i.line, i.product_code, i.product_name, i.quantity, i.price_fen
        from jsonb_to_recordset(${JSON.stringify(items)}::jsonb) as i (order_id bigint, line smallint,
          product_code text, product_name text, quantity integer, price_fen bigint)`.execute(tx.db);
    }

    const linking = await linkOrders(
      txCtx,
      rows.flatMap((r) => {
        const id = createdId.get(r.source_order_id);
        return id === undefined ? [] : [{ ...r, id }];
      }),
    );
    await announceLinks(txCtx, linking);

    const customerOf = new Map(linking.orders.map((l) => [l.id, l.customerId]));
    for (const { index, order } of fresh) {
      const id = createdId.get(order.sourceOrderId);
      const had = existing.get(order.sourceOrderId);
      results[index] =
        id !== undefined
          ? {
              sourceOrderId: order.sourceOrderId,
              status: 'created',
              orderId: id,
              customerId: customerOf.get(id) ?? null,
            }
          : {
              sourceOrderId: order.sourceOrderId,
              status: 'duplicate',
              orderId: had?.id,
              customerId: had?.customer_id ?? null,
            };
    }
    for (const r of repeats) {
      const first = results[r.first]!;
      results[r.index] = {
        sourceOrderId: first.sourceOrderId,
        status: 'duplicate',
        orderId: first.orderId,
        customerId: first.customerId ?? null,
      };
    }
    return results;
  });
}
