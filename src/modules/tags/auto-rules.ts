import type { SyncCtx } from '../context.ts';
import type { LinkedOrder } from '../orders/linked.ts';

// Contract for the tag-rule work in progress (issue 5, point 3): replaced by the real rules.
/** Applies the brand's order tag rules (product bought, amount, coupon use) to these customers' new orders. */
export async function applyOrderTagRules(_ctx: SyncCtx, _orders: LinkedOrder[]): Promise<void> {}
