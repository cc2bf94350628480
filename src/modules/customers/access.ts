import { AppError } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { assertUnitInScope } from '../org/index.ts';
import { assertTagsVisible, visibleTagIds } from '../tags/index.ts';

/**
 * Field and value access for every reader of customers, in one place. The scope rule (`visibleTo`) decides
 * which customers a caller reads; this decides what they may ask about them. A reader that picks customers by
 * a tag, a unit or a staff member — the customer list's filters (and what shares them: its total, export and
 * bulk tagging), a segment's rule (preview, save, a saved segment's count, members and export, layers) — asks
 * `assertMayAsk` first, so a tag outside the role's tag view (tags/audience.ts), a unit outside the caller's
 * subtree or another unit's staff member is refused with the same 403 whichever reader is asked. Readers that
 * show or compute over a customer's tags without naming them (a row's tags, "has any tag", a rule's tags)
 * keep to `tagsInView`.
 */
export interface CustomerQuestion {
  tagIds?: readonly number[];
  unitIds?: readonly number[];
  staffIds?: readonly number[];
}

export async function assertMayAsk(ctx: Ctx, question: CustomerQuestion): Promise<void> {
  for (const unitId of new Set(question.unitIds ?? [])) assertUnitInScope(ctx.actor, unitId);
  await assertStaffInScope(ctx, question.staffIds ?? []);
  await assertTagsVisible(ctx, [...new Set(question.tagIds ?? [])]);
}

/** Ids of the tags the caller's role sees, as a subquery; null when it sees them all. */
export const tagsInView = visibleTagIds;

async function assertStaffInScope(ctx: Ctx, staffIds: readonly number[]): Promise<void> {
  const wanted = [...new Set(staffIds)];
  if (!wanted.length) return;
  const found = await ctx.cdb.db
    .selectFrom('staff')
    .select('id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', 'in', wanted)
    .where('unit_id', 'in', [...ctx.actor.unitIds])
    .execute();
  const missing = wanted.filter((id) => !found.some((f) => f.id === id));
  if (missing.length) {
    throw new AppError('forbidden', {
      zh: `员工 ${missing.join(', ')} 不在你的权限范围内`,
      en: `Staff ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} outside your scope`,
    });
  }
}
