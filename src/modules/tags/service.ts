import { AppError, notFound } from '../../platform/http/errors.ts';
import { ADD_CORP_TAG, DEL_CORP_TAG, EDIT_CORP_TAG } from '../../wecom/paths.ts';
import type { Ctx } from '../context.ts';
import { type Audience, audiencesOf } from './audience.ts';
import { pushDelete, pushEdit, pushNewTags } from './push.ts';
import { dropGroups, dropTags } from './sync.ts';

/** WeCom's cap on corp tags (API-FACTS §3: 10,000 in current docs); Siyu keeps to it. */
export const CORP_TAG_CAP = 10_000;

export type SyncState = 'pending' | 'synced' | 'failed' | 'local';

/** A group's or tag's sync with WeCom, from the outbox row of its latest change (its sync_key). */
function syncOf(
  wecomId: string | null,
  row: { status: string | null; last_error: string | null; errcode: number | null },
): { sync: SyncState; syncError: { errcode: number | null; message: string } | null } {
  if (row.status === 'pending') return { sync: 'pending', syncError: null };
  // unknown: an attempt's answer was lost and a later one failed; its message says the first may have worked
  if (row.status === 'failed' || row.status === 'expired' || row.status === 'unknown') {
    return { sync: 'failed', syncError: { errcode: row.errcode, message: row.last_error ?? '' } };
  }
  return { sync: wecomId ? 'synced' : 'local', syncError: null };
}

const editorOnly = (ctx: Ctx) => {
  if (ctx.actor.role !== 'hq_admin') throw new AppError('forbidden');
};

/** Corp tag groups with their tags, as the caller's role sees them (tag views per role), with sync states. */
export async function listTagGroups(ctx: Ctx) {
  const { cdb } = ctx;
  const groups = await cdb.db
    .selectFrom('tag_groups as g')
    .leftJoin('wecom_outbox as o', (j) =>
      j.onRef('o.corp_id', '=', 'g.corp_id').onRef('o.idem_key', '=', 'g.sync_key'),
    )
    .select(['g.id', 'g.name', 'g.audience', 'g.wecom_group_id', 'o.status', 'o.last_error', 'o.errcode'])
    .where('g.corp_id', '=', cdb.corpId)
    .where('g.audience', 'in', [...audiencesOf(ctx.actor.role)])
    .orderBy('g.sort_order')
    .orderBy('g.id')
    .execute();
  const tags = groups.length
    ? await cdb.db
        .selectFrom('tags as t')
        .leftJoin('wecom_outbox as o', (j) =>
          j.onRef('o.corp_id', '=', 't.corp_id').onRef('o.idem_key', '=', 't.sync_key'),
        )
        .select(['t.id', 't.name', 't.group_id', 't.wecom_tag_id', 'o.status', 'o.last_error', 'o.errcode'])
        .where('t.corp_id', '=', cdb.corpId)
        .where(
          't.group_id',
          'in',
          groups.map((g) => g.id),
        )
        .orderBy('t.sort_order')
        .orderBy('t.id')
        .execute()
    : [];
  return groups.map((g) => ({
    id: g.id,
    name: g.name,
    audience: g.audience,
    ...syncOf(g.wecom_group_id, g),
    tags: tags
      .filter((t) => t.group_id === g.id)
      .map((t) => ({ id: t.id, name: t.name, ...syncOf(t.wecom_tag_id, t) })),
  }));
}

/** The latest WeCom calls about corp tags that failed (a failed delete has no group or tag left to show it). */
export async function listTagSyncFailures(ctx: Ctx) {
  editorOnly(ctx);
  const rows = await ctx.cdb.db
    .selectFrom('wecom_outbox')
    .select(['id', 'kind', 'request', 'errcode', 'last_error', 'done_at'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('kind', 'in', [ADD_CORP_TAG, EDIT_CORP_TAG, DEL_CORP_TAG])
    .where('status', 'in', ['failed', 'expired', 'unknown'])
    .orderBy('id', 'desc')
    .limit(10)
    .execute();
  const actions = { [ADD_CORP_TAG]: 'create', [EDIT_CORP_TAG]: 'edit', [DEL_CORP_TAG]: 'delete' } as const;
  return rows.map((f) => ({
    id: f.id,
    action: actions[f.kind as keyof typeof actions],
    what: describeRequest(f.request),
    errcode: f.errcode,
    error: f.last_error ?? '',
    at: f.done_at?.toISOString() ?? null,
  }));
}

function describeRequest(r: Record<string, unknown>): string {
  const names = Array.isArray(r.tag) ? (r.tag as { name: string }[]).map((t) => t.name) : [];
  if (names.length)
    return `${typeof r.group_name === 'string' ? `${r.group_name} / ` : ''}${names.join('、')}`;
  if (typeof r.name === 'string') return r.name;
  const ids = [...((r.tag_id as string[]) ?? []), ...((r.group_id as string[]) ?? [])];
  return ids.join(', ');
}

async function assertCapacity(ctx: Ctx, adding: number): Promise<void> {
  const { n } = await ctx.cdb.db
    .selectFrom('tags')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('corp_id', '=', ctx.cdb.corpId)
    .executeTakeFirstOrThrow();
  if (Number(n) + adding > CORP_TAG_CAP) {
    throw new AppError('bad_request', {
      zh: `企业标签最多 ${CORP_TAG_CAP} 个（企业微信的上限）`,
      en: `A brand has at most ${CORP_TAG_CAP} corp tags (WeCom's limit)`,
    });
  }
}

const duplicate = (what: string) =>
  new AppError('conflict', {
    zh: `已有同名${what.split('|')[0]}`,
    en: `A ${what.split('|')[1]} of that name exists`,
  });

async function groupOr404(ctx: Ctx, id: number) {
  const g = await ctx.cdb.db
    .selectFrom('tag_groups')
    .selectAll()
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!g) throw notFound({ zh: '标签组', en: 'Tag group' });
  return g;
}

async function tagOr404(ctx: Ctx, id: number) {
  const t = await ctx.cdb.db
    .selectFrom('tags')
    .selectAll()
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!t) throw notFound({ zh: '标签', en: 'Tag' });
  return t;
}

async function groupNameFree(ctx: Ctx, name: string, except?: number) {
  const clash = await ctx.cdb.db
    .selectFrom('tag_groups')
    .select('id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('name', '=', name)
    .$if(except !== undefined, (q) => q.where('id', '<>', except!))
    .executeTakeFirst();
  if (clash) throw duplicate('标签组|tag group');
}

async function tagNamesFree(ctx: Ctx, groupId: number, names: string[], except?: number) {
  if (new Set(names).size !== names.length) throw duplicate('标签|tag');
  const clash = await ctx.cdb.db
    .selectFrom('tags')
    .select('id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('group_id', '=', groupId)
    .where('name', 'in', names)
    .$if(except !== undefined, (q) => q.where('id', '<>', except!))
    .executeTakeFirst();
  if (clash) throw duplicate('标签|tag');
}

/** A new group with its first tags (WeCom keeps no empty group: it is created there with its tags). */
export async function createTagGroup(ctx: Ctx, input: { name: string; audience: Audience; tags: string[] }) {
  editorOnly(ctx);
  await groupNameFree(ctx, input.name);
  await tagNamesFree(ctx, -1, input.tags);
  await assertCapacity(ctx, input.tags.length);
  const now = ctx.clock.now();
  return ctx.cdb.transaction(async (tx) => {
    // New groups and tags go last (WeCom: order 0 sorts after higher orders, then by creation).
    const { id } = await tx.db
      .insertInto('tag_groups')
      .values({ corp_id: tx.corpId, name: input.name, audience: input.audience, wecom_group_id: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const tagIds = await insertTags(tx, id, input.tags);
    await pushNewTags(tx, id, tagIds, now);
    return { id };
  });
}

async function insertTags(tx: Ctx['cdb'], groupId: number, names: string[]): Promise<number[]> {
  if (names.length === 0) return [];
  const rows = await tx.db
    .insertInto('tags')
    .values(names.map((name) => ({ corp_id: tx.corpId, group_id: groupId, name, wecom_tag_id: null })))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

export async function addTags(ctx: Ctx, groupId: number, names: string[]) {
  editorOnly(ctx);
  await groupOr404(ctx, groupId);
  await tagNamesFree(ctx, groupId, names);
  await assertCapacity(ctx, names.length);
  return ctx.cdb.transaction(async (tx) => {
    const ids = await insertTags(tx, groupId, names);
    await pushNewTags(tx, groupId, ids, ctx.clock.now());
    return { ids };
  });
}

export async function updateTagGroup(ctx: Ctx, id: number, input: { name?: string; audience?: Audience }) {
  editorOnly(ctx);
  const g = await groupOr404(ctx, id);
  if (input.name !== undefined && input.name !== g.name) await groupNameFree(ctx, input.name, id);
  await ctx.cdb.transaction(async (tx) => {
    await tx.db
      .updateTable('tag_groups')
      .set({ name: input.name ?? g.name, audience: input.audience ?? g.audience })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    // The audience is Siyu's own; only a new name goes to WeCom.
    if (input.name !== undefined && input.name !== g.name) await pushEdit(tx, 'group', id, ctx.clock.now());
  });
}

export async function renameTag(ctx: Ctx, id: number, name: string) {
  editorOnly(ctx);
  const t = await tagOr404(ctx, id);
  if (name === t.name) return;
  await tagNamesFree(ctx, t.group_id, [name], id);
  await ctx.cdb.transaction(async (tx) => {
    await tx.db
      .updateTable('tags')
      .set({ name })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    await pushEdit(tx, 'tag', id, ctx.clock.now());
  });
}

/** Puts groups (or one group's tags) in this order: WeCom gets the new `order` of each one that moved. */
export async function reorder(ctx: Ctx, what: { groups: number[] } | { groupId: number; tags: number[] }) {
  editorOnly(ctx);
  const { cdb } = ctx;
  const isGroups = 'groups' in what;
  const ids = isGroups ? what.groups : what.tags;
  const current = isGroups
    ? await cdb.db
        .selectFrom('tag_groups')
        .select(['id', 'sort_order'])
        .where('corp_id', '=', cdb.corpId)
        .execute()
    : await cdb.db
        .selectFrom('tags')
        .select(['id', 'sort_order'])
        .where('corp_id', '=', cdb.corpId)
        .where('group_id', '=', (await groupOr404(ctx, what.groupId)).id)
        .execute();
  const sortOf = new Map(current.map((c) => [c.id, c.sort_order]));
  if (ids.length !== current.length || new Set(ids).size !== ids.length || !ids.every((i) => sortOf.has(i))) {
    throw new AppError('bad_request', {
      zh: '排序须恰好列出每一项一次',
      en: 'The order must list every item exactly once',
    });
  }
  const now = ctx.clock.now();
  await cdb.transaction(async (tx) => {
    for (const [i, id] of ids.entries()) {
      const sortOrder = -(ids.length - i); // WeCom sorts a higher order first: n … 1
      if (sortOf.get(id) === sortOrder) continue;
      await tx.db
        .updateTable(isGroups ? 'tag_groups' : 'tags')
        .set({ sort_order: sortOrder })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', id)
        .execute();
      await pushEdit(tx, isGroups ? 'group' : 'tag', id, now);
    }
  });
}

export async function deleteTagGroup(ctx: Ctx, id: number) {
  editorOnly(ctx);
  const g = await groupOr404(ctx, id);
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    await dropGroups({ ...ctx, cdb: tx }, [id], { where: 'siyu', at: now });
    if (g.wecom_group_id) await pushDelete(tx, { groupIds: [g.wecom_group_id] }, now);
  });
}

export async function deleteTag(ctx: Ctx, id: number) {
  editorOnly(ctx);
  const t = await tagOr404(ctx, id);
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    await dropTags({ ...ctx, cdb: tx }, [id], { where: 'siyu', at: now });
    if (!t.wecom_tag_id) return;
    await pushDelete(tx, { tagIds: [t.wecom_tag_id] }, now);
    // WeCom drops a group with no tag left: a new tag here then makes it again (by name).
    const left = await tx.db
      .selectFrom('tags')
      .select('id')
      .where('corp_id', '=', tx.corpId)
      .where('group_id', '=', t.group_id)
      .where('wecom_tag_id', 'is not', null)
      .executeTakeFirst();
    if (!left) {
      await tx.db
        .updateTable('tag_groups')
        .set({ wecom_group_id: null, sync_key: null })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', t.group_id)
        .execute();
    }
  });
}
