import type { Role } from '../../platform/actor.ts';
import type { Ctx } from '../context.ts';

type Audience = 'all' | 'ops' | 'front_line';

/** Ops roles see every tag group; front-line roles see the groups meant for them (PLAYBOOK §4). */
const AUDIENCES: Record<Role, Audience[]> = {
  hq_admin: ['all', 'ops', 'front_line'],
  region_manager: ['all', 'ops', 'front_line'],
  store_manager: ['all', 'front_line'],
  staff: ['all', 'front_line'],
};

export async function listTagGroups(ctx: Ctx) {
  const { cdb } = ctx;
  const groups = await cdb.db
    .selectFrom('tag_groups')
    .select(['id', 'name', 'audience'])
    .where('corp_id', '=', cdb.corpId)
    .where('audience', 'in', AUDIENCES[ctx.actor.role])
    .orderBy('sort_order')
    .orderBy('id')
    .execute();
  const tags = groups.length
    ? await cdb.db
        .selectFrom('tags')
        .select(['id', 'name', 'group_id'])
        .where('corp_id', '=', cdb.corpId)
        .where(
          'group_id',
          'in',
          groups.map((g) => g.id),
        )
        .orderBy('sort_order')
        .orderBy('id')
        .execute()
    : [];
  return groups.map((g) => ({
    id: g.id,
    name: g.name,
    audience: g.audience,
    tags: tags.filter((t) => t.group_id === g.id).map((t) => ({ id: t.id, name: t.name })),
  }));
}
