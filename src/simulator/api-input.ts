import { z } from 'zod';
import { WecomError } from './errors.ts';

/**
 * Validation of WeCom API request bodies. WeCom ignores unknown fields and reports bad ones as
 * 40058 "<what>. invalid Request Parameter"; numbers sent as strings are accepted.
 */
export function parseApi<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.join('.') || 'body';
  if (issue.code === 'invalid_type' && issue.input === undefined)
    throw new WecomError(40058, `missing ${path}`);
  if (issue.code === 'custom') throw new WecomError(40058, issue.message);
  throw new WecomError(40058, `${path} invalid: ${issue.message}`);
}

/** A string of at most `max` characters (code points), e.g. state ≤ 30. */
export function chars(name: string, max: number) {
  return z.string().refine((s) => [...s].length <= max, `${name} exceed max length ${max}`);
}

/** A string of at most `max` UTF-8 bytes, e.g. text.content ≤ 4000 bytes. */
export function utf8Bytes(name: string, max: number) {
  return z.string().refine((s) => Buffer.byteLength(s, 'utf8') <= max, `${name} exceed max length ${max}`);
}

export const int = z.coerce.number().int();
export const userids = z.array(z.string());

const CURSOR_PREFIX = 'simc_';

/** Opaque cursors: the offset into a stable listing. */
export function encodeCursor(offset: number): string {
  return `${CURSOR_PREFIX}${Buffer.from(String(offset)).toString('base64url')}`;
}

export function decodeCursor(cursor: string | undefined | null): number {
  if (!cursor) return 0;
  if (!cursor.startsWith(CURSOR_PREFIX)) throw new WecomError(40058, 'invalid cursor');
  const offset = Number(Buffer.from(cursor.slice(CURSOR_PREFIX.length), 'base64url').toString());
  if (!Number.isInteger(offset) || offset < 0) throw new WecomError(40058, 'invalid cursor');
  return offset;
}

/** One page of `items` from `cursor`, with WeCom's `next_cursor` ('' on the last page). */
export function page<T>(items: readonly T[], cursor: string | undefined, limit: number) {
  const offset = decodeCursor(cursor);
  const slice = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? encodeCursor(offset + limit) : '';
  return { items: slice, next_cursor: next };
}
