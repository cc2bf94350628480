import type { SyncCtx } from '../context.ts';

/** user/get's fields that Siyu keeps. status: 1 active, 2 disabled, 4 not yet activated, 5 left the corp. */
export interface WecomUser {
  userid: string;
  name?: string;
  department?: number[];
  main_department?: number;
  position?: string;
  status?: number;
  /** The member's personal QR (a URL WeCom serves): kept for the name card. */
  qr_code?: string;
}

/**
 * Creates or updates a staff row from WeCom. A new member lands in the unit of their (main) department, or
 * the root unit, with persona `sales` and journey role `store_staff` until HQ sets them; an existing
 * member keeps Siyu's own persona and role.
 */
export async function upsertStaffFromWecom(
  ctx: SyncCtx,
  user: WecomUser,
  unitOfDept: ReadonlyMap<number, number>,
): Promise<{ id: number; created: boolean }> {
  const { cdb } = ctx;
  const db = cdb.db;
  const dept = user.main_department ?? user.department?.[0];
  const unitId = (dept !== undefined ? unitOfDept.get(dept) : undefined) ?? (await rootUnitId(ctx));
  const status = user.status === 5 ? 'departed' : user.status === 2 ? 'disabled' : 'active';
  const existing = await db
    .selectFrom('staff')
    .select('id')
    .where('corp_id', '=', cdb.corpId)
    .where('userid', '=', user.userid)
    .executeTakeFirst();
  if (existing) {
    await db
      .updateTable('staff')
      .set({
        ...(user.name ? { name: user.name } : {}),
        ...(user.position !== undefined ? { title: user.position || null } : {}),
        ...(user.qr_code ? { qr_code: user.qr_code } : {}),
        ...(dept !== undefined && unitOfDept.has(dept) ? { unit_id: unitId } : {}),
        status,
      })
      .where('corp_id', '=', cdb.corpId)
      .where('id', '=', existing.id)
      .execute();
    return { id: existing.id, created: false };
  }
  const { id } = await db
    .insertInto('staff')
    .values({
      corp_id: cdb.corpId,
      userid: user.userid,
      name: user.name || user.userid,
      unit_id: unitId,
      persona: 'sales',
      persona_name: null,
      journey_role: 'store_staff',
      title: user.position || null,
      mobile_masked: null,
      qr_code: user.qr_code || null,
      status,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id, created: true };
}

async function rootUnitId(ctx: SyncCtx): Promise<number> {
  const root = await ctx.cdb.db
    .selectFrom('org_units')
    .select('id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('parent_id', 'is', null)
    .orderBy('id')
    .executeTakeFirst();
  if (!root) throw new Error(`corp ${ctx.cdb.corpId} has no root org unit to place new staff in`);
  return root.id;
}

export async function unitsByDepartment(ctx: SyncCtx): Promise<Map<number, number>> {
  const rows = await ctx.cdb.db
    .selectFrom('org_units')
    .select(['id', 'wecom_dept_id'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('wecom_dept_id', 'is not', null)
    .execute();
  return new Map(rows.map((r) => [r.wecom_dept_id!, r.id]));
}
