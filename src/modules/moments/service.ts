import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { assertUnitInScope, subtreeUnitIds } from '../org/index.ts';
import type { Persona } from '../staff/index.ts';
import { contentProblem, MEDIA_MAX_BYTES, numbers, SPREAD_MAX_MINUTES, TASKS_PER_MINUTE } from './rules.ts';
import type { Axis, MemberStatus, MomentContentKind, PostStatus } from './schema.ts';

/**
 * Planned Moments: HQ plans for everyone, a store manager for their stores. A post is seen (and edited while
 * planned) by the accounts whose subtree holds the unit it was planned in; elsewhere it does not exist (404).
 */

export interface PostInput {
  unitId?: number;
  axis: Axis;
  title: string;
  body: string;
  kind: MomentContentKind;
  mediaIds: number[];
  linkTitle?: string | null;
  linkUrl?: string | null;
  senderStaffIds: number[];
  tagIds: number[];
  plannedAt: string;
}

const POST_NOT_FOUND = { zh: '朋友圈计划', en: 'Moments post' };
const bad = (p: { zh: string; en: string }) => new AppError('bad_request', p);

function sees(ctx: Ctx, unitId: number): boolean {
  return ctx.actor.seesWholeCorp || ctx.actor.unitIds.includes(unitId);
}

/* ---------- media ---------- */

const MEDIA_TYPES = { 'image/jpeg': 'image', 'image/png': 'image', 'video/mp4': 'video' } as const;
export type MediaType = keyof typeof MEDIA_TYPES;
export const MEDIA_CONTENT_TYPES = Object.keys(MEDIA_TYPES) as MediaType[];

/** Keeps an image or a video for Moments in the caller's unit; it is uploaded to WeCom when a post is sent. */
export async function saveMedia(
  ctx: Ctx,
  input: { fileName: string; contentType: MediaType; bytes: Uint8Array; unitId?: number },
) {
  const unitId = input.unitId ?? ctx.actor.unitId;
  assertUnitInScope(ctx.actor, unitId);
  if (input.bytes.byteLength === 0) throw bad({ zh: '文件为空', en: 'The file is empty' });
  if (input.bytes.byteLength > MEDIA_MAX_BYTES)
    throw new AppError('payload_too_large', { zh: '文件最大 10 MB', en: 'A file is at most 10 MB' });
  const kind = MEDIA_TYPES[input.contentType];
  const row = await ctx.cdb.db
    .insertInto('moment_media')
    .values({
      corp_id: ctx.cdb.corpId,
      unit_id: unitId,
      kind,
      file_name: input.fileName,
      content_type: input.contentType,
      bytes: input.bytes,
      size: input.bytes.byteLength,
      created_by: ctx.actor.accountId,
      created_at: ctx.clock.now(),
    })
    .returning(['id', 'kind', 'file_name', 'size'])
    .executeTakeFirstOrThrow();
  return { id: row.id, kind: row.kind, fileName: row.file_name, size: row.size };
}

/** A media file the caller sees (for previews), or 404. */
export async function getMedia(ctx: Ctx, id: number) {
  const row = await ctx.cdb.db
    .selectFrom('moment_media')
    .select(['unit_id', 'content_type', 'bytes'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row || !sees(ctx, row.unit_id)) throw notFound({ zh: '素材', en: 'Media' });
  return { contentType: row.content_type, bytes: Buffer.from(row.bytes) };
}

/* ---------- posts ---------- */

async function checked(ctx: Ctx, input: PostInput, unitId: number) {
  const media = input.mediaIds.length
    ? await ctx.cdb.db
        .selectFrom('moment_media')
        .select(['id', 'kind', 'unit_id'])
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', 'in', input.mediaIds)
        .execute()
    : [];
  const byId = new Map(media.filter((m) => sees(ctx, m.unit_id)).map((m) => [m.id, m]));
  const missing = input.mediaIds.filter((id) => !byId.has(id));
  if (missing.length)
    throw bad({ zh: `素材 ${missing.join(', ')} 不存在`, en: `Media ${missing.join(', ')} not found` });
  const problem = contentProblem({
    kind: input.kind,
    body: input.body,
    media: input.mediaIds.map((id) => ({ id, kind: byId.get(id)!.kind })),
    linkTitle: input.linkTitle,
    linkUrl: input.linkUrl,
  });
  if (problem) throw bad(problem);

  const senderIds = [...new Set(input.senderStaffIds)];
  if (senderIds.length === 0) throw bad({ zh: '请选择发表的成员', en: 'Choose the members who post it' });
  const staff = await ctx.cdb.db
    .selectFrom('staff')
    .select(['id', 'unit_id', 'status'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', 'in', senderIds)
    .execute();
  // the members of the unit planned in and its subtree (within the caller's scope)
  const unitSubtree = new Set(await subtreeUnitIds(ctx.cdb, unitId));
  const ok = new Set(
    staff
      .filter((s) => s.status === 'active' && sees(ctx, s.unit_id) && unitSubtree.has(s.unit_id))
      .map((s) => s.id),
  );
  const outside = senderIds.filter((id) => !ok.has(id));
  if (outside.length)
    throw bad({
      zh: `成员 ${outside.join(', ')} 不存在、已停用或不在所选单元及你的范围内`,
      en: `Members ${outside.join(', ')} do not exist, are disabled or are outside the unit chosen or your scope`,
    });

  const tagIds = [...new Set(input.tagIds)];
  if (tagIds.length) {
    const tags = await ctx.cdb.db
      .selectFrom('tags')
      .select(['id', 'wecom_tag_id'])
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', 'in', tagIds)
      .execute();
    const synced = new Set(tags.filter((t) => t.wecom_tag_id).map((t) => t.id));
    const unsynced = tagIds.filter((id) => !synced.has(id));
    if (unsynced.length)
      throw bad({
        zh: `标签 ${unsynced.join(', ')} 不存在或尚未同步到企业微信`,
        en: `Tags ${unsynced.join(', ')} do not exist or are not in WeCom yet`,
      });
  }
  const plannedAt = new Date(input.plannedAt);
  if (plannedAt.getTime() < ctx.clock.now().getTime() - 60_000)
    throw bad({ zh: '计划时间已过', en: 'The planned time is in the past' });
  return {
    unit_id: unitId,
    axis: input.axis,
    title: input.title.trim(),
    body: input.body,
    content_kind: input.kind,
    media_ids: input.mediaIds,
    link_title: input.kind === 'link' ? (input.linkTitle?.trim() ?? null) : null,
    link_url: input.kind === 'link' ? (input.linkUrl ?? null) : null,
    sender_staff_ids: senderIds,
    tag_ids: tagIds,
    planned_at: plannedAt,
  };
}

/**
 * The planned time a post gets: WeCom takes at most 10 add_moment_task a minute per corp, so a minute that
 * already holds 10 planned posts (of any unit) moves it to the next minute with room, and the note says so
 * (`spread|<the time asked>`). Past SPREAD_MAX_MINUTES of full minutes it is refused.
 */
async function slotFor(ctx: Ctx, asked: Date, exceptId?: number) {
  const minute = (d: Date) => Math.floor(d.getTime() / 60_000);
  const first = minute(asked);
  const rows = await ctx.cdb.db
    .selectFrom('moment_posts')
    .select(sql<number>`floor(extract(epoch from planned_at) / 60)::bigint`.as('minute'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('status', '=', 'planned')
    .where('planned_at', '>=', new Date(first * 60_000))
    .where('planned_at', '<', new Date((first + SPREAD_MAX_MINUTES + 1) * 60_000))
    .$if(exceptId !== undefined, (q) => q.where('id', '!=', exceptId!))
    .groupBy(sql`1`)
    .execute();
  const taken = new Map(rows.map((r) => [Number(r.minute), Number(r.n)]));
  for (let m = first; m <= first + SPREAD_MAX_MINUTES; m++) {
    if ((taken.get(m) ?? 0) < TASKS_PER_MINUTE) {
      if (m === first) return { planned_at: asked, schedule_note: null };
      return { planned_at: new Date(m * 60_000), schedule_note: `spread|${asked.toISOString()}` };
    }
  }
  throw new AppError('conflict', {
    zh: `企业微信每分钟最多创建 ${TASKS_PER_MINUTE} 条朋友圈，之后 ${SPREAD_MAX_MINUTES} 分钟都已排满，请换个时间`,
    en: `WeCom takes at most ${TASKS_PER_MINUTE} Moments a minute, and the next ${SPREAD_MAX_MINUTES} minutes are full: choose another time`,
  });
}

/** Plans a post in the caller's unit (or a unit of their subtree). */
export async function createPost(ctx: Ctx, input: PostInput, wake?: () => void) {
  const unitId = input.unitId ?? ctx.actor.unitId;
  assertUnitInScope(ctx.actor, unitId);
  const values = await checked(ctx, input, unitId);
  const slot = await slotFor(ctx, values.planned_at);
  const now = ctx.clock.now();
  const { id } = await ctx.cdb.db
    .insertInto('moment_posts')
    .values({
      corp_id: ctx.cdb.corpId,
      ...values,
      ...slot,
      created_by: ctx.actor.accountId,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  wake?.();
  return getPost(ctx, id);
}

async function ownPost(ctx: Ctx, id: number) {
  const post = await ctx.cdb.db
    .selectFrom('moment_posts')
    .selectAll()
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!post || !sees(ctx, post.unit_id)) throw notFound(POST_NOT_FOUND);
  return post;
}

function stillPlanned(status: PostStatus) {
  if (status !== 'planned')
    throw new AppError('conflict', {
      zh: '只有待发布的朋友圈可以修改或取消',
      en: 'Only a planned post can be changed or cancelled',
    });
}

/** Changes a planned post (its unit stays). */
export async function updatePost(ctx: Ctx, id: number, input: PostInput, wake?: () => void) {
  const post = await ownPost(ctx, id);
  stillPlanned(post.status);
  const values = await checked(ctx, input, post.unit_id);
  const slot = await slotFor(ctx, values.planned_at, id);
  const res = await ctx.cdb.db
    .updateTable('moment_posts')
    .set({ ...values, ...slot, updated_at: ctx.clock.now() })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .where('status', '=', 'planned')
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) stillPlanned('publishing');
  wake?.();
  return getPost(ctx, id);
}

export async function cancelPost(ctx: Ctx, id: number) {
  const post = await ownPost(ctx, id);
  stillPlanned(post.status);
  await ctx.cdb.db
    .updateTable('moment_posts')
    .set({ status: 'cancelled', updated_at: ctx.clock.now() })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .where('status', '=', 'planned')
    .execute();
  return getPost(ctx, id);
}

interface Totals {
  memberCount: number;
  publishedCount: number;
  visible: number;
  likes: number;
  comments: number;
}

async function totalsOf(ctx: Ctx, postIds: number[]): Promise<Map<number, Totals>> {
  if (postIds.length === 0) return new Map();
  const rows = await ctx.cdb.db
    .selectFrom('moment_post_members')
    .select((eb) => [
      'post_id',
      eb.fn.countAll<number>().as('memberCount'),
      sql<number>`count(*) filter (where status = 'published')::int`.as('publishedCount'),
      sql<number>`coalesce(sum(visible_count), 0)::int`.as('visible'),
      sql<number>`coalesce(sum(likes), 0)::int`.as('likes'),
      sql<number>`coalesce(sum(comments), 0)::int`.as('comments'),
    ])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('post_id', 'in', postIds)
    .where('status', '!=', 'invalid')
    .groupBy('post_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.post_id), { ...r, memberCount: Number(r.memberCount) }]));
}

const NO_TOTALS: Totals = { memberCount: 0, publishedCount: 0, visible: 0, likes: 0, comments: 0 };

type PostRow = Awaited<ReturnType<typeof ownPost>>;
function summary(p: PostRow & { unit_name: string }, totals: Totals | undefined) {
  return {
    id: p.id,
    unitId: p.unit_id,
    unitName: p.unit_name,
    axis: p.axis,
    title: p.title,
    body: p.body,
    kind: p.content_kind,
    mediaIds: numbers(p.media_ids),
    linkTitle: p.link_title,
    linkUrl: p.link_url,
    senderStaffIds: numbers(p.sender_staff_ids),
    tagIds: numbers(p.tag_ids),
    plannedAt: p.planned_at.toISOString(),
    status: p.status,
    failure: p.failure,
    scheduleNote: noteOf(p.schedule_note),
    publishedAt: p.published_at?.toISOString() ?? null,
    ...(totals ?? NO_TOTALS),
  };
}

/**
 * Why the time moved (`spread`: the minute asked, `from`, was full) or the publishing waited (`deferred`:
 * the minute's 10 were taken when it was due, `from` is when it was due).
 */
function noteOf(note: string | null): { kind: 'spread' | 'deferred'; from: string } | null {
  const [kind, from] = (note ?? '').split('|');
  return (kind === 'spread' || kind === 'deferred') && from ? { kind, from } : null;
}

const MAX_RANGE_DAYS = 62;

/** The posts planned in [from, to) that the caller sees (a calendar month and its edges), by planned time. */
export async function listPosts(ctx: Ctx, q: { from: string; to: string; axis?: Axis; unitId?: number }) {
  const from = new Date(q.from);
  const to = new Date(q.to);
  if (!(to > from) || to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000)
    throw bad({
      zh: `时间范围须在 ${MAX_RANGE_DAYS} 天内`,
      en: `The range is at most ${MAX_RANGE_DAYS} days`,
    });
  if (q.unitId !== undefined) assertUnitInScope(ctx.actor, q.unitId);
  let query = ctx.cdb.db
    .selectFrom('moment_posts as p')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'p.corp_id').onRef('u.id', '=', 'p.unit_id'),
    )
    .selectAll('p')
    .select('u.name as unit_name')
    .where('p.corp_id', '=', ctx.cdb.corpId)
    .where('p.planned_at', '>=', from)
    .where('p.planned_at', '<', to)
    .where('p.status', '!=', 'cancelled');
  if (!ctx.actor.seesWholeCorp) query = query.where('p.unit_id', 'in', [...ctx.actor.unitIds]);
  if (q.unitId !== undefined) query = query.where('p.unit_id', '=', q.unitId);
  if (q.axis) query = query.where('p.axis', '=', q.axis);
  const posts = await query.orderBy('p.planned_at').orderBy('p.id').limit(1000).execute();
  const totals = await totalsOf(
    ctx,
    posts.map((p) => p.id),
  );
  return { items: posts.map((p) => summary(p, totals.get(p.id))) };
}

/** One post with each member's publishing status and counts, or 404 outside the caller's scope. */
export async function getPost(ctx: Ctx, id: number) {
  const post = await ownPost(ctx, id);
  const unit = await ctx.cdb.db
    .selectFrom('org_units')
    .select('name')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', post.unit_id)
    .executeTakeFirstOrThrow();
  const totals = await totalsOf(ctx, [id]);
  const members = await ctx.cdb.db
    .selectFrom('moment_post_members as m')
    .leftJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'm.corp_id').onRef('s.id', '=', 'm.staff_id'))
    .select([
      'm.userid',
      'm.staff_id',
      'm.status',
      'm.visible_count',
      'm.likes',
      'm.comments',
      's.name',
      's.persona',
    ])
    .where('m.corp_id', '=', ctx.cdb.corpId)
    .where('m.post_id', '=', id)
    .orderBy('m.userid')
    .execute();
  const senderIds = numbers(post.sender_staff_ids);
  const senders = await ctx.cdb.db
    .selectFrom('staff')
    .select(['id', 'name', 'persona', 'userid'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', 'in', senderIds.length ? senderIds : [0])
    .execute();
  const tagIds = numbers(post.tag_ids);
  const tags = await ctx.cdb.db
    .selectFrom('tags')
    .select(['id', 'name'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', 'in', tagIds.length ? tagIds : [0])
    .execute();
  return {
    ...summary({ ...post, unit_name: unit.name }, totals.get(id)),
    senders: senders.map((s) => ({
      id: s.id,
      name: s.name,
      persona: s.persona as Persona,
      userid: s.userid,
    })),
    tags: tags.map((t) => ({ id: t.id, name: t.name })),
    members: members.map((m) => ({
      userid: m.userid,
      staffId: m.staff_id,
      name: m.name ?? m.userid,
      persona: (m.persona ?? null) as Persona | null,
      status: m.status as MemberStatus,
      visible: m.visible_count,
      likes: m.likes,
      comments: m.comments,
    })),
  };
}

/** The members a caller may choose to post, filtered by persona and unit (with its subtree). */
export async function listSenders(ctx: Ctx, q: { persona?: Persona; unitId?: number }) {
  if (q.unitId !== undefined) assertUnitInScope(ctx.actor, q.unitId);
  let query = ctx.cdb.db
    .selectFrom('staff as s')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
    )
    .select(['s.id', 's.userid', 's.name', 's.persona', 's.persona_name', 's.unit_id', 'u.name as unit_name'])
    .where('s.corp_id', '=', ctx.cdb.corpId)
    .where('s.status', '=', 'active');
  if (!ctx.actor.seesWholeCorp) query = query.where('s.unit_id', 'in', [...ctx.actor.unitIds]);
  if (q.persona) query = query.where('s.persona', '=', q.persona);
  if (q.unitId !== undefined) {
    const sub = await subtreeUnitIds(ctx.cdb, q.unitId);
    query = query.where('s.unit_id', 'in', sub.length ? sub : [0]);
  }
  const rows = await query.orderBy('s.unit_id').orderBy('s.name').limit(2000).execute();
  return {
    items: rows.map((r) => ({
      id: r.id,
      userid: r.userid,
      name: r.name,
      persona: r.persona as Persona,
      personaName: r.persona_name,
      unitId: r.unit_id,
      unitName: r.unit_name,
    })),
  };
}
