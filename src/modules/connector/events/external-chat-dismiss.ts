import type { ExternalChatDismissEvent } from '../../../wecom/events.ts';
import { dismissGroupFromWecom } from '../../groups/index.ts';
import type { WecomEventCtx } from './event.ts';

/** A group was dismissed. */
export async function externalChatDismiss(
  { ctx, at }: WecomEventCtx,
  event: ExternalChatDismissEvent,
): Promise<void> {
  await dismissGroupFromWecom(ctx, event.chatId, at);
}
