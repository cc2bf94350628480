import { z } from 'zod';
import type { Attachment } from '../../wecom/client.ts';
import { MSG_TEMPLATE_MAX_ATTACHMENTS, MSG_TEMPLATE_TEXT_MAX_BYTES } from '../../wecom/limits.ts';
import { STAGES } from '../customers/index.ts';
import { PERSONAS } from '../staff/index.ts';
import { fillTemplate, templateIssues, type VariableName, type Vars, worstCaseBytes } from './variables.ts';

/**
 * What a content item is and how it becomes a WeCom message: the kinds, the tags, the attachment shapes
 * (add_msg_template's, API-FACTS §3 and API-FACTS-2 §11, with their byte limits) and the render. Pure.
 */
export const KINDS = ['coupon', 'product', 'trust', 'persona', 'event'] as const;
export type ContentKind = (typeof KINDS)[number];

/** Where an item is used (a journey step, a staff member's moment): the library's scene filter. */
export const SCENES = [
  'welcome',
  'nurture',
  'first_order',
  'repurchase',
  'birthday',
  'anniversary',
  'win_back',
  'product_intro',
  'event',
  'service',
] as const;
export type Scene = (typeof SCENES)[number];

export { PERSONAS, STAGES };

/** add_msg_template's caps on attachment fields (API-FACTS-2 §11), in UTF-8 bytes. */
export const LINK_TITLE_MAX_BYTES = 128;
export const LINK_DESC_MAX_BYTES = 512;
export const URL_MAX_BYTES = 2048;
export const MINIPROGRAM_TITLE_MAX_BYTES = 64;

const bytes = (max: number) => (s: string) => Buffer.byteLength(s, 'utf8') <= max;
const tooLong = (field: string, max: number) => `${field} must be at most ${max} bytes (UTF-8)`;

const httpUrl = z
  .string()
  .trim()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
  .refine(bytes(URL_MAX_BYTES), tooLong('url', URL_MAX_BYTES));

export const attachmentInput = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('image'),
    picUrl: httpUrl.describe(
      'the image (JPG/PNG ≤10 MB): uploaded as media_id when sent, unless WeCom keeps it (上传图片, *.qpic.cn)',
    ),
  }),
  z.strictObject({
    type: z.literal('link'),
    title: z
      .string()
      .trim()
      .min(1)
      .refine(bytes(LINK_TITLE_MAX_BYTES), tooLong('title', LINK_TITLE_MAX_BYTES)),
    url: httpUrl,
    picUrl: httpUrl.optional(),
    desc: z
      .string()
      .trim()
      .refine(bytes(LINK_DESC_MAX_BYTES), tooLong('desc', LINK_DESC_MAX_BYTES))
      .optional(),
  }),
  z.strictObject({
    type: z.literal('miniprogram'),
    title: z
      .string()
      .trim()
      .min(1)
      .refine(bytes(MINIPROGRAM_TITLE_MAX_BYTES), tooLong('title', MINIPROGRAM_TITLE_MAX_BYTES)),
    appid: z.string().regex(/^wx[0-9a-f]{16}$/i, 'must be a mini-program appid (wx + 16 hex digits)'),
    page: z
      .string()
      .trim()
      .min(1)
      .max(1000)
      .regex(/\.html(\?.*)?$/, 'must end in .html (WeCom’s rule for a mini-program page)'),
    picUrl: httpUrl.describe('the cover (520×416 suggested); uploaded as pic_media_id when sent'),
  }),
  z.strictObject({
    type: z.literal('video'),
    name: z.string().trim().min(1).max(100).optional(),
    url: httpUrl.describe('an MP4 (≤10 MB) Siyu fetches and uploads as media_id when sent'),
  }),
  z.strictObject({
    type: z.literal('file'),
    name: z.string().trim().min(1).max(100),
    url: httpUrl.describe('where Siyu fetches the file to upload it as media_id when sent'),
  }),
]);
export type AttachmentInput = z.infer<typeof attachmentInput>;

/** Checks a text's placeholders and its length once filled; returns the problems in words (empty: fine). */
export function textProblems(text: string): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  for (const issue of templateIssues(text)) {
    if (issue.code === 'unknown_variable')
      out.push({ path: 'text', message: `unknown variable {{${issue.at}}}` });
    else if (issue.code === 'fallback_too_long')
      out.push({ path: 'text', message: `the fallback of {{${issue.at}}} is too long` });
    else out.push({ path: 'text', message: `"{{" is not closed near "${issue.at}"` });
  }
  const worst = worstCaseBytes(text);
  if (worst > MSG_TEMPLATE_TEXT_MAX_BYTES)
    out.push({
      path: 'text',
      message: `the text can reach ${worst} bytes once its variables are filled; WeCom takes at most ${MSG_TEMPLATE_TEXT_MAX_BYTES}`,
    });
  return out;
}

const tagList = <T extends z.ZodType<string>>(item: T, max: number) =>
  z
    .array(item)
    .max(max)
    .default([])
    .transform((l) => [...new Set(l)]);

/** A content item as written by the console (create and replace). */
export const contentInput = z
  .strictObject({
    key: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9_.-]{0,59}$/, 'lowercase letters, digits, _ . -; at most 60')
      .nullable()
      .optional()
      .describe('a stable name journeys and templates refer to, unique in the owning unit'),
    kind: z.enum(KINDS),
    script: z.boolean().default(false).describe('a script (话术) staff send themselves'),
    title: z.string().trim().min(1).max(60),
    text: z.string().max(10_000).default(''),
    attachments: z.array(attachmentInput).max(MSG_TEMPLATE_MAX_ATTACHMENTS).default([]),
    personas: tagList(z.enum(PERSONAS), PERSONAS.length),
    stages: tagList(z.enum(STAGES as unknown as [string, ...string[]]), STAGES.length),
    products: tagList(z.string().trim().min(1).max(40), 20),
    scenes: tagList(z.enum(SCENES), SCENES.length),
  })
  .superRefine((v, ctx) => {
    if (!v.text.trim() && v.attachments.length === 0)
      ctx.addIssue({ code: 'custom', path: ['text'], message: 'give a text or at least one attachment' });
    for (const p of textProblems(v.text))
      ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
    v.attachments.forEach((a, i) => {
      if (a.type !== 'link') return;
      for (const field of ['title', 'desc'] as const)
        for (const issue of templateIssues(a[field] ?? ''))
          ctx.addIssue({
            code: 'custom',
            path: ['attachments', i, field],
            message:
              issue.code === 'unknown_variable'
                ? `unknown variable {{${issue.at}}}`
                : `bad placeholder near ${issue.at}`,
          });
    });
  });
export type ContentInput = z.infer<typeof contentInput>;

/** What renderContent reads of an item. */
export interface Renderable {
  text: string;
  attachments: readonly AttachmentInput[];
}

/** Media a sender uploads (media/upload, valid 3 days) and puts into the attachment before sending. */
export interface MediaUpload {
  /** Index into `attachments`. */
  attachment: number;
  mediaType: 'image' | 'video' | 'file';
  /** The field of the attachment to set: miniprogram.pic_media_id, or image/video/file.media_id. */
  field: 'pic_media_id' | 'media_id';
  url: string;
  name?: string;
}

/** add_msg_template's body for one customer: text and attachments as WeCom wants them. */
export interface RenderedMessage {
  text?: { content: string };
  attachments: Attachment[];
  /** Attachments whose media must be uploaded first (their media id is empty until then). */
  media: MediaUpload[];
  /** Variables with no value (their fallback was used). */
  missing: VariableName[];
}

/**
 * An item as the WeCom message body for one customer: `{{variables}}` filled from `vars` (cut to their
 * length, fallbacks where missing) in the text and in link titles and descriptions; attachments in
 * add_msg_template's shape. Throws a RangeError if the result breaks a WeCom limit (a saved item cannot).
 */
export function renderContent(item: Renderable, vars: Vars): RenderedMessage {
  const missing = new Set<VariableName>();
  const fill = (s: string) => {
    const f = fillTemplate(s, vars);
    for (const m of f.missing) missing.add(m);
    return f.text;
  };
  const media: MediaUpload[] = [];
  const attachments = item.attachments.map((a, i): Attachment => {
    switch (a.type) {
      case 'image':
        if (keptByWecom(a.picUrl)) return { msgtype: 'image', image: { pic_url: a.picUrl } };
        media.push({ attachment: i, mediaType: 'image', field: 'media_id', url: a.picUrl });
        return { msgtype: 'image', image: { media_id: '' } };
      case 'video':
        media.push({ attachment: i, mediaType: 'video', field: 'media_id', url: a.url, name: a.name });
        return { msgtype: 'video', video: { media_id: '' } };
      case 'link':
        return {
          msgtype: 'link',
          link: {
            title: clipBytes(fill(a.title), LINK_TITLE_MAX_BYTES),
            url: a.url,
            ...(a.picUrl ? { picurl: a.picUrl } : {}),
            ...(a.desc ? { desc: clipBytes(fill(a.desc), LINK_DESC_MAX_BYTES) } : {}),
          },
        };
      case 'miniprogram':
        media.push({ attachment: i, mediaType: 'image', field: 'pic_media_id', url: a.picUrl });
        return {
          msgtype: 'miniprogram',
          miniprogram: { title: a.title, appid: a.appid, page: a.page, pic_media_id: '' },
        };
      default:
        media.push({ attachment: i, mediaType: 'file', field: 'media_id', url: a.url, name: a.name });
        return { msgtype: 'file', file: { media_id: '' } };
    }
  });
  if (attachments.length > MSG_TEMPLATE_MAX_ATTACHMENTS)
    throw new RangeError(`attachments must be at most ${MSG_TEMPLATE_MAX_ATTACHMENTS}`);
  const content = fill(item.text).trim();
  if (Buffer.byteLength(content, 'utf8') > MSG_TEMPLATE_TEXT_MAX_BYTES)
    throw new RangeError(`text.content must be at most ${MSG_TEMPLATE_TEXT_MAX_BYTES} bytes`);
  if (!content && attachments.length === 0) throw new RangeError('text or attachments required');
  return {
    ...(content ? { text: { content } } : {}),
    attachments,
    media,
    missing: [...missing],
  };
}

/** An image WeCom keeps (its 上传图片 returns *.qpic.cn URLs): add_msg_template takes it as pic_url. */
export function keptByWecom(url: string): boolean {
  try {
    return /(^|\.)qpic\.cn$/i.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** Cuts a string to a byte length on a character boundary, ending in … when cut. */
function clipBytes(s: string, max: number): string {
  if (Buffer.byteLength(s, 'utf8') <= max) return s;
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(`${out}${ch}…`, 'utf8') > max) break;
    out += ch;
  }
  return `${out}…`;
}
