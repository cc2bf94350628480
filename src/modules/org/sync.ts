import type { SyncCtx } from '../context.ts';

export interface WecomDepartment {
  id: number;
  name: string;
  parentid: number;
  order?: number;
}

/**
 * Mirrors WeCom departments as org units. A unit already linked to the department is updated; otherwise a
 * unit of the same name under the same parent is adopted; otherwise one is created (root → hq, its
 * children → region, deeper → store; an admin may change the kind). Returns department id → unit id.
 */
export async function syncDepartments(
  ctx: SyncCtx,
  departments: WecomDepartment[],
): Promise<Map<number, number>> {
  return ctx.cdb.transaction(async (tx) => {
    const db = tx.db;
    const corp_id = tx.corpId;
    const byId = new Map(departments.map((d) => [d.id, d]));
    const depth = (d: WecomDepartment): number => {
      let n = 0;
      for (let p = byId.get(d.parentid); p && n < 64; p = byId.get(p.parentid)) n++;
      return n;
    };
    const ordered = [...departments].sort((a, b) => depth(a) - depth(b) || a.id - b.id);
    const unitOf = new Map<number, number>();
    for (const d of ordered) {
      const parentUnit = unitOf.get(d.parentid) ?? null;
      const parentPath = parentUnit
        ? (
            await db
              .selectFrom('org_units')
              .select('path')
              .where('corp_id', '=', corp_id)
              .where('id', '=', parentUnit)
              .executeTakeFirstOrThrow()
          ).path
        : '/';
      const linked = await db
        .selectFrom('org_units')
        .select('id')
        .where('corp_id', '=', corp_id)
        .where('wecom_dept_id', '=', d.id)
        .executeTakeFirst();
      const adopt = linked
        ? undefined
        : await db
            .selectFrom('org_units')
            .select('id')
            .where('corp_id', '=', corp_id)
            .where('name', '=', d.name)
            .where('wecom_dept_id', 'is', null)
            .where((eb) =>
              parentUnit === null ? eb('parent_id', 'is', null) : eb('parent_id', '=', parentUnit),
            )
            .executeTakeFirst();
      const existing = linked ?? adopt;
      let id: number;
      if (existing) {
        id = existing.id;
        await db
          .updateTable('org_units')
          .set({ name: d.name, wecom_dept_id: d.id, parent_id: parentUnit, path: `${parentPath}${id}/` })
          .where('corp_id', '=', corp_id)
          .where('id', '=', id)
          .execute();
      } else {
        const level = depth(d);
        const kind = level === 0 ? 'hq' : level === 1 ? 'region' : 'store';
        id = (
          await db
            .insertInto('org_units')
            .values({
              corp_id,
              parent_id: parentUnit,
              kind,
              name: d.name,
              code: null,
              path: '',
              wecom_dept_id: d.id,
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;
        await db
          .updateTable('org_units')
          .set({ path: `${parentPath}${id}/` })
          .where('corp_id', '=', corp_id)
          .where('id', '=', id)
          .execute();
      }
      unitOf.set(d.id, id);
    }
    return unitOf;
  });
}
