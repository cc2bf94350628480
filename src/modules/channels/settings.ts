import { sql } from 'kysely';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import type { Tables } from '../tables.ts';
import type { Linkage } from './schema.ts';

/**
 * The four linkages of PLAYBOOK §2: how friends and groups link. Set for the brand (its root unit) and
 * overridable per store; a unit without its own setting inherits its nearest ancestor's.
 */
export const LINKAGES: Linkage[] = ['friend_only', 'group_only', 'friend_then_group', 'group_then_friend'];

/** Which linkage suits a business type, and why (the operator sees the reason). */
export const LINKAGE_RECOMMENDATIONS: {
  linkage: Linkage;
  businessTypes: string[];
  why: { zh: string; en: string };
}[] = [
  {
    linkage: 'friend_only',
    businessTypes: ['fine_dining', 'tea_room', 'luxury_retail', 'clinic', 'education'],
    why: {
      zh: '客单价高、重私密服务：一对一私聊 + 朋友圈',
      en: 'High ticket, private service: 1:1 chat and Moments',
    },
  },
  {
    linkage: 'group_only',
    businessTypes: ['franchise', 'snacks', 'tea_drinks', 'fmcg', 'mother_baby'],
    why: {
      zh: '门店多、复购快、客单价低：用社群批量触达',
      en: 'Many stores, frequent low-ticket repurchase: reach in groups',
    },
  },
  {
    linkage: 'friend_then_group',
    businessTypes: ['hotpot', 'bbq', 'fast_food'],
    why: {
      zh: '直营餐饮：先加好友再进群，触达最全',
      en: 'Direct-run dining: friend first, then group, for full reach',
    },
  },
  {
    linkage: 'group_then_friend',
    businessTypes: ['single_store', 'community_group_buy', 'small_chain'],
    why: {
      zh: '单店老板、社区团长：先进群再加好友',
      en: 'Single-store owners and community leaders: group first, then friend',
    },
  },
];

export function recommendLinkage(businessType: string | null): Linkage {
  return (
    LINKAGE_RECOMMENDATIONS.find((r) => businessType && r.businessTypes.includes(businessType))?.linkage ??
    'friend_then_group'
  );
}

/**
 * The settings that apply at a unit: its own row, else its nearest ancestor's; without any, the linkage
 * recommended for the brand's business type and each role adding customers at its journey node.
 */
export async function effectiveSettings(
  cdb: CorpDb<Tables>,
  unitId: number,
): Promise<{ linkage: Linkage; addsModel: 'central' | 'journey' }> {
  // One read (it runs in every welcome): the nearest settings up the tree, beside the brand's business type.
  const row = await cdb.db
    .selectFrom('corps as c')
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('org_units as u')
          .innerJoin('org_units as a', (j) => j.onRef('a.corp_id', '=', 'u.corp_id'))
          .innerJoin('acquisition_settings as s', (j) =>
            j.onRef('s.corp_id', '=', 'a.corp_id').onRef('s.unit_id', '=', 'a.id'),
          )
          .select(['s.linkage', 's.adds_model'])
          .where('u.corp_id', '=', cdb.corpId)
          .where('u.id', '=', unitId)
          .where('u.path', 'like', sql<string>`a.path || '%'`)
          .orderBy(sql`length(a.path)`, 'desc')
          .limit(1)
          .as('s'),
      (j) => j.onTrue(),
    )
    .select(['c.business_type', 's.linkage', 's.adds_model'])
    .where('c.corp_id', '=', cdb.corpId)
    .executeTakeFirst();
  if (row?.linkage && row.adds_model) return { linkage: row.linkage, addsModel: row.adds_model };
  return { linkage: recommendLinkage(row?.business_type ?? null), addsModel: 'journey' };
}

export async function effectiveLinkage(cdb: CorpDb<Tables>, unitId: number): Promise<Linkage> {
  return (await effectiveSettings(cdb, unitId)).linkage;
}

/** Whether the welcome after a friend add should carry a group invitation. */
export function welcomeInvitesToGroup(linkage: Linkage): boolean {
  return linkage === 'friend_then_group';
}
