import { type ExpressionBuilder, sql } from 'kysely';
import type { Actor, Role } from '../../platform/actor.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { maskPhone, normalizePhone } from '../../platform/pii.ts';
import { type Budget, recordWithinBudget } from '../audit/index.ts';
import type { Ctx } from '../context.ts';
import type { LifecycleStage } from '../events.ts';
import type { Tables } from '../tables.ts';
import { timelineTagFilter } from '../tags/index.ts';
import { assertMayAsk, tagsInView } from './access.ts';
import { factsCard } from './facts.ts';
import { latestQuotes } from './quotes.ts';
import { timelineText } from './timeline-text.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Whose customers: the whole brand, those of the staff of some units, or one front-line member's. */
export interface CustomerScope {
  wholeCorp: boolean;
  /** Units whose staff's customers are in scope (a subtree, its root included). */
  unitIds: readonly number[];
  /** A front-line account: only the customers this member follows, of those units. */
  staffId: number | null;
}

/** A caller's customer scope. */
export const customerScopeOf = (actor: Actor): CustomerScope => ({
  wholeCorp: actor.seesWholeCorp,
  unitIds: actor.unitIds,
  staffId: actor.role === 'staff' ? (actor.staffId ?? -1) : null,
});

/**
 * The scope rule for customers: visible when one of their follows (current or past) is with a staff member
 * of the caller's subtree; a front-line account sees only the customers it follows itself.
 */
export function visibleTo(ctx: Ctx) {
  return visibleIn(customerScopeOf(ctx.actor));
}

/** The scope rule (see visibleTo) for any scope: a caller's, or one a background job acts within. */
export function visibleIn(scope: CustomerScope) {
  return (eb: ExpressionBuilder<Tables & { c: Tables['customers'] }, 'c'>) => {
    if (scope.wholeCorp) return eb.lit(true);
    let follows = eb
      .selectFrom('follows as vf')
      .innerJoin('staff as vs', (j) =>
        j.onRef('vs.corp_id', '=', 'vf.corp_id').onRef('vs.id', '=', 'vf.staff_id'),
      )
      .select(eb.lit(1).as('one'))
      .whereRef('vf.corp_id', '=', 'c.corp_id')
      .whereRef('vf.customer_id', '=', 'c.id')
      .where('vs.unit_id', 'in', [...scope.unitIds]);
    if (scope.staffId !== null) follows = follows.where('vf.staff_id', '=', scope.staffId);
    return eb.exists(follows);
  };
}

/** Of these customers, the ones the scope sees. */
export async function customersVisibleIn(
  cdb: Ctx['cdb'],
  scope: CustomerScope,
  ids: readonly number[],
): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await cdb.db
    .selectFrom('customers as c')
    .select('c.id')
    .where('c.corp_id', '=', cdb.corpId)
    .where('c.id', 'in', [...new Set(ids)])
    .where(visibleIn(scope))
    .execute();
  return new Set(rows.map((r) => r.id));
}

/** The customer list's filters; the same select the export and bulk tagging. */
export interface CustomerFilter {
  q?: string;
  unitId?: number;
  tagId?: number;
  staffId?: number;
  stage?: LifecycleStage;
}

export interface CustomerListInput extends CustomerFilter {
  cursor?: string;
  limit: number;
}

/** Why a list was asked for: named in the audit entry of a phone search. */
export type FilterUse = 'list' | 'export' | 'bulk_tags';

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/**
 * A full mobile number in a search finds a customer whose masked number it completes: each such search is
 * audited and counted against the caller's budget per rolling hour and day (by role), so that the 4 hidden
 * digits cannot be tried one by one. Front-line staff keep it (a customer at the counter gives their number)
 * with the smallest budget; they only ever find the customers they follow.
 */
export const PHONE_SEARCH_BUDGET: Record<Role, Budget> = {
  staff: { perHour: 10, perDay: 30 },
  store_manager: { perHour: 20, perDay: 60 },
  region_manager: { perHour: 30, perDay: 120 },
  hq_admin: { perHour: 60, perDay: 300 },
};

/** The keyed hash of a phone-shaped search, once the caller's budget allows it (429 otherwise). */
async function phoneSearchHash(ctx: Ctx, phone: string, use: FilterUse): Promise<string> {
  const hash = ctx.pii.hash(phone);
  const answer = await recordWithinBudget(
    ctx,
    { action: 'customers.phone_search', details: { phoneMasked: maskPhone(phone), phoneHash: hash, use } },
    PHONE_SEARCH_BUDGET[ctx.actor.role],
  );
  if (!answer.ok) {
    const hour = answer.window === 'hour';
    throw new AppError('rate_limited', {
      zh: `手机号查找次数已用完：每${hour ? '小时' : '天'}最多 ${answer.max} 次。请稍后再试，或按姓名、拼音、备注查找`,
      en: `You have used up your phone-number searches: at most ${answer.max} per ${hour ? 'hour' : 'day'}. Try again later, or search by name, pinyin or remark`,
    });
  }
  return hash;
}

/**
 * The customers of a filter within the caller's scope, as a query on `customers as c` left-joined to their
 * facts (`cf`), selecting nothing yet. Filters naming a unit or staff outside the scope are refused (403).
 */
export async function filteredCustomers(ctx: Ctx, input: CustomerFilter, use: FilterUse) {
  const { cdb } = ctx;
  await assertMayAsk(ctx, {
    unitIds: input.unitId === undefined ? [] : [input.unitId],
    staffIds: input.staffId === undefined ? [] : [input.staffId],
    tagIds: input.tagId === undefined ? [] : [input.tagId],
  });

  let query = cdb.db
    .selectFrom('customers as c')
    .leftJoin('customer_facts as cf', (j) =>
      j.onRef('cf.corp_id', '=', 'c.corp_id').onRef('cf.customer_id', '=', 'c.id'),
    )
    .where('c.corp_id', '=', cdb.corpId)
    .where(visibleTo(ctx));
  if (input.stage !== undefined) query = query.where('cf.stage', '=', input.stage);

  const q = input.q?.trim().toLowerCase();
  if (q) {
    const phone = normalizePhone(q);
    query = /^1\d{10}$/.test(phone)
      ? query.where('c.phone_hash', '=', await phoneSearchHash(ctx, phone, use))
      : query.where('c.search_text', 'like', `%${likeEscape(q)}%`);
  }
  if (input.unitId !== undefined || input.staffId !== undefined) {
    query = query.where((eb) => {
      let follows = eb
        .selectFrom('follows as ff')
        .innerJoin('staff as fs', (j) =>
          j.onRef('fs.corp_id', '=', 'ff.corp_id').onRef('fs.id', '=', 'ff.staff_id'),
        )
        .select(eb.lit(1).as('one'))
        .whereRef('ff.corp_id', '=', 'c.corp_id')
        .whereRef('ff.customer_id', '=', 'c.id');
      if (input.unitId !== undefined) {
        const unitId = input.unitId;
        follows = follows.where('fs.unit_id', 'in', (sub) =>
          sub
            .selectFrom('org_units as u')
            .innerJoin('org_units as root', (j) => j.onRef('root.corp_id', '=', 'u.corp_id'))
            .select('u.id')
            .where('root.corp_id', '=', cdb.corpId)
            .where('root.id', '=', unitId)
            .where('u.path', 'like', sql<string>`root.path || '%'`),
        );
      }
      if (input.staffId !== undefined) follows = follows.where('ff.staff_id', '=', input.staffId);
      return eb.exists(follows);
    });
  }
  if (input.tagId !== undefined) {
    const tagId = input.tagId;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('customer_tags as ct')
          .select(eb.lit(1).as('one'))
          .whereRef('ct.corp_id', '=', 'c.corp_id')
          .whereRef('ct.customer_id', '=', 'c.id')
          .where('ct.tag_id', '=', tagId),
      ),
    );
  }
  return query;
}

/** How many customers a filtered query holds. */
export async function countFiltered(query: Awaited<ReturnType<typeof filteredCustomers>>): Promise<number> {
  const { n } = await query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(n);
}

export async function listCustomers(ctx: Ctx, input: CustomerListInput) {
  const { cdb } = ctx;
  const after = decodeCursor(input.cursor);
  const filtered = await filteredCustomers(ctx, input, 'list');
  let query = filtered.select([
    'c.id',
    'c.external_userid',
    'c.name',
    'c.gender',
    'c.avatar',
    'c.phone_masked',
    'c.first_added_at',
    'cf.stage',
  ]);
  if (after !== undefined) query = query.where('c.id', '<', after);

  const [rows, total] = await Promise.all([
    query
      .orderBy('c.id', 'desc')
      .limit(input.limit + 1)
      .execute(),
    countFiltered(filtered),
  ]);
  const page = toPage(rows, input.limit);
  const ids = page.items.map((r) => r.id);
  const shownTags = tagsInView(ctx); // tag views per role
  const [tags, owners] = ids.length
    ? await Promise.all([
        cdb.db
          .selectFrom('customer_tags as ct')
          .innerJoin('tags as t', (j) =>
            j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'),
          )
          .select(['ct.customer_id', 't.id', 't.name'])
          .where('ct.corp_id', '=', cdb.corpId)
          .where('ct.customer_id', 'in', ids)
          .$if(shownTags !== null, (q) => q.where('t.id', 'in', shownTags!))
          .orderBy('t.id')
          .execute(),
        cdb.db
          .selectFrom('follows as f')
          .innerJoin('staff as s', (j) =>
            j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'),
          )
          .select(['f.customer_id', 's.id as staff_id', 's.name as staff_name', 'f.journey_role'])
          .where('f.corp_id', '=', cdb.corpId)
          .where('f.customer_id', 'in', ids)
          .where('f.status', '=', 'active')
          .orderBy('f.added_at')
          .execute(),
      ])
    : [[], []];

  return {
    total,
    nextCursor: page.nextCursor,
    items: page.items.map((r) => ({
      id: r.id,
      externalUserid: r.external_userid,
      name: r.name,
      gender: r.gender,
      avatar: r.avatar,
      phoneMasked: r.phone_masked,
      firstAddedAt: iso(r.first_added_at),
      stage: r.stage,
      tags: tags.filter((t) => t.customer_id === r.id).map((t) => ({ id: t.id, name: t.name })),
      owners: owners
        .filter((o) => o.customer_id === r.id)
        .map((o) => ({ staffId: o.staff_id, staffName: o.staff_name, journeyRole: o.journey_role })),
    })),
  };
}

export async function getCustomerProfile(ctx: Ctx, id: number) {
  const { cdb } = ctx;
  const customer = await cdb.db
    .selectFrom('customers as c')
    .selectAll('c')
    .where('c.corp_id', '=', cdb.corpId)
    .where('c.id', '=', id)
    .where(visibleTo(ctx))
    .executeTakeFirst();
  // Out of scope and absent look the same: a 404 tells nothing about other stores' customers.
  if (!customer) throw notFound({ zh: '客户', en: 'Customer' });
  // Tag views per role: the tags of groups meant for others, and their timeline events, stay out.
  const shownTags = tagsInView(ctx);
  const tagEvents = timelineTagFilter(ctx);

  const [follows, tags, timeline, quotes] = await Promise.all([
    cdb.db
      .selectFrom('follows as f')
      .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
      .innerJoin('org_units as u', (j) =>
        j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
      )
      .select([
        'f.id',
        'f.remark',
        'f.description',
        'f.add_way',
        'f.state',
        'f.journey_role',
        'f.status',
        'f.added_at',
        's.id as staff_id',
        's.name as staff_name',
        's.persona',
        's.persona_name',
        'u.id as unit_id',
        'u.name as unit_name',
      ])
      .where('f.corp_id', '=', cdb.corpId)
      .where('f.customer_id', '=', id)
      .orderBy('f.added_at')
      .execute(),
    cdb.db
      .selectFrom('customer_tags as ct')
      .innerJoin('tags as t', (j) => j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'))
      .innerJoin('tag_groups as g', (j) =>
        j.onRef('g.corp_id', '=', 't.corp_id').onRef('g.id', '=', 't.group_id'),
      )
      .select(['t.id', 't.name', 'g.id as group_id', 'g.name as group_name'])
      .where('ct.corp_id', '=', cdb.corpId)
      .where('ct.customer_id', '=', id)
      .$if(shownTags !== null, (q) => q.where('t.id', 'in', shownTags!))
      .orderBy('g.sort_order')
      .orderBy('t.sort_order')
      .execute(),
    cdb.db
      .selectFrom('customer_events as e')
      .leftJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'e.corp_id').onRef('s.id', '=', 'e.staff_id'))
      .leftJoin('accounts as a', (j) =>
        j.onRef('a.corp_id', '=', 'e.corp_id').onRef('a.id', '=', 'e.account_id'),
      )
      .select([
        'e.id',
        'e.at',
        'e.kind',
        'e.summary',
        'e.data',
        's.name as staff_name',
        'a.display_name as account_name',
      ])
      .where('e.corp_id', '=', cdb.corpId)
      .where('e.customer_id', '=', id)
      .$if(tagEvents !== null, (q) => q.where(tagEvents!))
      .orderBy('e.at', 'desc')
      .orderBy('e.id', 'desc')
      .limit(200)
      .execute(),
    latestQuotes(ctx, id),
  ]);
  // A follow's channel code state, as the channel it belongs to (states are codes, not words).
  const states = [
    ...new Set([
      ...follows.map((f) => f.state),
      ...timeline.map((e) => (e.kind === 'follow_added' ? e.data.state : null)),
    ]),
  ].filter((v): v is string => typeof v === 'string' && v !== '');
  const channels = new Map(
    states.length
      ? (
          await cdb.db
            .selectFrom('channel_codes as k')
            .innerJoin('channels as ch', (j) =>
              j.onRef('ch.corp_id', '=', 'k.corp_id').onRef('ch.id', '=', 'k.channel_id'),
            )
            .select(['k.state', 'ch.id', 'ch.name', 'ch.bait'])
            .where('k.corp_id', '=', cdb.corpId)
            .where('k.state', 'in', states)
            .execute()
        ).map((k) => [k.state, { id: k.id, name: k.name, bait: k.bait }])
      : [],
  );
  const channelOf = (state: unknown) => (typeof state === 'string' ? (channels.get(state) ?? null) : null);

  return {
    customer: {
      id: customer.id,
      externalUserid: customer.external_userid,
      unionid: customer.unionid,
      name: customer.name,
      gender: customer.gender,
      avatar: customer.avatar,
      phoneMasked: customer.phone_masked,
      firstAddedAt: iso(customer.first_added_at),
      createdAt: customer.created_at.toISOString(),
    },
    follows: follows.map((f) => ({
      id: f.id,
      staff: {
        id: f.staff_id,
        name: f.staff_name,
        persona: f.persona,
        personaName: f.persona_name,
        unitId: f.unit_id,
        unitName: f.unit_name,
      },
      remark: f.remark,
      description: f.description,
      addWay: f.add_way,
      state: f.state,
      channel: channelOf(f.state),
      journeyRole: f.journey_role,
      status: f.status,
      addedAt: f.added_at.toISOString(),
    })),
    tags: tags.map((t) => ({ id: t.id, name: t.name, groupId: t.group_id, groupName: t.group_name })),
    timeline: timeline.map((e) => ({
      id: e.id,
      at: e.at.toISOString(),
      kind: e.kind,
      text: timelineText({
        kind: e.kind,
        summary: e.summary,
        data: e.data,
        staffName: e.staff_name,
        channelName: e.kind === 'follow_added' ? (channelOf(e.data.state)?.name ?? null) : null,
      }),
      staffName: e.staff_name,
      // Who acted: the account for a change made in Siyu, else the staff member of the entry.
      actorName: e.account_name ?? e.staff_name,
    })),
    quotes,
    facts: await factsCard(ctx, id),
  };
}

/** Per unit in scope: distinct customers the caller can see through the staff of that unit's subtree. */
export async function customerCountsByUnit(ctx: Ctx): Promise<Map<number, number>> {
  const { cdb, actor } = ctx;
  let query = cdb.db
    .selectFrom('org_units as u')
    .innerJoin('org_units as su', (j) =>
      j.onRef('su.corp_id', '=', 'u.corp_id').on('su.path', 'like', sql<string>`u.path || '%'`),
    )
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'su.corp_id').onRef('s.unit_id', '=', 'su.id'))
    .innerJoin('follows as f', (j) => j.onRef('f.corp_id', '=', 's.corp_id').onRef('f.staff_id', '=', 's.id'))
    .select(['u.id', (eb) => eb.fn.count<number>('f.customer_id').distinct().as('n')])
    .where('u.corp_id', '=', cdb.corpId)
    .where('u.id', 'in', [...actor.unitIds])
    .where('f.status', '=', 'active')
    .groupBy('u.id');
  if (actor.role === 'staff') query = query.where('f.staff_id', '=', actor.staffId ?? -1);
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

/** 404 unless the caller can see this customer (the profile's scope rule), for routes under a customer. */
export async function assertCustomerVisible(ctx: Ctx, id: number): Promise<void> {
  const found = await ctx.cdb.db
    .selectFrom('customers as c')
    .select('c.id')
    .where('c.corp_id', '=', ctx.cdb.corpId)
    .where('c.id', '=', id)
    .where(visibleTo(ctx))
    .executeTakeFirst();
  if (!found) throw notFound({ zh: '客户', en: 'Customer' });
}
