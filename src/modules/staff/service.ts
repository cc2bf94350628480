import { sql } from 'kysely';
import { notFound } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import type { Ctx } from '../context.ts';
import { assertUnitInScope } from '../org/index.ts';

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

function staffQuery(ctx: Ctx) {
  const { cdb } = ctx;
  return cdb.db
    .selectFrom('staff as s')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
    )
    .select((eb) => [
      's.id',
      's.userid',
      's.name',
      's.unit_id',
      'u.name as unit_name',
      's.persona',
      's.persona_name',
      's.journey_role',
      's.title',
      's.status',
      eb
        .selectFrom('follows as f')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('f.corp_id', '=', 's.corp_id')
        .whereRef('f.staff_id', '=', 's.id')
        .where('f.status', '=', 'active')
        .as('customer_count'),
    ])
    .where('s.corp_id', '=', cdb.corpId)
    .where('s.unit_id', 'in', [...ctx.actor.unitIds]);
}

type StaffDbRow = Awaited<ReturnType<ReturnType<typeof staffQuery>['executeTakeFirstOrThrow']>>;

function toStaff(r: StaffDbRow) {
  return {
    id: r.id,
    userid: r.userid,
    name: r.name,
    unitId: r.unit_id,
    unitName: r.unit_name,
    persona: r.persona,
    personaName: r.persona_name,
    journeyRole: r.journey_role,
    title: r.title,
    status: r.status,
    customerCount: Number(r.customer_count ?? 0),
  };
}

export async function listStaff(
  ctx: Ctx,
  input: { unitId?: number; q?: string; cursor?: string; limit: number },
) {
  let query = staffQuery(ctx);
  if (input.unitId !== undefined) {
    assertUnitInScope(ctx.actor, input.unitId);
    const unitId = input.unitId;
    query = query.where('s.unit_id', 'in', (sub) =>
      sub
        .selectFrom('org_units as su')
        .innerJoin('org_units as root', (j) => j.onRef('root.corp_id', '=', 'su.corp_id'))
        .select('su.id')
        .where('root.corp_id', '=', ctx.cdb.corpId)
        .where('root.id', '=', unitId)
        .where('su.path', 'like', sql<string>`root.path || '%'`),
    );
  }
  const q = input.q?.trim().toLowerCase();
  if (q) {
    const pattern = `%${likeEscape(q)}%`;
    query = query.where((eb) => eb.or([eb('s.name', 'like', pattern), eb('s.userid', 'like', pattern)]));
  }
  const after = decodeCursor(input.cursor);
  if (after !== undefined) query = query.where('s.id', '>', after);
  const rows = await query
    .orderBy('s.id')
    .limit(input.limit + 1)
    .execute();
  const page = toPage(rows, input.limit);
  return { items: page.items.map(toStaff), nextCursor: page.nextCursor };
}

export async function getStaff(ctx: Ctx, id: number) {
  const row = await staffQuery(ctx).where('s.id', '=', id).executeTakeFirst();
  if (!row) throw notFound({ zh: '员工', en: 'Staff member' });
  return toStaff(row);
}

/** Per unit in scope: staff in that unit's subtree. */
export async function staffCountsByUnit(ctx: Ctx): Promise<Map<number, number>> {
  const { cdb } = ctx;
  const rows = await cdb.db
    .selectFrom('org_units as u')
    .innerJoin('org_units as su', (j) =>
      j.onRef('su.corp_id', '=', 'u.corp_id').on('su.path', 'like', sql<string>`u.path || '%'`),
    )
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'su.corp_id').onRef('s.unit_id', '=', 'su.id'))
    .select(['u.id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('u.corp_id', '=', cdb.corpId)
    .where('u.id', 'in', [...ctx.actor.unitIds])
    .where('s.status', '!=', 'departed')
    .groupBy('u.id')
    .execute();
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}
