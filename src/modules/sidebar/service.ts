import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { type AttachmentInput, recordContentUse, renderContent } from '../content/index.ts';
import type { Ctx } from '../context.ts';
import {
  addTimeline,
  assertCustomerVisible,
  followUpNote,
  type QuoteInput,
  visibleTo,
} from '../customers/index.ts';
import { personaOfAdmittedGroup } from '../groups/index.ts';
import { releaseTouch, reserveTouch } from '../outreach/index.ts';

/** How many scripts the sidebar recommends at once. */
export const RECOMMENDATIONS = 6;

const REFUSAL_TEXT = {
  opted_out: { zh: '客户已退订营销消息', en: 'The customer opted out of messages' },
  not_friend: { zh: '你已不是该客户的好友，无法发送', en: 'You are no longer this customer’s contact' },
  capped: { zh: '已超过触达频次', en: 'The touch budget is used up' },
  quiet_hours: { zh: '免打扰时段', en: 'Quiet hours' },
  monthly_cap: { zh: '本月群发次数已满', en: 'The monthly cap is reached' },
} as const;

/** The member behind the caller's account (the sidebar acts as that member), or null. */
async function memberOf(ctx: Ctx): Promise<{ staffId: number; name: string } | null> {
  const row = await ctx.cdb.db
    .selectFrom('accounts as a')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'a.corp_id').onRef('s.id', '=', 'a.staff_id'))
    .select(['s.id', 's.name'])
    .where('a.corp_id', '=', ctx.cdb.corpId)
    .where('a.id', '=', ctx.actor.accountId)
    .executeTakeFirst();
  return row ? { staffId: row.id, name: row.name } : null;
}

/** The member who sends: a 409 for an account that is no WeCom member (it has no chat to send in). */
async function senderOf(ctx: Ctx) {
  const member = await memberOf(ctx);
  if (!member)
    throw new AppError('conflict', {
      zh: '该账号没有绑定企业微信成员，不能在侧边栏发送',
      en: 'This account is not a WeCom member: it cannot send from the sidebar',
    });
  return member;
}

export interface Recommendation {
  id: number;
  title: string;
  kind: string;
  /** The text as it will be sent to this customer ({{variables}} filled). */
  text: string;
  /** A link attachment, sent as a news message after the text. */
  link: { title: string; url: string; desc: string | null; imgUrl: string | null } | null;
  /** Why it is recommended: the stage, products or persona it matches. */
  reasons: string[];
}

/**
 * The customer the sidebar was opened on (getCurExternalContact's external_userid), within the caller's scope
 * (a front-line member sees only customers they follow): its id and the scripts recommended for it.
 * Outside the scope, or unknown: 404.
 */
export async function contactCard(ctx: Ctx, externalUserid: string) {
  const customer = await ctx.cdb.db
    .selectFrom('customers as c')
    .leftJoin('customer_facts as f', (j) =>
      j.onRef('f.corp_id', '=', 'c.corp_id').onRef('f.customer_id', '=', 'c.id'),
    )
    .select(['c.id', 'c.name', 'f.stage'])
    .where('c.corp_id', '=', ctx.cdb.corpId)
    .where('c.external_userid', '=', externalUserid)
    .where(visibleTo(ctx))
    .executeTakeFirst();
  if (!customer) throw notFound({ zh: '客户', en: 'Customer' });
  return {
    customerId: customer.id,
    recommendations: await recommend(ctx, {
      customerId: customer.id,
      stage: customer.stage ?? null,
      group: false,
    }),
  };
}

/**
 * Scripts and content of the library the caller's unit sees (its own and its parents'), best first: the
 * customer's lifecycle stage (3), a product of their latest orders (2), the member's persona (1), a script
 * (1); ties to the newest. Rendered for this customer and member.
 */
export async function recommend(
  ctx: Ctx,
  input: { customerId: number | null; stage: string | null; group: boolean; only?: number },
): Promise<Recommendation[]> {
  const { cdb } = ctx;
  const member = await cdb.db
    .selectFrom('accounts as a')
    .leftJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'a.corp_id').onRef('s.id', '=', 'a.staff_id'))
    .select(['s.persona', 's.name', 's.persona_name'])
    .where('a.corp_id', '=', cdb.corpId)
    .where('a.id', '=', ctx.actor.accountId)
    .executeTakeFirst();
  const products =
    input.customerId === null
      ? []
      : (
          await sql<{ code: string; name: string }>`
            select distinct i.product_code as code, i.product_name as name
            from (select o.id from orders o where o.corp_id = ${cdb.corpId} and o.customer_id = ${input.customerId}
                  order by o.ordered_at desc limit 3) last
            join order_items i on i.corp_id = ${cdb.corpId} and i.order_id = last.id`.execute(cdb.db)
        ).rows;
  const productKeys = [...new Set(products.flatMap((p) => [p.code, p.name]))];
  const persona = member?.persona ?? null;
  const stage = input.stage;
  const rows = await sql<{
    id: number;
    title: string;
    kind: string;
    text: string;
    attachments: unknown;
    stages: string[];
    products: string[];
    personas: string[];
    scenes: string[];
    score: number;
  }>`
    select x.id, x.title, x.kind, x.text, x.attachments, x.stages, x.products, x.personas, x.scenes,
      (case when ${stage}::text is not null and x.stages @> array[${stage}::text] then 3 else 0 end
       + case when x.products && ${productKeys}::text[] then 2 else 0 end
       + case when ${persona}::text is not null and x.personas @> array[${persona}::text] then 1 else 0 end
       + case when x.script then 1 else 0 end
       + case when ${input.group} and x.scenes && array['event', 'product_intro']::text[] then 2 else 0 end) as score
    from content_items x
    join org_units me on me.corp_id = x.corp_id and me.id = ${ctx.actor.unitId}
    where x.corp_id = ${cdb.corpId}
      and me.path like '%/' || x.unit_id || '/%'
      and (x.text <> '' or jsonb_array_length(x.attachments::jsonb) > 0)
      and (${input.only ?? null}::bigint is null or x.id = ${input.only ?? null})
    order by score desc, x.id desc
    limit ${RECOMMENDATIONS}`.execute(cdb.db);
  const customer =
    input.customerId === null
      ? null
      : await cdb.db
          .selectFrom('customers as c')
          .leftJoin('follows as f', (j) =>
            j
              .onRef('f.corp_id', '=', 'c.corp_id')
              .onRef('f.customer_id', '=', 'c.id')
              .on('f.staff_id', '=', ctx.actor.staffId ?? -1),
          )
          .select(['c.name', 'f.remark'])
          .where('c.corp_id', '=', cdb.corpId)
          .where('c.id', '=', input.customerId)
          .executeTakeFirst();
  return rows.rows.map((r) => {
    const attachments = (
      typeof r.attachments === 'string' ? JSON.parse(r.attachments) : r.attachments
    ) as AttachmentInput[];
    let text = r.text;
    try {
      text =
        renderContent(
          { text: r.text, attachments },
          {
            customer_name: customer ? customer.remark || customer.name : null,
            staff_name: member?.name ?? null,
            persona_name: member?.persona_name ?? null,
          },
        ).text?.content ?? '';
    } catch {
      // a saved item always renders; kept as written otherwise
    }
    const link = attachments.find((a) => a.type === 'link');
    const reasons: string[] = [];
    if (stage && r.stages.includes(stage)) reasons.push(`stage:${stage}`);
    for (const p of r.products)
      if (productKeys.includes(p)) reasons.push(`product:${products.find((x) => x.code === p)?.name ?? p}`);
    if (persona && r.personas.includes(persona)) reasons.push(`persona:${persona}`);
    return {
      id: r.id,
      title: r.title,
      kind: r.kind,
      text,
      link:
        link && link.type === 'link'
          ? { title: link.title, url: link.url, desc: link.desc ?? null, imgUrl: link.picUrl ?? null }
          : null,
      reasons,
    };
  });
}

/**
 * Before the sidebar sends a recommended item with sendChatMessage: a touch of the customer's budget (kind
 * `sidebar`: counted, on the timeline, never held back by frequency or quiet hours) and a use of the item.
 * The sidebar releases the touch if the client refuses to send.
 */
export async function startSend(ctx: Ctx, customerId: number, contentId: number) {
  await assertCustomerVisible(ctx, customerId);
  const member = await senderOf(ctx);
  const facts = await ctx.cdb.db
    .selectFrom('customer_facts')
    .select('stage')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  // the item as recommended to this customer: visible to the caller's unit, rendered for them
  const [item] = await recommend(ctx, {
    customerId,
    stage: facts?.stage ?? null,
    group: false,
    only: contentId,
  });
  if (!item) throw notFound({ zh: '素材', en: 'Content item' });
  return ctx.cdb.transaction(async (tx) => {
    const tctx = { ...ctx, cdb: tx };
    const touch = await reserveTouch(tctx, {
      customerId,
      staffId: member.staffId,
      source: { kind: 'sidebar', id: String(contentId) },
      contentId,
      at: ctx.clock.now(),
      label: item.title,
    });
    if (!touch.ok) throw new AppError('conflict', REFUSAL_TEXT[touch.reason]);
    await recordContentUse(tctx, { contentId, customerId, touchId: touch.touchId });
    return { touchId: touch.touchId, text: item.text, link: item.link };
  });
}

/** sendChatMessage failed or was cancelled: the touch goes back (only the caller's own, else 404). */
export async function cancelSend(ctx: Ctx, touchId: number) {
  const touch = await ctx.cdb.db
    .selectFrom('touches as t')
    .innerJoin('accounts as a', (j) =>
      j.onRef('a.corp_id', '=', 't.corp_id').onRef('a.staff_id', '=', 't.staff_id'),
    )
    .select(['t.id', 't.status'])
    .where('t.corp_id', '=', ctx.cdb.corpId)
    .where('t.id', '=', touchId)
    .where('a.id', '=', ctx.actor.accountId)
    .where('t.source_kind', '=', 'sidebar')
    .executeTakeFirst();
  if (!touch) throw notFound({ zh: '发送记录', en: 'Send' });
  if (touch.status !== 'released') await releaseTouch(ctx, touchId, 'client_refused');
  return { released: true as const };
}

/**
 * A follow-up note (跟进记录) by the member, on the customer's timeline, optionally with the price they quoted
 * (a quote counts only from a WeCom member: it is what colleagues compare theirs with).
 */
export async function addFollowUpNote(
  ctx: Ctx,
  customerId: number,
  note: { text: string; quote?: QuoteInput | undefined },
) {
  await assertCustomerVisible(ctx, customerId);
  const member = await memberOf(ctx);
  if (note.quote && !member)
    throw new AppError('conflict', {
      zh: '该账号没有绑定企业微信成员，不能记录报价',
      en: 'This account is not a WeCom member: it cannot record a quote',
    });
  const at = ctx.clock.now();
  await addTimeline(ctx.cdb, [
    followUpNote({
      customerId,
      at,
      staffId: member?.staffId ?? null,
      accountId: ctx.actor.accountId,
      text: note.text,
      quote: note.quote,
    }),
  ]);
  return { at: at.toISOString() };
}

/**
 * A customer group the sidebar was opened in (getCurExternalChat's chat_id), seen by a member in it or its
 * owner, or a manager over its owner: its persona as the groups pages show it (customers with orders,
 * loyalty members, high-frequency buyers, price bands, new versus old) and the group scripts. 404 otherwise.
 */
export async function groupCard(ctx: Ctx, chatId: string) {
  const { cdb, actor } = ctx;
  let q = cdb.db
    .selectFrom('groups as g')
    .leftJoin('staff as o', (j) =>
      j.onRef('o.corp_id', '=', 'g.corp_id').onRef('o.id', '=', 'g.owner_staff_id'),
    )
    .select(['g.id', 'g.name', 'g.member_count', 'o.name as owner_name'])
    .where('g.corp_id', '=', cdb.corpId)
    .where('g.chat_id', '=', chatId)
    .where('g.status', '=', 'active');
  if (actor.role === 'staff') {
    const me = actor.staffId ?? -1;
    q = q.where((eb) =>
      eb.or([
        eb('g.owner_staff_id', '=', me),
        eb.exists(
          eb
            .selectFrom('group_members as gm')
            .select('gm.group_id')
            .whereRef('gm.corp_id', '=', 'g.corp_id')
            .whereRef('gm.group_id', '=', 'g.id')
            .where('gm.staff_id', '=', me)
            .where('gm.left_at', 'is', null),
        ),
      ]),
    );
  } else if (!actor.seesWholeCorp) {
    q = q.where('o.unit_id', 'in', [...actor.unitIds]);
  }
  const group = await q.executeTakeFirst();
  if (!group) throw notFound({ zh: '客户群', en: 'Customer group' });
  return {
    groupId: group.id,
    name: group.name,
    ownerName: group.owner_name,
    memberCount: group.member_count,
    persona: await personaOfAdmittedGroup(ctx, group.id),
    recommendations: await recommend(ctx, { customerId: null, stage: null, group: true }),
  };
}
