import { sql } from 'kysely';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import type { WecomClient } from '../../wecom/client.ts';
import { WecomApiError } from '../../wecom/errors.ts';
import { ADD_MOMENT_TASK } from '../../wecom/paths.ts';
import { MEDIA_REUSE_MARGIN_MS, uploadToWecom } from '../content/index.ts';
import { type Deps, type SyncCtx, syncCtxOf } from '../context.ts';
import type { OutboxEffects } from '../manifest.ts';
import { attachmentsOf, FOLLOW_MS, LIST_PAGE_MAX, listWindows, numbers, TASKS_PER_MINUTE } from './rules.ts';

export const MOMENTS_JOB = 'moments.publish-and-follow';
/** A published post's members, likes and comments are read again at most this often. */
export const FOLLOW_EVERY_MS = 15 * 60_000;
/** WeCom keeps a jobid 24 h: a job not done by then is lost. */
const JOB_TTL_MS = 86_400_000;
const OUTBOX_PREFIX = 'moments:post:';

const postIdOf = (row: { request: Record<string, unknown> }) => Number(row.request.postId);

/** The moments job: publishes what is due, then follows WeCom's jobs and the members' publishing. */
export async function runMomentsJob(deps: Deps): Promise<boolean> {
  const { rows: corps } = await sql<{ corp_id: string }>`
    select distinct corp_id from moment_posts
    where status in ('planned', 'publishing', 'submitted', 'published')`.execute(deps.db);
  for (const { corp_id } of corps) {
    const ctx = syncCtxOf(deps, corp_id);
    if ((await publishDue(ctx)) > 0) deps.wake.outbox();
    await failLostSends(ctx);
    const link = await deps.links.get(corp_id);
    if (link?.client) await followPosts(ctx, link.client);
  }
  return false;
}

/**
 * Planned posts whose time has come go to the outbox (one add_moment_task each, with its uploads), at most
 * TASKS_PER_MINUTE in any 60 s (WeCom's rate per corp, rather than its 45009): the others wait for the next
 * run, oldest first, their note saying why.
 */
export async function publishDue(ctx: SyncCtx): Promise<number> {
  const now = ctx.clock.now();
  return ctx.cdb.transaction(async (tx) => {
    const recent = await jobsDb(tx.db)
      .selectFrom('wecom_outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('corp_id', '=', tx.corpId)
      .where('kind', '=', ADD_MOMENT_TASK)
      .where('created_at', '>', new Date(now.getTime() - 60_000))
      .executeTakeFirstOrThrow();
    const budget = Math.max(0, TASKS_PER_MINUTE - Number(recent.n));
    const due = await tx.db
      .updateTable('moment_posts')
      .set({ status: 'publishing', updated_at: now })
      .where('corp_id', '=', tx.corpId)
      .where(
        'id',
        'in',
        tx.db
          .selectFrom('moment_posts')
          .select('id')
          .where('corp_id', '=', tx.corpId)
          .where('status', '=', 'planned')
          .where('planned_at', '<=', now)
          .orderBy('planned_at')
          .orderBy('id')
          .limit(budget),
      )
      .returning('id')
      .execute();
    await tx.db
      .updateTable('moment_posts')
      .set({
        schedule_note: sql<string>`'deferred|' || to_char(planned_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`,
      })
      .where('corp_id', '=', tx.corpId)
      .where('status', '=', 'planned')
      .where('planned_at', '<=', now)
      .where((eb) => eb.or([eb('schedule_note', 'is', null), eb('schedule_note', 'not like', 'deferred|%')]))
      .execute();
    for (const { id } of due) {
      await enqueueOutbox(
        jobsDb(tx.db),
        tx.corpId,
        { idemKey: `${OUTBOX_PREFIX}${id}`, lane: 'normal', kind: ADD_MOMENT_TASK, request: { postId: id } },
        now,
      );
    }
    return due.length;
  });
}

/** A post whose outbox row ended without success fails visibly, with WeCom's reason. */
async function failLostSends(ctx: SyncCtx) {
  const lost = await ctx.cdb.db
    .selectFrom('moment_posts as p')
    .innerJoin('wecom_outbox as o', (j) =>
      j
        .onRef('o.corp_id', '=', 'p.corp_id')
        .on('o.idem_key', '=', sql<string>`${OUTBOX_PREFIX} || p.id::text`),
    )
    .select(['p.id', 'o.status', 'o.errcode', 'o.last_error'])
    .where('p.corp_id', '=', ctx.cdb.corpId)
    .where('p.status', '=', 'publishing')
    .where('o.status', 'in', ['failed', 'expired', 'unknown'])
    .execute();
  for (const row of lost) {
    await markFailed(ctx, row.id, `${row.status}: ${row.errcode ?? ''} ${row.last_error ?? ''}`.trim());
  }
}

async function markFailed(ctx: SyncCtx, id: number, failure: string) {
  await ctx.cdb.db
    .updateTable('moment_posts')
    .set({ status: 'failed', failure: failure.slice(0, 500), updated_at: ctx.clock.now() })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
}

/**
 * Each media of a post as a WeCom media_id: uploaded once, reused while valid, then uploaded again. Moments
 * take only upload_attachment's ids (attachment_type 1, API-FACTS-2 §10), not the media/upload ids the
 * content library keeps for 群发, so the ids are kept here; the rules are the library's (3 days from WeCom's
 * created_at, reused only with 2 h left; a failed upload is a MediaError with the reason).
 */
async function mediaIdsOf(ctx: SyncCtx, client: WecomClient, mediaIds: number[]): Promise<string[]> {
  const out: string[] = [];
  for (const id of mediaIds) {
    const media = await ctx.cdb.db
      .selectFrom('moment_media')
      .selectAll()
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const now = ctx.clock.now();
    if (
      media.wecom_media_id &&
      media.wecom_expires_at &&
      media.wecom_expires_at.getTime() - now.getTime() > MEDIA_REUSE_MARGIN_MS
    ) {
      out.push(media.wecom_media_id);
      continue;
    }
    const { mediaId, expiresAt } = await uploadToWecom(
      media.file_name,
      () =>
        client.uploadAttachment(media.kind, {
          filename: media.file_name,
          contentType: media.content_type,
          data: media.bytes,
        }),
      now,
    );
    await ctx.cdb.db
      .updateTable('moment_media')
      .set({ wecom_media_id: mediaId, wecom_expires_at: expiresAt })
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', '=', id)
      .execute();
    out.push(mediaId);
  }
  return out;
}

/**
 * The moments' outbox call: uploads the post's media (upload_attachment), then add_moment_task with its
 * members and, when tags are chosen, the customers with those tags. A post no longer publishing is skipped.
 */
export const momentsOutboxEffects: OutboxEffects = {
  [ADD_MOMENT_TASK]: {
    async send(ctx, client, row) {
      const post = await ctx.cdb.db
        .selectFrom('moment_posts')
        .selectAll()
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', postIdOf(row))
        .executeTakeFirst();
      if (post?.status !== 'publishing') return { skipped: true };
      // an earlier attempt may have reached WeCom without its answer reaching Siyu (a timeout, a worker that
      // died): its Moment is looked for first, and a found one is taken as this post's, not made again
      if (row.attempts > 1 || row.outcomeLost) {
        const found = await sentMoment(ctx, client, post, row.id);
        if (found) return { moment_id: found, recovered: true };
      }
      const mediaIds = await mediaIdsOf(ctx, client, numbers(post.media_ids));
      const senderIds = numbers(post.sender_staff_ids);
      const senders = await ctx.cdb.db
        .selectFrom('staff')
        .select('userid')
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', 'in', senderIds.length ? senderIds : [0])
        .orderBy('userid')
        .execute();
      const tagIds = numbers(post.tag_ids);
      const tags = tagIds.length
        ? await ctx.cdb.db
            .selectFrom('tags')
            .select('wecom_tag_id')
            .where('corp_id', '=', ctx.cdb.corpId)
            .where('id', 'in', tagIds)
            .where('wecom_tag_id', 'is not', null)
            .execute()
        : [];
      const attachments = attachmentsOf(post.content_kind, mediaIds, {
        title: post.link_title,
        url: post.link_url,
      });
      try {
        const { jobid } = await client.addMomentTask({
          ...(post.body.trim() ? { text: { content: post.body } } : {}),
          ...(attachments.length ? { attachments } : {}),
          visible_range: {
            sender_list: { user_list: senders.map((s) => s.userid) },
            ...(tags.length ? { external_contact_list: { tag_list: tags.map((t) => t.wecom_tag_id!) } } : {}),
          },
        });
        return { jobid };
      } catch (err) {
        // WeCom no longer knows a kept media id (as the library's sends do): forget them, the retry uploads again
        const ids = numbers(post.media_ids);
        if (err instanceof WecomApiError && err.errcode === 40007 && ids.length) {
          await ctx.cdb.db
            .updateTable('moment_media')
            .set({ wecom_media_id: null, wecom_expires_at: null })
            .where('corp_id', '=', ctx.cdb.corpId)
            .where('id', 'in', ids)
            .execute();
          throw new WecomApiError(err.api, err.errcode, err.errmsg, { retryable: true });
        }
        throw err;
      }
    },
    async onDone(ctx, row, result) {
      // a jobid to follow, or, found after a lost answer, the Moment itself (no jobid)
      const followed =
        typeof result.moment_id === 'string'
          ? { moment_id: result.moment_id }
          : typeof result.jobid === 'string'
            ? { jobid: result.jobid }
            : null;
      if (!followed) return;
      await ctx.cdb.db
        .updateTable('moment_posts')
        .set({ status: 'submitted', ...followed, submitted_at: ctx.clock.now(), updated_at: ctx.clock.now() })
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', postIdOf(row))
        .where('status', '=', 'publishing')
        .execute();
    },
  },
};

type PostRow = {
  id: number;
  body: string;
  content_kind: string;
  media_ids: (number | string)[];
  link_title: string | null;
  link_url: string | null;
  sender_staff_ids: (number | string)[];
};

/**
 * The Moment an earlier attempt of this outbox row made, if WeCom has one: a corp Moment listed since the row
 * was made with the post's text and content, given only to the post's members, and not already another
 * post's. Null when there is none (then nothing reached WeCom, and the post is sent).
 */
async function sentMoment(
  ctx: SyncCtx,
  client: WecomClient,
  post: PostRow,
  outboxId: number,
): Promise<string | null> {
  const made = await jobsDb(ctx.cdb.db)
    .selectFrom('wecom_outbox')
    .select('created_at')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', outboxId)
    .executeTakeFirst();
  const now = ctx.clock.now().getTime();
  const fromS = Math.floor((made?.created_at ?? new Date(now)).getTime() / 1000) - 60;
  const candidates: string[] = [];
  const text = post.body.trim() ? post.body : '';
  const images = post.content_kind === 'images' ? numbers(post.media_ids).length : 0;
  for (const m of await listMoments(client, fromS, Math.floor(now / 1000) + 60)) {
    if ((m.text?.content ?? '') !== text) continue;
    if ((m.image?.length ?? 0) !== images) continue;
    if (Boolean(m.video) !== (post.content_kind === 'video')) continue;
    if (post.content_kind === 'link' && (m.link?.title !== post.link_title || m.link?.url !== post.link_url))
      continue;
    candidates.push(m.moment_id);
  }
  if (candidates.length === 0) return null;
  const taken = new Set(
    (
      await ctx.cdb.db
        .selectFrom('moment_posts')
        .select('moment_id')
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('moment_id', 'in', candidates)
        .execute()
    ).map((r) => r.moment_id),
  );
  const senderIds = numbers(post.sender_staff_ids);
  const senders = new Set(
    (
      await ctx.cdb.db
        .selectFrom('staff')
        .select('userid')
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', 'in', senderIds.length ? senderIds : [0])
        .execute()
    ).map((s) => s.userid),
  );
  for (const id of candidates) {
    if (taken.has(id)) continue;
    const tasks = await momentTasks(client, id);
    if (tasks.size > 0 && [...tasks.keys()].every((u) => senders.has(u))) return id;
  }
  return null;
}

/**
 * Follows WeCom's jobs of submitted posts, then the members' publishing of published ones (30 days), each at
 * most every FOLLOW_EVERY_MS; `onlyIds` narrows it to some posts.
 */
export async function followPosts(ctx: SyncCtx, client: WecomClient, onlyIds?: number[]): Promise<void> {
  const now = ctx.clock.now();
  const only = onlyIds ? (onlyIds.length ? onlyIds : [0]) : null;
  const submitted = await ctx.cdb.db
    .selectFrom('moment_posts')
    .select(['id', 'jobid', 'moment_id', 'submitted_at', 'sender_staff_ids'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('status', '=', 'submitted')
    .$if(only !== null, (q) => q.where('id', 'in', only!))
    .execute();
  for (const post of submitted) await followJob(ctx, client, post);

  const published = await ctx.cdb.db
    .selectFrom('moment_posts')
    .select(['id', 'moment_id', 'planned_at'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('status', '=', 'published')
    .$if(only !== null, (q) => q.where('id', 'in', only!))
    .where('published_at', '>', new Date(now.getTime() - FOLLOW_MS))
    .where((eb) =>
      eb.or([
        eb('followed_at', 'is', null),
        eb('followed_at', '<=', new Date(now.getTime() - FOLLOW_EVERY_MS)),
      ]),
    )
    .execute();
  if (published.length === 0) return;
  // WeCom made each Moment after its planned time (when it was taken from the outbox): list from the earliest
  const earliest = Math.min(...published.map((p) => p.planned_at.getTime()));
  const listed = new Set(
    (await listMoments(client, Math.floor(earliest / 1000) - 60, Math.floor(now.getTime() / 1000))).map(
      (m) => m.moment_id,
    ),
  );
  for (const post of published) {
    if (!post.moment_id) continue;
    if (!listed.has(post.moment_id)) {
      // get_moment_list leaves out deleted Moments: the post stays published, its counts as last read
      await ctx.cdb.db
        .updateTable('moment_posts')
        .set({ failure: 'deleted in WeCom', followed_at: now })
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', post.id)
        .execute();
      continue;
    }
    await followMembers(ctx, client, post.id, post.moment_id);
  }
}

async function followJob(
  ctx: SyncCtx,
  client: WecomClient,
  post: {
    id: number;
    jobid: string | null;
    moment_id: string | null;
    submitted_at: Date | null;
    sender_staff_ids: (number | string)[];
  },
) {
  const now = ctx.clock.now();
  let r: NonNullable<Awaited<ReturnType<WecomClient['getMomentTaskResult']>>['result']>;
  if (post.jobid) {
    let job: Awaited<ReturnType<WecomClient['getMomentTaskResult']>>;
    try {
      job = await client.getMomentTaskResult(post.jobid);
    } catch (err) {
      if (post.submitted_at && now.getTime() - post.submitted_at.getTime() > JOB_TTL_MS)
        await markFailed(ctx, post.id, `job lost: ${(err as Error).message}`);
      return;
    }
    if (job.status !== 3 || !job.result) return;
    r = job.result;
  } else if (post.moment_id) {
    // found in WeCom after a lost answer: its job is done
    r = { errcode: 0, errmsg: 'ok', moment_id: post.moment_id };
  } else return;
  const invalid = r.invalid_sender_list?.user_list ?? [];
  if (r.errcode !== 0 || !r.moment_id) {
    await markFailed(
      ctx,
      post.id,
      `${r.errcode} ${r.errmsg}${invalid.length ? ` (${invalid.join(', ')})` : ''}`,
    );
    return;
  }
  const tasks = await momentTasks(client, r.moment_id);
  const userids = [...new Set([...tasks.keys(), ...invalid])];
  const staff = userids.length
    ? await ctx.cdb.db
        .selectFrom('staff')
        .select(['id', 'userid'])
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('userid', 'in', userids)
        .execute()
    : [];
  const staffOf = new Map(staff.map((s) => [s.userid, s.id]));
  await ctx.cdb.transaction(async (tx) => {
    if (userids.length) {
      await tx.db
        .insertInto('moment_post_members')
        .values(
          userids.map((userid) => ({
            corp_id: tx.corpId,
            post_id: post.id,
            userid,
            staff_id: staffOf.get(userid) ?? null,
            status: tasks.has(userid) ? (tasks.get(userid) ? 'published' : 'pending') : 'invalid',
          })),
        )
        .onConflict((oc) => oc.columns(['corp_id', 'post_id', 'userid']).doNothing())
        .execute();
    }
    await tx.db
      .updateTable('moment_posts')
      .set({ status: 'published', moment_id: r.moment_id!, published_at: now, updated_at: now })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', post.id)
      .execute();
  });
}

/** get_moment_task, all pages: each member given the task, and whether they published it. */
async function momentTasks(client: WecomClient, momentId: string): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const res = await client.getMomentTask({
      moment_id: momentId,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    for (const t of res.task_list) out.set(t.userid, t.publish_status === 1);
    if (!res.next_cursor) break;
    cursor = res.next_cursor;
  }
  return out;
}

/** The corp Moments WeCom still lists over [from, to]: windows of ≤30 days, pages of ≤20. */
async function listMoments(client: WecomClient, fromS: number, toS: number) {
  const out: Awaited<ReturnType<WecomClient['getMomentList']>>['moment_list'] = [];
  for (const [start_time, end_time] of listWindows(fromS, toS)) {
    let cursor: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await client.getMomentList({
        start_time,
        end_time,
        filter_type: 0,
        limit: LIST_PAGE_MAX,
        ...(cursor ? { cursor } : {}),
      });
      out.push(...res.moment_list);
      if (!res.next_cursor) break;
      cursor = res.next_cursor;
    }
  }
  return out;
}

/** Each member's publishing, the customers who can see it, and its likes and comments (who and when). */
async function followMembers(ctx: SyncCtx, client: WecomClient, postId: number, momentId: string) {
  const now = ctx.clock.now();
  const tasks = await momentTasks(client, momentId);
  for (const [userid, published] of tasks) {
    let visible = 0;
    let likes = 0;
    let comments = 0;
    if (published) {
      let cursor: string | undefined;
      for (let page = 0; page < 1000; page++) {
        const res = await client.getMomentSendResult({
          moment_id: momentId,
          userid,
          limit: 5000,
          ...(cursor ? { cursor } : {}),
        });
        visible += res.customer_list.length;
        if (!res.next_cursor) break;
        cursor = res.next_cursor;
      }
      const reactions = await client.getMomentComments({ moment_id: momentId, userid });
      likes = reactions.like_list?.length ?? 0;
      comments = reactions.comment_list?.length ?? 0;
    }
    await ctx.cdb.db
      .updateTable('moment_post_members')
      .set({
        status: published ? 'published' : 'pending',
        visible_count: visible,
        likes,
        comments,
        polled_at: now,
      })
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('post_id', '=', postId)
      .where('userid', '=', userid)
      .execute();
  }
  await ctx.cdb.db
    .updateTable('moment_posts')
    .set({ followed_at: now })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', postId)
    .execute();
}
