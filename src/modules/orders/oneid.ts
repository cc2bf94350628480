import { sql } from 'kysely';
import { publish, type SyncCtx } from '../context.ts';
import { addTimeline, customersVisibleIn, removeTimeline, type TimelineEntry } from '../customers/index.ts';
import type { CustomerMirrored, LinkedOrder, MemberLinked, OrdersLinked } from '../events.ts';
import { subtreeUnitIds } from '../org/index.ts';
import type { IdentityKind } from './schema.ts';

/**
 * OneID: orders and members are tied to a customer by the identities they carry. The first identity, in
 * order of trust, that names a customer decides; every other identity the record carries is then learned
 * for that customer with its source, unless another customer holds it already (a conflict, recorded and not
 * moved) or a person undid that pairing before (never redone automatically).
 */
export const TRUST: readonly IdentityKind[] = ['external_userid', 'unionid', 'openid', 'phone'];

/** The identities a record carries; the phone only as its keyed hash (pii.hash). */
export interface Carried {
  external_userid: string | null;
  unionid: string | null;
  openid: string | null;
  phone_hash: string | null;
}

export interface Identity {
  kind: IdentityKind;
  value: string;
}

export const COLUMN_OF = {
  external_userid: 'external_userid',
  unionid: 'unionid',
  openid: 'openid',
  phone: 'phone_hash',
} as const satisfies Record<IdentityKind, keyof Carried>;

export function identitiesOf(r: Carried): Identity[] {
  return TRUST.flatMap((kind) => {
    const value = r[COLUMN_OF[kind]];
    return value ? [{ kind, value }] : [];
  });
}

const keyOf = (i: Identity) => `${i.kind}\u0000${i.value}`;

/** Who holds each identity now: recorded identities first, then the customers' WeCom columns. */
class Book {
  private readonly owners = new Map<string, { customerId: number; recorded: boolean }>();
  private readonly blocked = new Set<string>();
  owner(i: Identity) {
    return this.owners.get(keyOf(i));
  }
  /** Every customer holding one of the identities read. */
  customers(): number[] {
    return [...new Set([...this.owners.values()].map((o) => o.customerId))];
  }
  hold(i: Identity, customerId: number, recorded: boolean) {
    if (!this.owners.has(keyOf(i))) this.owners.set(keyOf(i), { customerId, recorded });
  }
  block(i: Identity, customerId: number) {
    this.blocked.add(`${keyOf(i)}\u0000${customerId}`);
  }
  isBlocked(i: Identity, customerId: number) {
    return this.blocked.has(`${keyOf(i)}\u0000${customerId}`);
  }
}

function valuesByKind(ids: Identity[]): Partial<Record<IdentityKind, string[]>> {
  const out: Partial<Record<IdentityKind, Set<string>>> = {};
  for (const i of ids) {
    const set = out[i.kind] ?? new Set<string>();
    set.add(i.value);
    out[i.kind] = set;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
}

async function loadBook(cdb: SyncCtx['cdb'], ids: Identity[]): Promise<Book> {
  const book = new Book();
  const byKind = valuesByKind(ids);
  const kinds = Object.keys(byKind) as IdentityKind[];
  if (kinds.length === 0) return book;
  const recorded = await cdb.db
    .selectFrom('customer_identities')
    .select(['kind', 'value', 'customer_id'])
    .where('corp_id', '=', cdb.corpId)
    .where((eb) => eb.or(kinds.map((k) => eb.and([eb('kind', '=', k), eb('value', 'in', byKind[k]!)]))))
    .execute();
  const unlinks = await cdb.db
    .selectFrom('identity_unlinks')
    .select(['kind', 'value', 'customer_id'])
    .where('corp_id', '=', cdb.corpId)
    .where((eb) => eb.or(kinds.map((k) => eb.and([eb('kind', '=', k), eb('value', 'in', byKind[k]!)]))))
    .execute();
  for (const r of recorded) book.hold(r, r.customer_id, true);
  for (const u of unlinks) book.block(u, u.customer_id);
  const wecomKinds = kinds.filter((k) => k !== 'openid');
  if (wecomKinds.length) {
    const wecom = await cdb.db
      .selectFrom('customers')
      .select(['id', 'external_userid', 'unionid', 'phone_hash'])
      .where('corp_id', '=', cdb.corpId)
      .where((eb) => eb.or(wecomKinds.map((k) => eb(COLUMN_OF[k] as 'unionid', 'in', byKind[k]!))))
      .orderBy('id')
      .execute();
    const wanted = new Set(ids.map(keyOf));
    for (const c of wecom) {
      for (const i of identitiesOf({ ...c, openid: null }))
        if (wanted.has(keyOf(i))) book.hold(i, c.id, false);
    }
  }
  return book;
}

/** A record to link: an order, a member, or a WeCom customer (already its own customer). */
interface LinkRecord extends Carried {
  id: number;
  customer_id: number | null;
  /** The source its identities are learned from: 'order:<source>', 'member:<source>', 'wecom'. */
  learnedAs: string;
  /** An order of a manager's import: only customers of this unit's subtree may be linked (null: any). */
  link_scope_unit_id?: number | null;
}

/**
 * For each scope unit among the records, the customers (of those the book or the records name) that the
 * scope sees: the customers module's scope rule, for a manager of that unit.
 */
async function scopesOf(cdb: SyncCtx['cdb'], book: Book, records: LinkRecord[]) {
  const units = [...new Set(records.flatMap((r) => (r.link_scope_unit_id ? [r.link_scope_unit_id] : [])))];
  const inScope = new Map<number, Set<number>>();
  if (units.length === 0) return inScope;
  const candidates = [
    ...book.customers(),
    ...records.flatMap((r) => (r.customer_id === null ? [] : [r.customer_id])),
  ];
  for (const unit of units) {
    const unitIds = await subtreeUnitIds(cdb, unit);
    inScope.set(
      unit,
      await customersVisibleIn(cdb, { wholeCorp: false, unitIds, staffId: null }, candidates),
    );
  }
  return inScope;
}

export interface Link {
  id: number;
  customerId: number;
  by: IdentityKind;
}

/**
 * Resolves the unlinked records, learns every record's identities, and writes it all in a fixed number of
 * statements. Records are taken in order, so one record's identities can resolve the next one's.
 */
async function linkRecords(
  ctx: SyncCtx,
  table: 'orders' | 'members' | null,
  records: LinkRecord[],
): Promise<{ linked: Link[]; learned: Identity[] }> {
  const { cdb } = ctx;
  const book = await loadBook(cdb, records.flatMap(identitiesOf));
  const scopes = await scopesOf(cdb, book, records);
  const linked: Link[] = [];
  const learn: (Identity & { customerId: number; source: string })[] = [];
  const conflicts: (Identity & { owner: number; claimant: number; source: string })[] = [];
  for (const r of records) {
    const ids = identitiesOf(r);
    const scope = r.link_scope_unit_id ? scopes.get(r.link_scope_unit_id) : undefined;
    // a scoped record naming anyone outside its scope stays unresolved and teaches nothing
    if (scope && ids.some((i) => book.owner(i) && !scope.has(book.owner(i)!.customerId))) continue;
    let customerId = r.customer_id;
    if (customerId === null) {
      for (const i of ids) {
        const owner = book.owner(i);
        if (!owner || ids.some((j) => book.isBlocked(j, owner.customerId))) continue;
        customerId = owner.customerId;
        linked.push({ id: r.id, customerId, by: i.kind });
        break;
      }
      if (customerId === null) continue;
    }
    for (const i of ids) {
      if (book.isBlocked(i, customerId)) continue;
      const owner = book.owner(i);
      if (!owner) {
        book.hold(i, customerId, true);
        learn.push({ ...i, customerId, source: r.learnedAs });
      } else if (owner.customerId !== customerId) {
        conflicts.push({ ...i, owner: owner.customerId, claimant: customerId, source: r.learnedAs });
      } else if (!owner.recorded) {
        // held through the customer's WeCom columns: recorded now, as WeCom's
        owner.recorded = true;
        learn.push({ ...i, customerId, source: 'wecom' });
      }
    }
  }

  const now = ctx.clock.now();
  if (table && linked.length) {
    const rows = linked.map((l) => sql`(${l.id}::bigint, ${l.customerId}::bigint, ${l.by}::text)`);
    await sql`update ${sql.table(table)} t set customer_id = v.customer_id, linked_by = v.linked_by
      from (values ${sql.join(rows)}) as v (id, customer_id, linked_by)
      where t.corp_id = ${cdb.corpId} and t.id = v.id and t.customer_id is null`.execute(cdb.db);
  }
  const learned = learn.length
    ? await cdb.db
        .insertInto('customer_identities')
        .values(
          learn.map((l) => ({
            corp_id: cdb.corpId,
            customer_id: l.customerId,
            kind: l.kind,
            value: l.value,
            source: l.source,
            created_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['corp_id', 'kind', 'value']).doNothing())
        .returning(['kind', 'value'])
        .execute()
    : [];
  if (conflicts.length) {
    const unique = new Map(conflicts.map((c) => [`${keyOf(c)}\u0000${c.claimant}`, c]));
    await cdb.db
      .insertInto('identity_conflicts')
      .values(
        [...unique.values()].map((c) => ({
          corp_id: cdb.corpId,
          kind: c.kind,
          value: c.value,
          owner_customer_id: c.owner,
          claimant_customer_id: c.claimant,
          source: c.source,
          seen_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['corp_id', 'kind', 'value', 'claimant_customer_id']).doNothing())
      .execute();
  }
  return { linked, learned };
}

const carriedColumns = [
  'id',
  'source',
  'customer_id',
  'external_userid',
  'unionid',
  'openid',
  'phone_hash',
] as const;
/** An order carries its link scope too (members come from integrators only: they have none). */
const scopeColumn = (table: 'orders' | 'members') =>
  table === 'orders' ? sql<number | null>`link_scope_unit_id` : sql<null>`null::bigint`;

/** The unlinked orders or members that carry one of these identities. */
async function pendingCarrying(cdb: SyncCtx['cdb'], table: 'orders' | 'members', ids: Identity[]) {
  const byKind = valuesByKind(ids);
  const kinds = Object.keys(byKind) as IdentityKind[];
  if (kinds.length === 0) return [];
  return cdb.db
    .selectFrom(table as 'orders')
    .select([...carriedColumns, scopeColumn(table).as('link_scope_unit_id')])
    .where('corp_id', '=', cdb.corpId)
    .where('customer_id', 'is', null)
    .where((eb) => eb.or(kinds.map((k) => eb(COLUMN_OF[k], 'in', byKind[k]!))))
    .orderBy('id')
    .execute();
}

export interface Linking {
  orders: Link[];
  members: Link[];
}

/**
 * Links the records, then, while that teaches identities, the unlinked orders and members that carry them
 * (an identity learned from one order can resolve another order sent months ago).
 */
async function linkAndFollow(
  ctx: SyncCtx,
  first: { table: 'orders' | 'members' | null; records: LinkRecord[] },
  probe: Identity[] = [],
): Promise<Linking> {
  const out: Linking = { orders: [], members: [] };
  const start = await linkRecords(ctx, first.table, first.records);
  if (first.table) out[first.table].push(...start.linked);
  let next = [...probe, ...start.learned];
  for (let round = 0; next.length > 0 && round < 8; round++) {
    const learned: Identity[] = [];
    for (const table of ['orders', 'members'] as const) {
      const pending = await pendingCarrying(ctx.cdb, table, next);
      if (!pending.length) continue;
      const prefix = table === 'orders' ? 'order' : 'member';
      const step = await linkRecords(
        ctx,
        table,
        pending.map((p) => ({ ...p, learnedAs: `${prefix}:${p.source}` })),
      );
      out[table].push(...step.linked);
      learned.push(...step.learned);
    }
    next = learned;
  }
  return out;
}

/** Links freshly written orders (ingest) and whatever their identities resolve in turn. */
export function linkOrders(
  ctx: SyncCtx,
  orders: (Carried & { id: number; source: string; link_scope_unit_id: number | null })[],
): Promise<Linking> {
  return linkAndFollow(ctx, {
    table: 'orders',
    records: orders.map((o) => ({ ...o, customer_id: null, learnedAs: `order:${o.source}` })),
  });
}

/** Links members (new ones resolved, linked ones teaching their identities) and whatever that resolves. */
export function linkMembers(
  ctx: SyncCtx,
  members: (Carried & { id: number; source: string; customer_id: number | null })[],
): Promise<Linking> {
  return linkAndFollow(ctx, {
    table: 'members',
    records: members.map((m) => ({ ...m, learnedAs: `member:${m.source}` })),
  });
}

/** Customers mirrored from WeCom (CustomerMirrored, after commit): see linkWecomIdentities. */
export async function onCustomersMirrored(ctx: SyncCtx, events: CustomerMirrored[]): Promise<void> {
  await linkWecomIdentities(ctx, [...new Set(events.map((e) => e.customerId))]);
}

/**
 * A customer added or updated from WeCom: their external_userid, unionid and phone are recorded as WeCom's,
 * and the orders and members waiting for one of them are linked now. Call after the customer is written.
 */
export async function linkWecomIdentities(ctx: SyncCtx, customerIds: number[]): Promise<Linking> {
  if (customerIds.length === 0) return { orders: [], members: [] };
  const { cdb } = ctx;
  // Most adds and edits have nothing to resolve: one read says so (and, for a new customer, one insert
  // records their identities). Anything waiting, shared with another customer or undone before takes the
  // full path.
  const pending = (table: 'orders' | 'members', column: 'external_userid' | 'unionid' | 'phone_hash') =>
    sql`exists (select 1 from ${sql.table(table)} r where r.corp_id = c.corp_id and r.customer_id is null
      and r.${sql.ref(column)} = c.${sql.ref(column)})`;
  const heldElsewhere = (kind: IdentityKind, column: 'external_userid' | 'unionid' | 'phone_hash') =>
    sql`exists (select 1 from customer_identities i where i.corp_id = c.corp_id and i.kind = ${kind}
      and i.value = c.${sql.ref(column)} and i.customer_id <> c.id)`;
  const { rows: customers } = await sql<{
    id: number;
    external_userid: string;
    unionid: string | null;
    phone_hash: string | null;
    recorded: number;
    simple: boolean;
  }>`
    select c.id, c.external_userid, c.unionid, c.phone_hash,
      (select count(*)::int from customer_identities i where i.corp_id = c.corp_id and i.customer_id = c.id
        and ((i.kind = 'external_userid' and i.value = c.external_userid)
          or (i.kind = 'unionid' and i.value = c.unionid) or (i.kind = 'phone' and i.value = c.phone_hash))) as recorded,
      not (${pending('orders', 'external_userid')} or ${pending('orders', 'unionid')} or ${pending('orders', 'phone_hash')}
        or ${pending('members', 'external_userid')} or ${pending('members', 'unionid')} or ${pending('members', 'phone_hash')}
        or ${heldElsewhere('external_userid', 'external_userid')} or ${heldElsewhere('unionid', 'unionid')}
        or ${heldElsewhere('phone', 'phone_hash')}
        or exists (select 1 from customers o where o.corp_id = c.corp_id and o.id <> c.id
          and (o.unionid = c.unionid or o.phone_hash = c.phone_hash))
        or exists (select 1 from identity_unlinks u where u.corp_id = c.corp_id and u.customer_id = c.id)) as simple
    from customers c where c.corp_id = ${cdb.corpId} and c.id in (${sql.join(customerIds)})`.execute(cdb.db);
  const unrecorded = customers.flatMap((c) =>
    c.recorded < identitiesOf({ ...c, openid: null }).length ? [c] : [],
  );
  if (customers.every((c) => c.simple)) {
    if (unrecorded.length === 0) return { orders: [], members: [] };
    const now = ctx.clock.now();
    const rows = unrecorded.flatMap((c) =>
      identitiesOf({ ...c, openid: null }).map((i) => ({
        corp_id: cdb.corpId,
        customer_id: c.id,
        kind: i.kind,
        value: i.value,
        source: 'wecom',
        created_at: now,
      })),
    );
    await cdb.db
      .insertInto('customer_identities')
      .values(rows)
      .onConflict((oc) => oc.columns(['corp_id', 'kind', 'value']).doNothing())
      .execute();
    return { orders: [], members: [] };
  }
  const records = customers.map((c) => ({
    id: c.id,
    external_userid: c.external_userid,
    unionid: c.unionid,
    phone_hash: c.phone_hash,
    openid: null,
    customer_id: c.id,
    learnedAs: 'wecom',
  }));
  const linking = await cdb.transaction((tx) =>
    linkAndFollow({ ...ctx, cdb: tx }, { table: null, records }, records.flatMap(identitiesOf)),
  );
  await announceLinks(ctx, linking);
  return linking;
}

const CHANNEL_ZH = { miniprogram: '小程序', ecommerce: '电商', pos: '门店' } as const;
const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

/** Orders as the modules that react to linking see them (items included). */
export async function linkedOrders(cdb: SyncCtx['cdb'], ids: number[]): Promise<LinkedOrder[]> {
  if (ids.length === 0) return [];
  const [orders, items] = await Promise.all([
    cdb.db
      .selectFrom('orders')
      .select([
        'id',
        'customer_id',
        'unit_id',
        'channel',
        'total_fen',
        'paid_fen',
        'coupon_code',
        'coupon_fen',
        'ordered_at',
      ])
      .where('corp_id', '=', cdb.corpId)
      .where('id', 'in', ids)
      .where('customer_id', 'is not', null)
      .orderBy('id')
      .execute(),
    cdb.db
      .selectFrom('order_items')
      .select(['order_id', 'product_code', 'product_name', 'quantity', 'price_fen'])
      .where('corp_id', '=', cdb.corpId)
      .where('order_id', 'in', ids)
      .orderBy('order_id')
      .orderBy('line')
      .execute(),
  ]);
  const itemsOf = new Map<number, LinkedOrder['items']>();
  for (const i of items) {
    const list = itemsOf.get(i.order_id) ?? [];
    list.push({
      productCode: i.product_code,
      productName: i.product_name,
      quantity: i.quantity,
      priceFen: i.price_fen,
    });
    itemsOf.set(i.order_id, list);
  }
  return orders.map((o) => ({
    id: o.id,
    customerId: o.customer_id!,
    unitId: o.unit_id,
    channel: o.channel,
    totalFen: Number(o.total_fen),
    paidFen: Number(o.paid_fen),
    couponCode: o.coupon_code,
    couponFen: Number(o.coupon_fen),
    orderedAt: o.ordered_at.toISOString(),
    items: itemsOf.get(o.id) ?? [],
  }));
}

/**
 * What follows new links: each order on its customer's timeline (at the time it was placed), and the links
 * published (OrdersLinked per customer, MemberLinked): facts and tag rules follow after commit.
 */
export async function announceLinks(ctx: SyncCtx, linking: Linking): Promise<void> {
  const { cdb } = ctx;
  const orders = await linkedOrders(
    cdb,
    linking.orders.map((l) => l.id),
  );
  const units = new Map(
    (orders.some((o) => o.unitId !== null)
      ? await cdb.db
          .selectFrom('org_units')
          .select(['id', 'name'])
          .where('corp_id', '=', cdb.corpId)
          .where('id', 'in', [...new Set(orders.flatMap((o) => (o.unitId === null ? [] : [o.unitId])))])
          .execute()
      : []
    ).map((u) => [u.id, u.name]),
  );
  const timeline: TimelineEntry[] = orders.map((o) => {
    const what = o.items.map((i) => `${i.productName}×${i.quantity}`).join('、');
    const where = o.unitId !== null ? units.get(o.unitId) : undefined;
    return {
      customerId: o.customerId,
      kind: 'order',
      at: new Date(o.orderedAt),
      summary: `${where ? `在${where}` : `在${CHANNEL_ZH[o.channel]}`}下单 ${yuan(o.paidFen)}：${what}${o.couponCode ? `（用券 ${o.couponCode}）` : ''}`,
      data: {
        orderId: o.id,
        channel: o.channel,
        store: where ?? null,
        items: o.items.map((i) => ({ name: i.productName, quantity: i.quantity })),
        paidFen: o.paidFen,
        couponCode: o.couponCode,
      },
    };
  });
  const members = linking.members.length
    ? await cdb.db
        .selectFrom('members')
        .select(['id', 'customer_id', 'level', 'source', 'member_no'])
        .where('corp_id', '=', cdb.corpId)
        .where(
          'id',
          'in',
          linking.members.map((m) => m.id),
        )
        .execute()
    : [];
  const now = ctx.clock.now();
  for (const m of members) {
    if (m.customer_id === null) continue;
    timeline.push({
      customerId: m.customer_id,
      kind: 'member',
      at: now,
      summary: `会员身份已关联：${m.member_no}${m.level ? `（${m.level}）` : ''}`,
      data: { memberId: m.id, source: m.source, memberNo: m.member_no, level: m.level },
    });
  }
  await addTimeline(cdb, timeline);
  const byCustomer = new Map<number, LinkedOrder[]>();
  for (const o of orders) byCustomer.set(o.customerId, [...(byCustomer.get(o.customerId) ?? []), o]);
  await publish(ctx, [
    ...[...byCustomer].map(
      ([customerId, linked]): OrdersLinked => ({ type: 'OrdersLinked', customerId, orders: linked }),
    ),
    ...members.flatMap((m): MemberLinked[] =>
      m.customer_id === null
        ? []
        : [
            {
              type: 'MemberLinked',
              customerId: m.customer_id,
              memberId: m.id,
              memberNo: m.member_no,
              level: m.level,
              source: m.source,
            },
          ],
    ),
  ]);
}

export const KIND_ZH: Record<IdentityKind, string> = {
  external_userid: '企业微信客户ID',
  unionid: 'UnionID',
  openid: 'OpenID',
  phone: '手机号',
};

/**
 * Undoes one link: the identity leaves the customer, the orders and members of the customer that carry it
 * go back to unresolved (their order events leave the timeline), the pairing is remembered so automatic
 * linking never ties them again, and those records are linked afresh (to someone else, or nobody).
 * Answers null when the customer holds no such identity.
 */
export async function unlinkIdentity(
  ctx: SyncCtx,
  input: { customerId: number; identityId: number; accountId: number | null },
): Promise<{ ordersUnlinked: number; membersUnlinked: number } | null> {
  const { customerId } = input;
  const result = await ctx.cdb.transaction(async (cdb) => {
    const tx = { ...ctx, cdb };
    const now = ctx.clock.now();
    const identity = await cdb.db
      .deleteFrom('customer_identities')
      .where('corp_id', '=', cdb.corpId)
      .where('id', '=', input.identityId)
      .where('customer_id', '=', customerId)
      .returning(['kind', 'value', 'source', 'created_at'])
      .executeTakeFirst();
    if (!identity) return null;
    await cdb.db
      .insertInto('identity_unlinks')
      .values({
        corp_id: cdb.corpId,
        kind: identity.kind,
        value: identity.value,
        customer_id: customerId,
        source: identity.source,
        linked_at: identity.created_at,
        undone_by: input.accountId,
        undone_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['corp_id', 'kind', 'value', 'customer_id']).doUpdateSet({
          source: identity.source,
          linked_at: identity.created_at,
          undone_by: input.accountId,
          undone_at: now,
        }),
      )
      .execute();
    const column = COLUMN_OF[identity.kind];
    const unlink = (table: 'orders' | 'members') =>
      cdb.db
        .updateTable(table as 'orders')
        .set({ customer_id: null, linked_by: null })
        .where('corp_id', '=', cdb.corpId)
        .where('customer_id', '=', customerId)
        .where(column, '=', identity.value)
        .returning([...carriedColumns, scopeColumn(table).as('link_scope_unit_id')])
        .execute();
    const orders = await unlink('orders');
    const members = await unlink('members');
    await removeTimeline(cdb, customerId, 'order', { key: 'orderId', values: orders.map((o) => o.id) });
    await addTimeline(cdb, [
      {
        customerId,
        kind: 'identity_unlinked',
        at: now,
        accountId: input.accountId,
        summary: `撤销了${KIND_ZH[identity.kind]}的关联（来源 ${identity.source}）：${orders.length} 笔订单、${members.length} 个会员移出`,
        data: {
          kind: identity.kind,
          source: identity.source,
          orders: orders.length,
          members: members.length,
          accountId: input.accountId,
        },
      },
    ]);
    const again = await linkAndFollow(tx, {
      table: 'orders',
      records: orders.map((o) => ({ ...o, learnedAs: `order:${o.source}` })),
    });
    const againMembers = await linkAndFollow(tx, {
      table: 'members',
      records: members.map((m) => ({ ...m, learnedAs: `member:${m.source}` })),
    });
    const linking = {
      orders: [...again.orders, ...againMembers.orders],
      members: [...again.members, ...againMembers.members],
    };
    await announceLinks(tx, linking);
    await publish(tx, [
      {
        type: 'OrdersUnlinked',
        customerId,
        orderIds: orders.map((o) => o.id),
        memberIds: members.map((m) => m.id),
      },
    ]);
    return { ordersUnlinked: orders.length, membersUnlinked: members.length };
  });
  return result;
}
