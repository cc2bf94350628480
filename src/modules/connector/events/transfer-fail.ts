import type { TransferFailEvent } from '../../../wecom/events.ts';
import { publish } from '../../context.ts';
import { addTimeline, customerIdByExternalUserid } from '../../customers/index.ts';
import type { WecomEventCtx } from './event.ts';

const REASON_ZH: Record<string, string> = {
  customer_refused: '客户拒绝',
  customer_limit_exceed: '接替成员客户数已满',
};

/** An on-job takeover failed: on the customer's timeline, with WeCom's reason. */
export async function transferFail({ ctx, at }: WecomEventCtx, event: TransferFailEvent): Promise<void> {
  const customerId = await customerIdByExternalUserid(ctx, event.externalUserId);
  if (customerId === null) return;
  await ctx.cdb.transaction(async (tx) => {
    const txCtx = { ...ctx, cdb: tx };
    await addTimeline(tx, [
      {
        customerId,
        kind: 'transfer_failed',
        at,
        summary: `转接给 ${event.userId} 失败：${REASON_ZH[event.failReason] ?? event.failReason}`,
        data: { userid: event.userId, reason: event.failReason },
      },
    ]);
    // the transfers module follows its transfer to the end (refused or over the limit)
    await publish(txCtx, [
      {
        type: 'TransferFailed',
        customerId,
        externalUserid: event.externalUserId,
        takeoverUserid: event.userId,
        reason: event.failReason,
        at: at.toISOString(),
      },
    ]);
  });
}
