import { z } from 'zod';
import { textProblem } from '../../platform/input.ts';
import { normalizePhone } from '../../platform/pii.ts';

/**
 * What an order (and the identities of an order or member) must be, from /hooks or a file: pure, so a file is
 * checked off the main thread with the same rules.
 */

const MOBILE = /^1\d{10}$/;

/** The orders Siyu takes were placed from 2000 on, and not later than a day past Siyu's clock (clocks drift). */
export const ORDERS_FROM_MS = Date.UTC(2000, 0, 1);
export const ORDERS_AHEAD_MS = 86_400_000;
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
      .refine((s) => Number.isNaN(Date.parse(s)) || Date.parse(s) >= ORDERS_FROM_MS, {
        error: 'orderedAt must be from 2000-01-01 on',
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

/** orderInput, and the order placed at most ORDERS_AHEAD_MS after `now`: what ingestOrders and a file check. */
export function orderInputAt(now: Date) {
  const latest = now.getTime() + ORDERS_AHEAD_MS;
  return orderInput.superRefine((o, ctx) => {
    if (Date.parse(o.orderedAt) > latest) {
      ctx.addIssue({
        code: 'custom',
        path: ['orderedAt'],
        message: `orderedAt must not be later than ${new Date(latest).toISOString()} (a day past Siyu's clock)`,
      });
    }
  });
}

export interface FieldError {
  field: string;
  message: string;
}

/** zod issues as { field: 'items.0.quantity', message }. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message }));
}
