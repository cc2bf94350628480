import type { SyncCtx } from '../context.ts';

/** get_corp_tag_list's tag_group entries (the fields Siyu keeps). */
export interface WecomTagGroup {
  group_id: string;
  group_name: string;
  order?: number;
  deleted?: boolean;
  tag: { id: string; name: string; order?: number; deleted?: boolean }[];
}

/**
 * Brings corp tag groups and tags in line with WeCom. A local group or tag with the same name and no WeCom
 * id yet is adopted rather than duplicated. With `complete` (a full list), synced groups and tags that WeCom
 * no longer has are removed locally, with their customer links.
 */
export async function syncCorpTags(
  ctx: SyncCtx,
  groups: WecomTagGroup[],
  opts: { complete: boolean },
): Promise<{ groups: number; tags: number; removed: number }> {
  return ctx.cdb.transaction(async (tx) => {
    const db = tx.db;
    const corp_id = tx.corpId;
    let tagCount = 0;
    const seenGroups: string[] = [];
    const seenTags: string[] = [];
    for (const g of groups) {
      if (g.deleted) continue;
      seenGroups.push(g.group_id);
      const existing =
        (await db
          .selectFrom('tag_groups')
          .select('id')
          .where('corp_id', '=', corp_id)
          .where('wecom_group_id', '=', g.group_id)
          .executeTakeFirst()) ??
        (await db
          .selectFrom('tag_groups')
          .select('id')
          .where('corp_id', '=', corp_id)
          .where('name', '=', g.group_name)
          .where('wecom_group_id', 'is', null)
          .executeTakeFirst());
      const sort = -(g.order ?? 0); // WeCom sorts a higher order first
      const groupId = existing
        ? (
            await db
              .updateTable('tag_groups')
              .set({ wecom_group_id: g.group_id, name: g.group_name, sort_order: sort })
              .where('corp_id', '=', corp_id)
              .where('id', '=', existing.id)
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id
        : (
            await db
              .insertInto('tag_groups')
              .values({ corp_id, wecom_group_id: g.group_id, name: g.group_name, sort_order: sort })
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id;
      for (const t of g.tag) {
        if (t.deleted) continue;
        seenTags.push(t.id);
        tagCount++;
        const have =
          (await db
            .selectFrom('tags')
            .select('id')
            .where('corp_id', '=', corp_id)
            .where('wecom_tag_id', '=', t.id)
            .executeTakeFirst()) ??
          (await db
            .selectFrom('tags')
            .select('id')
            .where('corp_id', '=', corp_id)
            .where('group_id', '=', groupId)
            .where('name', '=', t.name)
            .where('wecom_tag_id', 'is', null)
            .executeTakeFirst());
        const values = { group_id: groupId, wecom_tag_id: t.id, name: t.name, sort_order: -(t.order ?? 0) };
        if (have) {
          await db
            .updateTable('tags')
            .set(values)
            .where('corp_id', '=', corp_id)
            .where('id', '=', have.id)
            .execute();
        } else {
          await db
            .insertInto('tags')
            .values({ corp_id, ...values })
            .execute();
        }
      }
    }
    let removed = 0;
    const deletedTags = groups.flatMap((g) => [
      ...g.tag.filter((t) => t.deleted).map((t) => t.id),
      ...(g.deleted ? g.tag.map((t) => t.id) : []),
    ]);
    removed += await removeTags(tx, { wecomTagIds: deletedTags });
    removed += await removeGroups(tx, {
      wecomGroupIds: groups.filter((g) => g.deleted).map((g) => g.group_id),
    });
    if (opts.complete) {
      removed += await removeTags(tx, { keepWecomTagIds: seenTags });
      removed += await removeGroups(tx, { keepWecomGroupIds: seenGroups });
    }
    return { groups: seenGroups.length, tags: tagCount, removed };
  });
}

type Tx = SyncCtx['cdb'];

/** Removes synced tags (by WeCom id, or all synced ones except `keep`) with their customer links. */
export async function removeTags(
  tx: Tx,
  which: { wecomTagIds: string[] } | { keepWecomTagIds: string[] },
): Promise<number> {
  let q = tx.db
    .selectFrom('tags')
    .select('id')
    .where('corp_id', '=', tx.corpId)
    .where('wecom_tag_id', 'is not', null);
  if ('wecomTagIds' in which) {
    if (which.wecomTagIds.length === 0) return 0;
    q = q.where('wecom_tag_id', 'in', which.wecomTagIds);
  } else if (which.keepWecomTagIds.length) {
    q = q.where('wecom_tag_id', 'not in', which.keepWecomTagIds);
  }
  const ids = (await q.execute()).map((r) => r.id);
  if (ids.length === 0) return 0;
  await tx.db
    .deleteFrom('customer_tags')
    .where('corp_id', '=', tx.corpId)
    .where('tag_id', 'in', ids)
    .execute();
  await tx.db.deleteFrom('tags').where('corp_id', '=', tx.corpId).where('id', 'in', ids).execute();
  return ids.length;
}

export async function removeGroups(
  tx: Tx,
  which: { wecomGroupIds: string[] } | { keepWecomGroupIds: string[] },
): Promise<number> {
  let q = tx.db
    .selectFrom('tag_groups')
    .select('id')
    .where('corp_id', '=', tx.corpId)
    .where('wecom_group_id', 'is not', null);
  if ('wecomGroupIds' in which) {
    if (which.wecomGroupIds.length === 0) return 0;
    q = q.where('wecom_group_id', 'in', which.wecomGroupIds);
  } else if (which.keepWecomGroupIds.length) {
    q = q.where('wecom_group_id', 'not in', which.keepWecomGroupIds);
  }
  const ids = (await q.execute()).map((r) => r.id);
  if (ids.length === 0) return 0;
  const tagIds = (
    await tx.db
      .selectFrom('tags')
      .select('id')
      .where('corp_id', '=', tx.corpId)
      .where('group_id', 'in', ids)
      .execute()
  ).map((r) => r.id);
  if (tagIds.length) {
    await tx.db
      .deleteFrom('customer_tags')
      .where('corp_id', '=', tx.corpId)
      .where('tag_id', 'in', tagIds)
      .execute();
    await tx.db.deleteFrom('tags').where('corp_id', '=', tx.corpId).where('id', 'in', tagIds).execute();
  }
  await tx.db.deleteFrom('tag_groups').where('corp_id', '=', tx.corpId).where('id', 'in', ids).execute();
  return ids.length;
}
