import { type Ctx, type Deps, syncCtxOf } from '../modules/context.ts';
import { subtreeUnitIds } from '../modules/org/index.ts';
import { createLayering, createSegment } from '../modules/segments/index.ts';

/**
 * HQ's segments and one layering (分层) for the demo brand, saved by the HQ admin once the facts are in, so
 * 分群 and 分层 open on something an operator would have made; the one on HQ's own tag stays HQ's. Two layers deliberately receive the same
 * operation: the warning is part of what the page shows.
 */
export async function createDemoSegments(deps: Deps, corpId: string) {
  const admin = await deps.db
    .selectFrom('accounts')
    .select(['id', 'unit_id'])
    .where('corp_id', '=', corpId)
    .where('username', '=', 'admin')
    .executeTakeFirstOrThrow();
  const base = syncCtxOf(deps, corpId);
  const { cdb } = base;
  const ctx: Ctx = {
    ...base,
    actor: {
      corpId,
      accountId: admin.id,
      role: 'hq_admin',
      unitId: admin.unit_id,
      seesWholeCorp: true,
      unitIds: await subtreeUnitIds(cdb, admin.unit_id),
      staffId: null,
    },
  };
  const save = async (name: string, description: string, rule: Parameters<typeof createSegment>[1]['rule']) =>
    (await createSegment(ctx, { name, description, rule })).id;

  const superUsers = await save('超级用户', 'RFM 三项都在 4 分以上的老客', {
    field: 'stage',
    cmp: 'in',
    value: ['super'],
  });
  const dormantValuable = await save('沉睡高价值', '两个月没来、累计消费 300 元以上', {
    op: 'and',
    rules: [
      { field: 'stage', cmp: 'in', value: ['dormant'] },
      { field: 'ltv_fen', cmp: 'gte', value: 30_000 },
    ],
  });
  const firstOrder = await save('首单新客', '30 天内刚下第一单', {
    op: 'and',
    rules: [
      { field: 'order_count', cmp: 'eq', value: 1 },
      { field: 'last_order_days', cmp: 'lte', value: 30 },
    ],
  });
  const priceSensitive = await save('价格敏感', '一半以上的订单用了券，且不是超级用户', {
    op: 'and',
    rules: [
      { field: 'coupon_share', cmp: 'gte', value: 0.5 },
      { op: 'not', rule: { field: 'stage', cmp: 'in', value: ['super'] } },
    ],
  });
  await save('买过礼盒', '送礼场景的客户', { field: 'product', cmp: 'in', value: ['R01', 'R02', 'R03'] });
  // On tags: a front-line one (stores see and use this segment) and HQ's own (stores never see this one).
  const tag = async (group: string, name: string) =>
    (
      await cdb.db
        .selectFrom('tags as t')
        .innerJoin('tag_groups as g', (j) =>
          j.onRef('g.corp_id', '=', 't.corp_id').onRef('g.id', '=', 't.group_id'),
        )
        .select('t.id')
        .where('t.corp_id', '=', corpId)
        .where('g.name', '=', group)
        .where('t.name', '=', name)
        .executeTakeFirstOrThrow()
    ).id;
  await save('果茶复购客', '爱喝果茶、买过两次以上：新品果茶先请他们试', {
    op: 'and',
    rules: [
      { field: 'tag', cmp: 'in', value: [await tag('口味偏好', '果茶')] },
      { field: 'order_count', cmp: 'gte', value: 2 },
    ],
  });
  await save('加盟线索', '咨询过加盟的客户，总部招商跟进', {
    field: 'tag',
    cmp: 'in',
    value: [await tag('招商线索', '加盟意向')],
  });
  await save('流失客户', '半年没有消费或已无人跟进', { field: 'stage', cmp: 'in', value: ['churned'] });

  await createLayering(
    ctx,
    {
      name: '会员日分层',
      layers: [
        { segmentId: superUsers, operation: '新品试饮邀请' },
        { segmentId: dormantValuable, operation: '专属回归券' },
        { segmentId: firstOrder, operation: '第二杯半价券' },
        { segmentId: priceSensitive, operation: '第二杯半价券' },
      ],
    },
    { days: 365, lang: 'zh' },
  );
}
