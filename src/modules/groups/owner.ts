import type { SyncCtx } from '../context.ts';

/**
 * A group's owner changed in WeCom by a transfer (groupchat/transfer or onjob_transfer accepted it): the
 * mirror names the new owner at once, without waiting for the next groupchat/get. Returns how many groups
 * it changed (a chat Siyu has not mirrored yet is left to the sync).
 */
export async function changeGroupOwners(
  ctx: SyncCtx,
  chatIds: readonly string[],
  owner: { userid: string; staffId: number | null },
  at: Date,
): Promise<number> {
  if (chatIds.length === 0) return 0;
  const res = await ctx.cdb.db
    .updateTable('groups')
    .set({ owner_userid: owner.userid, owner_staff_id: owner.staffId, synced_at: at })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('chat_id', 'in', [...chatIds])
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
