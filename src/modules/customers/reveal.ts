import { AppError, notFound } from '../../platform/http/errors.ts';
import { recordWithinBudget } from '../audit/index.ts';
import type { Ctx } from '../context.ts';
import { PHONE_SEARCH_BUDGET, visibleTo } from './service.ts';

/**
 * The full phone number of a customer in the caller's scope, as an explicit action: never part of a list or
 * a profile (they show the masked number). Each reveal is audited (`customers.phone_reveal`, the masked
 * number only) and counted against the same per-role budget as phone searches; past it, 429 and a
 * `.refused` entry. A customer with no phone answers `phone: null` and is not counted.
 */
export async function revealPhone(ctx: Ctx, customerId: number): Promise<{ phone: string | null }> {
  const row = await ctx.cdb.db
    .selectFrom('customers as c')
    .select(['c.id', 'c.phone_cipher', 'c.phone_masked'])
    .where('c.corp_id', '=', ctx.cdb.corpId)
    .where('c.id', '=', customerId)
    .where(visibleTo(ctx))
    .executeTakeFirst();
  if (!row) throw notFound({ zh: '客户', en: 'Customer' });
  if (!row.phone_cipher) return { phone: null };
  const answer = await recordWithinBudget(
    ctx,
    {
      action: 'customers.phone_reveal',
      subject: `customer:${row.id}`,
      details: { phoneMasked: row.phone_masked },
    },
    PHONE_SEARCH_BUDGET[ctx.actor.role],
  );
  if (!answer.ok) {
    const hour = answer.window === 'hour';
    throw new AppError('rate_limited', {
      zh: `查看完整手机号的次数已用完：每${hour ? '小时' : '天'}最多 ${answer.max} 次`,
      en: `You have used up your phone reveals: at most ${answer.max} per ${hour ? 'hour' : 'day'}`,
    });
  }
  return { phone: ctx.pii.decrypt(row.phone_cipher) };
}
