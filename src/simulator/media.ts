import { z } from 'zod';
import { parseApi } from './api-input.ts';
import { WecomError } from './errors.ts';
import type { CorpState } from './model.ts';
import type { Simulator } from './state.ts';

/**
 * 临时素材 (temporary media): media/upload and the check add_msg_template makes of the media ids it is given.
 * A media id is valid for 3 days (API-FACTS §5), for every app of the corp. Sizes and formats as WeCom's
 * upload page states them: every file more than 5 bytes; image ≤10 MB (JPG, PNG), voice ≤2 MB (AMR),
 * video ≤10 MB (MP4), file ≤20 MB (any).
 */

export const TEMP_MEDIA_TTL_S = 3 * 86_400;
export const TEMP_MEDIA_TYPES = ['image', 'voice', 'video', 'file'] as const;
export type TempMediaType = (typeof TEMP_MEDIA_TYPES)[number];
export const TEMP_MEDIA_MAX_BYTES: Record<TempMediaType, number> = {
  image: 10 * 1024 * 1024,
  voice: 2 * 1024 * 1024,
  video: 10 * 1024 * 1024,
  file: 20 * 1024 * 1024,
};
const MIN_BYTES = 6;
const FORMATS: Partial<Record<TempMediaType, RegExp>> = {
  image: /\.(jpe?g|png)$/i,
  voice: /\.amr$/i,
  video: /\.mp4$/i,
};

export interface TempMedia {
  media_id: string;
  type: TempMediaType;
  size: number;
  filename: string;
  created_at: number;
}

type WithTempMedia = CorpState & { temp_media?: Record<string, TempMedia> };

/** The corp's temporary media (absent in states saved before media/upload existed). */
export function tempMediaOf(corp: CorpState): Record<string, TempMedia> {
  const c = corp as WithTempMedia;
  c.temp_media ??= {};
  return c.temp_media;
}

const uploadBody = z.object({
  type: z.string().optional(),
  file: z
    .object({ size: z.number().int().min(0), filename: z.string(), content_type: z.string() })
    .nullable()
    .optional(),
});

/** POST media/upload?type=…: the route hands over the query's type and a summary of the multipart file. */
export function apiUploadMedia(sim: Simulator, corp: CorpState, raw: unknown) {
  const input = parseApi(uploadBody, raw);
  const type = input.type as TempMediaType | undefined;
  if (!type || !TEMP_MEDIA_TYPES.includes(type)) throw new WecomError(40004);
  if (!input.file || input.file.size === 0) throw new WecomError(44001);
  if (input.file.size < MIN_BYTES || input.file.size > TEMP_MEDIA_MAX_BYTES[type]) {
    throw new WecomError(
      40006,
      `${type} size must be between ${MIN_BYTES} and ${TEMP_MEDIA_MAX_BYTES[type]} bytes`,
    );
  }
  const format = FORMATS[type];
  if (format && !format.test(input.file.filename)) throw new WecomError(40005);
  expireTempMedia(sim, corp);
  const media: TempMedia = {
    media_id: `3${sim.ids.msgId().slice(3)}${sim.ids.msgId().slice(3)}`,
    type,
    size: input.file.size,
    filename: input.file.filename,
    created_at: sim.nowS(),
  };
  tempMediaOf(corp)[media.media_id] = media;
  return { type, media_id: media.media_id, created_at: String(media.created_at) };
}

/** Forgets media past their 3 days (kept a day longer, so that a late use still finds them expired). */
function expireTempMedia(sim: Simulator, corp: CorpState): void {
  const all = tempMediaOf(corp);
  const before = sim.nowS() - TEMP_MEDIA_TTL_S - 86_400;
  for (const [id, m] of Object.entries(all)) if (m.created_at < before) delete all[id];
}

/** A media id that exists, is of the type and is within its 3 days; 40007 otherwise, as WeCom answers. */
export function liveTempMedia(
  sim: Simulator,
  corp: CorpState,
  mediaId: unknown,
  type: TempMediaType,
): TempMedia {
  const all = tempMediaOf(corp);
  const id = typeof mediaId === 'string' ? mediaId : '';
  const media = id && Object.hasOwn(all, id) ? all[id] : undefined;
  if (!media || media.type !== type || media.created_at + TEMP_MEDIA_TTL_S < sim.nowS()) {
    throw new WecomError(40007, `invalid media_id ${id || '(empty)'}`);
  }
  return media;
}

/** What a message record keeps of an attachment: its type, and for media the file behind the id. */
export interface DeliveredAttachment {
  msgtype: string;
  media_id?: string;
  filename?: string;
  title?: string;
  url?: string;
  pic_url?: string;
}

/**
 * add_msg_template's attachments as a message record keeps them. With `check`, their media ids are checked:
 * an image's media_id (media_id wins over pic_url when both are given), a video's or file's media_id, a
 * mini-program's pic_media_id (40007 when one is unknown, of another type or past its 3 days). Without, as
 * they are (a task the member confirms after the 3 days still delivers what WeCom accepted).
 */
export function attachmentMedia(
  sim: Simulator,
  corp: CorpState,
  attachments: readonly Record<string, unknown>[],
  check: boolean,
): DeliveredAttachment[] {
  return attachments.map((a) => describe(sim, corp, a, check));
}

function describe(
  sim: Simulator,
  corp: CorpState,
  a: Record<string, unknown>,
  check: boolean,
): DeliveredAttachment {
  const msgtype = String(a.msgtype);
  const body = (a[msgtype] ?? {}) as Record<string, unknown>;
  const media = (id: unknown, type: TempMediaType) => {
    if (check) {
      const m = liveTempMedia(sim, corp, id, type);
      return { media_id: m.media_id, filename: m.filename };
    }
    const all = tempMediaOf(corp);
    const key = typeof id === 'string' ? id : '';
    return { media_id: key, ...(Object.hasOwn(all, key) ? { filename: all[key]!.filename } : {}) };
  };
  switch (msgtype) {
    case 'image':
      if (body.media_id === undefined && typeof body.pic_url === 'string')
        return { msgtype, pic_url: body.pic_url };
      return { msgtype, ...media(body.media_id, 'image') };
    case 'video':
    case 'file':
      return { msgtype, ...media(body.media_id, msgtype) };
    case 'miniprogram':
      return { msgtype, title: String(body.title ?? ''), ...media(body.pic_media_id, 'image') };
    case 'link':
      return { msgtype, title: String(body.title ?? ''), url: String(body.url ?? '') };
    default:
      return { msgtype };
  }
}
