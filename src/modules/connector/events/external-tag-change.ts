import type { ExternalTagEvent } from '../../../wecom/events.ts';
import { syncCorpTags } from '../../tags/index.ts';
import type { WecomEventCtx } from './event.ts';

/** Corp tags were created, renamed or reordered in WeCom: the changed group or tag (or all, on a shuffle) is read again. */
export async function externalTagChange(
  { ctx, client }: WecomEventCtx,
  event: ExternalTagEvent,
): Promise<void> {
  const filter =
    event.type === 'external_tag_shuffle' || !event.id
      ? {}
      : event.tagType === 'tag_group'
        ? { group_id: [event.id] }
        : { tag_id: [event.id] };
  const { tag_group } = await client.getCorpTagList(filter);
  await syncCorpTags(ctx, tag_group, { complete: false });
}
