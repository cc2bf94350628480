import { type ExpressionBuilder, sql } from 'kysely';
import type { Actor } from '../../platform/actor.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { assertCustomerVisible } from '../customers/index.ts';
import { assertUnitInScope } from '../org/index.ts';
import type { Tables } from '../tables.ts';
import { GROUP_TYPES, type GroupType } from './schema.ts';

/** A group stops admitting QR joins at 200 members; it holds 500 (API-FACTS §5). */
export const QR_LIMIT = 200;
export const GROUP_LIMIT = 500;
const DAY_MS = 86_400_000;

/** The type a group's name suggests (the brand sets the real one): 福利群 → welfare, 新客群 → new_customer… */
export function suggestType(name: string): GroupType | null {
  if (/VIP|vip|会员|尊享|黑金|铂金|钻石/.test(name)) return 'vip';
  if (/福利|优惠|特价|秒杀|券|折扣|团购/.test(name)) return 'welfare';
  if (/新客|新人|新朋友|尝鲜|首单/.test(name)) return 'new_customer';
  if (/兴趣|爱好|俱乐部|读书|宝妈|健身|烘焙|跑步|吃货|摄影|户外/.test(name)) return 'interest';
  if (/店|门店|社区/.test(name)) return 'store';
  return null;
}

type GroupEb = ExpressionBuilder<Tables & { g: Tables['groups']; os: Tables['staff'] }, 'g' | 'os'>;

/** The scope rule of groups: by the owner's unit; a front-line member sees the groups they own. */
export function groupVisibleTo(actor: Actor) {
  return (eb: GroupEb) => {
    if (actor.role === 'staff') return eb('g.owner_staff_id', '=', actor.staffId ?? -1);
    if (actor.seesWholeCorp) return eb.lit(true);
    return eb('os.unit_id', 'in', [...actor.unitIds]);
  };
}

function scopedGroups(ctx: Ctx) {
  return ctx.cdb.db
    .selectFrom('groups as g')
    .leftJoin('staff as os', (j) =>
      j.onRef('os.corp_id', '=', 'g.corp_id').onRef('os.id', '=', 'g.owner_staff_id'),
    )
    .leftJoin('org_units as ou', (j) =>
      j.onRef('ou.corp_id', '=', 'os.corp_id').onRef('ou.id', '=', 'os.unit_id'),
    )
    .where('g.corp_id', '=', ctx.cdb.corpId)
    .where(groupVisibleTo(ctx.actor));
}

export interface GroupListInput {
  unitId?: number;
  type?: GroupType | 'unset';
  q?: string;
  status?: 'active' | 'dismissed';
  limit: number;
  offset: number;
}

/** Groups in the caller's scope, busiest first, with their joins and leaves over the last 30 days. */
export async function listGroups(ctx: Ctx, input: GroupListInput) {
  const since = new Date(ctx.clock.now().getTime() - 30 * DAY_MS);
  let q = scopedGroups(ctx).where('g.status', '=', input.status ?? 'active');
  if (input.unitId !== undefined) {
    assertUnitInScope(ctx.actor, input.unitId);
    const unitId = input.unitId;
    q = q.where('os.unit_id', 'in', (sub) =>
      sub
        .selectFrom('org_units as su')
        .innerJoin('org_units as sr', (j) => j.onRef('sr.corp_id', '=', 'su.corp_id'))
        .select('su.id')
        .where('sr.corp_id', '=', ctx.cdb.corpId)
        .where('sr.id', '=', unitId)
        .where('su.path', 'like', sql<string>`sr.path || '%'`),
    );
  }
  if (input.type === 'unset') q = q.where('g.type', 'is', null);
  else if (input.type) q = q.where('g.type', '=', input.type);
  if (input.q?.trim())
    q = q.where('g.name', 'like', `%${input.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const total = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q
    .select([
      'g.id',
      'g.chat_id',
      'g.name',
      'g.type',
      'g.owner_userid',
      'os.name as owner_name',
      'os.unit_id',
      'ou.name as unit_name',
      'g.member_count',
      'g.customer_count',
      'g.status',
      'g.created_at_wecom',
      sql<number>`(select count(*) from group_members m where m.corp_id = g.corp_id and m.group_id = g.id and m.join_time >= ${since})`.as(
        'joins',
      ),
      sql<number>`(select count(*) from group_members m where m.corp_id = g.corp_id and m.group_id = g.id and m.left_at >= ${since})`.as(
        'leaves',
      ),
    ])
    .orderBy('g.member_count', 'desc')
    .orderBy('g.id')
    .limit(input.limit)
    .offset(input.offset)
    .execute();
  return { total: Number(total.n), items: rows.map(groupSummary) };
}

type SummaryRow = {
  id: number;
  chat_id: string;
  name: string;
  type: GroupType | null;
  owner_userid: string | null;
  owner_name: string | null;
  unit_id: number | null;
  unit_name: string | null;
  member_count: number;
  customer_count: number;
  status: 'active' | 'dismissed';
  created_at_wecom: Date | null;
  joins: number;
  leaves: number;
};

function groupSummary(r: SummaryRow) {
  return {
    id: r.id,
    chatId: r.chat_id,
    name: r.name,
    type: r.type,
    suggestedType: r.type ? null : suggestType(r.name),
    ownerUserid: r.owner_userid,
    ownerName: r.owner_name,
    unitId: r.unit_id,
    unitName: r.unit_name,
    memberCount: r.member_count,
    customerCount: r.customer_count,
    qrLimit: QR_LIMIT,
    groupLimit: GROUP_LIMIT,
    status: r.status,
    createdAt: r.created_at_wecom?.toISOString() ?? null,
    joins30d: Number(r.joins),
    leaves30d: Number(r.leaves),
  };
}

const MANAGER_ROLES = new Set(['hq_admin', 'region_manager', 'store_manager']);

/** One group in scope (404 outside it), its members (customers linked), its daily joins and leaves. */
export async function getGroup(ctx: Ctx, id: number) {
  const since = new Date(ctx.clock.now().getTime() - 30 * DAY_MS);
  const g = await scopedGroups(ctx)
    .where('g.id', '=', id)
    .select([
      'g.id',
      'g.chat_id',
      'g.name',
      'g.type',
      'g.owner_userid',
      'os.name as owner_name',
      'os.unit_id',
      'ou.name as unit_name',
      'g.member_count',
      'g.customer_count',
      'g.status',
      'g.created_at_wecom',
      'g.notice',
      sql<number>`(select count(*) from group_members m where m.corp_id = g.corp_id and m.group_id = g.id and m.join_time >= ${since})`.as(
        'joins',
      ),
      sql<number>`(select count(*) from group_members m where m.corp_id = g.corp_id and m.group_id = g.id and m.left_at >= ${since})`.as(
        'leaves',
      ),
    ])
    .executeTakeFirst();
  if (!g) throw notFound({ zh: '客户群', en: 'Group' });
  const members = await ctx.cdb.db
    .selectFrom('group_members as m')
    .leftJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'm.corp_id').onRef('c.id', '=', 'm.customer_id'),
    )
    .leftJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'm.corp_id').onRef('s.id', '=', 'm.staff_id'))
    .leftJoin('customer_facts as f', (j) =>
      j.onRef('f.corp_id', '=', 'm.corp_id').onRef('f.customer_id', '=', 'm.customer_id'),
    )
    .select([
      'm.member_key',
      'm.member_type',
      'm.customer_id',
      'c.name as customer_name',
      'c.avatar',
      's.name as staff_name',
      'm.display_name',
      'm.join_time',
      'm.join_scene',
      'm.invitor_userid',
      'm.left_at',
      'f.order_count',
      'f.stage',
    ])
    .where('m.corp_id', '=', ctx.cdb.corpId)
    .where('m.group_id', '=', id)
    .orderBy(sql`m.left_at is not null`)
    .orderBy('m.join_time', 'desc')
    .limit(600)
    .execute();
  const daily = await groupDaily(ctx, [id], 30);
  return {
    ...groupSummary(g),
    notice: g.notice ?? '',
    editable: MANAGER_ROLES.has(ctx.actor.role),
    members: members.map((m) => ({
      key: m.member_key,
      kind: m.member_type === 1 ? ('staff' as const) : ('customer' as const),
      customerId: m.customer_id,
      name: m.customer_name ?? m.staff_name ?? m.display_name ?? '',
      avatar: m.avatar ?? null,
      joinedAt: m.join_time?.toISOString() ?? null,
      joinScene: m.join_scene,
      invitor: m.invitor_userid,
      leftAt: m.left_at?.toISOString() ?? null,
      orderCount: m.order_count ?? null,
      stage: m.stage ?? null,
    })),
    daily,
  };
}

/** Joins and leaves per brand day (UTC+8) over the last `days` days, for these groups. */
export async function groupDaily(ctx: Ctx, groupIds: number[], days: number) {
  if (groupIds.length === 0) return [];
  const now = ctx.clock.now().getTime();
  const since = new Date(now - days * DAY_MS);
  const day = (col: string) => sql<string>`to_char(${sql.ref(col)} + interval '8 hours', 'YYYY-MM-DD')`;
  const joins = await ctx.cdb.db
    .selectFrom('group_members')
    .select([day('join_time').as('day'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('group_id', 'in', groupIds)
    .where('member_type', '=', 2)
    .where('join_time', '>=', since)
    .groupBy(sql`1`)
    .execute();
  const leaves = await ctx.cdb.db
    .selectFrom('group_members')
    .select([day('left_at').as('day'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('group_id', 'in', groupIds)
    .where('member_type', '=', 2)
    .where('left_at', '>=', since)
    .groupBy(sql`1`)
    .execute();
  const j = new Map(joins.map((r) => [r.day, Number(r.n)]));
  const l = new Map(leaves.map((r) => [r.day, Number(r.n)]));
  const out: { day: string; joins: number; leaves: number }[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(now - i * DAY_MS + 8 * 3_600_000).toISOString().slice(0, 10);
    out.push({ day: d, joins: j.get(d) ?? 0, leaves: l.get(d) ?? 0 });
  }
  return out;
}

/** The brand (a manager) sets a group's type; null clears it. */
export async function setGroupType(ctx: Ctx, id: number, type: GroupType | null) {
  if (!MANAGER_ROLES.has(ctx.actor.role)) throw new AppError('forbidden');
  const g = await scopedGroups(ctx).where('g.id', '=', id).select('g.id').executeTakeFirst();
  if (!g) throw notFound({ zh: '客户群', en: 'Group' });
  await ctx.cdb.db
    .updateTable('groups')
    .set({ type })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .execute();
  return getGroup(ctx, id);
}

/** The groups a customer is or was in (the caller must see the customer), and the latest routing decision. */
export async function customerGroups(ctx: Ctx, customerId: number) {
  await assertCustomerVisible(ctx, customerId);
  const rows = await ctx.cdb.db
    .selectFrom('group_members as m')
    .innerJoin('groups as g', (j) => j.onRef('g.corp_id', '=', 'm.corp_id').onRef('g.id', '=', 'm.group_id'))
    .leftJoin('staff as os', (j) =>
      j.onRef('os.corp_id', '=', 'g.corp_id').onRef('os.id', '=', 'g.owner_staff_id'),
    )
    .leftJoin('org_units as ou', (j) =>
      j.onRef('ou.corp_id', '=', 'os.corp_id').onRef('ou.id', '=', 'os.unit_id'),
    )
    .select([
      'g.id',
      'g.name',
      'g.type',
      'g.status',
      'g.member_count',
      'ou.name as unit_name',
      'os.name as owner_name',
      'm.join_time',
      'm.join_scene',
      'm.left_at',
      (eb) => groupVisibleTo(ctx.actor)(eb as unknown as GroupEb).as('in_scope'),
    ])
    .where('m.corp_id', '=', ctx.cdb.corpId)
    .where('m.customer_id', '=', customerId)
    .orderBy('m.join_time', 'desc')
    .execute();
  const decisions = await ctx.cdb.db
    .selectFrom('group_routing_decisions as d')
    .leftJoin('groups as g', (j) => j.onRef('g.corp_id', '=', 'd.corp_id').onRef('g.id', '=', 'd.group_id'))
    .leftJoin('group_codes as k', (j) =>
      j.onRef('k.corp_id', '=', 'd.corp_id').onRef('k.id', '=', 'd.code_id'),
    )
    .leftJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'd.corp_id').onRef('s.id', '=', 'd.staff_id'))
    .select([
      'd.id',
      'd.group_id',
      'g.name as group_name',
      'd.code_id',
      'k.name as code_name',
      'd.rule_kind',
      'd.reason',
      'd.decided_at',
      's.name as staff_name',
    ])
    .where('d.corp_id', '=', ctx.cdb.corpId)
    .where('d.customer_id', '=', customerId)
    .orderBy('d.decided_at', 'desc')
    .limit(5)
    .execute();
  return {
    groups: rows.map((r) => ({
      id: r.id,
      name: r.name,
      type: r.type,
      status: r.status,
      memberCount: r.member_count,
      unitName: r.unit_name,
      ownerName: r.owner_name,
      joinedAt: r.join_time?.toISOString() ?? null,
      joinScene: r.join_scene,
      leftAt: r.left_at?.toISOString() ?? null,
      linkable: Boolean(r.in_scope),
    })),
    decisions: decisions.map((d) => ({
      id: d.id,
      groupId: d.group_id,
      groupName: d.group_name,
      codeId: d.code_id,
      codeName: d.code_name,
      rule: d.rule_kind,
      reason: d.reason,
      staffName: d.staff_name,
      decidedAt: d.decided_at.toISOString(),
    })),
  };
}

export { GROUP_TYPES };
