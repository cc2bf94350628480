import { z } from 'zod';
import { chars, int, page, parseApi } from './api-input.ts';
import { findCustomer, findFollow, followsByUser } from './contacts.ts';
import { activeMembers, memberOr404, membersOfParties } from './directory.ts';
import { conflict, notFound, WecomError } from './errors.ts';
import type { CorpState } from './model.ts';
import type { Simulator } from './state.ts';
import { findTag } from './tags.ts';

/**
 * 客户朋友圈 (API-FACTS-2 §10): media/upload_attachment, add_moment_task (an async job), get_moment_task_result,
 * get_moment_list (≤20 per page, ≤30 days), get_moment_task, get_moment_customer_list, get_moment_send_result
 * and get_moment_comments (who and when, never the text). Members publish and customers like or comment
 * through control scenarios.
 */

export interface SimMedia {
  media_id: string;
  type: 'image' | 'video' | 'file';
  /** 1 朋友圈, 2 商品图册. */
  attachment_type: 1 | 2;
  size: number;
  filename: string;
  created_at: number;
}

export interface MomentInteraction {
  userid?: string;
  external_userid?: string;
  create_time: number;
}

export interface MomentTask {
  userid: string;
  /** 0 not yet, 1 published. */
  publish_status: 0 | 1;
  publish_time: number;
  /** The customers chosen at creation (get_moment_customer_list). */
  customers: string[];
  /** Those who can see it once published (get_moment_send_result). */
  sent: string[];
  comments: (MomentInteraction & { text: string })[];
  likes: MomentInteraction[];
}

export interface SimMoment {
  moment_id: string;
  jobid: string;
  /** '' for a corp (API) Moment: WeCom leaves `creator` out for those. */
  creator: string;
  create_time: number;
  /** 0 corp, 1 personal. */
  create_type: 0 | 1;
  /** 0 partial (external_contact_list given), 1 public. */
  visible_type: 0 | 1;
  text: { content: string } | null;
  image: { media_id: string }[];
  video: { media_id: string; thumb_media_id: string } | null;
  link: { title: string; url: string } | null;
  tasks: MomentTask[];
}

export interface MomentJob {
  jobid: string;
  created_at: number;
  result: {
    errcode: number;
    errmsg: string;
    moment_id: string;
    invalid_sender_list: { user_list: string[]; department_list: number[] };
    invalid_external_contact_list: { tag_list: string[] };
  };
}

export interface MomentsState {
  media: Record<string, SimMedia>;
  jobs: Record<string, MomentJob>;
  moments: Record<string, SimMoment>;
  /** add_moment_task calls within the last minute (unix seconds): WeCom allows 10 a minute per corp. */
  recent_tasks: number[];
}

/** WeCom's limits (API-FACTS-2 §10). */
export const MOMENT_TEXT_MAX_CHARS = 2000;
export const MOMENT_IMAGES_MAX = 9;
export const MOMENT_LINK_TITLE_MAX_BYTES = 64;
export const MOMENT_TASKS_PER_MINUTE = 10;
export const MOMENT_LIST_MAX_LIMIT = 20;
export const MOMENT_LIST_MAX_RANGE_S = 30 * 86_400;
export const MEDIA_TTL_S = 3 * 86_400;
export const MEDIA_MAX_BYTES = { image: 10 * 1024 * 1024, video: 10 * 1024 * 1024, file: 20 * 1024 * 1024 };
export const JOB_TTL_S = 86_400;

type WithMoments = CorpState & { moments?: MomentsState };

export function momentsOf(corp: CorpState): MomentsState {
  const c = corp as WithMoments;
  c.moments ??= { media: {}, jobs: {}, moments: {}, recent_tasks: [] };
  return c.moments;
}

/* ---------- media/upload_attachment ---------- */

/** What the route hands the journaled operation: the query and a summary of the multipart file. */
const uploadBody = z.object({
  media_type: z.string().optional(),
  attachment_type: z.string().optional(),
  file: z
    .object({ size: z.number().int().min(0), filename: z.string(), content_type: z.string() })
    .nullable()
    .optional(),
});

export function apiUploadAttachment(sim: Simulator, corp: CorpState, raw: unknown) {
  const input = parseApi(uploadBody, raw);
  const type = input.media_type;
  if (type !== 'image' && type !== 'video' && type !== 'file') throw new WecomError(40004);
  if (input.attachment_type !== '1' && input.attachment_type !== '2')
    throw new WecomError(40058, 'invalid attachment_type');
  if (!input.file || input.file.size === 0) throw new WecomError(44001);
  if (input.file.size > MEDIA_MAX_BYTES[type]) throw new WecomError(40006);
  if (type === 'image' && !/\.(jpe?g|png)$/i.test(input.file.filename)) throw new WecomError(40005);
  if (type === 'video' && !/\.mp4$/i.test(input.file.filename)) throw new WecomError(40005);
  const media: SimMedia = {
    media_id: `3${sim.ids.msgId().slice(3)}${sim.ids.msgId().slice(3)}`,
    type,
    attachment_type: Number(input.attachment_type) as 1 | 2,
    size: input.file.size,
    filename: input.file.filename,
    created_at: sim.nowS(),
  };
  momentsOf(corp).media[media.media_id] = media;
  return { type, media_id: media.media_id, created_at: String(media.created_at) };
}

/** The file of a multipart/form-data body (the part named `media`): its name, type and size. */
export function multipartFile(
  body: Buffer,
  contentType: string | undefined,
): { filename: string; content_type: string; size: number } | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return null;
  const delimiter = Buffer.from(`--${b}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const headStart = at + delimiter.length + 2;
    const headEnd = body.indexOf('\r\n\r\n', headStart);
    if (headEnd < 0) return null;
    const next = body.indexOf(delimiter, headEnd + 4);
    if (next < 0) return null;
    const head = body.subarray(headStart, headEnd).toString('utf8');
    const disposition = /content-disposition:([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
    if (name === 'media') {
      const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1] ?? '';
      const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? 'application/octet-stream';
      // the part's data ends with the CRLF before the next delimiter
      return {
        filename,
        content_type: type,
        size: Math.max(0, next - 2 - (headEnd + 4)),
      };
    }
    at = next;
  }
  return null;
}

function liveMedia(sim: Simulator, corp: CorpState, mediaId: string, type: SimMedia['type']): SimMedia {
  const all = momentsOf(corp).media;
  const media = Object.hasOwn(all, mediaId) ? all[mediaId] : undefined;
  if (
    !media ||
    media.type !== type ||
    media.attachment_type !== 1 ||
    media.created_at + MEDIA_TTL_S < sim.nowS()
  ) {
    throw new WecomError(40007, `invalid media_id ${mediaId}`);
  }
  return media;
}

/* ---------- add_moment_task ---------- */

const attachment = z.looseObject({
  msgtype: z.string(),
  image: z.looseObject({ media_id: z.string().optional() }).optional(),
  video: z.looseObject({ media_id: z.string().optional() }).optional(),
  link: z
    .looseObject({
      title: z.string().optional(),
      url: z.string().optional(),
      media_id: z.string().optional(),
    })
    .optional(),
});

const addBody = z.object({
  text: z.object({ content: chars('text.content', MOMENT_TEXT_MAX_CHARS).optional() }).optional(),
  attachments: z.array(attachment).optional(),
  visible_range: z
    .object({
      sender_list: z
        .object({
          user_list: z.array(z.string()).max(100_000, 'invalid sender size').optional(),
          department_list: z.array(int).optional(),
        })
        .optional(),
      external_contact_list: z.object({ tag_list: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
});

function parseMomentBody(raw: unknown) {
  const result = addBody.safeParse(raw ?? {});
  if (!result.success && result.error.issues.some((i) => i.path.join('.') === 'text.content'))
    throw new WecomError(40058, 'invalid text size');
  return parseApi(addBody, raw);
}

function momentContent(sim: Simulator, corp: CorpState, input: z.infer<typeof addBody>) {
  const list = input.attachments ?? [];
  const text = input.text?.content ? { content: input.text.content } : null;
  if (!text && list.length === 0) throw new WecomError(40058, 'text or attachments required');
  const types = new Set(list.map((a) => a.msgtype));
  if (types.size > 1 || [...types].some((t) => t !== 'image' && t !== 'video' && t !== 'link'))
    throw new WecomError(40058, 'invalid attachments msgtype');
  const type = [...types][0];
  if ((type === 'image' && list.length > MOMENT_IMAGES_MAX) || (type !== 'image' && list.length > 1))
    throw new WecomError(40058, 'invalid attachments size');
  const out = {
    text,
    image: [] as { media_id: string }[],
    video: null as SimMoment['video'],
    link: null as SimMoment['link'],
  };
  for (const a of list) {
    if (a.msgtype === 'image') {
      if (!a.image?.media_id) throw new WecomError(40058, 'invalid msg');
      out.image.push({ media_id: liveMedia(sim, corp, a.image.media_id, 'image').media_id });
    } else if (a.msgtype === 'video') {
      if (!a.video?.media_id) throw new WecomError(40058, 'invalid msg');
      const media = liveMedia(sim, corp, a.video.media_id, 'video');
      out.video = { media_id: media.media_id, thumb_media_id: `${media.media_id}_thumb` };
    } else {
      const link = a.link;
      if (!link?.url || !link.media_id || !link.title) throw new WecomError(40058, 'invalid msg');
      if (Buffer.byteLength(link.title, 'utf8') > MOMENT_LINK_TITLE_MAX_BYTES)
        throw new WecomError(40058, 'invalid link title size');
      liveMedia(sim, corp, link.media_id, 'image');
      out.link = { title: link.title, url: link.url };
    }
  }
  return out;
}

/** add_moment_task: checks the content and rate at once, and answers a jobid; the job holds the result. */
export function apiAddMomentTask(sim: Simulator, corp: CorpState, raw: unknown) {
  const input = parseMomentBody(raw);
  const state = momentsOf(corp);
  const now = sim.nowS();
  state.recent_tasks = state.recent_tasks.filter((t) => t > now - 60);
  if (state.recent_tasks.length >= MOMENT_TASKS_PER_MINUTE) throw new WecomError(45009);
  const content = momentContent(sim, corp, input);
  state.recent_tasks.push(now);

  const range = input.visible_range ?? {};
  const userList = [...new Set(range.sender_list?.user_list ?? [])];
  const deptList = [...new Set(range.sender_list?.department_list ?? [])];
  const tagList = [...new Set(range.external_contact_list?.tag_list ?? [])];
  const members = new Set(activeMembers(corp).map((m) => m.userid));
  const invalidUsers = userList.filter((u) => !members.has(u));
  const invalidDepts = deptList.filter((d) => !corp.departments.some((x) => x.id === d));
  const invalidTags = tagList.filter((t) => !findTag(corp, t));
  const tags = tagList.filter((t) => findTag(corp, t));
  const byUser = followsByUser(corp);
  const seesIt = (tagIds: string[]) => tags.length === 0 || tagIds.some((t) => tags.includes(t));

  const senders = new Set<string>([
    ...userList.filter((u) => members.has(u)),
    ...membersOfParties(
      corp,
      deptList.filter((d) => !invalidDepts.includes(d)),
    ).map((m) => m.userid),
  ]);
  if (userList.length === 0 && deptList.length === 0) {
    // no sender_list: the members who follow the customers in range
    for (const userid of members) {
      if ((byUser.get(userid) ?? []).some((f) => seesIt(f.tag_ids))) senders.add(userid);
    }
  }
  const jobid = `job${sim.ids.msgId().slice(3)}`;
  const moment: SimMoment = {
    moment_id: `mom${sim.ids.msgId().slice(3)}`,
    jobid,
    creator: '',
    create_time: now,
    create_type: 0,
    visible_type: range.external_contact_list ? 0 : 1,
    ...content,
    tasks: [...senders].sort().map((userid) => ({
      userid,
      publish_status: 0,
      publish_time: 0,
      customers: (byUser.get(userid) ?? []).filter((f) => seesIt(f.tag_ids)).map((f) => f.external_userid),
      sent: [],
      comments: [],
      likes: [],
    })),
  };
  const failed = moment.tasks.length === 0;
  if (!failed) state.moments[moment.moment_id] = moment;
  state.jobs[jobid] = {
    jobid,
    created_at: now,
    result: {
      errcode: failed ? 81013 : 0,
      errmsg: failed ? 'user & party & tag all invalid' : 'ok',
      moment_id: failed ? '' : moment.moment_id,
      invalid_sender_list: { user_list: invalidUsers, department_list: invalidDepts },
      invalid_external_contact_list: { tag_list: invalidTags },
    },
  };
  return { jobid };
}

/** get_moment_task_result: the job is done (status 3) by the time anyone asks; it is kept 24 h. */
export function apiGetMomentTaskResult(sim: Simulator, corp: CorpState, jobid: string | undefined) {
  if (!jobid) throw new WecomError(40058, 'missing jobid');
  const jobs = momentsOf(corp).jobs;
  const job = Object.hasOwn(jobs, jobid) ? jobs[jobid] : undefined;
  if (!job || job.created_at + JOB_TTL_S < sim.nowS()) throw new WecomError(40058, 'invalid jobid');
  return { status: 3, type: 'add_moment_task', result: job.result };
}

/* ---------- reads ---------- */

function requireMoment(corp: CorpState, momentId: string): SimMoment {
  const all = momentsOf(corp).moments;
  const moment = Object.hasOwn(all, momentId) ? all[momentId] : undefined;
  if (!moment) throw new WecomError(40058, 'invalid moment id');
  return moment;
}

/** A limit over the maximum falls back to the default (WeCom's documented behaviour for get_moment_list). */
const limitOf = (limit: number | undefined, max: number, fallback: number) =>
  limit === undefined || limit < 1 || limit > max ? fallback : limit;

const listBody = z.object({
  start_time: int,
  end_time: int,
  creator: z.string().optional(),
  filter_type: int.min(0).max(2).optional(),
  cursor: z.string().optional(),
  limit: int.optional(),
});

export function apiGetMomentList(corp: CorpState, raw: unknown) {
  const input = parseApi(listBody, raw);
  if (input.start_time > input.end_time) throw new WecomError(40058, 'start_time is after end_time');
  if (input.end_time - input.start_time > MOMENT_LIST_MAX_RANGE_S)
    throw new WecomError(40058, 'time range exceed 30 days');
  const filter = input.filter_type ?? 2;
  const list = Object.values(momentsOf(corp).moments)
    .filter(
      (m) =>
        m.create_time >= input.start_time &&
        m.create_time <= input.end_time &&
        (filter === 2 || m.create_type === filter) &&
        (!input.creator || m.creator === input.creator),
    )
    .sort((a, b) => a.create_time - b.create_time || a.moment_id.localeCompare(b.moment_id));
  const { items, next_cursor } = page(list, input.cursor, limitOf(input.limit, MOMENT_LIST_MAX_LIMIT, 20));
  return {
    next_cursor,
    moment_list: items.map((m) => ({
      moment_id: m.moment_id,
      ...(m.creator ? { creator: m.creator } : {}),
      create_time: m.create_time,
      create_type: m.create_type,
      visible_type: m.visible_type,
      ...(m.text ? { text: m.text } : {}),
      ...(m.image.length ? { image: m.image } : {}),
      ...(m.video ? { video: m.video } : {}),
      ...(m.link ? { link: m.link } : {}),
    })),
  };
}

const taskBody = z.object({ moment_id: z.string(), cursor: z.string().optional(), limit: int.optional() });

export function apiGetMomentTask(corp: CorpState, raw: unknown) {
  const input = parseApi(taskBody, raw);
  const moment = requireMoment(corp, input.moment_id);
  if (moment.create_type !== 0) throw new WecomError(40058, 'moment is not created by the corp');
  const { items, next_cursor } = page(moment.tasks, input.cursor, limitOf(input.limit, 1000, 500));
  return {
    next_cursor,
    task_list: items.map((t) => ({ userid: t.userid, publish_status: t.publish_status })),
  };
}

const memberBody = z.object({
  moment_id: z.string(),
  userid: z.string(),
  cursor: z.string().optional(),
  limit: int.optional(),
});

function taskOf(corp: CorpState, input: { moment_id: string; userid: string }): MomentTask {
  const task = requireMoment(corp, input.moment_id).tasks.find((t) => t.userid === input.userid);
  if (!task) throw new WecomError(40003, `userid ${input.userid} has no task of this moment`);
  return task;
}

export function apiGetMomentCustomerList(corp: CorpState, raw: unknown) {
  const input = parseApi(memberBody, raw);
  const task = taskOf(corp, input);
  const { items, next_cursor } = page(task.customers, input.cursor, limitOf(input.limit, 1000, 500));
  return {
    next_cursor,
    customer_list: items.map((external_userid) => ({ userid: task.userid, external_userid })),
  };
}

export function apiGetMomentSendResult(corp: CorpState, raw: unknown) {
  const input = parseApi(memberBody, raw);
  const task = taskOf(corp, input);
  const { items, next_cursor } = page(task.sent, input.cursor, limitOf(input.limit, 5000, 3000));
  return { next_cursor, customer_list: items.map((external_userid) => ({ external_userid })) };
}

const whoOut = (i: MomentInteraction) => ({
  ...(i.external_userid ? { external_userid: i.external_userid } : { userid: i.userid }),
  create_time: i.create_time,
});

/** get_moment_comments: who commented and liked, and when; never the comment's text. No paging. */
export function apiGetMomentComments(corp: CorpState, raw: unknown) {
  const input = parseApi(z.object({ moment_id: z.string(), userid: z.string() }), raw);
  const task = taskOf(corp, input);
  return { comment_list: task.comments.map(whoOut), like_list: task.likes.map(whoOut) };
}

/* ---------- what members and customers do (control scenarios) ---------- */

function momentOr404(corp: CorpState, momentId: string): SimMoment {
  const all = momentsOf(corp).moments;
  const moment = Object.hasOwn(all, momentId) ? all[momentId] : undefined;
  if (!moment) throw notFound('moment', momentId);
  return moment;
}

/** The member publishes the corp's Moment from their task: those of its customers still friends see it. */
export function memberPublishesMoment(
  sim: Simulator,
  corp: CorpState,
  input: { moment_id: string; userid: string },
) {
  const moment = momentOr404(corp, input.moment_id);
  memberOr404(corp, input.userid);
  const task = moment.tasks.find((t) => t.userid === input.userid);
  if (!task) throw notFound('moment task of member', input.userid);
  if (task.publish_status === 1) throw conflict('already_published', `${input.userid} already published it`);
  task.publish_status = 1;
  task.publish_time = sim.nowS();
  task.sent = task.customers.filter((id) => findFollow(corp, input.userid, id));
  return { moment_id: moment.moment_id, userid: task.userid, visible_to: task.sent.length };
}

/**
 * A customer who can see a member's published Moment likes or comments on it (or a colleague does, by
 * userid). The comment text stays in the simulator: the API never returns it.
 */
export function customerReactsToMoment(
  sim: Simulator,
  corp: CorpState,
  input: {
    moment_id: string;
    userid: string;
    external_userid?: string;
    by_userid?: string;
    like?: boolean;
    comment?: string;
  },
) {
  const moment = momentOr404(corp, input.moment_id);
  const task = moment.tasks.find((t) => t.userid === input.userid);
  if (task?.publish_status !== 1) throw conflict('not_published', `${input.userid} has not published it`);
  if ((input.external_userid === undefined) === (input.by_userid === undefined))
    throw conflict('who', 'give external_userid or by_userid');
  if (input.external_userid) {
    if (!findCustomer(corp, input.external_userid)) throw notFound('customer', input.external_userid);
    if (!task.sent.includes(input.external_userid))
      throw conflict('not_visible', 'the customer cannot see this Moment');
  } else memberOr404(corp, input.by_userid!);
  const who = input.external_userid
    ? { external_userid: input.external_userid }
    : { userid: input.by_userid };
  const now = sim.nowS();
  const same = (i: MomentInteraction) => i.external_userid === who.external_userid && i.userid === who.userid;
  if (input.like && !task.likes.some(same)) task.likes.push({ ...who, create_time: now });
  if (input.comment) task.comments.push({ ...who, create_time: now, text: input.comment });
  return { likes: task.likes.length, comments: task.comments.length };
}

export function momentList(corp: CorpState) {
  return Object.values(momentsOf(corp).moments).map((m) => ({
    moment_id: m.moment_id,
    create_time: m.create_time,
    text: m.text,
    tasks: m.tasks.map((t) => ({
      userid: t.userid,
      publish_status: t.publish_status,
      customers: t.customers.length,
      sent: t.sent.length,
      likes: t.likes.length,
      comments: t.comments.length,
    })),
  }));
}

export const momentScenarioSchemas = {
  'member-publishes-moment': z.strictObject({
    moment_id: z.string().min(1).max(128),
    userid: z.string().min(1).max(64),
  }),
  'customer-reacts-to-moment': z.strictObject({
    moment_id: z.string().min(1).max(128),
    userid: z.string().min(1).max(64),
    external_userid: z.string().min(1).max(128).optional(),
    by_userid: z.string().min(1).max(64).optional(),
    like: z.boolean().optional(),
    comment: z.string().min(1).max(2000).optional(),
  }),
};
