import { sql } from 'kysely';
import type { Deps } from '../modules/context.ts';
import { addTimeline, followUpNote } from '../modules/customers/index.ts';
import { corpDb } from '../platform/db/corp-db.ts';

const DAY = 86_400_000;

/** What members of a tea shop quote: the price per item, in fen, and the lower price a colleague gives. */
const ITEMS = [
  { item: '团购 20 杯', fen: 36_000, lower: 32_000, text: '公司下午茶想订 20 杯，问团购价' },
  { item: '企业下午茶套餐（50 人）', fen: 128_000, lower: 115_000, text: '行政问月度下午茶套餐' },
  { item: '中秋茶礼盒', fen: 16_800, lower: 14_800, text: '想买礼盒送客户，问有没有批量价' },
  { item: '储值卡 500 元档', fen: 50_000, lower: 45_000, text: '问储值卡有没有折扣' },
] as const;

/** How many customers two members both quoted to. */
const PAIRS = 36;

/**
 * Quotes (报价) two members who follow the same customer wrote with their follow-up notes over the last three
 * weeks; in every third pair the later one quoted less, which the profile and the sidebar flag as a conflict
 * (PLAYBOOK S4). 王芳's customers come first, so her sidebar shows some.
 */
export async function createDemoQuotes(deps: Deps, corpId: string, now: Date) {
  const pairs = await sql<{ customer_id: number; a: number; b: number; hers: boolean }>`
    select distinct on (f1.customer_id) f1.customer_id, f1.staff_id as a, f2.staff_id as b,
      (sa.userid = 'wangfang' or sb.userid = 'wangfang') as hers
    from follows f1
    join follows f2 on f2.corp_id = f1.corp_id and f2.customer_id = f1.customer_id and f2.staff_id > f1.staff_id
    join staff sa on sa.corp_id = f1.corp_id and sa.id = f1.staff_id
    join staff sb on sb.corp_id = f2.corp_id and sb.id = f2.staff_id
    where f1.corp_id = ${corpId} and f1.status = 'active' and f2.status = 'active'
      and sa.status <> 'departed' and sb.status <> 'departed'
    order by f1.customer_id, f1.staff_id, f2.staff_id`.execute(deps.db);
  // a stable sort: 王芳's first, each part in customer order
  const chosen = [...pairs.rows].sort((x, y) => Number(y.hers) - Number(x.hers)).slice(0, PAIRS);
  const notes = chosen.flatMap((p, i) => {
    const q = ITEMS[i % ITEMS.length]!;
    const first = new Date(now.getTime() - (3 + (i % 18)) * DAY - (i % 7) * 3_600_000);
    const second = new Date(first.getTime() + (1 + (i % 2)) * DAY);
    return [
      followUpNote({
        customerId: p.customer_id,
        at: first,
        staffId: p.a,
        accountId: null,
        text: q.text,
        quote: { item: q.item, amountFen: q.fen },
      }),
      followUpNote({
        customerId: p.customer_id,
        at: second,
        staffId: p.b,
        accountId: null,
        text: '客户又来问价，已回复',
        quote: { item: q.item, amountFen: i % 3 === 0 ? q.lower : q.fen },
      }),
    ];
  });
  await addTimeline(corpDb(deps.db, corpId), notes);
  return { quotes: notes.length, conflicts: chosen.filter((_, i) => i % 3 === 0).length };
}
