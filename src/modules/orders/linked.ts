import type { SyncCtx } from '../context.ts';
import { refreshFacts } from '../customers/facts.ts';
import { applyOrderTagRules } from '../tags/auto-rules.ts';

/** An order as the modules that react to it see it, once OneID has linked it to a customer. */
export interface LinkedOrder {
  id: number;
  customerId: number;
  unitId: number | null;
  channel: 'miniprogram' | 'ecommerce' | 'pos';
  totalFen: number;
  paidFen: number;
  couponCode: string | null;
  couponFen: number;
  orderedAt: Date;
  items: { productCode: string; productName: string; quantity: number; priceFen: number }[];
}

/**
 * What follows orders being linked to customers, at ingest or later when an identity appears: the
 * customers' derived facts are refreshed, then the order tag rules run (a rule may read the fresh facts).
 */
export async function afterOrdersLinked(ctx: SyncCtx, orders: LinkedOrder[]): Promise<void> {
  if (!orders.length) return;
  await refreshFacts(ctx, [...new Set(orders.map((o) => o.customerId))]);
  await applyOrderTagRules(ctx, orders);
}
