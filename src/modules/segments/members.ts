import { type ExportFormat, MAX_EXPORT_ROWS } from '../../platform/export.ts';
import { decodeCursor, encodeCursor } from '../../platform/http/pagination.ts';
import { recordAudit } from '../audit/index.ts';
import type { Ctx } from '../context.ts';
import { assertPhoneMode, customersFile, type PhoneMode, tooManyToExport } from '../customers/index.ts';
import { countAudience, newestAudienceIds, sampleAudience } from './compile.ts';
import { storedRule, visibleSegment } from './service.ts';

/** A saved segment's members within the caller's scope, newest customer first, a page at a time. */
export async function segmentMembers(ctx: Ctx, id: number, input: { cursor?: string; limit: number }) {
  const rule = storedRule((await visibleSegment(ctx, id)).rule);
  const items = await sampleAudience(ctx, rule, input.limit + 1, decodeCursor(input.cursor));
  const page = items.slice(0, input.limit);
  const last = page[page.length - 1];
  return { items: page, nextCursor: items.length > input.limit && last ? encodeCursor(last.id) : null };
}

/** A saved segment's members within the caller's scope as a file; audited (who, which segment, how many). */
export async function exportSegmentMembers(
  ctx: Ctx,
  id: number,
  format: ExportFormat,
  phones: PhoneMode = 'masked',
) {
  const segment = await visibleSegment(ctx, id);
  await assertPhoneMode(ctx, phones, 'segments.export', `segment:${id}`);
  const rule = storedRule(segment.rule);
  const ids = await newestAudienceIds(ctx, rule, MAX_EXPORT_ROWS + 1);
  if (ids.length > MAX_EXPORT_ROWS) throw tooManyToExport(await countAudience(ctx, rule));
  const file = await customersFile(ctx, ids, format, `人群-${segment.name}`, phones);
  await recordAudit(ctx, {
    action: 'segments.export',
    subject: `segment:${id}`,
    details: { segmentName: segment.name, rule, format, rows: ids.length, phones },
  });
  return file;
}
