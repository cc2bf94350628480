import type { MomentAttachment } from '../../wecom/client.ts';
import type { MomentContentKind } from './schema.ts';

/** WeCom's add_moment_task limits (API-FACTS-2 §10). */
export const TEXT_MAX_CHARS = 2000;
export const IMAGES_MAX = 9;
export const LINK_TITLE_MAX_BYTES = 64;
export const MEDIA_MAX_BYTES = 10 * 1024 * 1024;
/** get_moment_list answers at most 20 per page over at most 30 days. */
export const LIST_PAGE_MAX = 20;
export const LIST_RANGE_MAX_S = 30 * 86_400;
/** add_moment_task: at most 10 a minute per corp (API-FACTS-2 §10); past it WeCom answers 45009. */
export const TASKS_PER_MINUTE = 10;
/** How far ahead a post planned into a full minute is moved at most (then it is refused). */
export const SPREAD_MAX_MINUTES = 120;
/** A published post is followed (publishing, likes, comments) this long after WeCom took it. */
export const FOLLOW_MS = 30 * 86_400_000;

/** A bigint[] column as numbers (pg hands an array of int8 back as strings). */
export const numbers = (a: readonly (number | string)[] | null | undefined): number[] =>
  (a ?? []).map(Number);

export interface MomentContent {
  kind: MomentContentKind;
  body: string;
  /** Siyu media ids, with their kind. */
  media: { id: number; kind: 'image' | 'video' }[];
  linkTitle?: string | null;
  linkUrl?: string | null;
}

export interface Problem {
  zh: string;
  en: string;
}

/**
 * What is wrong with a post's content, or null: text and up to 9 images, or 1 video, or 1 link (with its
 * cover image); the text at most 2000 characters; a link's title at most 64 bytes and its address https.
 */
export function contentProblem(c: MomentContent): Problem | null {
  if ([...c.body].length > TEXT_MAX_CHARS)
    return { zh: `文字最多 ${TEXT_MAX_CHARS} 字`, en: `The text is at most ${TEXT_MAX_CHARS} characters` };
  const images = c.media.filter((m) => m.kind === 'image').length;
  const videos = c.media.filter((m) => m.kind === 'video').length;
  switch (c.kind) {
    case 'text':
      if (!c.body.trim()) return { zh: '请填写文字', en: 'Give a text' };
      if (c.media.length > 0) return { zh: '纯文字不带图片或视频', en: 'A text post carries no media' };
      break;
    case 'images':
      if (videos > 0 || images === 0)
        return { zh: '图片朋友圈需要 1 到 9 张图片', en: 'An image post needs 1 to 9 images' };
      if (images > IMAGES_MAX) return { zh: `最多 ${IMAGES_MAX} 张图片`, en: `At most ${IMAGES_MAX} images` };
      break;
    case 'video':
      if (videos !== 1 || images > 0)
        return { zh: '视频朋友圈只能带 1 个视频', en: 'A video post carries exactly 1 video' };
      break;
    case 'link': {
      const title = c.linkTitle?.trim() ?? '';
      if (!title) return { zh: '请填写链接标题', en: 'Give the link a title' };
      if (Buffer.byteLength(title) > LINK_TITLE_MAX_BYTES)
        return {
          zh: `链接标题最多 ${LINK_TITLE_MAX_BYTES} 字节（约 21 个汉字）`,
          en: `The link title is at most ${LINK_TITLE_MAX_BYTES} bytes`,
        };
      if (!isHttpsUrl(c.linkUrl ?? ''))
        return { zh: '链接须是 https 地址', en: 'The link must be an https address' };
      if (images !== 1 || videos > 0)
        return { zh: '链接需要 1 张封面图', en: 'A link needs exactly 1 cover image' };
      break;
    }
  }
  return null;
}

function isHttpsUrl(s: string): boolean {
  try {
    return new URL(s).protocol === 'https:' && s.length <= 1000;
  } catch {
    return false;
  }
}

/** add_moment_task's attachments from the post and the WeCom media_id of each of its media, in order. */
export function attachmentsOf(
  kind: MomentContentKind,
  mediaIds: readonly string[],
  link: { title: string | null; url: string | null },
): MomentAttachment[] {
  switch (kind) {
    case 'text':
      return [];
    case 'images':
      return mediaIds.map((media_id) => ({ msgtype: 'image', image: { media_id } }));
    case 'video':
      return [{ msgtype: 'video', video: { media_id: mediaIds[0]! } }];
    case 'link':
      return [
        { msgtype: 'link', link: { title: link.title ?? '', url: link.url ?? '', media_id: mediaIds[0]! } },
      ];
  }
}

/** [start, end] windows of at most 30 days covering [from, to] (unix seconds), newest first. */
export function listWindows(fromS: number, toS: number): [number, number][] {
  const out: [number, number][] = [];
  for (let end = toS; end > fromS; end -= LIST_RANGE_MAX_S) {
    out.push([Math.max(fromS, end - LIST_RANGE_MAX_S), end]);
  }
  return out;
}
