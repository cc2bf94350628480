import { createContent, recordContentUse, SAMPLE_MEDIA_BASE } from '../modules/content/index.ts';
import { type Ctx, type Deps, syncCtxOf } from '../modules/context.ts';
import { subtreeUnitIds } from '../modules/org/index.ts';

const DAY = 86_400_000;
/** Images WeCom keeps (上传图片): sent by their URL. */
const PIC = 'https://wework.qpic.cn/wwpic/demo';
/** The brand's own files: Siyu draws these samples and uploads them as WeCom media when they are sent. */
const FILE = SAMPLE_MEDIA_BASE;
const MINI = { appid: 'wx5f3e8a1c9b2d4e60', picUrl: `${FILE}mini-cover.png` };

type Item = Parameters<typeof createContent>[1];
const item = (i: Partial<Item> & Pick<Item, 'kind' | 'title'>): Item => ({
  script: false,
  text: '',
  attachments: [],
  personas: [],
  stages: [],
  products: [],
  scenes: [],
  ...i,
});

/**
 * The summer launch's item, which HQ made the day it sent it to the super users (demo/mass-sends.ts): a
 * picture and a mini-program card, uploaded as WeCom media when sent.
 */
export const MANGO: Item = item({
  key: 'product.mango',
  kind: 'product',
  title: '新品上市 芒果多多',
  text: '禾木新品「芒果多多」今天上市啦🥭 给老朋友留了第一口，到店报暗号「芒果」可免费加椰果～',
  attachments: [
    { type: 'image', picUrl: `${FILE}mango.png` },
    { type: 'miniprogram', title: '芒果多多 小程序点单', page: 'pages/menu/mango.html', ...MINI },
  ],
  personas: ['brand', 'sales'],
  stages: ['active', 'repeat', 'super'],
  products: ['D12'],
  scenes: ['product_intro'],
});

/**
 * HQ's library from the playbook (PLAYBOOK §4–5): the new customer's day 0 / 3 / 7 (welcome pack, the tea
 * garden story, the first-order coupon), birthday and membership-anniversary care for super users, the
 * win-back of dormant customers, product introductions and scripts for front-line staff. Keys are stable:
 * journeys and mass sends name items by them.
 */
export const HQ: Item[] = [
  item({
    key: 'welcome.day0',
    kind: 'persona',
    title: '第0天 新人礼包',
    text: '{{customer_name}}你好，我是{{brand_name}}的{{persona_name|小禾}}～欢迎加入！新人礼包已放进会员中心，到店出示即可使用。有口味上的问题随时问我。',
    attachments: [{ type: 'miniprogram', title: '领取新人礼包', page: 'pages/member/gift.html', ...MINI }],
    personas: ['brand'],
    stages: ['new'],
    scenes: ['welcome'],
  }),
  item({
    key: 'trust.day3',
    kind: 'trust',
    title: '第3天 茶园与原料故事',
    text: '{{customer_name}}，分享一下我们的原料故事：每一杯的茶底都来自福建自有茶园，门店当天现萃，鲜果每日到店。',
    attachments: [
      {
        type: 'link',
        title: '一杯禾木茶的 24 小时',
        url: 'https://demo.siyu.example/story/tea-garden',
        picUrl: `${PIC}/tea-garden.jpg`,
        desc: '从茶园到你手里的那一杯',
      },
    ],
    personas: ['brand', 'expert'],
    stages: ['new'],
    scenes: ['nurture'],
  }),
  item({
    key: 'coupon.first_order',
    kind: 'coupon',
    title: '第7天 首单立减券',
    text: '{{customer_name}}，给你留了一张{{coupon_name|首单立减5元券}}，7 天内到店或小程序下单都能用～',
    attachments: [{ type: 'miniprogram', title: '首单立减 5 元', page: 'pages/coupon/first.html', ...MINI }],
    personas: ['brand'],
    stages: ['new'],
    scenes: ['first_order'],
  }),
  item({
    key: 'care.birthday',
    kind: 'event',
    title: '生日关怀',
    text: '{{customer_name}}生日快乐🎂 {{member_level}}的生日礼已经到账：生日当天到店任意饮品免费升杯，再送一份蛋黄酥。祝新的一岁甜甜的！',
    attachments: [{ type: 'image', picUrl: `${FILE}birthday-card.png` }],
    personas: ['brand', 'sales'],
    stages: ['super', 'repeat'],
    products: ['蛋黄酥'],
    scenes: ['birthday'],
  }),
  item({
    key: 'care.anniversary',
    kind: 'event',
    title: '入会周年',
    text: '{{customer_name}}，今天是你加入{{brand_name}}会员一周年。谢谢这一年的陪伴，周年礼：一张买一送一券，可以约上朋友一起来。',
    attachments: [
      { type: 'miniprogram', title: '领取周年礼', page: 'pages/member/anniversary.html', ...MINI },
    ],
    personas: ['brand'],
    stages: ['super', 'repeat'],
    scenes: ['anniversary'],
  }),
  item({
    key: 'winback.dormant',
    kind: 'coupon',
    title: '沉睡唤醒 回归礼',
    text: '{{customer_name}}，好久不见～最近上了几款新品，给你留了一张回归券（满 30 减 10），这周来尝尝？',
    attachments: [{ type: 'miniprogram', title: '回归券 满30减10', page: 'pages/coupon/back.html', ...MINI }],
    personas: ['sales'],
    stages: ['dormant'],
    scenes: ['win_back'],
  }),
  item({
    key: 'product.d01',
    kind: 'product',
    title: '产品介绍 杨枝甘露',
    text: '招牌杨枝甘露：当季芒果、西柚粒和自制椰奶，建议少冰，口感更浓。',
    attachments: [{ type: 'image', picUrl: `${FILE}d01.png` }],
    personas: ['expert'],
    products: ['D01'],
    scenes: ['product_intro'],
  }),
  item({
    key: 'product.r01',
    kind: 'product',
    title: '产品介绍 茶包礼盒',
    text: '禾木茶包礼盒：桂花乌龙、茉莉绿茶、红柚红茶各 6 包，送礼自留都合适，可开发票。',
    attachments: [
      { type: 'image', picUrl: `${FILE}r01.png` },
      { type: 'file', name: '礼盒团购报价单.pdf', url: `${FILE}gift-box-price.pdf` },
    ],
    personas: ['sales'],
    stages: ['repeat', 'super'],
    products: ['R01'],
    scenes: ['product_intro', 'repurchase'],
  }),
  item({
    key: 'script.welcome_reply',
    kind: 'persona',
    script: true,
    title: '话术 新客第一句',
    text: '{{customer_name}}你好呀，我是{{store_name}}的{{staff_name}}，以后点单、约取、售后都可以直接找我～你平时喜欢果茶还是奶茶？',
    personas: ['sales'],
    stages: ['new'],
    scenes: ['welcome'],
  }),
  item({
    key: 'script.price_objection',
    kind: 'coupon',
    script: true,
    title: '话术 嫌贵怎么回',
    text: '理解的～我们的茶底是当天现萃、鲜果每天到店，成本确实高一些。会员日周三全场 8 折，我提前一天提醒你？',
    personas: ['sales'],
    stages: ['new', 'active'],
    scenes: ['first_order'],
  }),
  item({
    key: 'script.complaint',
    kind: 'trust',
    script: true,
    title: '话术 出品问题致歉',
    text: '{{customer_name}}，真的很抱歉这杯没做好。我已经反馈给店长，给你补一张免单券，下次到店直接找我，我盯着做。',
    personas: ['sales', 'assistant'],
    scenes: ['service'],
  }),
  item({
    key: 'script.invite_group',
    kind: 'event',
    script: true,
    title: '话术 邀请进福利群',
    text: '我们店有个福利群，每周二上新试饮、周三会员日都会先在群里发，要不要拉你进来？不打扰，可以随时退。',
    personas: ['sales'],
    stages: ['active', 'repeat'],
    scenes: ['nurture'],
  }),
];

/** The east region's event, and one store's own version of the welcome script (it wins in that store). */
export const EAST: Item[] = [
  item({
    key: 'event.east_tasting',
    kind: 'event',
    title: '华东 周二新品试饮',
    text: '{{customer_name}}，本周二下午 3 点到 5 点，华东各店新品「桂花乌龙奶盖」免费试饮，来{{store_name}}报我名字就行～',
    attachments: [{ type: 'image', picUrl: `${FILE}east-tasting.png` }],
    personas: ['sales'],
    stages: ['active', 'repeat', 'super'],
    products: ['D09'],
    scenes: ['event'],
  }),
];

export const STORE: Item[] = [
  item({
    key: 'script.welcome_reply',
    kind: 'persona',
    script: true,
    title: '话术 静安店新客第一句',
    text: '{{customer_name}}你好，我是静安店的{{staff_name}}！店就在静安寺地铁站 2 号口出来右手边，提前在小程序下单到店不用排队～',
    personas: ['sales'],
    stages: ['new'],
    scenes: ['welcome'],
  }),
];

async function actorCtx(deps: Deps, corpId: string, username: string): Promise<Ctx> {
  const a = await deps.db
    .selectFrom('accounts')
    .select(['id', 'unit_id', 'role'])
    .where('corp_id', '=', corpId)
    .where('username', '=', username)
    .executeTakeFirstOrThrow();
  const base = syncCtxOf(deps, corpId);
  return {
    ...base,
    actor: {
      corpId,
      accountId: a.id,
      role: a.role,
      unitId: a.unit_id,
      seesWholeCorp: a.role === 'hq_admin',
      unitIds: await subtreeUnitIds(base.cdb, a.unit_id),
      staffId: null,
    },
  };
}

/**
 * The library (HQ's, the east region's, the Jing'an store's), then its history: the welcome pack went to
 * each customer added in the last 60 days, the day-3 story three days later and the first-order coupon to
 * every third of them on day 7 (when those days have passed), so usage and the orders that followed show.
 */
export async function createDemoContent(
  deps: Deps,
  corpId: string,
  now: Date,
  logins: { hq: string; region: string; store: string } = { hq: 'admin', region: 'east', store: 'sh-jingan' },
) {
  const ids = new Map<string, number>();
  for (const [username, items] of [
    [logins.hq, HQ],
    [logins.region, EAST],
    [logins.store, STORE],
  ] as const) {
    const ctx = await actorCtx(deps, corpId, username);
    for (const i of items) {
      const created = await createContent(ctx, i);
      if (username === logins.hq && i.key) ids.set(i.key, created.id);
    }
  }
  const added = await deps.db
    .selectFrom('customers')
    .select(['id', 'first_added_at'])
    .where('corp_id', '=', corpId)
    .where('first_added_at', '>=', new Date(now.getTime() - 60 * DAY))
    .where('first_added_at', '<=', now)
    .orderBy('id')
    .execute();
  let uses = 0;
  const base = syncCtxOf(deps, corpId);
  await base.cdb.transaction(async (cdb) => {
    const ctx = { ...base, cdb };
    const use = async (key: string, customerId: number, at: number) => {
      if (at > now.getTime()) return;
      await recordContentUse(ctx, { contentId: ids.get(key)!, customerId, at: new Date(at) });
      uses++;
    };
    for (const c of added) {
      const at = c.first_added_at!.getTime();
      await use('welcome.day0', c.id, at);
      await use('trust.day3', c.id, at + 3 * DAY);
      if (c.id % 3 === 0) await use('coupon.first_order', c.id, at + 7 * DAY);
    }
  });
  return { items: HQ.length + EAST.length + STORE.length, uses };
}
