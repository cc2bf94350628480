import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { CHANNEL_METHODS, visibleChannels } from '../channels/index.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import { changeCustomerTags, type TagChange, tagsInView, visibleTo } from '../customers/index.ts';
import type { ChannelAttributed, LinkedOrder } from '../events.ts';
import type { TagRuleKind } from './schema.ts';

/**
 * Auto-tag rules: an order (a product bought, a paid amount, a coupon used), a keyword in a customer's
 * message, or an add through a channel of some method or scene puts the rule's tags on the customer — here,
 * in WeCom (mark_tag), and on the timeline with the rule and what triggered it. Each trigger applies a rule
 * once (tag_rule_hits), so the same order seen twice tags once.
 *
 * Channel rules complement a channel's own tags (channels/on-contact-added.ts: "everyone added through this
 * code gets these tags"): a rule names a method or scene, so it covers every channel of that kind, future
 * ones too.
 */

const name = z.string().trim().min(1).max(40);
const tagIds = z.array(z.number().int().positive()).min(1).max(20);
const words = (max: number) => z.array(z.string().trim().min(1).max(max));
const base = { name, tagIds, enabled: z.boolean().default(true) };

export const tagRuleInput = z.discriminatedUnion('kind', [
  z.strictObject({
    ...base,
    kind: z.literal('order_product'),
    condition: z.strictObject({ productCodes: words(64).min(1).max(200) }),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('order_amount'),
    condition: z.strictObject({ minPaidFen: z.number().int().min(1).max(10_000_000_000) }),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('order_coupon'),
    condition: z.strictObject({ couponCodes: words(64).max(200).default([]) }),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('keyword'),
    condition: z.strictObject({ keywords: words(32).min(1).max(300) }),
  }),
  z.strictObject({
    ...base,
    kind: z.literal('channel'),
    condition: z
      .strictObject({
        methods: z
          .array(z.enum(CHANNEL_METHODS as [string, ...string[]]))
          .max(20)
          .default([]),
        scenes: words(60).max(50).default([]),
      })
      .refine((c) => c.methods.length + c.scenes.length > 0, 'name at least one method or scene'),
  }),
]);
export type TagRuleInput = z.infer<typeof tagRuleInput>;

interface Rule {
  id: number;
  name: string;
  kind: TagRuleKind;
  condition: Record<string, unknown>;
  tagIds: number[];
}

async function enabledRules(ctx: SyncCtx, kinds: TagRuleKind[]): Promise<Rule[]> {
  const rows = await ctx.cdb.db
    .selectFrom('tag_rules as r')
    .select([
      'r.id',
      'r.name',
      'r.kind',
      'r.condition',
      sql<number[]>`coalesce((select json_agg(rt.tag_id order by rt.tag_id) from tag_rule_tags rt
        where rt.corp_id = r.corp_id and rt.rule_id = r.id), '[]')`.as('tagIds'),
    ])
    .where('r.corp_id', '=', ctx.cdb.corpId)
    .where('r.enabled', '=', true)
    .where('r.kind', 'in', kinds)
    .orderBy('r.id')
    .execute();
  return rows.map((r) => ({ ...r, tagIds: r.tagIds.map(Number) }));
}

/** A rule matched: its tags go on this customer, once per trigger. */
interface Hit {
  rule: Rule;
  customerId: number;
  /** What fired it, unique per rule and customer: `order:<id>`, `msg:<hash>`, `add:<userid>:<time>`. */
  trigger: string;
  /** In words, for the timeline, in each language. */
  why: { zh: string; en: string };
  at: Date;
  via: TagChange['via'];
}

async function applyHits(ctx: SyncCtx, hits: Hit[]): Promise<void> {
  if (hits.length === 0) return;
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    const fresh = await tx.db
      .insertInto('tag_rule_hits')
      .values(
        hits.map((h) => ({
          corp_id: tx.corpId,
          rule_id: h.rule.id,
          customer_id: h.customerId,
          trigger: h.trigger,
          tags_added: 0,
          at: h.at,
        })),
      )
      .onConflict((oc) => oc.columns(['corp_id', 'rule_id', 'customer_id', 'trigger']).doNothing())
      .returning(['rule_id', 'customer_id', 'trigger'])
      .execute();
    const isFresh = new Set(fresh.map((f) => `${f.rule_id}:${f.customer_id}:${f.trigger}`));
    const todo = hits.filter((h) => isFresh.delete(`${h.rule.id}:${h.customerId}:${h.trigger}`));
    const changed = await changeCustomerTags(
      { ...ctx, cdb: tx },
      todo.map((h) => ({
        customerId: h.customerId,
        add: h.rule.tagIds,
        remove: [],
        via: h.via,
        at: h.at,
        cause: { source: 'rule', ruleId: h.rule.id, ruleName: h.rule.name, trigger: h.trigger, why: h.why },
        key: `tag:rule:${h.rule.id}:${h.customerId}:${h.trigger}`,
      })),
      now,
    );
    for (const [i, h] of todo.entries()) {
      if (changed[i]!.added.length === 0) continue;
      await tx.db
        .updateTable('tag_rule_hits')
        .set({ tags_added: changed[i]!.added.length })
        .where('corp_id', '=', tx.corpId)
        .where('rule_id', '=', h.rule.id)
        .where('customer_id', '=', h.customerId)
        .where('trigger', '=', h.trigger)
        .execute();
    }
  });
}

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2).replace(/\.00$/, '')}`;

/** Why an order matches a rule, in words; null when it does not. */
function orderMatch(rule: Rule, order: LinkedOrder): { zh: string; en: string } | null {
  const c = rule.condition;
  switch (rule.kind) {
    case 'order_product': {
      const codes = new Set(c.productCodes as string[]);
      const item = order.items.find((i) => codes.has(i.productCode));
      return item
        ? {
            zh: `订单 #${order.id} 购买「${item.productName}」`,
            en: `order #${order.id} bought “${item.productName}”`,
          }
        : null;
    }
    case 'order_amount':
      return order.paidFen >= (c.minPaidFen as number)
        ? {
            zh: `订单 #${order.id} 实付 ${yuan(order.paidFen)}（≥ ${yuan(c.minPaidFen as number)}）`,
            en: `order #${order.id} paid ${yuan(order.paidFen)} (≥ ${yuan(c.minPaidFen as number)})`,
          }
        : null;
    case 'order_coupon': {
      const used = order.couponCode !== null || order.couponFen > 0;
      const codes = c.couponCodes as string[];
      if (!used || (codes.length > 0 && !codes.includes(order.couponCode ?? ''))) return null;
      return {
        zh: `订单 #${order.id} 使用优惠券${order.couponCode ? ` ${order.couponCode}` : ''}`,
        en: `order #${order.id} used a coupon${order.couponCode ? ` ${order.couponCode}` : ''}`,
      };
    }
    default:
      return null;
  }
}

/**
 * Applies the brand's order tag rules (product bought, amount, coupon use) to these customers' new orders.
 * An order's tag is marked in WeCom on the follow of a staff member of the order's store when there is one.
 */
export async function applyOrderTagRules(ctx: SyncCtx, orders: LinkedOrder[]): Promise<void> {
  if (orders.length === 0) return;
  const rules = await enabledRules(ctx, ['order_product', 'order_amount', 'order_coupon']);
  const hits: Hit[] = [];
  for (const order of orders) {
    for (const rule of rules) {
      const why = orderMatch(rule, order);
      if (why === null) continue;
      hits.push({
        rule,
        customerId: order.customerId,
        trigger: `order:${order.id}`,
        why,
        at: new Date(order.orderedAt),
        via: { unitId: order.unitId },
      });
    }
  }
  await applyHits(ctx, hits);
}

/** Compares Chinese (and any) text as people mean it: full-width as half-width, case and spaces ignored. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}

/**
 * Applies the keyword rules to one message the customer sent at `at`: WeCom hands customers' messages over
 * only through the session archive, which outreach's archive job reads (replies.ts). The timeline names the
 * keyword, never the message, which may hold a phone number.
 */
export async function applyKeywordRules(
  ctx: SyncCtx,
  customerId: number,
  text: string,
  at: Date,
): Promise<void> {
  const normalized = normalizeText(text);
  if (!normalized) return;
  const rules = await enabledRules(ctx, ['keyword']);
  const message = createHash('sha256').update(`${at.toISOString()}\n${text}`).digest('hex').slice(0, 24);
  const hits: Hit[] = [];
  for (const rule of rules) {
    const keyword = (rule.condition.keywords as string[]).find((k) => {
      const n = normalizeText(k);
      return n !== '' && normalized.includes(n);
    });
    if (keyword === undefined) continue;
    hits.push({
      rule,
      customerId,
      trigger: `msg:${message}`,
      why: { zh: `消息含关键词「${keyword}」`, en: `the message has the keyword “${keyword}”` },
      at,
      via: {},
    });
  }
  await applyHits(ctx, hits);
}

/**
 * Customers added members through channel codes: the channel rules whose method or scene match each code's
 * channel tag them on that member's follow.
 */
export async function applyChannelTagRules(ctx: SyncCtx, adds: ChannelAttributed[]): Promise<void> {
  const rules = await enabledRules(ctx, ['channel']);
  const hits = adds.flatMap((add) =>
    rules
      .filter((r) => {
        const methods = (r.condition.methods as string[] | undefined) ?? [];
        const scenes = (r.condition.scenes as string[] | undefined) ?? [];
        return (
          (methods.length === 0 || methods.includes(add.method)) &&
          (scenes.length === 0 || scenes.includes(add.scene))
        );
      })
      .map((rule) => ({
        rule,
        customerId: add.customerId,
        trigger: `add:${add.userid}:${Math.floor(Date.parse(add.addedAt) / 1000)}`,
        why: {
          zh: `通过渠道「${add.channelName}」添加（场景：${add.scene}）`,
          en: `added through the channel “${add.channelName}” (scene: ${add.scene})`,
        },
        at: new Date(add.addedAt),
        via: { userid: add.userid },
      })),
  );
  await applyHits(ctx, hits);
}

/* ---------- the rules themselves (HQ manages them; managers read) ---------- */

/**
 * The rules with their tags and how many customers (in the caller's scope) each has tagged; and, read-only,
 * the channels in scope that tag their adds themselves (set on the channel, shown here so the whole picture
 * of automatic tagging is in one place).
 */
/**
 * The rules and the channels that tag their adds, as the caller's tag view shows them (customers/access.ts):
 * a tag outside it is left out, and so is a rule that puts on none of the caller's tags — its count would say
 * how many of their customers carry a tag they may not see.
 */
export async function listTagRules(ctx: Ctx) {
  const { cdb } = ctx;
  const view = tagsInView(ctx);
  const inView = view ? sql`and t.id in (${view})` : sql``;
  const allRules = await cdb.db
    .selectFrom('tag_rules as r')
    .selectAll('r')
    .select(
      sql<
        { id: number; name: string }[]
      >`coalesce((select json_agg(json_build_object('id', t.id, 'name', t.name)
        order by t.id) from tag_rule_tags rt join tags t on t.corp_id = rt.corp_id and t.id = rt.tag_id
        where rt.corp_id = r.corp_id and rt.rule_id = r.id ${inView}), '[]')`.as('tags'),
    )
    .where('r.corp_id', '=', cdb.corpId)
    .orderBy('r.id')
    .execute();
  const rules = view ? allRules.filter((r) => r.tags.length > 0) : allRules;
  const counts = await cdb.db
    .selectFrom('tag_rule_hits as h')
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'h.corp_id').onRef('c.id', '=', 'h.customer_id'),
    )
    .select(['h.rule_id', (eb) => eb.fn.count<number>('h.customer_id').distinct().as('n')])
    .where('h.corp_id', '=', cdb.corpId)
    .where('h.tags_added', '>', 0)
    .where(visibleTo(ctx))
    .groupBy('h.rule_id')
    .execute();
  const channels = await visibleChannels(ctx)
    .innerJoin('channel_tags as ct', (j) =>
      j.onRef('ct.corp_id', '=', 'c.corp_id').onRef('ct.channel_id', '=', 'c.id'),
    )
    .innerJoin('tags as t', (j) => j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'))
    .select(['c.id', 'c.name', 'c.method', 'c.scene', 'c.status', 't.id as tag_id', 't.name as tag_name'])
    .$if(view !== null, (q) => q.where('t.id', 'in', view!))
    .orderBy('c.id')
    .orderBy('t.id')
    .execute();
  const channelTags: {
    channelId: number;
    name: string;
    method: string;
    scene: string;
    status: string;
    tags: { id: number; name: string }[];
  }[] = [];
  for (const c of channels) {
    let entry = channelTags.find((x) => x.channelId === c.id);
    if (!entry) {
      entry = { channelId: c.id, name: c.name, method: c.method, scene: c.scene, status: c.status, tags: [] };
      channelTags.push(entry);
    }
    entry.tags.push({ id: c.tag_id, name: c.tag_name });
  }
  // The products the rules name, by the name orders gave them (Siyu keeps no catalogue).
  const codes = [
    ...new Set(
      rules.flatMap((r) => (r.kind === 'order_product' ? (r.condition.productCodes as string[]) : [])),
    ),
  ];
  // One item per code is enough for its name (an index lookup, however many orders there are).
  const products = codes.length
    ? (
        await sql<{ code: string; name: string | null }>`
          select c.code, (select i.product_name from order_items i
            where i.corp_id = ${cdb.corpId} and i.product_code = c.code limit 1) as name
          from unnest(${codes}::text[]) as c(code)`.execute(cdb.db)
      ).rows
    : [];
  return {
    productNames: Object.fromEntries(products.filter((p) => p.name !== null).map((p) => [p.code, p.name!])),
    rules: rules.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      condition: r.condition,
      enabled: r.enabled,
      tags: r.tags.map((t) => ({ id: Number(t.id), name: t.name })),
      customersTagged: Number(counts.find((c) => c.rule_id === r.id)?.n ?? 0),
      updatedAt: r.updated_at.toISOString(),
    })),
    channelTags,
  };
}

async function checkRule(ctx: Ctx, input: TagRuleInput, id?: number): Promise<void> {
  if (ctx.actor.role !== 'hq_admin') throw new AppError('forbidden');
  const found = await ctx.cdb.db
    .selectFrom('tags')
    .select('id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', 'in', input.tagIds)
    .execute();
  if (found.length !== new Set(input.tagIds).size) {
    throw new AppError('bad_request', { zh: '有标签不存在', en: 'A tag does not exist' });
  }
  const clash = await ctx.cdb.db
    .selectFrom('tag_rules')
    .select('id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('name', '=', input.name)
    .$if(id !== undefined, (q) => q.where('id', '<>', id!))
    .executeTakeFirst();
  if (clash) throw new AppError('conflict', { zh: '已有同名规则', en: 'A rule of that name exists' });
}

async function writeRuleTags(tx: Ctx['cdb'], ruleId: number, ids: number[]) {
  await tx.db
    .deleteFrom('tag_rule_tags')
    .where('corp_id', '=', tx.corpId)
    .where('rule_id', '=', ruleId)
    .execute();
  await tx.db
    .insertInto('tag_rule_tags')
    .values([...new Set(ids)].map((tag_id) => ({ corp_id: tx.corpId, rule_id: ruleId, tag_id })))
    .execute();
}

export async function createTagRule(ctx: Ctx, input: TagRuleInput) {
  await checkRule(ctx, input);
  return ctx.cdb.transaction(async (tx) => {
    const { id } = await tx.db
      .insertInto('tag_rules')
      .values({
        corp_id: tx.corpId,
        name: input.name,
        kind: input.kind,
        condition: JSON.stringify(input.condition),
        enabled: input.enabled,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await writeRuleTags(tx, id, input.tagIds);
    return { id };
  });
}

/** A rule's new condition applies to triggers from now on; tags it already put on stay. */
export async function updateTagRule(ctx: Ctx, id: number, input: TagRuleInput) {
  await checkRule(ctx, input, id);
  await ctx.cdb.transaction(async (tx) => {
    const updated = await tx.db
      .updateTable('tag_rules')
      .set({
        name: input.name,
        kind: input.kind,
        condition: JSON.stringify(input.condition),
        enabled: input.enabled,
        updated_at: ctx.clock.now(),
      })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    if (!updated) throw notFound({ zh: '规则', en: 'Rule' });
    await writeRuleTags(tx, id, input.tagIds);
  });
  return { id };
}

export async function deleteTagRule(ctx: Ctx, id: number) {
  if (ctx.actor.role !== 'hq_admin') throw new AppError('forbidden');
  const deleted = await ctx.cdb.db
    .deleteFrom('tag_rules')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .returning('id')
    .executeTakeFirst();
  if (!deleted) throw notFound({ zh: '规则', en: 'Rule' });
}
