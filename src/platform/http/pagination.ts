import { z } from 'zod';
import { AppError } from './errors.ts';

/** Keyset pagination: the cursor is the last id seen, opaque to clients. */
export const pageQuery = {
  cursor: z.string().max(64).optional().describe('nextCursor from the previous page'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
};

export function encodeCursor(id: number): string {
  return Buffer.from(`id:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const m = /^id:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('bad_request', { zh: '分页游标无效', en: 'Invalid cursor' });
  return Number(m[1]);
}

/** Callers fetch limit + 1 rows; the extra one only says whether there is a next page. */
export function toPage<T extends { id: number }>(
  rows: T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
}

export const pageReply = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
