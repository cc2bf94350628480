import { sql } from 'kysely';
import { z } from 'zod';
import type { Ctx } from '../context.ts';
import type { TimelineEntry } from './timeline.ts';

/**
 * Quotes (报价): the price a member told the customer for something, written with a follow-up note
 * (`data.quote` of a `note` entry). Colleagues who follow the same customer and quote the same thing
 * differently confuse her (PLAYBOOK S4), so the profile and the sidebar show each member's latest quote
 * per item and flag the items quoted differently.
 */

/** Quotes older than this no longer count: prices move, and last season's quote is not a conflict. */
export const QUOTE_DAYS = 30;

export const quoteInput = z.strictObject({
  item: z
    .string()
    .trim()
    .min(1)
    .max(40)
    // one spelling per item, so 「桂花 乌龙 」 and 「桂花 乌龙」 compare equal
    .transform((s) => s.replace(/\s+/g, ' '))
    .describe('what was quoted: a product, a package, a service'),
  amountFen: z.number().int().min(0).max(100_000_000).describe('the price quoted, in fen (分)'),
});
export type QuoteInput = z.infer<typeof quoteInput>;

export const quoteSchema = z.object({
  item: z.string(),
  amountFen: z.number(),
  staffId: z.number(),
  staffName: z.string(),
  at: z.string(),
  conflicting: z.boolean().describe('another member’s latest quote for the same item differs'),
});
export type Quote = z.infer<typeof quoteSchema>;

/**
 * Each member's latest quote per item for the customer within QUOTE_DAYS, newest first; `conflicting` when
 * members' latest quotes for one item differ. The caller has checked the customer is visible.
 */
export async function latestQuotes(ctx: Ctx, customerId: number): Promise<Quote[]> {
  const since = new Date(ctx.clock.now().getTime() - QUOTE_DAYS * 86_400_000);
  const { rows } = await sql<{
    item: string;
    amount_fen: unknown;
    staff_id: number;
    staff_name: string;
    at: Date;
  }>`
    select e.data->'quote'->>'item' as item, (e.data->'quote'->>'amountFen')::bigint as amount_fen,
      e.staff_id, s.name as staff_name, e.at
    from customer_events e
    join staff s on s.corp_id = e.corp_id and s.id = e.staff_id
    where e.corp_id = ${ctx.cdb.corpId} and e.customer_id = ${customerId} and e.kind = 'note'
      and e.at >= ${since} and jsonb_typeof(e.data->'quote') = 'object'
    order by e.at desc, e.id desc`.execute(ctx.cdb.db);
  const latest = new Map<string, Quote>();
  const amounts = new Map<string, Set<number>>();
  for (const r of rows) {
    const mine = `${r.staff_id}:${r.item}`;
    if (latest.has(mine)) continue;
    const amountFen = Number(r.amount_fen);
    latest.set(mine, {
      item: r.item,
      amountFen,
      staffId: r.staff_id,
      staffName: r.staff_name,
      at: new Date(r.at).toISOString(),
      conflicting: false,
    });
    amounts.set(r.item, (amounts.get(r.item) ?? new Set()).add(amountFen));
  }
  return [...latest.values()].map((q) => ({ ...q, conflicting: amounts.get(q.item)!.size > 1 }));
}

/** A member's follow-up note (跟进记录) as a timeline entry, with the price they quoted if any. */
export function followUpNote(n: {
  customerId: number;
  at: Date;
  staffId: number | null;
  accountId: number | null;
  text: string;
  quote?: QuoteInput | undefined;
}): TimelineEntry {
  return {
    customerId: n.customerId,
    kind: 'note',
    at: n.at,
    staffId: n.staffId,
    accountId: n.accountId,
    summary: n.text,
    data: { followUp: true, text: n.text, ...(n.quote ? { quote: n.quote } : {}) },
  };
}
