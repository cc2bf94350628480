import { randomUUID } from 'node:crypto';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import { enqueueOutbox, type OutboxRow } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import type { CorpTag, WecomClient } from '../../wecom/client.ts';
import { WecomApiError } from '../../wecom/errors.ts';
import { ADD_CORP_TAG, DEL_CORP_TAG, EDIT_CORP_TAG } from '../../wecom/paths.ts';
import { publish, type SyncCtx } from '../context.ts';
import type { OutboxEffects } from '../manifest.ts';
import type { Tables } from '../tables.ts';
import { wecomOrderOf } from './sync.ts';

/**
 * Siyu → WeCom for corp tags: every create, rename, reorder and delete made in Siyu is an outbox row; the
 * ids WeCom gives are stored when the create is done. The row's key is the group's or tag's `sync_key`, so
 * its status (pending, done, failed with the error) is what the console shows.
 */

/** WeCom errcodes: the tag or group does not exist (any more); a tag of that name is already in the group. */
const INVALID_TAG = 40068;
const NAME_TAKEN = 40071;

type Tx = CorpDb<Tables>;

const addKey = (groupId: number, tagIds: number[]) => `tag:add:${groupId}:${tagIds.join(',')}`;
function parseAddKey(key: string): { groupId: number; tagIds: number[] } | null {
  const m = /^tag:add:(\d+):([\d,]+)$/.exec(key);
  return m ? { groupId: Number(m[1]), tagIds: m[2]!.split(',').map(Number) } : null;
}

/** Creates these new tags of a group in WeCom (and the group, when WeCom does not have it yet). */
export async function pushNewTags(tx: Tx, groupId: number, tagIds: number[], now: Date): Promise<void> {
  if (tagIds.length === 0) return;
  const idemKey = addKey(groupId, tagIds);
  const group = await tx.db
    .selectFrom('tag_groups')
    .select(['name', 'wecom_group_id', 'sort_order'])
    .where('corp_id', '=', tx.corpId)
    .where('id', '=', groupId)
    .executeTakeFirstOrThrow();
  const tags = await tx.db
    .selectFrom('tags')
    .select(['name', 'sort_order'])
    .where('corp_id', '=', tx.corpId)
    .where('id', 'in', tagIds)
    .execute();
  // What is sent is rebuilt from the current state when the row goes out (sendAdd); this is the intent.
  const request = {
    ...(group.wecom_group_id
      ? { group_id: group.wecom_group_id }
      : { group_name: group.name, order: wecomOrderOf(group.sort_order) }),
    tag: tags.map((t) => ({ name: t.name, order: wecomOrderOf(t.sort_order) })),
  };
  await enqueueOutbox(
    jobsDb(tx.db),
    tx.corpId,
    { idemKey, lane: 'normal', kind: ADD_CORP_TAG, request },
    now,
  );
  await tx.db
    .updateTable('tags')
    .set({ sync_key: idemKey })
    .where('corp_id', '=', tx.corpId)
    .where('id', 'in', tagIds)
    .execute();
  if (!group.wecom_group_id) {
    await tx.db
      .updateTable('tag_groups')
      .set({ sync_key: idemKey })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', groupId)
      .execute();
  }
}

/**
 * Sends a group's or tag's current name and order to WeCom. One not in WeCom yet needs nothing: its pending
 * create sends the current state, and a rename that races the create is caught when the create is done.
 */
export async function pushEdit(tx: Tx, what: 'group' | 'tag', id: number, now: Date): Promise<void> {
  const row =
    what === 'group'
      ? await tx.db
          .selectFrom('tag_groups')
          .select(['wecom_group_id as wecomId', 'name', 'sort_order'])
          .where('corp_id', '=', tx.corpId)
          .where('id', '=', id)
          .executeTakeFirst()
      : await tx.db
          .selectFrom('tags')
          .select(['wecom_tag_id as wecomId', 'name', 'sort_order'])
          .where('corp_id', '=', tx.corpId)
          .where('id', '=', id)
          .executeTakeFirst();
  if (!row?.wecomId) return;
  const idemKey = `tag:edit:${what}:${id}:${randomUUID()}`;
  await enqueueOutbox(
    jobsDb(tx.db),
    tx.corpId,
    {
      idemKey,
      lane: 'normal',
      kind: EDIT_CORP_TAG,
      request: { id: row.wecomId, name: row.name, order: wecomOrderOf(row.sort_order) },
    },
    now,
  );
  await tx.db
    .updateTable(what === 'group' ? 'tag_groups' : 'tags')
    .set({ sync_key: idemKey })
    .where('corp_id', '=', tx.corpId)
    .where('id', '=', id)
    .execute();
}

/** Deletes groups or tags in WeCom (WeCom takes them off every customer, and drops a group left empty). */
export async function pushDelete(
  tx: Tx,
  which: { groupIds: string[] } | { tagIds: string[] },
  now: Date,
): Promise<void> {
  const ids = 'groupIds' in which ? which.groupIds : which.tagIds;
  if (ids.length === 0) return;
  const request = 'groupIds' in which ? { group_id: ids } : { tag_id: ids };
  await enqueueOutbox(
    jobsDb(tx.db),
    tx.corpId,
    { idemKey: `tag:del:${ids.join(',')}`, lane: 'normal', kind: DEL_CORP_TAG, request },
    now,
  );
}

interface Created {
  groupId: string;
  groupName: string;
  /** Siyu tag id → the WeCom tag it became, with the name sent. */
  tags: { id: number; wecomId: string; name: string }[];
  /** Names that WeCom already had (made there meanwhile) and that Siyu adopted instead of creating. */
  adopted: string[];
}

/**
 * Sends a create as the group and tags are now: the group by id once WeCom has it (else by name, which
 * WeCom also takes as "add to the group of that name"), and only the tags still without a WeCom id. A name
 * WeCom already has in the group (made in its admin console meanwhile) is adopted, not duplicated.
 */
async function sendAdd(ctx: SyncCtx, client: WecomClient, row: OutboxRow): Promise<Record<string, unknown>> {
  const key = parseAddKey(row.idemKey);
  if (!key) throw new Error(`not a tag create: ${row.idemKey}`);
  const { cdb } = ctx;
  const group = await cdb.db
    .selectFrom('tag_groups')
    .select(['name', 'wecom_group_id', 'sort_order'])
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', key.groupId)
    .executeTakeFirst();
  if (!group) return { skipped: 'the group was deleted in Siyu before it was sent' };
  const tags = await cdb.db
    .selectFrom('tags')
    .select(['id', 'name', 'sort_order'])
    .where('corp_id', '=', cdb.corpId)
    .where('id', 'in', key.tagIds)
    .where('wecom_tag_id', 'is', null)
    .orderBy('sort_order')
    .orderBy('id')
    .execute();
  if (tags.length === 0) return { skipped: 'nothing left to create' };
  const created = await createAdopting(client, group, tags);
  return { ...created } as unknown as Record<string, unknown>;
}

async function createAdopting(
  client: WecomClient,
  group: { name: string; wecom_group_id: string | null; sort_order: number },
  tags: { id: number; name: string; sort_order: number }[],
): Promise<Created> {
  const byName = (list: CorpTag[]) => (t: { id: number; name: string }) => {
    const w = list.find((x) => x.name === t.name && !x.deleted);
    return w ? [{ id: t.id, wecomId: w.id, name: t.name }] : [];
  };
  const tagList = (ts: typeof tags) => ts.map((t) => ({ name: t.name, order: wecomOrderOf(t.sort_order) }));
  let groupRef: { group_id: string } | { group_name: string; order: number } = group.wecom_group_id
    ? { group_id: group.wecom_group_id }
    : { group_name: group.name, order: wecomOrderOf(group.sort_order) };
  try {
    const { tag_group } = await client.addCorpTag({ ...groupRef, tag: tagList(tags) });
    return {
      groupId: tag_group.group_id,
      groupName: tag_group.group_name,
      tags: tags.flatMap(byName(tag_group.tag)),
      adopted: [],
    };
  } catch (err) {
    if (!(err instanceof WecomApiError)) throw err;
    if (err.errcode === INVALID_TAG && 'group_id' in groupRef) {
      // WeCom dropped the group (its last tag went): make it again by name.
      groupRef = { group_name: group.name, order: wecomOrderOf(group.sort_order) };
    } else if (err.errcode !== NAME_TAKEN) {
      throw err;
    }
  }
  const { tag_group: all } = await client.getCorpTagList(
    'group_id' in groupRef ? { group_id: [groupRef.group_id] } : {},
  );
  const existing = all.find((g) =>
    'group_id' in groupRef ? g.group_id === groupRef.group_id : g.group_name === groupRef.group_name,
  );
  const adopted = existing ? tags.flatMap(byName(existing.tag)) : [];
  const rest = tags.filter((t) => !adopted.some((a) => a.id === t.id));
  if (existing && rest.length === 0) {
    return {
      groupId: existing.group_id,
      groupName: existing.group_name,
      tags: adopted,
      adopted: adopted.map((a) => a.name),
    };
  }
  const { tag_group } = await client.addCorpTag({
    ...(existing ? { group_id: existing.group_id } : groupRef),
    tag: tagList(rest),
  });
  return {
    groupId: tag_group.group_id,
    groupName: tag_group.group_name,
    tags: [...adopted, ...rest.flatMap(byName(tag_group.tag))],
    adopted: adopted.map((a) => a.name),
  };
}

/**
 * A create is done: keep the WeCom ids. What changed in Siyu while it was on its way follows: a tag renamed
 * or reordered since is edited, one deleted since is deleted, and customers tagged before the tag reached
 * WeCom get it marked there.
 */
async function storeCreated(ctx: SyncCtx, row: OutboxRow, result: Record<string, unknown>): Promise<void> {
  const key = parseAddKey(row.idemKey);
  if (!key || typeof result.groupId !== 'string') return;
  const created = result as unknown as Created;
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    const group = await tx.db
      .selectFrom('tag_groups')
      .select(['id', 'wecom_group_id', 'name'])
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', key.groupId)
      .executeTakeFirst();
    const taken = await tx.db
      .selectFrom('tag_groups')
      .select('id')
      .where('corp_id', '=', tx.corpId)
      .where('wecom_group_id', '=', created.groupId)
      .executeTakeFirst();
    if (group && group.wecom_group_id !== created.groupId && !taken) {
      await tx.db
        .updateTable('tag_groups')
        .set({ wecom_group_id: created.groupId })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', group.id)
        .execute();
      // Renamed here while WeCom was creating it under the old name.
      if (group.name !== created.groupName) await pushEdit(tx, 'group', group.id, now);
    }
    const gone: string[] = [];
    const stored: number[] = [];
    for (const t of created.tags) {
      const updated = await tx.db
        .updateTable('tags')
        .set({ wecom_tag_id: t.wecomId })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', t.id)
        .where('wecom_tag_id', 'is', null)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('tags as o')
                .select('o.id')
                .where('o.corp_id', '=', tx.corpId)
                .where('o.wecom_tag_id', '=', t.wecomId),
            ),
          ),
        )
        .returning(['id', 'name'])
        .executeTakeFirst();
      if (updated) {
        stored.push(updated.id);
        if (updated.name !== t.name) await pushEdit(tx, 'tag', updated.id, now);
        continue;
      }
      const still = await tx.db
        .selectFrom('tags')
        .select('wecom_tag_id')
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', t.id)
        .executeTakeFirst();
      // Deleted here while the create was on its way: delete it there too (unless it was adopted).
      if (!still && !created.adopted.includes(t.name)) gone.push(t.wecomId);
    }
    await pushDelete(tx, { tagIds: gone }, now);
    if (stored.length)
      await publish({ ...ctx, cdb: tx }, [{ type: 'TagsReachedWecom', customerId: null, tagIds: stored }]);
  });
}

/** Deleting what WeCom no longer has is done. */
async function sendDelete(
  _ctx: SyncCtx,
  client: WecomClient,
  row: OutboxRow,
): Promise<Record<string, unknown>> {
  try {
    return (await client.delCorpTag(row.request)) as unknown as Record<string, unknown>;
  } catch (err) {
    if (err instanceof WecomApiError && err.errcode === INVALID_TAG) return { alreadyGone: true };
    throw err;
  }
}

export const tagOutboxEffects: OutboxEffects = {
  [ADD_CORP_TAG]: { send: sendAdd, onDone: storeCreated },
  [DEL_CORP_TAG]: { send: sendDelete },
};
