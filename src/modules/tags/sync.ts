import { sql } from 'kysely';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import { publish, type SyncCtx } from '../context.ts';
import type { Tables } from '../tables.ts';

/** get_corp_tag_list's tag_group entries (the fields Siyu keeps). */
export interface WecomTagGroup {
  group_id: string;
  group_name: string;
  order?: number;
  deleted?: boolean;
  tag: { id: string; name: string; order?: number; deleted?: boolean }[];
}

type Tx = CorpDb<Tables>;

/** WeCom sorts a higher `order` first; Siyu sorts by ascending sort_order. */
export const sortOrderOf = (order: number | undefined) => -(order ?? 0);
export const wecomOrderOf = (sortOrder: number) => Math.max(0, -sortOrder);

/**
 * Brings corp tag groups and tags in line with WeCom. A local group or tag with the same name and no WeCom
 * id yet is adopted rather than duplicated: a name created on both sides ends as one. A group or tag whose
 * own change is still on its way to WeCom keeps its local name and order (Siyu's edit is newer). With
 * `complete` (a full list), synced groups and tags that WeCom no longer has are removed locally, with their
 * customer links.
 */
export async function syncCorpTags(
  ctx: SyncCtx,
  groups: WecomTagGroup[],
  opts: { complete: boolean },
): Promise<{ groups: number; tags: number; removed: number }> {
  return ctx.cdb.transaction(async (tx) => {
    const txCtx = { ...ctx, cdb: tx };
    const db = tx.db;
    const corp_id = tx.corpId;
    const pending = await pendingSyncs(tx);
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
      const fromWecom = { name: g.group_name, sort_order: sortOrderOf(g.order), sync_key: null };
      const groupId = existing
        ? (
            await db
              .updateTable('tag_groups')
              .set({ wecom_group_id: g.group_id, ...(pending.groups.has(existing.id) ? {} : fromWecom) })
              .where('corp_id', '=', corp_id)
              .where('id', '=', existing.id)
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id
        : (
            await db
              .insertInto('tag_groups')
              .values({ corp_id, wecom_group_id: g.group_id, ...fromWecom })
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
        const values = { name: t.name, sort_order: sortOrderOf(t.order), sync_key: null };
        if (have) {
          await db
            .updateTable('tags')
            .set({
              group_id: groupId,
              wecom_tag_id: t.id,
              ...(pending.tags.has(have.id) ? {} : values),
            })
            .where('corp_id', '=', corp_id)
            .where('id', '=', have.id)
            .execute();
        } else {
          await db
            .insertInto('tags')
            .values({ corp_id, group_id: groupId, wecom_tag_id: t.id, ...values })
            .execute();
        }
      }
    }
    const at = ctx.clock.now();
    let removed = 0;
    const deletedTags = groups.flatMap((g) => [
      ...g.tag.filter((t) => t.deleted).map((t) => t.id),
      ...(g.deleted ? g.tag.map((t) => t.id) : []),
    ]);
    removed += await removeTags(txCtx, { wecomTagIds: deletedTags }, at);
    removed += await removeGroups(
      txCtx,
      { wecomGroupIds: groups.filter((g) => g.deleted).map((g) => g.group_id) },
      at,
    );
    if (opts.complete) {
      removed += await removeTags(txCtx, { keepWecomTagIds: seenTags }, at);
      removed += await removeGroups(txCtx, { keepWecomGroupIds: seenGroups }, at);
    }
    return { groups: seenGroups.length, tags: tagCount, removed };
  });
}

/** Groups and tags whose latest change from Siyu is still waiting for WeCom. */
async function pendingSyncs(tx: Tx): Promise<{ groups: Set<number>; tags: Set<number> }> {
  const pendingOf = async (table: 'tags' | 'tag_groups') =>
    new Set(
      (
        await sql<{ id: number }>`
          select x.id from ${sql.table(table)} x
          join wecom_outbox o on o.corp_id = x.corp_id and o.idem_key = x.sync_key
          where x.corp_id = ${tx.corpId} and o.status = 'pending'`.execute(tx.db)
      ).rows.map((r) => Number(r.id)),
    );
  return { groups: await pendingOf('tag_groups'), tags: await pendingOf('tags') };
}

/** Removes synced tags (by WeCom id, or all synced ones except `keep`) with their customer links. */
export async function removeTags(
  ctx: SyncCtx,
  which: { wecomTagIds: string[] } | { keepWecomTagIds: string[] },
  at: Date,
): Promise<number> {
  const tx = ctx.cdb;
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
  await dropTags(ctx, ids, { where: 'wecom', at });
  return ids.length;
}

export async function removeGroups(
  ctx: SyncCtx,
  which: { wecomGroupIds: string[] } | { keepWecomGroupIds: string[] },
  at: Date,
): Promise<number> {
  const tx = ctx.cdb;
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
  await dropGroups(ctx, ids, { where: 'wecom', at });
  return ids.length;
}

/**
 * Deletes tags here. What refers to them lets go first, in this transaction (TagsDeleted): customers who had
 * one get a timeline entry saying where it was deleted, channels and rules stop applying it.
 */
export async function dropTags(
  ctx: SyncCtx,
  tagIds: number[],
  cause: { where: 'wecom' | 'siyu'; at: Date },
): Promise<void> {
  if (tagIds.length === 0) return;
  await ctx.cdb.transaction(async (tx) => {
    const tags = await tx.db
      .selectFrom('tags')
      .select(['id', 'name'])
      .where('corp_id', '=', tx.corpId)
      .where('id', 'in', tagIds)
      .orderBy('id')
      .execute();
    await publish({ ...ctx, cdb: tx }, [
      { type: 'TagsDeleted', customerId: null, tags, where: cause.where, at: cause.at.toISOString() },
    ]);
    await tx.db.deleteFrom('tags').where('corp_id', '=', tx.corpId).where('id', 'in', tagIds).execute();
  });
}

export async function dropGroups(
  ctx: SyncCtx,
  groupIds: number[],
  cause: { where: 'wecom' | 'siyu'; at: Date },
): Promise<void> {
  if (groupIds.length === 0) return;
  await ctx.cdb.transaction(async (tx) => {
    const tagIds = (
      await tx.db
        .selectFrom('tags')
        .select('id')
        .where('corp_id', '=', tx.corpId)
        .where('group_id', 'in', groupIds)
        .execute()
    ).map((r) => r.id);
    await dropTags({ ...ctx, cdb: tx }, tagIds, cause);
    await tx.db
      .deleteFrom('tag_groups')
      .where('corp_id', '=', tx.corpId)
      .where('id', 'in', groupIds)
      .execute();
  });
}
