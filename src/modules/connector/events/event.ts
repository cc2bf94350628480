import type { WecomClient } from '../../../wecom/client.ts';
import type { SyncCtx } from '../../context.ts';

/** What a WeCom event's handler gets: the brand, its WeCom client, and when WeCom says the event happened. */
export interface WecomEventCtx {
  ctx: SyncCtx;
  client: WecomClient;
  at: Date;
}
