import type { SyncCtx } from '../context.ts';

// Contract for the facts work in progress (issue 5, point 4): replaced by the real computation.
/** Recomputes the derived facts (RFM, lifecycle stage, LTV, top store, coupon share, membership) of these customers. */
export async function refreshFacts(_ctx: SyncCtx, _customerIds: number[]): Promise<void> {}
