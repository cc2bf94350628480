import type { CorpDb } from '../../platform/db/corp-db.ts';
import type { Tables } from '../tables.ts';
import { FIELD_BY_KEY, type Rule } from './rule.ts';

/**
 * The brute-force reading of a rule (the test oracle for compile.ts): every row of the corp loaded into
 * memory, every customer checked one by one against the rule's meaning as rule.ts states it. Written
 * independently of the compiler on purpose — no shared predicate code — and only ever run on test data.
 */
export interface World {
  now: Date;
  customers: number[];
  facts: Map<
    number,
    {
      order_count: number;
      paid_fen: number;
      r_score: number | null;
      f_score: number | null;
      m_score: number | null;
      coupon_share: number | null;
      stage: string;
      last_order_at: Date | null;
      top_unit_id: number | null;
    }
  >;
  unitPath: Map<number, string>;
  tags: Map<number, Set<number>>;
  /** active follows: staff ids, and the unit of each */
  follows: Map<number, { staffId: number; unitId: number }[]>;
  channels: Map<number, Set<number>>;
  methods: Map<number, Set<string>>;
  orders: Map<number, { at: Date; paid: number; products: string[] }[]>;
  groups: Map<number, Set<number>>;
  /** the mass sends each customer's orders were credited to (absent: none) */
  massSends?: Map<number, Set<number>>;
  /** the journeys whose touches each customer's orders were credited to (absent: none) */
  journeys?: Map<number, Set<number>>;
  /** every follow, ended or not: when added and ended, and its member's persona (absent: none) */
  allFollows?: Map<
    number,
    {
      id: number;
      staffId: number;
      unitId: number;
      addedAt: Date;
      endedAt: Date | null;
      active: boolean;
      persona: string;
    }[]
  >;
  /** the channel adds by customer, member and when (`customer:staff:ms`), the channel and its method */
  addsByFollow?: Map<string, { channelId: number; method: string }>;
  /** the customers ever in a customer group, left since or not (absent: none) */
  everGrouped?: Set<number>;
}

const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};
const add = <K, V>(map: Map<K, Set<V>>, key: K, value: V) => {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
};

export async function loadWorld(cdb: CorpDb<Tables>, now: Date): Promise<World> {
  const { db, corpId } = cdb;
  const [customers, facts, units, tags, follows, adds, orders, items, members, credits] = await Promise.all([
    db.selectFrom('customers').select('id').where('corp_id', '=', corpId).orderBy('id').execute(),
    db.selectFrom('customer_facts').selectAll().where('corp_id', '=', corpId).execute(),
    db.selectFrom('org_units').select(['id', 'path']).where('corp_id', '=', corpId).execute(),
    db.selectFrom('customer_tags').select(['customer_id', 'tag_id']).where('corp_id', '=', corpId).execute(),
    db
      .selectFrom('follows as f')
      .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
      .select([
        'f.id',
        'f.customer_id',
        'f.staff_id',
        's.unit_id',
        'f.status',
        'f.added_at',
        'f.ended_at',
        's.persona',
      ])
      .where('f.corp_id', '=', corpId)
      .execute(),
    db
      .selectFrom('channel_adds as a')
      .innerJoin('channels as c', (j) =>
        j.onRef('c.corp_id', '=', 'a.corp_id').onRef('c.id', '=', 'a.channel_id'),
      )
      .select(['a.customer_id', 'a.channel_id', 'c.method', 'a.staff_id', 'a.added_at'])
      .where('a.corp_id', '=', corpId)
      .execute(),
    db
      .selectFrom('orders')
      .select(['id', 'customer_id', 'ordered_at', 'paid_fen'])
      .where('corp_id', '=', corpId)
      .execute(),
    db.selectFrom('order_items').select(['order_id', 'product_code']).where('corp_id', '=', corpId).execute(),
    db
      .selectFrom('group_members')
      .select(['customer_id', 'group_id', 'left_at'])
      .where('corp_id', '=', corpId)
      .execute(),
    db
      .selectFrom('touch_attributions')
      .select(['customer_id', 'source_kind', 'source_id'])
      .where('corp_id', '=', corpId)
      .where('source_kind', 'in', ['mass_send', 'journey'])
      .execute(),
  ]);
  const world: World = {
    now,
    customers: customers.map((c) => c.id),
    facts: new Map(facts.map((f) => [f.customer_id, f])),
    unitPath: new Map(units.map((u) => [u.id, u.path])),
    tags: new Map(),
    follows: new Map(),
    channels: new Map(),
    methods: new Map(),
    orders: new Map(),
    groups: new Map(),
    massSends: new Map(),
    journeys: new Map(),
    allFollows: new Map(),
    addsByFollow: new Map(),
    everGrouped: new Set(),
  };
  for (const c of credits) {
    // a journey's touch is `journey:node:enrolment:seq`
    if (c.source_kind === 'journey') add(world.journeys!, c.customer_id, Number(c.source_id.split(':')[0]));
    else add(world.massSends!, c.customer_id, Number(c.source_id));
  }
  for (const t of tags) add(world.tags, t.customer_id, t.tag_id);
  for (const f of follows) {
    if (f.status === 'active') push(world.follows, f.customer_id, { staffId: f.staff_id, unitId: f.unit_id });
    push(world.allFollows!, f.customer_id, {
      id: f.id,
      staffId: f.staff_id,
      unitId: f.unit_id,
      addedAt: f.added_at,
      endedAt: f.ended_at,
      active: f.status === 'active',
      persona: f.persona,
    });
  }
  for (const a of adds) {
    const key = `${a.customer_id}:${a.staff_id}:${a.added_at.getTime()}`;
    if (!world.addsByFollow!.has(key))
      world.addsByFollow!.set(key, { channelId: a.channel_id, method: a.method });
    add(world.channels, a.customer_id, a.channel_id);
    add(world.methods, a.customer_id, a.method);
  }
  const products = new Map<number, string[]>();
  for (const i of items) push(products, i.order_id, i.product_code);
  for (const o of orders) {
    if (o.customer_id === null) continue;
    push(world.orders, o.customer_id, {
      at: o.ordered_at,
      paid: Number(o.paid_fen),
      products: products.get(o.id) ?? [],
    });
  }
  for (const m of members) {
    if (m.customer_id !== null && m.left_at === null) add(world.groups, m.customer_id, m.group_id);
    if (m.customer_id !== null) world.everGrouped!.add(m.customer_id);
  }
  return world;
}

function compareNumber(cmp: string, value: unknown, x: number | null): boolean {
  if (cmp === 'is_null') return x === null;
  if (cmp === 'not_null') return x !== null;
  if (x === null) return false;
  if (cmp === 'between') {
    const [lo, hi] = value as [number, number];
    return lo <= x && x <= hi;
  }
  const v = value as number;
  return (
    {
      eq: x === v,
      ne: x !== v,
      gt: x > v,
      gte: x >= v,
      lt: x < v,
      lte: x <= v,
    } as Record<string, boolean>
  )[cmp] as boolean;
}

function compareSet<T>(cmp: string, value: unknown, have: readonly T[], matches: (have: T, v: T) => boolean) {
  const wanted = (value ?? []) as T[];
  const hit = (v: T) => have.some((h) => matches(h, v));
  switch (cmp) {
    case 'any':
      return have.length > 0;
    case 'none':
      return have.length === 0;
    case 'in':
      return wanted.some(hit);
    case 'all':
      return wanted.every(hit);
    case 'not_in':
      return !wanted.some(hit);
  }
  throw new Error(`not a set comparison: ${cmp}`);
}

/** `unit` lies in the subtree of `root` (both must exist). */
function within(world: World, unit: number, root: number): boolean {
  const path = world.unitPath.get(unit);
  const rootPath = world.unitPath.get(root);
  return path !== undefined && rootPath !== undefined && path.startsWith(rootPath);
}

const same = <T>(a: T, b: T) => a === b;

/** The brand day (UTC+8) of an instant, YYYY-MM-DD. */
const brandDay = (at: Date) => new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
const dayPlus = (day: string, k: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + k * 86_400_000).toISOString().slice(0, 10);

/** The customer's acquisition as rule.ts states it: the first follow, whether they stayed, when lost. */
function acquisition(world: World, customerId: number) {
  const follows = world.allFollows?.get(customerId) ?? [];
  const first = [...follows].sort((a, b) => a.addedAt.getTime() - b.addedAt.getTime() || a.id - b.id)[0];
  if (!first) return null;
  const day = brandDay(first.addedAt);
  const active = follows.some((f) => f.active);
  const lastEnd = follows
    .filter((f) => !f.active)
    .map((f) => brandDay(f.endedAt ?? f.addedAt))
    .sort()
    .at(-1);
  const lost = active ? null : lastEnd!;
  const came = world.addsByFollow?.get(`${customerId}:${first.staffId}:${first.addedAt.getTime()}`);
  return {
    day,
    month: day.slice(0, 7),
    staff: first.staffId,
    unit: first.unitId,
    persona: first.persona,
    channel: came?.channelId ?? null,
    method: came?.method ?? null,
    retained: active || (lastEnd !== undefined && lastEnd >= dayPlus(day, 7)),
    lost,
  };
}

export function matches(world: World, rule: Rule, customerId: number): boolean {
  if ('op' in rule) {
    if (rule.op === 'not') return !matches(world, rule.rule, customerId);
    if (rule.op === 'and') return rule.rules.every((r) => matches(world, r, customerId));
    return rule.rules.some((r) => matches(world, r, customerId));
  }
  const { field, cmp, value } = rule;
  const facts = world.facts.get(customerId);
  const orders = world.orders.get(customerId) ?? [];
  const windowed = (days: number) =>
    orders.filter((o) => o.at.getTime() >= world.now.getTime() - days * 86_400_000);
  const window = /^(orders|spend)_(\d+)d/.exec(field);
  if (window) {
    const inWindow = windowed(Number(window[2]));
    const x = window[1] === 'orders' ? inWindow.length : inWindow.reduce((s, o) => s + o.paid, 0);
    return compareNumber(cmp, value, x);
  }
  switch (field) {
    case 'order_count':
      return compareNumber(cmp, value, facts?.order_count ?? 0);
    case 'ltv_fen':
      return compareNumber(cmp, value, Number(facts?.paid_fen ?? 0));
    case 'r_score':
    case 'f_score':
    case 'm_score':
      return compareNumber(cmp, value, facts?.[field] ?? null);
    case 'coupon_share': {
      // stored as a real: both sides compare as reals
      const share = facts?.coupon_share ?? null;
      return compareNumber(
        cmp,
        Array.isArray(value)
          ? (value as number[]).map(Math.fround)
          : typeof value === 'number'
            ? Math.fround(value)
            : value,
        share === null ? null : Math.fround(share),
      );
    }
    case 'last_order_days': {
      const at = facts?.last_order_at;
      const days = at ? Math.floor((world.now.getTime() - at.getTime()) / 86_400_000) : null;
      return compareNumber(cmp, value, days);
    }
    case 'stage': {
      const stage = facts?.stage ?? 'new';
      const inList = (value as string[]).includes(stage);
      return cmp === 'in' ? inList : !inList;
    }
    case 'top_unit': {
      const unit = facts?.top_unit_id ?? null;
      if (cmp === 'is_null') return unit === null;
      if (cmp === 'not_null') return unit !== null;
      if (unit === null) return false;
      const inside = (value as number[]).some((root) => within(world, unit, root));
      return cmp === 'in' ? inside : !inside;
    }
    case 'tag':
      return compareSet(cmp, value, [...(world.tags.get(customerId) ?? [])], same);
    case 'staff':
      return compareSet(
        cmp,
        value,
        (world.follows.get(customerId) ?? []).map((f) => f.staffId),
        same,
      );
    case 'follow_unit':
      return compareSet(
        cmp,
        value,
        (world.follows.get(customerId) ?? []).map((f) => f.unitId),
        (unit, root) => within(world, unit, root),
      );
    case 'channel':
      return compareSet(cmp, value, [...(world.channels.get(customerId) ?? [])], same);
    case 'channel_method':
      return compareSet(cmp, value, [...(world.methods.get(customerId) ?? [])], same);
    case 'product':
      return compareSet(
        cmp,
        value,
        orders.flatMap((o) => o.products),
        same,
      );
    case 'group':
      return compareSet(cmp, value, [...(world.groups.get(customerId) ?? [])], same);
    case 'mass_send':
      return compareSet(cmp, value, [...(world.massSends?.get(customerId) ?? [])], same);
    case 'journey':
      return compareSet(cmp, value, [...(world.journeys?.get(customerId) ?? [])], same);
    case 'acquired_month': {
      const month = acquisition(world, customerId)?.month ?? null;
      if (cmp === 'is_null') return month === null;
      if (cmp === 'not_null') return month !== null;
      if (month === null) return false;
      const [lo, hi] = cmp === 'between' ? (value as [string, string]) : [value as string, value as string];
      return (cmp === 'lte' || lo <= month) && (cmp === 'gte' || month <= hi);
    }
    case 'acquired_staff':
    case 'acquired_unit':
    case 'acquired_persona':
    case 'acquired_channel':
    case 'acquired_method': {
      const a = acquisition(world, customerId);
      const have = a
        ? a[field.slice('acquired_'.length) as 'staff' | 'unit' | 'persona' | 'channel' | 'method']
        : null;
      if (cmp === 'is_null') return have === null;
      if (cmp === 'not_null') return have !== null;
      if (have === null) return false;
      const hit = (value as (number | string)[]).some((v) =>
        field === 'acquired_unit' ? within(world, have as number, v as number) : v === have,
      );
      return hit === (cmp === 'in');
    }
    case 'private_orders': {
      const a = acquisition(world, customerId);
      const n = a
        ? orders.filter((o) => {
            const day = brandDay(o.at);
            return day >= a.day && (a.lost === null || day.slice(0, 7) <= a.lost.slice(0, 7));
          }).length
        : 0;
      return compareNumber(cmp, value, n);
    }
    case 'retained_7d':
      return (acquisition(world, customerId)?.retained ?? false) === (cmp === 'is_true');
    case 'joined_group':
      return (world.everGrouped?.has(customerId) ?? false) === (cmp === 'is_true');
  }
  throw new Error(`unknown field ${field} (known: ${[...FIELD_BY_KEY.keys()].join(', ')})`);
}

/** The world as a caller with a tag view sees it: only the tags in `view` (null: every tag). */
export function inTagView(world: World, view: ReadonlySet<number> | null): World {
  if (!view) return world;
  const tags = new Map<number, Set<number>>();
  for (const [customerId, have] of world.tags) {
    const seen = [...have].filter((t) => view.has(t));
    if (seen.length) tags.set(customerId, new Set(seen));
  }
  return { ...world, tags };
}

/** The rule's customers among `candidates` (default: every customer of the corp), ascending. */
export function evaluate(
  world: World,
  rule: Rule,
  candidates: readonly number[] = world.customers,
): number[] {
  return candidates.filter((id) => matches(world, rule, id)).sort((a, b) => a - b);
}
