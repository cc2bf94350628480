import { sql } from 'kysely';
import type { Actor } from '../../platform/actor.ts';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import type { Tables } from '../tables.ts';
import type { OrgUnitsTable } from './schema.ts';

export interface UnitRow {
  id: number;
  parentId: number | null;
  kind: OrgUnitsTable['kind'];
  name: string;
  code: string | null;
}

/** The unit and everything under it (its path is a prefix of theirs). */
export async function subtreeUnitIds(cdb: CorpDb<Tables>, unitId: number): Promise<number[]> {
  const rows = await cdb.db
    .selectFrom('org_units as u')
    .innerJoin('org_units as root', (j) => j.onRef('root.corp_id', '=', 'u.corp_id'))
    .select('u.id')
    .where('root.corp_id', '=', cdb.corpId)
    .where('root.id', '=', unitId)
    .where('u.path', 'like', sql<string>`root.path || '%'`)
    .orderBy('u.id')
    .execute();
  return rows.map((r) => r.id);
}

export async function isRootUnit(cdb: CorpDb<Tables>, unitId: number): Promise<boolean> {
  const unit = await cdb.db
    .selectFrom('org_units')
    .select('parent_id')
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', unitId)
    .executeTakeFirst();
  return unit !== undefined && unit.parent_id === null;
}

export async function listUnits(ctx: Ctx): Promise<UnitRow[]> {
  const rows = await ctx.cdb.db
    .selectFrom('org_units')
    .select(['id', 'parent_id', 'kind', 'name', 'code'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', 'in', [...ctx.actor.unitIds])
    .orderBy('path')
    .execute();
  return rows.map((r) => ({ id: r.id, parentId: r.parent_id, kind: r.kind, name: r.name, code: r.code }));
}

/** A filter naming a unit outside the caller's subtree is refused, not silently emptied. */
export function assertUnitInScope(actor: Actor, unitId: number): void {
  if (!actor.unitIds.includes(unitId)) {
    throw new AppError('forbidden', {
      zh: `组织 ${unitId} 不在你的权限范围内`,
      en: `Unit ${unitId} is outside your scope`,
    });
  }
}
