import type { SyncCtx } from '../modules/context.ts';
import { ingestOrders, type OrderInput, type OrderResult } from '../modules/orders/ingest.ts';
import { ingestMembers, type MemberInput } from '../modules/orders/members.ts';
import { PILOTS, UNITS } from './brand.ts';
import type { CustomerPlan } from './generate.ts';
import { BASE62, mixSeed, Random } from './random.ts';

/**
 * The demo brand's order history and membership, generated from the customer plans and a seed (the same
 * seed and `now` give the same orders), and written through the ingest API as the brand's systems would
 * send them: the store tills ('pos', the phone when the customer gives it), the mini-program
 * ('miniprogram', unionid and openid) and the Tmall shop ('tmall', the phone), and the membership system
 * ('crm'). Orders whose identity Siyu does not know yet stay unresolved until it appears.
 */

const DAY = 86_400_000;
const SHANGHAI = 8 * 3_600_000;

interface Product {
  code: string;
  name: string;
  priceFen: number;
  kind: 'drink' | 'snack' | 'retail';
}

export const MENU: readonly Product[] = [
  { code: 'D01', name: '杨枝甘露', priceFen: 1800, kind: 'drink' },
  { code: 'D02', name: '芝士葡萄', priceFen: 2200, kind: 'drink' },
  { code: 'D03', name: '多肉桃桃', priceFen: 2000, kind: 'drink' },
  { code: 'D04', name: '满杯红柚', priceFen: 1900, kind: 'drink' },
  { code: 'D05', name: '茉莉奶绿', priceFen: 1500, kind: 'drink' },
  { code: 'D06', name: '生椰拿铁', priceFen: 1800, kind: 'drink' },
  { code: 'D07', name: '黑糖珍珠奶茶', priceFen: 1600, kind: 'drink' },
  { code: 'D08', name: '暴打柠檬茶', priceFen: 1200, kind: 'drink' },
  { code: 'D09', name: '桂花乌龙', priceFen: 1400, kind: 'drink' },
  { code: 'D10', name: '芋泥波波', priceFen: 1900, kind: 'drink' },
  { code: 'S01', name: '蛋黄酥', priceFen: 1200, kind: 'snack' },
  { code: 'S02', name: '厚切吐司', priceFen: 900, kind: 'snack' },
  { code: 'R01', name: '禾木茶包礼盒', priceFen: 8800, kind: 'retail' },
  { code: 'R02', name: '禾木随行杯', priceFen: 5900, kind: 'retail' },
  { code: 'R03', name: '冷泡茶 12 支装', priceFen: 6900, kind: 'retail' },
];
const DRINKS = MENU.filter((p) => p.kind === 'drink');
const SNACKS = MENU.filter((p) => p.kind === 'snack');
const RETAIL = MENU.filter((p) => p.kind === 'retail');
const STORES = UNITS.filter((u) => u.kind === 'store');

/** A customer to give orders to, with a stable key (order numbers, member number, random stream). */
export interface DemoBuyer {
  plan: CustomerPlan;
  key: string;
}

export interface DemoOrder {
  source: 'pos' | 'miniprogram' | 'tmall';
  order: OrderInput;
}

const ymd = (d: Date) => new Date(d.getTime() + SHANGHAI).toISOString().slice(0, 10);

/** A Shanghai business hour (9:00–21:59) on the day of `t`. */
function businessTime(rng: Random, t: number): number {
  const day = Math.floor((t + SHANGHAI) / DAY) * DAY - SHANGHAI;
  return day + rng.int(9, 21) * 3_600_000 + rng.int(0, 59) * 60_000 + rng.int(0, 59) * 1000;
}

const openidOf = (rng: Random) => `oMP${rng.string(BASE62, 25)}`;

/**
 * One buyer's orders: a one-off, occasional, regular or super user; some stop buying (dormant, churned);
 * a coupon habit of their own (price sensitivity). `window` bounds the dates in days before `now`.
 */
function buyerOrders(
  b: DemoBuyer,
  seed: number,
  now: Date,
  window: { from: number; live: boolean },
): DemoOrder[] {
  const rng = new Random(mixSeed(seed, hashKey(b.key)));
  const { plan } = b;
  const nowMs = now.getTime();
  if (!window.live && !rng.chance(0.72)) return [];
  const store = STORES.find((s) => s.code === plan.store)!;
  const start = Math.max(nowMs - window.from * DAY, nowMs - store.openedDaysAgo * DAY);
  const profile = window.live
    ? ([1, 2] as const)
    : rng.weighted([
        [[1, 1] as const, 36],
        [[2, 3] as const, 34],
        [[4, 8] as const, 22],
        [[9, 20] as const, 8],
      ] as const);
  const count = rng.int(profile[0], profile[1]);
  // a quarter stop buying at some point: the later stages of the lifecycle
  const end =
    !window.live && rng.chance(0.25) ? start + (nowMs - start) * (0.2 + 0.6 * rng.next()) : nowMs - 3_600_000;
  if (end <= start) return [];
  const sensitivity = rng.weighted([
    [0, 35],
    [0.3, 35],
    [0.7, 30],
  ] as const);
  const openid = openidOf(rng);
  const neighbours = STORES.filter((s) => s.parent === store.parent && s.code !== store.code);
  const drawn = Array.from({ length: count }, () => businessTime(rng, start + (end - start) * rng.next()))
    .filter((t) => t < nowMs)
    .sort((a, c) => a - c);
  const times = window.live ? drawn : piloted(b, seed, nowMs, end, welcomed(b, seed, nowMs, start, drawn));

  return times.flatMap((t, k): DemoOrder[] => {
    const source = rng.weighted([
      ['pos', 60],
      ['miniprogram', 30],
      ['tmall', 10],
    ] as const);
    const tillPhone = source === 'pos' && plan.phone !== null && rng.chance(0.75);
    // half the walk-in orders without a phone are left out: they stay unresolved for good
    if (source === 'pos' && !tillPhone && rng.chance(0.5)) return [];
    const lines: { p: Product; quantity: number }[] = [];
    if (source === 'tmall') {
      lines.push({ p: rng.pick(RETAIL), quantity: rng.int(1, 2) });
    } else {
      for (const p of rng.sample(
        DRINKS,
        rng.weighted([
          [1, 55],
          [2, 30],
          [3, 15],
        ] as const),
      )) {
        lines.push({ p, quantity: rng.chance(0.2) ? 2 : 1 });
      }
      if (rng.chance(0.2)) lines.push({ p: rng.pick(SNACKS), quantity: 1 });
    }
    const totalFen = lines.reduce((s, l) => s + l.p.priceFen * l.quantity, 0);
    const at = new Date(t);
    const wednesday = new Date(t + SHANGHAI).getUTCDay() === 3;
    const drinks = lines.filter((l) => l.p.kind === 'drink');
    let coupon: { code: string; fen: number } | null = null;
    if (k === 0 && rng.chance(0.5)) coupon = { code: 'NEW5', fen: 500 };
    else if (rng.chance(sensitivity)) {
      if (source === 'miniprogram' && totalFen >= 5000) coupon = { code: 'MP10', fen: 1000 };
      else if (wednesday) coupon = { code: 'WED3', fen: 300 };
      else if (drinks.reduce((s, l) => s + l.quantity, 0) >= 2) {
        coupon = { code: 'BOGO', fen: Math.floor(Math.min(...drinks.map((l) => l.p.priceFen)) / 2) };
      } else coupon = { code: 'SAVE2', fen: 200 };
    }
    const couponFen = Math.min(coupon?.fen ?? 0, totalFen);
    const customer: OrderInput['customer'] = {};
    if (source === 'pos') {
      if (tillPhone && plan.phone) customer.phone = plan.phone;
    } else if (source === 'miniprogram') {
      customer.openid = openid;
      if (plan.unionid) customer.unionid = plan.unionid;
      if (plan.phone && rng.chance(0.3)) customer.phone = plan.phone;
    } else if (plan.phone) customer.phone = plan.phone;
    const storeCode =
      source === 'tmall'
        ? undefined
        : neighbours.length && rng.chance(0.1)
          ? rng.pick(neighbours).code
          : store.code;
    const prefix = { pos: 'P', miniprogram: 'M', tmall: 'T' }[source];
    return [
      {
        source,
        order: {
          sourceOrderId: `${prefix}${ymd(at).replaceAll('-', '')}${b.key}${String(k).padStart(2, '0')}`,
          ...(storeCode ? { storeCode } : {}),
          channel: source === 'pos' ? 'pos' : source === 'miniprogram' ? 'miniprogram' : 'ecommerce',
          orderedAt: at.toISOString(),
          items: lines.map((l) => ({
            productCode: l.p.code,
            productName: l.p.name,
            quantity: l.quantity,
            priceFen: l.p.priceFen,
          })),
          totalFen,
          paidFen: totalFen - couponFen,
          ...(coupon && couponFen > 0 ? { couponCode: coupon.code, couponFen } : {}),
          customer,
        },
      },
    ];
  });
}

/**
 * Customers add a member while they buy (the table card at the till, the package card with the take-away):
 * about half order on the day they came, a third again within the following weeks (the welcome's coupon).
 * What makes the channels' first-month GMV, hence their ROI, believable. A stream of its own.
 */
function welcomed(b: DemoBuyer, seed: number, nowMs: number, start: number, times: number[]): number[] {
  const added = b.plan.firstAddedAt.getTime();
  if (added < start) return times;
  const rng = new Random(mixSeed(seed ^ 0x77656c, hashKey(b.key)));
  const out = [...times];
  if (rng.chance(0.5)) out.push(Math.min(added + rng.int(1, 20) * 60_000, nowMs - 60_000));
  const again = businessTime(rng, added + rng.int(3, 25) * DAY);
  if (rng.chance(0.35) && again < nowMs) out.push(again);
  return out.sort((a, c) => a - c);
}

/**
 * What the pilot of the buyer's store did to their orders from its start (brand.ts PILOTS): an extra order
 * 2–6 days after an order (the second cup), or an order that did not happen. A stream of its own, so the
 * other customers' orders stay as they were.
 */
function piloted(b: DemoBuyer, seed: number, nowMs: number, end: number, times: number[]): number[] {
  const pilot = PILOTS.find((p) => p.stores.includes(b.plan.store));
  const effect = pilot?.effect[b.plan.store] ?? 0;
  if (!pilot || effect === 0) return times;
  const from = nowMs - pilot.startsDaysAgo * DAY;
  const rng = new Random(mixSeed(seed ^ 0x70696c, hashKey(b.key)));
  const out: number[] = [];
  for (const t of times) {
    if (t < from) out.push(t);
    else if (effect < 0) {
      if (!rng.chance(-effect)) out.push(t);
    } else {
      out.push(t);
      const again = businessTime(rng, t + rng.int(2, 6) * DAY);
      if (rng.chance(effect) && again < Math.min(end, nowMs)) out.push(again);
    }
  }
  return out.sort((a, c) => a - c);
}

function hashKey(key: string): number {
  let h = 0;
  for (const ch of key) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h >>> 0;
}

/** The membership system's view: buyers with a phone and a habit, their level by how often they buy. */
function buyerMember(b: DemoBuyer, orders: DemoOrder[], seed: number): MemberInput | null {
  const rng = new Random(mixSeed(seed ^ 0x6d656d, hashKey(b.key)));
  if (!b.plan.phone || orders.length < 2 || !rng.chance(0.7)) return null;
  const paid = orders.reduce((s, o) => s + o.order.paidFen, 0);
  const n = orders.length;
  const year = rng.int(1975, 2005);
  const month = rng.int(1, 12);
  const day = rng.int(1, 28);
  return {
    memberNo: `HM${b.key}`,
    level: n >= 13 ? '黑金会员' : n >= 6 ? '金卡会员' : n >= 3 ? '银卡会员' : '普通会员',
    joinedAt: ymd(new Date(orders[0]!.order.orderedAt)),
    birthday: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
    points: Math.floor(paid / 100),
    customer: { phone: b.plan.phone, ...(b.plan.unionid ? { unionid: b.plan.unionid } : {}) },
  };
}

export function demoOrders(
  buyers: DemoBuyer[],
  seed: number,
  now: Date,
  window: { from: number; live: boolean },
): { orders: DemoOrder[]; members: MemberInput[] } {
  const orders: DemoOrder[] = [];
  const members: MemberInput[] = [];
  for (const b of buyers) {
    const mine = buyerOrders(b, seed, now, window);
    orders.push(...mine);
    const member = window.live ? null : buyerMember(b, mine, seed);
    if (member) members.push(member);
  }
  return { orders, members };
}

/**
 * Writes the orders through the ingest API, 1,000 a batch by source, a customer's orders together (their
 * facts are then refreshed once, not once a batch); then the members.
 */
export async function ingestDemoOrders(
  ctx: SyncCtx,
  data: { orders: DemoOrder[]; members: MemberInput[] },
  onBatch?: (done: number, total: number) => void,
): Promise<{ orders: number; linked: number; members: number }> {
  let done = 0;
  let linked = 0;
  for (const source of ['pos', 'miniprogram', 'tmall'] as const) {
    const list = data.orders.filter((o) => o.source === source).map((o) => o.order);
    for (let i = 0; i < list.length; i += 1000) {
      const results: OrderResult[] = await ingestOrders(ctx, source, list.slice(i, i + 1000));
      const bad = results.find((r) => r.status === 'invalid');
      if (bad) throw new Error(`demo order ${bad.sourceOrderId} refused: ${JSON.stringify(bad.errors)}`);
      linked += results.filter((r) => r.customerId).length;
      done += results.length;
      onBatch?.(done, data.orders.length);
    }
  }
  for (let i = 0; i < data.members.length; i += 1000) {
    const results = await ingestMembers(ctx, 'crm', data.members.slice(i, i + 1000));
    const bad = results.find((r) => r.status === 'invalid');
    if (bad) throw new Error(`demo member ${bad.memberNo} refused: ${JSON.stringify(bad.errors)}`);
  }
  return { orders: done, linked, members: data.members.length };
}
