import type { DelExternalContactEvent } from '../../../wecom/events.ts';
import { endFollowFromWecom } from '../../customers/index.ts';
import type { WecomEventCtx } from './event.ts';

/** A member deleted the customer (or an on-job transfer removed the old follow). */
export async function delExternalContact(
  { ctx, at }: WecomEventCtx,
  event: DelExternalContactEvent,
): Promise<void> {
  await endFollowFromWecom(ctx, {
    externalUserid: event.externalUserId,
    userid: event.userId,
    by: 'staff',
    at,
    source: event.source,
  });
}
