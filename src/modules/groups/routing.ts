import { sql } from 'kysely';
import { AppError } from '../../platform/http/errors.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import { assertUnitInScope } from '../org/index.ts';
import type { GroupType, RoutingReason, RuleKind } from './schema.ts';

/**
 * Smart group routing (PLAYBOOK §3): when a customer adds a member under the friend-then-group linkage, the
 * welcome carries the QR of the right group code. The brand orders the rules (at its root unit) and a store
 * may keep its own list; the first rule that applies and finds a code wins, else the store's default group.
 */

export interface RoutingRule {
  kind: RuleKind;
  /** interest_tag: the tag that marks the interest. */
  tagId?: number | null;
  /** The type of group the rule sends to (each kind has its default). */
  groupType?: GroupType | null;
}

export const DEFAULT_TARGET: Record<RuleKind, GroupType> = {
  top_store: 'store',
  interest_tag: 'interest',
  high_frequency: 'vip',
  first_visit: 'new_customer',
  coupon_heavy: 'welfare',
  default: 'store',
};

/** Without rules anywhere up the tree: the order PLAYBOOK §3 gives. */
export const DEFAULT_RULES: RoutingRule[] = [
  { kind: 'high_frequency' },
  { kind: 'coupon_heavy' },
  { kind: 'first_visit' },
  { kind: 'top_store' },
  { kind: 'default' },
];

/** From this F score a buyer is high-frequency; from this share of orders with a coupon, coupon-heavy. */
export const HIGH_FREQUENCY_F = 4;
export const COUPON_HEAVY_SHARE = 0.5;

const ancestorsOf = (path: string) => path.split('/').filter(Boolean).map(Number).reverse();

/** The rules that apply at a unit: its own list, else its nearest ancestor's, else DEFAULT_RULES. */
export async function effectiveRules(
  ctx: SyncCtx,
  unitId: number,
): Promise<{ fromUnitId: number | null; rules: RoutingRule[] }> {
  const unit = await ctx.cdb.db
    .selectFrom('org_units')
    .select('path')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', unitId)
    .executeTakeFirst();
  if (!unit) return { fromUnitId: null, rules: DEFAULT_RULES };
  return rulesOf(ctx, ancestorsOf(unit.path));
}

/** The rules of the nearest unit of `chain` (the unit first, then its ancestors) that has its own. */
async function rulesOf(
  ctx: SyncCtx,
  chain: number[],
): Promise<{ fromUnitId: number | null; rules: RoutingRule[] }> {
  const rows = await ctx.cdb.db
    .selectFrom('group_routing_rules')
    .select(['unit_id', 'kind', 'tag_id', 'group_type', 'position'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('unit_id', 'in', chain)
    .orderBy('position')
    .execute();
  return nearestRules(rows, chain);
}

interface RuleRow {
  unit_id: number;
  kind: RuleKind;
  tag_id: number | null;
  group_type: GroupType | null;
}

/** Of the rules along a chain (in position order), the nearest unit's own list, else DEFAULT_RULES. */
function nearestRules(rows: RuleRow[], chain: number[]): { fromUnitId: number | null; rules: RoutingRule[] } {
  for (const u of chain) {
    const own = rows.filter((r) => Number(r.unit_id) === u);
    if (own.length) {
      return {
        fromUnitId: u,
        rules: own.map((r) => ({ kind: r.kind, tagId: r.tag_id, groupType: r.group_type })),
      };
    }
  }
  return { fromUnitId: null, rules: DEFAULT_RULES };
}

export async function getRoutingRules(ctx: Ctx, unitId: number) {
  assertUnitInScope(ctx.actor, unitId);
  const { fromUnitId, rules } = await effectiveRules(ctx, unitId);
  return {
    unitId,
    own: fromUnitId === unitId,
    fromUnitId,
    rules: rules.map((r) => ({ kind: r.kind, tagId: r.tagId ?? null, groupType: r.groupType ?? null })),
    editable: ctx.actor.role !== 'staff',
  };
}

/** A manager sets the ordered rules of a unit in their scope; an empty list drops the override. */
export async function setRoutingRules(ctx: Ctx, unitId: number, rules: RoutingRule[]) {
  if (ctx.actor.role === 'staff') throw new AppError('forbidden');
  assertUnitInScope(ctx.actor, unitId);
  for (const r of rules) {
    if (r.kind === 'interest_tag' && !r.tagId) {
      throw new AppError('bad_request', {
        zh: '兴趣标签规则需要选择标签',
        en: 'An interest-tag rule needs a tag',
      });
    }
  }
  await ctx.cdb.transaction(async (tx) => {
    await tx.db
      .deleteFrom('group_routing_rules')
      .where('corp_id', '=', tx.corpId)
      .where('unit_id', '=', unitId)
      .execute();
    if (rules.length) {
      await tx.db
        .insertInto('group_routing_rules')
        .values(
          rules.map((r, position) => ({
            corp_id: tx.corpId,
            unit_id: unitId,
            position,
            kind: r.kind,
            tag_id: r.kind === 'interest_tag' ? (r.tagId ?? null) : null,
            group_type: r.groupType ?? null,
          })),
        )
        .execute();
    }
  });
  return getRoutingRules(ctx, unitId);
}

interface CodeCandidate {
  codeId: number;
  unitId: number;
  qrCode: string;
  groupId: number;
  groupName: string;
  type: GroupType | null;
}

export interface RoutingDecision {
  decisionId: number;
  codeId: number | null;
  groupId: number | null;
  qrCode: string | null;
  rule: RuleKind | null;
  reason: RoutingReason;
}

/**
 * Chooses the group code whose QR the welcome carries, stores the decision with its reason, and returns
 * it (codeId null: no code fits; the reason says why). Bounded work per add: one read, one insert.
 */
export async function routeCustomerToGroup(
  ctx: SyncCtx,
  input: { customerId: number; staffId: number | null; scanUnitId: number },
): Promise<RoutingDecision> {
  const { cdb } = ctx;
  // One read for everything the rules look at: the customer's facts, the store they scan in and the store
  // they buy from most, the rules along the scan store's chain, the codes along both chains (only the first
  // of each unit, group type and retired state, as group_code_heads keeps them: all the choice below can pick) and the customer's interest
  // tags among the rules' tags. Then one insert: two round trips per add.
  const { rows } = await sql<{
    scan_name: string | null;
    scan_path: string | null;
    top_unit_id: number | null;
    order_count: number | null;
    f_score: number | null;
    coupon_share: number | null;
    home_name: string | null;
    home_path: string | null;
    rules: RuleRow[];
    codes: {
      id: number;
      unit_id: number;
      qr_code: string;
      group_id: number;
      name: string;
      type: GroupType | null;
      retired: boolean;
    }[];
    tags: { id: number; name: string }[];
  }>`
    with s as (
      select name, path, string_to_array(trim(both '/' from path), '/')::bigint[] as chain
      from org_units where corp_id = ${cdb.corpId} and id = ${input.scanUnitId}
    ),
    f as (
      select top_unit_id, order_count, f_score, coupon_share from customer_facts
      where corp_id = ${cdb.corpId} and customer_id = ${input.customerId} and exists (select 1 from s)
    ),
    h as (
      select name, path, string_to_array(trim(both '/' from path), '/')::bigint[] as chain
      from org_units where corp_id = ${cdb.corpId} and id = (select top_unit_id from f)
    ),
    sc as (select coalesce((select chain from s), array[${input.scanUnitId}]::bigint[]) as chain),
    r as (
      select unit_id, kind, tag_id, group_type, position from group_routing_rules, sc
      where corp_id = ${cdb.corpId} and unit_id = any(sc.chain)
    ),
    c as (
      select k.id, k.unit_id, k.qr_code, g.id as group_id, g.name, hd.group_type as type, hd.retired, hd.position
      from group_code_heads hd
      join group_codes k on k.corp_id = hd.corp_id and k.id = hd.code_id
      join groups g on g.corp_id = hd.corp_id and g.id = hd.group_id
      where hd.corp_id = ${cdb.corpId}
        and hd.unit_id = any((select sc.chain || coalesce((select chain from h), '{}') from sc)::bigint[])
    )
    select s.name as scan_name, s.path as scan_path, f.top_unit_id, f.order_count, f.f_score, f.coupon_share,
      h.name as home_name, h.path as home_path,
      (select coalesce(json_agg(r order by r.position), '[]') from r) as rules,
      (select coalesce(json_agg(c order by c.id, c.position), '[]') from c) as codes,
      (select coalesce(json_agg(json_build_object('id', t.id, 'name', t.name)), '[]')
        from customer_tags ct join tags t on t.corp_id = ct.corp_id and t.id = ct.tag_id
        where ct.corp_id = ${cdb.corpId} and ct.customer_id = ${input.customerId}
          and ct.tag_id in (select tag_id from r where kind = 'interest_tag' and tag_id is not null)) as tags
    from (select 1) one left join s on true left join f on true left join h on true`.execute(cdb.db);
  const row = rows[0]!.scan_path !== null ? rows[0]! : undefined;
  const facts = row?.order_count != null ? row : undefined;
  const homeId = row?.home_path ? Number(row.top_unit_id) : input.scanUnitId;
  const scanChain = row?.scan_path ? ancestorsOf(row.scan_path) : [input.scanUnitId];
  const homeChain = row?.home_path ? ancestorsOf(row.home_path) : scanChain;
  const { rules } = nearestRules(rows[0]!.rules, scanChain);
  const candidates: CodeRow[] = rows[0]!.codes.map((c) => ({
    codeId: Number(c.id),
    unitId: Number(c.unit_id),
    qrCode: c.qr_code,
    groupId: Number(c.group_id),
    groupName: c.name,
    type: c.type,
    retired: c.retired,
  }));
  const pick = (type: GroupType | null, chain: number[], strict = false) =>
    codeAt(candidates, strict ? chain.slice(0, 1) : chain, type);
  const tags = rows[0]!.tags.map((t) => ({ id: Number(t.id), name: t.name }));
  const orders = facts?.order_count ?? 0;
  const scanName = row?.scan_name ?? '';
  const homeName = row?.home_name ?? scanName;

  let chosen: { code: CodeCandidate; rule: RuleKind; reason: RoutingReason } | null = null;
  for (const rule of rules) {
    const type = rule.groupType ?? DEFAULT_TARGET[rule.kind];
    let code: CodeCandidate | undefined;
    let reason: RoutingReason | null = null;
    switch (rule.kind) {
      case 'top_store':
        if (facts?.top_unit_id && orders > 0) {
          code = pick(type, homeChain, true) ?? pick('store', homeChain, true) ?? pick(null, homeChain, true);
          reason =
            homeId === input.scanUnitId
              ? {
                  zh: `最常在${homeName}消费（${orders} 单）`,
                  en: `Buys most at ${homeName} (${orders} orders)`,
                }
              : {
                  zh: `最常在${homeName}消费（${orders} 单），虽在${scanName}扫码，仍进常去门店的群`,
                  en: `Buys most at ${homeName} (${orders} orders): routed there though they scanned at ${scanName}`,
                };
        }
        break;
      case 'interest_tag': {
        const tag = tags.find((t) => t.id === rule.tagId);
        if (tag) {
          code = pick(type, homeChain);
          reason = { zh: `有兴趣标签「${tag.name}」`, en: `Has the interest tag “${tag.name}”` };
        }
        break;
      }
      case 'high_frequency':
        if ((facts?.f_score ?? 0) >= HIGH_FREQUENCY_F) {
          code = pick(type, homeChain);
          reason = {
            zh: `高频复购（${orders} 单，F=${facts?.f_score}）→ VIP 福利群`,
            en: `High-frequency buyer (${orders} orders, F=${facts?.f_score}) → VIP group`,
          };
        }
        break;
      case 'first_visit':
        if (orders <= 1) {
          code = pick(type, scanChain, true) ?? pick(type, scanChain);
          reason =
            orders === 0
              ? {
                  zh: `首次到店（尚无订单），进${scanName}新客群`,
                  en: `First visit (no orders yet): ${scanName}'s new-customer group`,
                }
              : {
                  zh: `首单客（1 单），进${scanName}新客群`,
                  en: `First order only: ${scanName}'s new-customer group`,
                };
        }
        break;
      case 'coupon_heavy':
        if (orders >= 2 && (facts?.coupon_share ?? 0) >= COUPON_HEAVY_SHARE) {
          code = pick(type, homeChain);
          const pct = Math.round((facts?.coupon_share ?? 0) * 100);
          reason = {
            zh: `${pct}% 的订单用券（价格敏感）→ 福利群`,
            en: `${pct}% of orders with a coupon (price-sensitive) → welfare group`,
          };
        }
        break;
      case 'default':
        code = pick(type, scanChain, true) ?? pick(null, scanChain, true) ?? pick(type, scanChain);
        reason = { zh: `默认：${scanName}的门店群`, en: `Default: ${scanName}'s store group` };
        break;
    }
    if (code && reason) {
      chosen = { code, rule: rule.kind, reason };
      break;
    }
  }
  const reason: RoutingReason = chosen
    ? {
        zh: `${chosen.reason.zh} → 「${chosen.code.groupName}」`,
        en: `${chosen.reason.en} → “${chosen.code.groupName}”`,
      }
    : {
        zh: `${scanName}没有可用的群活码，欢迎语不带群`,
        en: `No group code fits at ${scanName}: the welcome carries no group`,
      };
  const { id } = await cdb.db
    .insertInto('group_routing_decisions')
    .values({
      corp_id: cdb.corpId,
      customer_id: input.customerId,
      staff_id: input.staffId,
      scan_unit_id: input.scanUnitId,
      group_id: chosen?.code.groupId ?? null,
      code_id: chosen?.code.codeId ?? null,
      rule_kind: chosen?.rule ?? null,
      reason: JSON.stringify(reason),
      decided_at: ctx.clock.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return {
    decisionId: id,
    codeId: chosen?.code.codeId ?? null,
    groupId: chosen?.code.groupId ?? null,
    qrCode: chosen?.code.qrCode ?? null,
    rule: chosen?.rule ?? null,
    reason,
  };
}

interface CodeRow extends CodeCandidate {
  retired: boolean;
}

/**
 * The code whose current group has this type (any type: null), at the first unit of `units` that has one;
 * a code whose groups are all retired still admits joins (WeCom opens its next room), so it comes last.
 * `candidates` are in code, then position order, so the first match of the best rank wins.
 */
function codeAt(candidates: CodeRow[], units: number[], type: GroupType | null): CodeCandidate | undefined {
  let best: { row: CodeRow; rank: number } | undefined;
  for (const row of candidates) {
    const unitRank = units.indexOf(row.unitId);
    if (unitRank < 0 || (type !== null && row.type !== type)) continue;
    const rank = unitRank * 2 + (row.retired ? 1 : 0);
    if (!best || rank < best.rank) best = { row, rank };
  }
  if (!best) return undefined;
  const { retired: _, ...code } = best.row;
  return code;
}
