import { type RawBuilder, sql } from 'kysely';
import { AppError } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { assertMayAsk, customerScopeOf, customersVisibleIn } from '../customers/index.ts';
import {
  audienceIds,
  type Complement,
  layerRule,
  type Rule,
  storedRule,
  visibleSegment,
} from '../segments/index.ts';

/** Who a mass send (or a plan) is for. */
export type Audience =
  | { segmentId: number }
  | { layerId: number; layer: number }
  | { tagIds: number[] }
  | { customerIds: number[] };

export const MAX_LIST = 10_000;

/**
 * The audience as a select of customer ids within the caller's scope (needs segments' `scopeCte` before
 * it), reusing the segments compiler. A segment or layer the caller does not see is a 404, one whose rule
 * names what they may not ask a 403; tags outside their tag view are a 403; listed customers outside their
 * scope are a 403 naming how many. `complement`: see the segments' audienceIds.
 */
export async function audienceSql(
  ctx: Ctx,
  audience: Audience,
  complement?: Complement,
): Promise<RawBuilder<unknown>> {
  if ('segmentId' in audience) {
    const row = await visibleSegment(ctx, audience.segmentId);
    return audienceIds(ctx, storedRule(row.rule), complement);
  }
  if ('layerId' in audience) {
    return audienceIds(ctx, await layerRule(ctx, audience.layerId, audience.layer), complement);
  }
  if ('tagIds' in audience) {
    await assertMayAsk(ctx, { tagIds: audience.tagIds });
    const rule: Rule = { field: 'tag', cmp: 'in', value: [...new Set(audience.tagIds)] };
    return audienceIds(ctx, rule, complement);
  }
  const ids = [...new Set(audience.customerIds)];
  const visible = await customersVisibleIn(ctx.cdb, customerScopeOf(ctx.actor), ids);
  const outside = ids.filter((id) => !visible.has(id));
  if (outside.length) {
    throw new AppError('forbidden', {
      zh: `${outside.length} 位客户不存在或不在你的权限范围内（如 ${outside.slice(0, 3).join(', ')}）`,
      en: `${outside.length} customer(s) do not exist or are outside your scope (e.g. ${outside.slice(0, 3).join(', ')})`,
    });
  }
  if (ids.length === 0) return sql`select null::bigint as id where false`;
  return sql`select c.id from customers c where c.corp_id = ${ctx.cdb.corpId} and c.id = any(${ids}::bigint[])`;
}
