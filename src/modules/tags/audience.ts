import { sql } from 'kysely';
import type { Actor, Role } from '../../platform/actor.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';

export type Audience = 'all' | 'ops' | 'front_line' | 'hq';
export const AUDIENCES: readonly Audience[] = ['all', 'ops', 'front_line', 'hq'];

/**
 * Tag views per role (PLAYBOOK §4: different users need different tags). Need and consumption tags
 * (`front_line`: taste, spend level, behaviour) are for whoever follows customers: front-line staff, and the
 * store and region managers who follow customers themselves and run the stores' follow-up. Region and
 * channel tags (`ops`) are for the managers; `hq` groups (franchise leads, pilot cohorts) stay with HQ;
 * `all` is everyone's. HQ admins define the groups and their audience, so they see every group.
 */
const VIEWS: Record<Role, readonly Audience[]> = {
  hq_admin: AUDIENCES,
  region_manager: ['all', 'ops', 'front_line'],
  store_manager: ['all', 'ops', 'front_line'],
  staff: ['all', 'front_line'],
};

export function audiencesOf(role: Role): readonly Audience[] {
  return VIEWS[role];
}

const seesEveryTag = (actor: Actor) => VIEWS[actor.role].length === AUDIENCES.length;

/** Ids of the tags the caller's role does not see, as a subquery; null when it sees them all. */
export function hiddenTagIds(ctx: Ctx) {
  if (seesEveryTag(ctx.actor)) return null;
  return ctx.cdb.db
    .selectFrom('tags as ht')
    .innerJoin('tag_groups as hg', (j) =>
      j.onRef('hg.corp_id', '=', 'ht.corp_id').onRef('hg.id', '=', 'ht.group_id'),
    )
    .select('ht.id')
    .where('ht.corp_id', '=', ctx.cdb.corpId)
    .where('hg.audience', 'not in', [...audiencesOf(ctx.actor.role)]);
}

/** Ids of the tags the caller's role sees, as a subquery; null when it sees them all. */
export function visibleTagIds(ctx: Ctx) {
  if (seesEveryTag(ctx.actor)) return null;
  return ctx.cdb.db
    .selectFrom('tags as vt')
    .innerJoin('tag_groups as vg', (j) =>
      j.onRef('vg.corp_id', '=', 'vt.corp_id').onRef('vg.id', '=', 'vt.group_id'),
    )
    .select('vt.id')
    .where('vt.corp_id', '=', ctx.cdb.corpId)
    .where('vg.audience', 'in', [...audiencesOf(ctx.actor.role)]);
}

/** A filter or an edit naming tags outside the caller's view is refused (403), like a unit outside scope. */
export async function assertTagsVisible(ctx: Ctx, tagIds: readonly number[]): Promise<void> {
  const hidden = hiddenTagIds(ctx);
  if (!hidden || tagIds.length === 0) return;
  const found = await hidden.where('ht.id', 'in', [...tagIds]).execute();
  if (found.length) {
    throw new AppError('forbidden', {
      zh: `标签 ${found.map((r) => r.id).join(', ')} 不在你的标签视图内`,
      en: `Tag ${found.map((r) => r.id).join(', ')} is outside your tag view`,
    });
  }
}

/**
 * For the customer timeline: true for events the caller may see — every event except tag changes of hidden
 * tags (a deleted tag's events stay visible: its group is gone).
 */
export function timelineTagFilter(ctx: Ctx) {
  const hidden = hiddenTagIds(ctx);
  if (!hidden) return null;
  return sql<boolean>`(e.kind not in ('tag_added', 'tag_removed') or coalesce((e.data ->> 'tagId')::bigint, 0) not in (${hidden}))`;
}
