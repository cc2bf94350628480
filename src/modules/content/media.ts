import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { rgbPng } from '../../platform/png.ts';
import { FetchRefused, fetchPublic } from '../../platform/public-fetch.ts';
import type { UploadAttachmentResponse } from '../../wecom/client.ts';
import { WecomApiError } from '../../wecom/errors.ts';
import type { SyncCtx } from '../context.ts';
import type { MediaUpload } from './rules.ts';

/**
 * A library item's files as WeCom media: before add_msg_template is called (mass sends, group sends and
 * journeys alike post it through one outbox sender), each file the rendered message needs (an image, a
 * video, a file, a mini-program card's cover) is uploaded with media/upload, once: its media_id is kept
 * (content_media) and reused while WeCom keeps it (3 days), then uploaded again. A file that cannot be fetched
 * or uploaded fails the call with the reason (the send's row shows it); nothing is sent without it.
 */

/** A media_id lives 3 days from WeCom's created_at. */
export const MEDIA_TTL_MS = 3 * 86_400_000;
/** A kept media_id is used only while it has this much life left (the call may wait in the outbox a while). */
export const MEDIA_REUSE_MARGIN_MS = 2 * 3_600_000;
/** WeCom's limits of media/upload, in bytes. */
export const MEDIA_MAX_BYTES = { image: 10 * 1024 * 1024, video: 10 * 1024 * 1024, file: 20 * 1024 * 1024 };
const FETCH_TIMEOUT_MS = 20_000;

/**
 * Sample files Siyu draws itself (the demo brand's library): `https://samples.siyu.invalid/<name>.png`
 * (an image) or `….pdf` (a one-page PDF).
 * The `.invalid` name never resolves, so these are never fetched from anywhere.
 */
export const SAMPLE_MEDIA_BASE = 'https://samples.siyu.invalid/';

/** What errors carry to the outbox row (its last_error) and the send's row. */
export const MEDIA_ERROR_PREFIX = 'media upload failed';

export class MediaError extends Error {
  override readonly name = 'MediaError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly errcode?: number,
  ) {
    super(`${MEDIA_ERROR_PREFIX}: ${message}`);
  }
}

/** The one call this needs of the WeCom client. */
export interface MediaClient {
  uploadMedia(
    type: 'image' | 'video' | 'file',
    file: { filename: string; contentType: string; data: Uint8Array },
  ): Promise<UploadAttachmentResponse>;
}

/** Reads a file's bytes; injectable for tests. */
export type SourceFetch = (url: string) => Promise<{ data: Uint8Array; contentType: string }>;

/** The request key under which a rendered message carries its media until they are uploaded. */
export const MEDIA_KEY = 'siyu_media';

/**
 * Fills the media ids of a message (add_msg_template's request, with the `siyu_media` list renderContent's
 * `media` became): each file uploaded once and reused while valid. Returns the request as WeCom takes it
 * (without the list), and the sources used, to forget if WeCom refuses an id (`forgetMedia`).
 */
export async function attachMedia(
  ctx: SyncCtx,
  client: MediaClient,
  request: Record<string, unknown>,
  fetchSource: SourceFetch = fetchMediaSource,
): Promise<{ request: Record<string, unknown>; sources: { mediaType: string; source: string }[] }> {
  const media = (request[MEDIA_KEY] ?? []) as MediaUpload[];
  const { [MEDIA_KEY]: _, ...rest } = request;
  if (!Array.isArray(media) || media.length === 0) return { request: rest, sources: [] };
  const attachments = structuredClone((rest.attachments ?? []) as Record<string, Record<string, unknown>>[]);
  const ids = new Map<string, string>();
  for (const m of media) {
    const key = `${m.mediaType}|${m.url}`;
    let id = ids.get(key);
    if (!id) {
      id = await mediaIdFor(ctx, client, m, fetchSource);
      ids.set(key, id);
    }
    const a = attachments[m.attachment];
    const body = a?.[String(a.msgtype)];
    if (!body || typeof body !== 'object')
      throw new MediaError(`attachment ${m.attachment} is missing`, false);
    body[m.field] = id;
  }
  return {
    request: { ...rest, attachments },
    sources: media.map((m) => ({ mediaType: m.mediaType, source: m.url })),
  };
}

/** Drops kept media ids (WeCom no longer knows them: 40007): the next send uploads them again. */
export async function forgetMedia(ctx: SyncCtx, sources: { mediaType: string; source: string }[]) {
  for (const s of sources) {
    await ctx.cdb.db
      .deleteFrom('content_media')
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('media_type', '=', s.mediaType as 'image')
      .where('source', '=', s.source)
      .execute();
  }
}

async function mediaIdFor(
  ctx: SyncCtx,
  client: MediaClient,
  m: MediaUpload,
  fetchSource: SourceFetch,
): Promise<string> {
  const now = ctx.clock.now();
  const kept = await ctx.cdb.db
    .selectFrom('content_media')
    .select(['media_id', 'expires_at'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('media_type', '=', m.mediaType)
    .where('source', '=', m.url)
    .executeTakeFirst();
  if (kept && kept.expires_at.getTime() - now.getTime() > MEDIA_REUSE_MARGIN_MS) return kept.media_id;

  let file: { data: Uint8Array; contentType: string };
  try {
    file = await fetchSource(m.url);
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError(`${m.url} could not be fetched (${(err as Error).message})`, true);
  }
  const max = MEDIA_MAX_BYTES[m.mediaType];
  if (file.data.byteLength > max)
    throw new MediaError(`${m.url} is ${file.data.byteLength} bytes; WeCom takes at most ${max}`, false);
  const filename = fileNameOf(m, file.contentType);
  const { mediaId, uploadedAt, expiresAt } = await uploadToWecom(
    m.url,
    () => client.uploadMedia(m.mediaType, { filename, contentType: file.contentType, data: file.data }),
    now,
  );
  await sql`insert into content_media (corp_id, media_type, source, media_id, uploaded_at, expires_at)
    values (${ctx.cdb.corpId}, ${m.mediaType}, ${m.url}, ${mediaId}, ${uploadedAt}, ${expiresAt})
    on conflict (corp_id, media_type, source) do update set media_id = excluded.media_id,
      uploaded_at = excluded.uploaded_at, expires_at = excluded.expires_at`.execute(ctx.cdb.db);
  return mediaId;
}

/**
 * One upload to WeCom (media/upload or upload_attachment): a failure is a MediaError naming `what`
 * (retryable as WeCom says), and the id is valid MEDIA_TTL_MS from WeCom's created_at (or `now`).
 */
export async function uploadToWecom(
  what: string,
  upload: () => Promise<UploadAttachmentResponse>,
  now: Date,
): Promise<{ mediaId: string; uploadedAt: Date; expiresAt: Date }> {
  let uploaded: UploadAttachmentResponse;
  try {
    uploaded = await upload();
  } catch (err) {
    if (err instanceof WecomApiError)
      throw new MediaError(`${what}: ${err.message}`, err.retryable, err.errcode);
    throw new MediaError(`${what}: ${(err as Error).message}`, true);
  }
  const created = Number(uploaded.created_at);
  const uploadedAt = Number.isFinite(created) && created > 0 ? new Date(created * 1000) : now;
  return { mediaId: uploaded.media_id, uploadedAt, expiresAt: new Date(uploadedAt.getTime() + MEDIA_TTL_MS) };
}

const EXTENSIONS: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/jpg': '.jpg',
  'video/mp4': '.mp4',
  'application/pdf': '.pdf',
};

/** The name WeCom shows (a file's), with the extension its format check wants (.jpg/.png, .mp4). */
export function fileNameOf(m: Pick<MediaUpload, 'url' | 'name' | 'mediaType'>, contentType: string): string {
  const fromUrl = decodeURIComponent(new URL(m.url).pathname.split('/').pop() ?? '') || 'file';
  const base = (m.name?.trim() || fromUrl).replace(/[\\/\r\n"]/g, '_').slice(0, 100);
  const ext = EXTENSIONS[contentType.split(';')[0]!.trim().toLowerCase()];
  const wanted = m.mediaType === 'image' ? /\.(jpe?g|png)$/i : m.mediaType === 'video' ? /\.mp4$/i : null;
  if (wanted ? wanted.test(base) : /\.[a-z0-9]{1,5}$/i.test(base)) return base;
  if (ext) return `${base}${ext}`;
  return m.mediaType === 'image' ? `${base}.png` : m.mediaType === 'video' ? `${base}.mp4` : base;
}

/** The bytes of a library file: drawn for the sample host, else fetched from a public address within 20 MB. */
export async function fetchMediaSource(url: string): Promise<{ data: Uint8Array; contentType: string }> {
  if (url.startsWith(SAMPLE_MEDIA_BASE)) {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    if (name.endsWith('.pdf')) return { data: samplePdf(name), contentType: 'application/pdf' };
    return { data: samplePng(name), contentType: 'image/png' };
  }
  try {
    return await fetchPublic(url, { maxBytes: MEDIA_MAX_BYTES.file, timeoutMs: FETCH_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof FetchRefused) throw new MediaError(`${url}: ${err.message}`, err.retryable);
    throw err;
  }
}

/* ---------- sample images ---------- */

const PALETTE = [
  [124, 179, 5],
  [8, 151, 156],
  [212, 136, 6],
  [196, 29, 127],
  [29, 57, 196],
  [212, 56, 13],
];

/** A 520×416 PNG (a mini-program cover's size): two bands of a colour chosen by the name. */
export function samplePng(name: string): Buffer {
  const [w, h] = [520, 416];
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.codePointAt(0)!) >>> 0;
  const [r, g, b] = PALETTE[hash % PALETTE.length]!;
  return rgbPng(w, h, (_, y) => (y > h * 0.7 ? [255, 255, 255] : [r!, g!, b!]));
}

/** A one-page PDF with the name on it (the demo's price lists). */
export function samplePdf(name: string): Buffer {
  const text = name.replace(/[^\x20-\x7e]/g, '?').replace(/[()\\]/g, '_');
  const stream = `BT /F1 18 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** `GET /samples/<name>.png|.pdf`: the sample files, for the console's preview (public, immutable). */
export async function sampleRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { file: string } }>(
    '/samples/:file',
    { schema: { hide: true } },
    async (request, reply) => {
      const name = request.params.file;
      if (!/^[\w.-]{1,80}\.(png|pdf)$/.test(name))
        return reply.code(404).type('text/plain').send('no such file');
      const pdf = name.endsWith('.pdf');
      return reply
        .type(pdf ? 'application/pdf' : 'image/png')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(pdf ? samplePdf(name) : samplePng(name));
    },
  );
}
