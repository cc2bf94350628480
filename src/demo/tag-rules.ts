import type { Kysely } from 'kysely';
import type { Tables } from '../modules/tables.ts';
import type { TagRuleKind } from '../modules/tag-rules/index.ts';

/**
 * HQ's auto-tag rules for the demo brand, set before the orders arrive so that the orders tag customers as
 * they come in (and today's live adds through store codes are tagged too). Tags are `group/tag` of brand.ts.
 */
const RULES: { name: string; kind: TagRuleKind; condition: Record<string, unknown>; tags: string[] }[] = [
  {
    name: '买过礼盒',
    kind: 'order_product',
    condition: { productCodes: ['R01', 'R02', 'R03'] },
    tags: ['行为特征/礼盒客'],
  },
  {
    name: '爱喝果茶',
    kind: 'order_product',
    condition: { productCodes: ['D01', 'D02', 'D03', 'D04'] },
    tags: ['口味偏好/果茶'],
  },
  {
    name: '爱喝奶茶',
    kind: 'order_product',
    condition: { productCodes: ['D05', 'D07', 'D10'] },
    tags: ['口味偏好/奶茶'],
  },
  { name: '单笔满100元', kind: 'order_amount', condition: { minPaidFen: 10_000 }, tags: ['行为特征/大单客'] },
  {
    name: '常用周三券和买一送一',
    kind: 'order_coupon',
    condition: { couponCodes: ['WED3', 'BOGO'] },
    tags: ['行为特征/用券达人'],
  },
  {
    name: '咨询加盟',
    kind: 'keyword',
    condition: { keywords: ['加盟', '代理', '开店'] },
    tags: ['招商线索/加盟意向'],
  },
  {
    name: '门店物料扫码',
    kind: 'channel',
    condition: { methods: ['table_card', 'poster', 'rollup_banner'], scenes: [] },
    tags: ['行为特征/门店扫码'],
  },
];

export async function createDemoTagRules(db: Kysely<Tables>, corpId: string): Promise<void> {
  const tags = await db
    .selectFrom('tags as t')
    .innerJoin('tag_groups as g', (j) =>
      j.onRef('g.corp_id', '=', 't.corp_id').onRef('g.id', '=', 't.group_id'),
    )
    .select(['t.id', 't.name', 'g.name as group'])
    .where('t.corp_id', '=', corpId)
    .execute();
  const idOf = new Map(tags.map((t) => [`${t.group}/${t.name}`, t.id]));
  for (const r of RULES) {
    const { id } = await db
      .insertInto('tag_rules')
      .values({ corp_id: corpId, name: r.name, kind: r.kind, condition: JSON.stringify(r.condition) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('tag_rule_tags')
      .values(
        r.tags.map((name) => {
          const tagId = idOf.get(name);
          if (tagId === undefined) throw new Error(`demo tag rule ${r.name}: no tag ${name}`);
          return { corp_id: corpId, rule_id: id, tag_id: tagId };
        }),
      )
      .execute();
  }
}
