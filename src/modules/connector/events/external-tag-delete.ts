import type { ExternalTagEvent } from '../../../wecom/events.ts';
import { removeGroups, removeTags } from '../../tags/index.ts';
import type { WecomEventCtx } from './event.ts';

/** A corp tag or group was deleted in WeCom. */
export async function externalTagDelete({ ctx, at }: WecomEventCtx, event: ExternalTagEvent): Promise<void> {
  await ctx.cdb.transaction((tx) =>
    event.tagType === 'tag_group'
      ? removeGroups({ ...ctx, cdb: tx }, { wecomGroupIds: [event.id] }, at)
      : removeTags({ ...ctx, cdb: tx }, { wecomTagIds: [event.id] }, at),
  );
}
