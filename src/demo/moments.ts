import { syncCtxOf } from '../modules/context.ts';
import { createPost, followPosts, type PostInput, publishDue, saveMedia } from '../modules/moments/index.ts';
import { rgbPng } from '../platform/png.ts';
import type { Runtime } from '../runtime.ts';
import { adminCtxAt, brandTime } from './mass-sends.ts';
import { Random } from './random.ts';
import type { ShiftableClock } from './shift-clock.ts';

const DAY = 86_400_000;

/** A moment of the brand's calendar (UTC+8): `days` days after `now`'s day (negative: before), at hh:mm. */
const brandDay = (now: Date, days: number, hh: number, mm = 0) => brandTime(now, -days, hh, mm);

/** A small picture for a demo post: a soft diagonal gradient between two colours with a round "cup". */
export function demoPicture(
  from: [number, number, number],
  to: [number, number, number],
  size = 240,
): Buffer {
  const cx = size / 2;
  const cy = size * 0.55;
  const r = size * 0.22;
  return rgbPng(size, size, (x, y) => {
    const t = (x + y) / (2 * size);
    const inCup = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
    const v = (i: number) => {
      const c = Math.round(from[i]! + (to[i]! - from[i]!) * t);
      return inCup ? Math.min(255, c + 60) : c;
    };
    return [v(0), v(1), v(2)];
  });
}

const PALETTES: [number, number, number][][] = [
  [
    [255, 214, 102],
    [255, 153, 51],
  ],
  [
    [186, 230, 180],
    [76, 153, 96],
  ],
  [
    [255, 204, 214],
    [214, 92, 128],
  ],
  [
    [204, 229, 255],
    [72, 128, 204],
  ],
];

interface DemoPost {
  /** Days from today (negative: past). */
  day: number;
  axis: PostInput['axis'];
  /** 'hq' or a store's code. */
  unit: string;
  title: string;
  body: string;
  images: number;
  link?: { title: string; url: string };
  /** Which members post it: the store's staff, HQ's brand accounts, or the regional experts. */
  senders: 'store' | 'brand' | 'experts' | 'all-stores';
}

const POSTS: readonly DemoPost[] = [
  {
    day: -26,
    axis: 'product',
    unit: 'hq',
    title: '芒果多多上新',
    body: '🥭 今年第一批海南芒果到店啦！芒果多多现切现做，少冰更有果味。门店、小程序都能点～',
    images: 3,
    senders: 'all-stores',
  },
  {
    day: -23,
    axis: 'persona',
    unit: 'hq',
    title: '茶饮顾问聊冷泡',
    body: '很多朋友问冷泡和热泡有什么不同：冷泡 8 小时，茶多酚析出更慢，回甘更柔。周末来店里，我给你泡一杯对比一下。',
    images: 1,
    senders: 'experts',
  },
  {
    day: -20,
    axis: 'story',
    unit: 'sh-jingan',
    title: '熟客王姐的第 100 杯',
    body: '今天静安店的王姐喝到了她在禾木的第 100 杯杨枝甘露，她说每次加班到很晚，这一杯就是奖励自己。谢谢一直陪着我们 ❤️',
    images: 2,
    senders: 'store',
  },
  {
    day: -17,
    axis: 'product',
    unit: 'hq',
    title: '会员日第二杯半价',
    body: '每周三会员日，第二杯半价。会员生日当月还有一张免费升杯券，在小程序「我的」里领取。',
    images: 1,
    link: { title: '禾木会员日', url: 'https://wxaurl.cn/hemu-member-day' },
    senders: 'brand',
  },
  {
    day: -14,
    axis: 'story',
    unit: 'gz-tianhe',
    title: '天河店的下雨天',
    body: '下午突然大雨，好几位顾客在店里躲雨，我们给每人送了一杯热姜枣茶。雨停的时候，有位小朋友画了一张画送给我们。',
    images: 2,
    senders: 'store',
  },
  {
    day: -11,
    axis: 'persona',
    unit: 'sh-xuhui',
    title: '店长推荐：今日特调',
    body: '徐汇店店长小林的私藏喝法：茉莉绿茶 + 少量青提果肉 + 三分糖。喜欢清爽口的朋友可以试试，到店说「店长特调」就好。',
    images: 1,
    senders: 'store',
  },
  {
    day: -8,
    axis: 'product',
    unit: 'hq',
    title: '秋季新品：桂花乌龙',
    body: '桂花乌龙今天开售 🌼 乌龙茶底配新鲜桂花，热饮更香。前三天下单送桂花书签一枚。',
    images: 4,
    senders: 'all-stores',
  },
  {
    day: -5,
    axis: 'story',
    unit: 'hq',
    title: '顾客共创：你最爱的小料',
    body: '上周我们请大家投票选最爱的小料，第一名是……芋圆！谢谢 1,200 多位朋友参与，下个月芋圆系列会回归。',
    images: 2,
    senders: 'brand',
  },
  {
    day: -3,
    axis: 'persona',
    unit: 'hq',
    title: '茶饮顾问：秋天喝什么',
    body: '换季容易口干，推荐少糖的桂花乌龙或者热的红枣枸杞茶。有什么想问的，随时私信我～',
    images: 1,
    senders: 'experts',
  },
  {
    day: -1,
    axis: 'product',
    unit: 'sz-nanshan',
    title: '南山店外卖满减',
    body: '南山店本周外卖满 40 减 8，公司下午茶拼单最划算。备注「企微」还送一份小料。',
    images: 1,
    senders: 'store',
  },
  // ahead: planned, not yet published
  {
    day: 1,
    axis: 'story',
    unit: 'hq',
    title: '一位妈妈的留言',
    body: '收到一位妈妈的留言：孩子第一次自己点单，点的是无糖的柠檬茶。谢谢你们把选择权交给孩子，也谢谢你们的信任。',
    images: 1,
    senders: 'brand',
  },
  {
    day: 3,
    axis: 'product',
    unit: 'hq',
    title: '周三会员日提醒',
    body: '明天就是会员日！第二杯半价，记得带上朋友。',
    images: 1,
    senders: 'all-stores',
  },
  {
    day: 6,
    axis: 'persona',
    unit: 'hz-xihu',
    title: '西湖店茶艺小课堂',
    body: '周六下午三点，西湖店茶艺小课堂：教你在家冷泡一壶好茶，名额 12 位，私信我报名。',
    images: 2,
    senders: 'store',
  },
  {
    day: 10,
    axis: 'product',
    unit: 'hq',
    title: '冬季热饮预告',
    body: '冬季热饮菜单下周揭晓，先给大家剧透一款：黑糖姜母奶茶。',
    images: 3,
    senders: 'all-stores',
  },
  {
    day: 14,
    axis: 'story',
    unit: 'sz-futian',
    title: '福田店一周年',
    body: '福田店一周年啦！谢谢每一位来过的你。周年当天全场第二杯 8 折。',
    images: 4,
    senders: 'store',
  },
  {
    day: 20,
    axis: 'persona',
    unit: 'hq',
    title: '创始人的一封信',
    body: '禾木开到第六家店了。我想和大家说说我们为什么坚持每天现煮茶底……',
    images: 0,
    link: { title: '创始人的一封信', url: 'https://hemu.example.cn/letter' },
    senders: 'brand',
  },
];

export interface DemoMomentsOptions {
  runtime: Runtime;
  corpId: string;
  wecomCorpId: string;
  sim(method: string, path: string, body?: unknown): Promise<unknown>;
  simClock: ShiftableClock;
  now: Date;
  seed: number;
}

/**
 * A month of 朋友圈 on the three axes, planned by HQ and by stores through the same functions the API calls:
 * the past ones published through the simulator at their time (members publishing over the evening, their
 * customers liking and commenting), followed by Siyu; the ones ahead still planned.
 */
export async function createDemoMoments(
  o: DemoMomentsOptions,
): Promise<{ published: number; planned: number }> {
  const deps = o.runtime.deps;
  const ctxAt = await adminCtxAt(deps, o.corpId);
  const units = await deps.db
    .selectFrom('org_units')
    .select(['id', 'code', 'kind'])
    .where('corp_id', '=', o.corpId)
    .execute();
  const unitOf = (code: string) => units.find((u) => u.code === code)!.id;
  const staff = await deps.db
    .selectFrom('staff')
    .select(['id', 'userid', 'unit_id', 'persona'])
    .where('corp_id', '=', o.corpId)
    .where('status', '=', 'active')
    .orderBy('id')
    .execute();
  const stores = new Set(units.filter((u) => u.kind === 'store').map((u) => u.id));
  const sendersOf = (p: DemoPost): number[] => {
    const pick =
      p.senders === 'store'
        ? staff.filter((s) => s.unit_id === unitOf(p.unit))
        : p.senders === 'brand'
          ? staff.filter((s) => s.persona === 'brand')
          : p.senders === 'experts'
            ? staff.filter((s) => s.persona === 'expert')
            : staff.filter((s) => stores.has(s.unit_id));
    return pick.map((s) => s.id);
  };
  const link = await deps.links.require(o.corpId);
  const rng = new Random(o.seed ^ 0x6d6f6d);
  const control = (scenario: string, body: unknown) =>
    o.sim('POST', `/sim/corps/${o.wecomCorpId}/scenarios/${scenario}`, body);
  let published = 0;
  let planned = 0;

  for (const [i, p] of POSTS.entries()) {
    const senderStaffIds = sendersOf(p);
    if (senderStaffIds.length === 0) continue;
    const at = brandDay(o.now, p.day, p.day % 2 === 0 ? 12 : 20, p.day % 3 === 0 ? 30 : 0);
    const madeAt = p.day < 0 ? new Date(at.getTime() - 2 * DAY) : o.now;
    const ctx = ctxAt(madeAt);
    const unitId = unitOf(p.unit);
    const coverCount = p.link ? 1 : p.images;
    const mediaIds: number[] = [];
    for (let k = 0; k < coverCount; k++) {
      const palette = PALETTES[(i + k) % PALETTES.length]!;
      const saved = await saveMedia(ctx, {
        fileName: `moment-${i + 1}-${k + 1}.png`,
        contentType: 'image/png',
        bytes: demoPicture(palette[0]!, palette[1]!),
        unitId,
      });
      mediaIds.push(saved.id);
    }
    const post = await createPost(ctx, {
      unitId,
      axis: p.axis,
      title: p.title,
      body: p.body,
      kind: p.link ? 'link' : p.images > 0 ? 'images' : 'text',
      mediaIds,
      linkTitle: p.link?.title ?? null,
      linkUrl: p.link?.url ?? null,
      senderStaffIds,
      tagIds: [],
      plannedAt: at.toISOString(),
    });
    if (p.day >= 0) {
      planned++;
      continue;
    }
    // published at its time: the outbox uploads and creates the task in the simulator, on its clock then
    o.simClock.shiftTo(at);
    try {
      await publishDue(ctxAt(at));
      deps.wake.outbox();
      await o.runtime.drain();
      const taken = new Date(at.getTime() + 5 * 60_000);
      o.simClock.shiftTo(taken);
      await followPosts(ctxAt(taken), link.client, [post.id]);
      const row = await deps.db
        .selectFrom('moment_posts')
        .select(['moment_id', 'status'])
        .where('corp_id', '=', o.corpId)
        .where('id', '=', post.id)
        .executeTakeFirstOrThrow();
      if (row.status !== 'published' || !row.moment_id) continue;
      published++;
      // over the evening most members publish; some of their customers like it, a few comment
      const members = await deps.db
        .selectFrom('moment_post_members')
        .select(['userid', 'staff_id'])
        .where('corp_id', '=', o.corpId)
        .where('post_id', '=', post.id)
        .where('status', '=', 'pending')
        .execute();
      for (const m of members) {
        if (!rng.chance(0.8)) continue;
        o.simClock.shiftTo(at.getTime() + rng.int(10, 180) * 60_000);
        await control('member-publishes-moment', { moment_id: row.moment_id, userid: m.userid });
        const fans = await deps.db
          .selectFrom('follows as f')
          .innerJoin('customers as c', (j) =>
            j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
          )
          .select('c.external_userid')
          .where('f.corp_id', '=', o.corpId)
          .where('f.staff_id', '=', m.staff_id)
          .where('f.status', '=', 'active')
          .orderBy('f.id')
          .limit(12)
          .execute();
        for (const fan of fans) {
          const like = rng.chance(0.35);
          const comment = rng.chance(0.1);
          if (!(like || comment) || !fan.external_userid) continue;
          await control('customer-reacts-to-moment', {
            moment_id: row.moment_id,
            userid: m.userid,
            external_userid: fan.external_userid,
            ...(like ? { like: true } : {}),
            ...(comment
              ? { comment: rng.pick(['好想喝！', '明天去店里', '看起来好好喝', '求同款', '👍']) }
              : {}),
          }).catch(() => undefined); // a customer who no longer sees it (deleted the member since)
        }
      }
    } finally {
      o.simClock.reset();
    }
  }
  // Siyu reads every member's publishing and the reactions now, as its moments job does
  await followPosts(syncCtxOf(deps, o.corpId), link.client);
  return { published, planned };
}
