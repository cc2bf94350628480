import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { assertCustomerVisible, visibleTo } from '../customers/index.ts';
import { COLUMN_OF, unlinkIdentity } from './oneid.ts';
import type { IdentityKind } from './schema.ts';

/** Orders page newest first: the cursor is the last order's (ordered_at, id). */
function encodeOrderCursor(at: Date, id: number): string {
  return Buffer.from(`${at.getTime()}:${id}`).toString('base64url');
}

function decodeOrderCursor(cursor: string | undefined): { at: Date; id: number } | undefined {
  if (cursor === undefined) return undefined;
  const m = /^(\d{1,15}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('bad_request', { zh: '分页游标无效', en: 'Invalid cursor' });
  return { at: new Date(Number(m[1])), id: Number(m[2]) };
}

/** A customer's orders, newest first, with items and store (the profile's scope rule applies). */
export async function customerOrders(ctx: Ctx, customerId: number, page: { cursor?: string; limit: number }) {
  await assertCustomerVisible(ctx, customerId);
  const { cdb } = ctx;
  const after = decodeOrderCursor(page.cursor);
  let query = cdb.db
    .selectFrom('orders as o')
    .leftJoin('org_units as u', (j) => j.onRef('u.corp_id', '=', 'o.corp_id').onRef('u.id', '=', 'o.unit_id'))
    .select([
      'o.id',
      'o.source',
      'o.source_order_id',
      'o.channel',
      'o.unit_id',
      'u.name as unit_name',
      'o.total_fen',
      'o.paid_fen',
      'o.coupon_code',
      'o.coupon_fen',
      'o.ordered_at',
      'o.linked_by',
    ])
    .where('o.corp_id', '=', cdb.corpId)
    .where('o.customer_id', '=', customerId);
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('o.ordered_at', '<', after.at),
        eb.and([eb('o.ordered_at', '=', after.at), eb('o.id', '<', after.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('o.ordered_at', 'desc')
    .orderBy('o.id', 'desc')
    .limit(page.limit + 1)
    .execute();
  const shown = rows.slice(0, page.limit);
  const items = shown.length
    ? await cdb.db
        .selectFrom('order_items')
        .select(['order_id', 'product_code', 'product_name', 'quantity', 'price_fen'])
        .where('corp_id', '=', cdb.corpId)
        .where(
          'order_id',
          'in',
          shown.map((o) => o.id),
        )
        .orderBy('order_id')
        .orderBy('line')
        .execute()
    : [];
  const last = shown[shown.length - 1];
  return {
    items: shown.map((o) => ({
      id: o.id,
      source: o.source,
      sourceOrderId: o.source_order_id,
      channel: o.channel,
      store: o.unit_id !== null ? { id: o.unit_id, name: o.unit_name ?? '' } : null,
      totalFen: Number(o.total_fen),
      paidFen: Number(o.paid_fen),
      couponCode: o.coupon_code,
      couponFen: Number(o.coupon_fen),
      orderedAt: o.ordered_at.toISOString(),
      linkedBy: o.linked_by,
      items: items
        .filter((i) => i.order_id === o.id)
        .map((i) => ({
          productCode: i.product_code,
          productName: i.product_name,
          quantity: i.quantity,
          priceFen: Number(i.price_fen),
        })),
    })),
    nextCursor: rows.length > page.limit && last ? encodeOrderCursor(last.ordered_at, last.id) : null,
  };
}

/** How many of a customer's orders (or members) carry the identity: `kind` picks the column. */
const carrying = (table: 'orders' | 'members', alias: string) =>
  sql<number>`(select count(*)::int from ${sql.table(table)} r
    where r.corp_id = ${sql.ref(`${alias}.corp_id`)} and r.customer_id = ${sql.ref(`${alias}.customer_id`)}
    and case ${sql.ref(`${alias}.kind`)}
      when 'external_userid' then ${sql.ref(`r.${COLUMN_OF.external_userid}`)}
      when 'unionid' then ${sql.ref(`r.${COLUMN_OF.unionid}`)}
      when 'openid' then ${sql.ref(`r.${COLUMN_OF.openid}`)}
      else ${sql.ref(`r.${COLUMN_OF.phone}`)} end = ${sql.ref(`${alias}.value`)})`;

/**
 * A customer's identities with their sources and what each brought (orders, members), the links undone,
 * and identities in conflict with another customer the caller may see. A phone shows only masked, and only
 * when it is the customer's own WeCom phone; otherwise it stays a hidden hash.
 */
export async function customerIdentities(ctx: Ctx, customerId: number) {
  await assertCustomerVisible(ctx, customerId);
  const { cdb } = ctx;
  const customer = await cdb.db
    .selectFrom('customers')
    .select(['external_userid', 'phone_hash', 'phone_masked'])
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', customerId)
    .executeTakeFirstOrThrow();
  const display = (kind: IdentityKind, value: string) =>
    kind !== 'phone' ? value : value === customer.phone_hash ? customer.phone_masked : null;

  const [identities, unlinks, conflicts] = await Promise.all([
    cdb.db
      .selectFrom('customer_identities as i')
      .select([
        'i.id',
        'i.kind',
        'i.value',
        'i.source',
        'i.created_at',
        carrying('orders', 'i').as('orders'),
        carrying('members', 'i').as('members'),
      ])
      .where('i.corp_id', '=', cdb.corpId)
      .where('i.customer_id', '=', customerId)
      .orderBy('i.id')
      .execute(),
    cdb.db
      .selectFrom('identity_unlinks as x')
      .leftJoin('accounts as a', (j) =>
        j.onRef('a.corp_id', '=', 'x.corp_id').onRef('a.id', '=', 'x.undone_by'),
      )
      .select(['x.kind', 'x.value', 'x.source', 'x.linked_at', 'x.undone_at', 'a.display_name'])
      .where('x.corp_id', '=', cdb.corpId)
      .where('x.customer_id', '=', customerId)
      .orderBy('x.undone_at', 'desc')
      .execute(),
    cdb.db
      .selectFrom('identity_conflicts as k')
      .select([
        'k.id',
        'k.kind',
        'k.value',
        'k.source',
        'k.seen_at',
        'k.owner_customer_id',
        'k.claimant_customer_id',
      ])
      .where('k.corp_id', '=', cdb.corpId)
      .where((eb) =>
        eb.or([eb('k.owner_customer_id', '=', customerId), eb('k.claimant_customer_id', '=', customerId)]),
      )
      // only conflicts with a customer the caller may see: the others would tell who holds an identity
      .where(
        sql<number>`case when k.owner_customer_id = ${customerId} then k.claimant_customer_id else k.owner_customer_id end`,
        'in',
        cdb.db
          .selectFrom('customers as c')
          .select('c.id')
          .where('c.corp_id', '=', cdb.corpId)
          .where(visibleTo(ctx)),
      )
      .orderBy('k.id', 'desc')
      .limit(100)
      .execute(),
  ]);
  const trust: IdentityKind[] = ['external_userid', 'unionid', 'openid', 'phone'];
  return {
    identities: identities
      .map((i) => ({
        id: i.id,
        kind: i.kind,
        display: display(i.kind, i.value),
        source: i.source,
        linkedAt: i.created_at.toISOString(),
        orders: Number(i.orders),
        members: Number(i.members),
        // the customer's own WeCom id is who they are, not a link
        undoable: !(i.kind === 'external_userid' && i.value === customer.external_userid),
      }))
      .sort((a, b) => trust.indexOf(a.kind) - trust.indexOf(b.kind) || a.id - b.id),
    unlinked: unlinks.map((u) => ({
      kind: u.kind,
      display: display(u.kind, u.value),
      source: u.source,
      linkedAt: u.linked_at.toISOString(),
      undoneAt: u.undone_at.toISOString(),
      undoneBy: u.display_name,
    })),
    conflicts: conflicts.map((k) => {
      const heldHere = k.owner_customer_id === customerId;
      return {
        id: k.id,
        kind: k.kind,
        display: display(k.kind, k.value),
        source: k.source,
        seenAt: k.seen_at.toISOString(),
        // held here and claimed for another customer, or held by another and claimed for this one
        role: heldHere ? ('held_here' as const) : ('held_by_other' as const),
        otherCustomerId: heldHere ? k.claimant_customer_id : k.owner_customer_id,
      };
    }),
  };
}

export async function undoIdentityLink(ctx: Ctx, customerId: number, identityId: number) {
  await assertCustomerVisible(ctx, customerId);
  const own = await ctx.cdb.db
    .selectFrom('customer_identities as i')
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'i.corp_id').onRef('c.id', '=', 'i.customer_id'),
    )
    .select(['i.kind', 'i.value', 'c.external_userid'])
    .where('i.corp_id', '=', ctx.cdb.corpId)
    .where('i.id', '=', identityId)
    .where('i.customer_id', '=', customerId)
    .executeTakeFirst();
  if (!own) throw notFound({ zh: '身份关联', en: 'Identity link' });
  if (own.kind === 'external_userid' && own.value === own.external_userid) {
    throw new AppError('conflict', {
      zh: '这是客户自己的企业微信ID，不能撤销',
      en: "This is the customer's own WeCom id; it cannot be unlinked",
    });
  }
  const result = await unlinkIdentity(ctx, { customerId, identityId, accountId: ctx.actor.accountId });
  if (!result) throw notFound({ zh: '身份关联', en: 'Identity link' });
  return result;
}
