import type { DelFollowUserEvent } from '../../../wecom/events.ts';
import { endFollowFromWecom } from '../../customers/index.ts';
import type { WecomEventCtx } from './event.ts';

/** The customer deleted the member. */
export async function delFollowUser({ ctx, at }: WecomEventCtx, event: DelFollowUserEvent): Promise<void> {
  await endFollowFromWecom(ctx, {
    externalUserid: event.externalUserId,
    userid: event.userId,
    by: 'customer',
    at,
  });
}
