import type { ExternalChatCreateEvent, ExternalChatUpdateEvent } from '../../../wecom/events.ts';
import { upsertGroupFromWecom } from '../../groups/index.ts';
import type { WecomEventCtx } from './event.ts';

/** A group was created or changed: WeCom's groupchat/get (read ~2 s after the event) is mirrored. */
export async function externalChatChange(
  { ctx, client }: WecomEventCtx,
  event: ExternalChatCreateEvent | ExternalChatUpdateEvent,
): Promise<void> {
  const { group_chat } = await client.getGroupChat(event.chatId, true);
  await upsertGroupFromWecom(ctx, group_chat, ctx.clock.now());
}
