import { notFound } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import type { LadderRole } from './schema.ts';

/**
 * Sets a product's role on the product ladder (HQ: the catalogue is the brand's). The product is a code
 * seen on order lines or already named here; its name defaults to the latest order line's.
 */
export async function setProductRole(
  ctx: Ctx,
  code: string,
  input: { role: LadderRole | null; name?: string },
): Promise<{ code: string; name: string; role: LadderRole | null }> {
  const corp = ctx.cdb.corpId;
  const db = ctx.cdb.db;
  const known = await db
    .selectFrom('products')
    .select('name')
    .where('corp_id', '=', corp)
    .where('code', '=', code)
    .executeTakeFirst();
  const line = known
    ? undefined
    : await db
        .selectFrom('order_items')
        .select('product_name')
        .where('corp_id', '=', corp)
        .where('product_code', '=', code)
        .orderBy('order_id', 'desc')
        .limit(1)
        .executeTakeFirst();
  if (!known && !line) throw notFound({ zh: '商品', en: 'Product' });
  const name = input.name ?? known?.name ?? line?.product_name ?? '';
  await db
    .insertInto('products')
    .values({
      corp_id: corp,
      code,
      name,
      ladder_role: input.role,
      updated_by: ctx.actor.accountId,
      updated_at: ctx.clock.now(),
    })
    .onConflict((oc) =>
      oc.columns(['corp_id', 'code']).doUpdateSet({
        name,
        ladder_role: input.role,
        updated_by: ctx.actor.accountId,
        updated_at: ctx.clock.now(),
      }),
    )
    .execute();
  return { code, name, role: input.role };
}
