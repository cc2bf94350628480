import { sql } from 'kysely';
import { notFound } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { assertUnitInScope } from '../org/index.ts';
import { groupPersonas } from './persona.ts';
import type { GroupType } from './schema.ts';
import { groupVisibleTo } from './service.ts';

/**
 * A group audience (a group 群发's target): groups of these types, owned by members of these units (and
 * below), or these groups; optionally only groups whose persona passes the given shares of their members.
 * Criteria combine with AND; a list within a criterion is OR.
 */
export interface GroupAudience {
  types?: GroupType[];
  unitIds?: number[];
  groupIds?: number[];
  persona?: {
    /** Share of the group's customers who have ordered, 0–1. */
    minBuyerShare?: number;
    /** Share who are loyalty-programme members. */
    minLoyaltyShare?: number;
    /** Share who are high-frequency buyers. */
    minHighFrequencyShare?: number;
  };
}

export interface AudienceGroup {
  groupId: number;
  chatId: string;
  name: string;
  type: GroupType | null;
  memberCount: number;
  ownerStaffId: number | null;
  ownerUserid: string | null;
  ownerName: string | null;
  ownerActive: boolean;
  unitId: number | null;
  unitName: string | null;
}

/**
 * The active groups of an audience within the caller's scope (the group scope rule: the owner's unit), by
 * id. A unit outside the scope is 403; a group id the caller does not see is 404.
 */
export async function groupAudience(ctx: Ctx, audience: GroupAudience): Promise<AudienceGroup[]> {
  for (const u of audience.unitIds ?? []) assertUnitInScope(ctx.actor, u);
  let q = ctx.cdb.db
    .selectFrom('groups as g')
    .leftJoin('staff as os', (j) =>
      j.onRef('os.corp_id', '=', 'g.corp_id').onRef('os.id', '=', 'g.owner_staff_id'),
    )
    .leftJoin('org_units as ou', (j) =>
      j.onRef('ou.corp_id', '=', 'os.corp_id').onRef('ou.id', '=', 'os.unit_id'),
    )
    .select([
      'g.id',
      'g.chat_id',
      'g.name',
      'g.type',
      'g.member_count',
      'g.owner_staff_id',
      'g.owner_userid',
      'os.name as owner_name',
      'os.status as owner_status',
      'os.unit_id',
      'ou.name as unit_name',
    ])
    .where('g.corp_id', '=', ctx.cdb.corpId)
    .where('g.status', '=', 'active')
    .where(groupVisibleTo(ctx.actor));
  if (audience.types?.length) q = q.where('g.type', 'in', audience.types);
  if (audience.groupIds?.length) q = q.where('g.id', 'in', audience.groupIds);
  if (audience.unitIds?.length) {
    const units = audience.unitIds;
    q = q.where('os.unit_id', 'in', (sub) =>
      sub
        .selectFrom('org_units as su')
        .innerJoin('org_units as sr', (j) => j.onRef('sr.corp_id', '=', 'su.corp_id'))
        .select('su.id')
        .where('sr.corp_id', '=', ctx.cdb.corpId)
        .where('sr.id', 'in', units)
        .where('su.path', 'like', sql<string>`sr.path || '%'`),
    );
  }
  let rows = await q.orderBy('g.id').execute();
  if (audience.groupIds?.length && !audience.types?.length && !audience.unitIds?.length) {
    const seen = new Set(rows.map((r) => r.id));
    const missing = audience.groupIds.find((id) => !seen.has(id));
    if (missing !== undefined) throw notFound({ zh: `客户群 ${missing}`, en: `Group ${missing}` });
  }
  const p = audience.persona;
  if (p && (p.minBuyerShare || p.minLoyaltyShare || p.minHighFrequencyShare)) {
    const personas = await groupPersonas(ctx);
    rows = rows.filter((r) => {
      const f = personas.get(r.id);
      if (!f || f.members === 0) return false;
      const share = (n: number) => n / f.members;
      return (
        share(f.withOrders) >= (p.minBuyerShare ?? 0) &&
        share(f.loyaltyMembers) >= (p.minLoyaltyShare ?? 0) &&
        share(f.highFrequency) >= (p.minHighFrequencyShare ?? 0)
      );
    });
  }
  return rows.map((r) => ({
    groupId: r.id,
    chatId: r.chat_id,
    name: r.name,
    type: r.type,
    memberCount: r.member_count,
    ownerStaffId: r.owner_staff_id,
    ownerUserid: r.owner_userid,
    ownerName: r.owner_name,
    ownerActive: r.owner_status === 'active',
    unitId: r.unit_id,
    unitName: r.unit_name,
  }));
}
