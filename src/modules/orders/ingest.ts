import { sql } from 'kysely';
import { z } from 'zod';
import { dateInRange, EARLIEST_DATE, LATEST_DATE, textProblem } from '../../platform/input.ts';
import { normalizePhone } from '../../platform/pii.ts';
import type { SyncCtx } from '../context.ts';
import { announceLinks, linkOrders } from './oneid.ts';

const MOBILE = /^1\d{10}$/;
const text = (what: string, max: number) =>
  z
    .string({ error: `${what} must be text` })
    .trim()
    .min(1, { error: `${what} must not be empty` })
    .max(max, { error: `${what} must be at most ${max} characters` })
    .refine((s) => !textProblem(s), { error: `${what} must not contain NUL or invalid Unicode` });
const fen = (what: string) =>
  z
    .number({ error: `${what} must be a number of fen` })
    .int({ error: `${what} must be a whole number of fen` })
    .min(0, { error: `${what} must not be negative` })
    .max(1e12, { error: `${what} is too large` });

/** The identities an order or member carries; the phone is hashed on arrival and never stored in clear. */
export const customerIdentityInput = z.object({
  externalUserid: text('externalUserid', 64).optional(),
  unionid: text('unionid', 64).optional(),
  openid: text('openid', 64).optional(),
  phone: z
    .string({ error: 'phone must be text' })
    .refine((p) => MOBILE.test(normalizePhone(p)), { error: 'phone must be a mainland mobile number' })
    .optional(),
});

export const orderItemInput = z.object({
  productCode: text('productCode', 64),
  productName: text('productName', 128),
  quantity: z
    .number({ error: 'quantity must be a number' })
    .int({ error: 'quantity must be a whole number' })
    .min(1, { error: 'quantity must be at least 1' })
    .max(1_000_000, { error: 'quantity is too large' }),
  priceFen: fen('priceFen'),
});

/** One order from an integrator or an import. Amounts are integer fen; totalFen is the items' sum. */
export const orderInput = z
  .object({
    sourceOrderId: text('sourceOrderId', 64),
    storeCode: text('storeCode', 64).optional().describe('org_units.code of the store'),
    channel: z.enum(['miniprogram', 'ecommerce', 'pos'], {
      error: 'channel must be miniprogram, ecommerce or pos',
    }),
    orderedAt: z.iso
      .datetime({
        offset: true,
        error: 'orderedAt must be an ISO time, e.g. 2026-05-01T12:30:00+08:00',
      })
      .refine((s) => Number.isNaN(Date.parse(s)) || dateInRange(new Date(s)), {
        error: `orderedAt must be from ${EARLIEST_DATE} to ${LATEST_DATE}`,
      }),
    items: z
      .array(orderItemInput, { error: 'items must be a list' })
      .min(1, { error: 'items must hold at least 1 item' })
      .max(200, { error: 'items must hold at most 200 items' }),
    totalFen: fen('totalFen'),
    paidFen: fen('paidFen'),
    couponCode: text('couponCode', 64).optional(),
    couponFen: fen('couponFen').optional(),
    customer: customerIdentityInput.default({}),
  })
  .superRefine((o, ctx) => {
    const sum = o.items.reduce((s, i) => s + i.quantity * i.priceFen, 0);
    if (o.totalFen !== sum) {
      ctx.addIssue({
        code: 'custom',
        path: ['totalFen'],
        message: `totalFen must equal the items' sum (quantity × priceFen = ${sum})`,
      });
    }
    const coupon = o.couponFen ?? 0;
    if (coupon > o.totalFen) {
      ctx.addIssue({ code: 'custom', path: ['couponFen'], message: 'couponFen must not exceed totalFen' });
    }
    if (coupon > 0 && !o.couponCode) {
      ctx.addIssue({
        code: 'custom',
        path: ['couponCode'],
        message: 'couponCode is required with couponFen',
      });
    }
    if (o.paidFen > o.totalFen - Math.min(coupon, o.totalFen)) {
      ctx.addIssue({
        code: 'custom',
        path: ['paidFen'],
        message: 'paidFen must not exceed totalFen minus couponFen',
      });
    }
  });

export type OrderInput = z.input<typeof orderInput>;

export interface FieldError {
  field: string;
  message: string;
}

export interface OrderResult {
  sourceOrderId: string;
  status: 'created' | 'duplicate' | 'invalid';
  orderId?: number;
  customerId?: number | null;
  errors?: FieldError[];
}

export const MAX_BATCH = 1000;

/** zod issues as { field: 'items.0.quantity', message }. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
}

const idOf = (raw: unknown) => {
  const id = (raw as { sourceOrderId?: unknown } | null)?.sourceOrderId;
  return typeof id === 'string' || typeof id === 'number' ? String(id).slice(0, 64) : '';
};

/**
 * Writes a batch of one source's orders: one result per input, in order. Idempotent by (source,
 * sourceOrderId): a resend, or a second input with the same id, is a 'duplicate' that changes nothing. An
 * invalid order (bad field, unknown store) is reported and never stops the others; the valid ones and their
 * items are written in one transaction with a fixed number of statements, then linked by OneID.
 */
export async function ingestOrders(
  ctx: SyncCtx,
  source: string,
  orders: OrderInput[],
): Promise<OrderResult[]> {
  const results: OrderResult[] = orders.map((raw) => ({ sourceOrderId: idOf(raw), status: 'invalid' }));
  const parsed: { index: number; order: z.output<typeof orderInput> }[] = [];
  orders.forEach((raw, index) => {
    const r = orderInput.safeParse(raw);
    if (r.success) parsed.push({ index, order: r.data });
    else results[index]!.errors = fieldErrors(r.error);
  });

  const { cdb } = ctx;
  const codes = [...new Set(parsed.flatMap((p) => (p.order.storeCode ? [p.order.storeCode] : [])))];
  const units = new Map(
    (codes.length
      ? await cdb.db
          .selectFrom('org_units')
          .select(['id', 'code'])
          .where('corp_id', '=', cdb.corpId)
          .where('code', 'in', codes)
          .execute()
      : []
    ).map((u) => [u.code!, u.id]),
  );
  const firstOf = new Map<string, number>();
  const fresh: typeof parsed = [];
  const repeats: { index: number; first: number }[] = [];
  for (const p of parsed) {
    const { storeCode, sourceOrderId } = p.order;
    results[p.index]!.sourceOrderId = sourceOrderId;
    if (storeCode && !units.has(storeCode)) {
      results[p.index]!.errors = [{ field: 'storeCode', message: `no store has the code ${storeCode}` }];
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
      unit_id: o.storeCode ? units.get(o.storeCode)! : null,
      external_userid: o.customer.externalUserid ?? null,
      unionid: o.customer.unionid ?? null,
      openid: o.customer.openid ?? null,
      phone_hash: o.customer.phone ? ctx.pii.hash(o.customer.phone) : null,
      total_fen: o.totalFen,
      paid_fen: o.paidFen,
      coupon_code: o.couponCode ?? null,
      coupon_fen: o.couponFen ?? 0,
      ordered_at: new Date(o.orderedAt),
      created_at: now,
    }));
    // Rows travel as one JSON parameter: thousands of bound parameters are slow to send (PGlite above all).
    const inserted = (
      await sql<{ id: number; source_order_id: string }>`
        insert into orders (corp_id, source, source_order_id, channel, unit_id, external_userid, unionid, openid,
          phone_hash, total_fen, paid_fen, coupon_code, coupon_fen, ordered_at, created_at)
        select ${tx.corpId}, r.source, r.source_order_id, r.channel, r.unit_id, r.external_userid, r.unionid,
          r.openid, r.phone_hash, r.total_fen, r.paid_fen, r.coupon_code, r.coupon_fen, r.ordered_at, r.created_at
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r (source text, source_order_id text,
          channel text, unit_id bigint, external_userid text, unionid text, openid text, phone_hash text,
          total_fen bigint, paid_fen bigint, coupon_code text, coupon_fen bigint, ordered_at timestamptz,
          created_at timestamptz)
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
