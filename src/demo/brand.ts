import type { StaffTable } from '../modules/staff/index.ts';

/**
 * The fixed part of the demo brand 禾木茶饮 (a fictional tea-drink chain): its org tree, its team and its
 * tags. Customers are generated from these by generate.ts.
 */

export const BRAND = { name: '禾木茶饮', businessType: 'tea_drinks' } as const;

export interface UnitDef {
  code: string;
  name: string;
  kind: 'hq' | 'region' | 'store';
  parent: string | null;
  /** When the unit started taking customers, in days before `now`. */
  openedDaysAgo: number;
  /** Stores only: the city (a region tag) and how busy the store is. */
  city?: string;
  weight?: number;
}

export const UNITS: readonly UnitDef[] = [
  { code: 'hq', name: '禾木茶饮总部', kind: 'hq', parent: null, openedDaysAgo: 575 },
  { code: 'east', name: '华东大区', kind: 'region', parent: 'hq', openedDaysAgo: 570 },
  { code: 'south', name: '华南大区', kind: 'region', parent: 'hq', openedDaysAgo: 560 },
  {
    code: 'sh-jingan',
    name: '上海静安店',
    kind: 'store',
    parent: 'east',
    openedDaysAgo: 540,
    city: '上海',
    weight: 1.4,
  },
  {
    code: 'sh-xuhui',
    name: '上海徐汇店',
    kind: 'store',
    parent: 'east',
    openedDaysAgo: 480,
    city: '上海',
    weight: 1.1,
  },
  {
    code: 'hz-xihu',
    name: '杭州西湖店',
    kind: 'store',
    parent: 'east',
    openedDaysAgo: 430,
    city: '杭州',
    weight: 1,
  },
  {
    code: 'gz-tianhe',
    name: '广州天河店',
    kind: 'store',
    parent: 'south',
    openedDaysAgo: 520,
    city: '广州',
    weight: 1.2,
  },
  {
    code: 'sz-nanshan',
    name: '深圳南山店',
    kind: 'store',
    parent: 'south',
    openedDaysAgo: 400,
    city: '深圳',
    weight: 1,
  },
  {
    code: 'sz-futian',
    name: '深圳福田店',
    kind: 'store',
    parent: 'south',
    openedDaysAgo: 330,
    city: '深圳',
    weight: 0.8,
  },
];

export interface StaffDef {
  userid: string;
  name: string;
  unit: string;
  persona: StaffTable['persona'];
  personaName: string | null;
  journeyRole: StaffTable['journey_role'];
  title: string;
  /** Defaults to the unit's opening day. */
  joinedDaysAgo?: number;
  /** Departed staff: their customers were transferred to a colleague that day (离职继承). */
  departedDaysAgo?: number;
  /** Relative share of the unit's new customers. */
  weight?: number;
}

export const STAFF: readonly StaffDef[] = [
  // HQ: the central online ops team receives the adds from take-away package cards, the mini-program and SMS.
  {
    userid: 'chensiyu',
    name: '陈思雨',
    unit: 'hq',
    persona: 'brand',
    personaName: '禾木小禾',
    journeyRole: 'online_ops',
    title: '私域运营',
    weight: 1.2,
  },
  {
    userid: 'zhouting',
    name: '周婷',
    unit: 'hq',
    persona: 'brand',
    personaName: '禾木小木',
    journeyRole: 'online_ops',
    title: '客服',
  },
  {
    userid: 'wuhao',
    name: '吴昊',
    unit: 'hq',
    persona: 'brand',
    personaName: '禾木小茶',
    journeyRole: 'online_ops',
    title: '私域运营主管',
    weight: 0.5,
  },
  // One tea expert per region: the trust-building persona the store staff hand customers to.
  {
    userid: 'zhengyawen',
    name: '郑雅文',
    unit: 'east',
    persona: 'expert',
    personaName: '茶饮顾问·雅文',
    journeyRole: 'consultant',
    title: '茶饮顾问',
  },
  {
    userid: 'huangzhiming',
    name: '黄志明',
    unit: 'south',
    persona: 'expert',
    personaName: '茶饮顾问·阿明',
    journeyRole: 'consultant',
    title: '茶饮顾问',
  },
  // Stores: a manager and shop assistants (导购).
  ...store('sh-jingan', [
    ['zhangli', '张丽', '店长', 'sales', null],
    ['wangfang', '王芳', '导购', 'sales', null],
    ['lina', '李娜', '导购', 'assistant', null, { joinedDaysAgo: 300 }],
    ['liuyang', '刘洋', '导购', 'sales', null, { departedDaysAgo: 150 }],
  ]),
  ...store('sh-xuhui', [
    ['yangjing', '杨静', '店长', 'sales', null],
    ['zhaomin', '赵敏', '导购', 'sales', null],
    ['sunlei', '孙磊', '导购', 'assistant', null],
  ]),
  ...store('hz-xihu', [
    ['xutingting', '徐婷婷', '店长', 'sales', null],
    ['majun', '马俊', '导购', 'sales', null],
    ['huxue', '胡雪', '导购', 'assistant', null],
    ['zhulin', '朱琳', '导购', 'assistant', null, { joinedDaysAgo: 200 }],
  ]),
  ...store('gz-tianhe', [
    ['hejiaxin', '何嘉欣', '店长', 'sales', null],
    ['liangwei', '梁伟', '导购', 'sales', null],
    ['luomin', '罗敏', '导购', 'sales', null],
    ['xiexiaotong', '谢晓彤', '导购', 'assistant', null, { joinedDaysAgo: 240 }],
  ]),
  ...store('sz-nanshan', [
    ['guojia', '郭佳', '店长', 'sales', null],
    ['linzeyu', '林泽宇', '导购', 'sales', null],
    ['gaoya', '高雅', '导购', 'assistant', null],
  ]),
  ...store('sz-futian', [
    ['dengkai', '邓凯', '店长', 'sales', null],
    ['fengqi', '冯琪', '导购', 'sales', null],
    ['zengxiaoyan', '曾小燕', '导购', 'assistant', null],
    ['penghao', '彭浩', '导购', 'sales', null, { departedDaysAgo: 60 }],
  ]),
];

type StaffRow = [
  userid: string,
  name: string,
  title: string,
  persona: 'sales' | 'assistant',
  personaName: string | null,
  extra?: Partial<StaffDef>,
];

function store(unit: string, rows: StaffRow[]): StaffDef[] {
  return rows.map(([userid, name, title, persona, personaName, extra]) => ({
    userid,
    name,
    unit,
    persona,
    // A name card like 禾木静安·张丽: the brand, the store, the person.
    personaName: personaName ?? `禾木${UNITS.find((u) => u.code === unit)!.name.slice(2, -1)}·${name}`,
    journeyRole: 'store_staff',
    title,
    weight: title === '店长' ? 0.6 : 1,
    ...extra,
  }));
}

export interface AccountDef {
  username: string;
  displayName: string;
  role: 'hq_admin' | 'region_manager' | 'store_manager' | 'staff';
  unit: string;
  staff: string | null;
  /** A login disabled that many days ago (its member left); it is not printed among the demo logins. */
  disabledDaysAgo?: number;
  /** Hours since it was last used, for 人员与权限's 最近登录; never signed in when absent. */
  lastSeenHoursAgo?: number;
}

export const ACCOUNTS: readonly AccountDef[] = [
  {
    username: 'admin',
    displayName: '总部管理员',
    role: 'hq_admin',
    unit: 'hq',
    staff: null,
    lastSeenHoursAgo: 3,
  },
  {
    username: 'east',
    displayName: '华东大区经理',
    role: 'region_manager',
    unit: 'east',
    staff: null,
    lastSeenHoursAgo: 20,
  },
  {
    username: 'south',
    displayName: '华南大区经理',
    role: 'region_manager',
    unit: 'south',
    staff: null,
    lastSeenHoursAgo: 45,
  },
  ...UNITS.filter((u) => u.kind === 'store').map((u, i): AccountDef => {
    const manager = STAFF.find((s) => s.unit === u.code && s.title === '店长')!;
    return {
      username: u.code,
      displayName: `${manager.name}（${u.name}店长）`,
      role: 'store_manager',
      unit: u.code,
      staff: manager.userid,
      lastSeenHoursAgo: 2 + i * 7,
    };
  }),
  // Front-line logins: what a shop assistant and an online ops member see.
  {
    username: 'wangfang',
    displayName: '王芳',
    role: 'staff',
    unit: 'sh-jingan',
    staff: 'wangfang',
    lastSeenHoursAgo: 5,
  },
  {
    username: 'liangwei',
    displayName: '梁伟',
    role: 'staff',
    unit: 'gz-tianhe',
    staff: 'liangwei',
    lastSeenHoursAgo: 26,
  },
  {
    username: 'chensiyu',
    displayName: '陈思雨',
    role: 'staff',
    unit: 'hq',
    staff: 'chensiyu',
    lastSeenHoursAgo: 1,
  },
  // More of each store's people, so 人员与权限 shows a store's team: a login per assistant who uses the
  // console, a tea expert per region, HQ's customer service, and the logins of two members who left
  // (disabled the day they went). 李娜 (上海静安店) and 上海徐汇店's assistants keep no login: the demo's
  // 离职继承 and 在职转接 pick front-line members without one (src/demo/transfers.ts).
  {
    username: 'zhouting',
    displayName: '周婷',
    role: 'staff',
    unit: 'hq',
    staff: 'zhouting',
    lastSeenHoursAgo: 4,
  },
  {
    username: 'zhengyawen',
    displayName: '郑雅文',
    role: 'staff',
    unit: 'east',
    staff: 'zhengyawen',
    lastSeenHoursAgo: 30,
  },
  {
    username: 'huangzhiming',
    displayName: '黄志明',
    role: 'staff',
    unit: 'south',
    staff: 'huangzhiming',
  },
  {
    username: 'liuyang',
    displayName: '刘洋',
    role: 'staff',
    unit: 'sh-jingan',
    staff: 'liuyang',
    disabledDaysAgo: 150,
  },
  {
    username: 'majun',
    displayName: '马俊',
    role: 'staff',
    unit: 'hz-xihu',
    staff: 'majun',
    lastSeenHoursAgo: 52,
  },
  { username: 'luomin', displayName: '罗敏', role: 'staff', unit: 'gz-tianhe', staff: 'luomin' },
  {
    username: 'linzeyu',
    displayName: '林泽宇',
    role: 'staff',
    unit: 'sz-nanshan',
    staff: 'linzeyu',
    lastSeenHoursAgo: 7,
  },
  {
    username: 'fengqi',
    displayName: '冯琪',
    role: 'staff',
    unit: 'sz-futian',
    staff: 'fengqi',
    lastSeenHoursAgo: 75,
  },
  {
    username: 'penghao',
    displayName: '彭浩',
    role: 'staff',
    unit: 'sz-futian',
    staff: 'penghao',
    disabledDaysAgo: 60,
  },
];

export interface TagGroupDef {
  name: string;
  audience: 'all' | 'ops' | 'front_line' | 'hq';
  tags: readonly string[];
}

export const TAG_GROUPS: readonly TagGroupDef[] = [
  {
    name: '客户来源',
    audience: 'ops',
    tags: ['门店台卡', '门店海报', '门店易拉宝', '外卖包裹卡', '小程序', '短信邀请'],
  },
  { name: '所属区域', audience: 'ops', tags: ['上海', '杭州', '广州', '深圳'] },
  { name: '口味偏好', audience: 'front_line', tags: ['果茶', '奶茶', '纯茶', '少糖', '芝士奶盖', '低因'] },
  { name: '消费等级', audience: 'front_line', tags: ['新客', '复购客', '高频客', '沉睡客'] },
  { name: '会员', audience: 'all', tags: ['普通会员', '银卡会员', '金卡会员'] },
  // Put on by HQ's auto-tag rules (demo/tag-rules.ts) as orders, messages and adds come in.
  {
    name: '行为特征',
    audience: 'front_line',
    tags: ['礼盒客', '大单客', '用券达人', '门店扫码'],
  },
  // Noted by the front line when a customer complains or praises; the product ladder flags products whose
  // buyers complain more (demo/levers.ts: the 芋泥波波's waiting times).
  { name: '服务反馈', audience: 'front_line', tags: ['投诉', '好评'] },
  // HQ's own: franchise enquiries go to HQ's franchise team, not to the stores they might compete with.
  { name: '招商线索', audience: 'hq', tags: ['加盟意向', '渠道合作'] },
];

/** Channel `state`s and the 客户来源 tag each implies. Store channels are `ch_<store>_<placement>`. */
export const STORE_PLACEMENTS = [
  ['tablecard', '门店台卡', 5],
  ['poster', '门店海报', 2],
  ['rollup', '门店易拉宝', 1],
] as const;

export const ONLINE_CHANNELS = [
  ['ch_online_package', '外卖包裹卡', 5],
  ['ch_online_miniapp', '小程序', 3],
  ['ch_online_sms', '短信邀请', 1],
] as const;

// --- Names -------------------------------------------------------------------------------------------------

export const SURNAMES: readonly (readonly [string, number])[] = [
  ['王', 72],
  ['李', 72],
  ['张', 68],
  ['刘', 55],
  ['陈', 55],
  ['杨', 32],
  ['黄', 30],
  ['赵', 28],
  ['吴', 27],
  ['周', 26],
  ['徐', 18],
  ['孙', 17],
  ['马', 16],
  ['朱', 15],
  ['胡', 14],
  ['郭', 14],
  ['何', 13],
  ['林', 13],
  ['罗', 12],
  ['高', 12],
  ['郑', 11],
  ['梁', 11],
  ['谢', 10],
  ['宋', 9],
  ['唐', 9],
  ['许', 8],
  ['韩', 8],
  ['冯', 8],
  ['邓', 8],
  ['曹', 7],
  ['彭', 7],
  ['曾', 7],
  ['肖', 6],
  ['田', 6],
  ['董', 6],
  ['袁', 5],
  ['潘', 5],
  ['蒋', 5],
  ['蔡', 5],
  ['余', 5],
  ['杜', 5],
  ['叶', 5],
  ['程', 5],
  ['苏', 5],
  ['魏', 5],
  ['吕', 4],
  ['丁', 4],
  ['沈', 4],
  ['姚', 4],
  ['卢', 4],
  ['姜', 3],
  ['崔', 3],
  ['钟', 3],
  ['谭', 3],
  ['陆', 3],
  ['汪', 3],
  ['范', 3],
  ['金', 3],
  ['石', 3],
  ['廖', 3],
  ['贾', 2],
  ['夏', 2],
  ['方', 2],
  ['白', 2],
  ['邹', 2],
  ['熊', 2],
  ['秦', 2],
  ['江', 2],
  ['顾', 2],
  ['欧阳', 1],
  ['上官', 0.3],
];

export const GIVEN_FEMALE = [
  ...'丽芳娜敏静婷雪琳晶颖欣怡佳慧倩萍玲雅诗涵萱思悦晓月然可瑶璐楠蕾琪妍菲雯梦琦洁霞燕',
];
export const GIVEN_MALE = [...'伟强磊军洋勇杰涛明超浩鹏宇航俊博凯文辉斌轩睿志晨泽天一家鑫毅峰旭阳坤亮健诚'];

/** WeChat nicknames, as customers really set them: some with English letters or emoji. */
export const NICKNAMES = [
  '小鱼儿',
  '晴天☀️',
  'Cici',
  'Momo🍓',
  '阿杰',
  'Lucky',
  '奶茶续命',
  '一只柠檬',
  'Amy王',
  '🌸花花',
  'Kevin',
  '木子李',
  'Tina_',
  '橙子🍊',
  '吃不胖的猫',
  '今天也要开心',
  '芋泥波波',
  '小熊软糖',
  'Jason',
  '风吹麦浪',
  '安静的美男子',
  'Yuki',
  '大白🐳',
  '桃桃乌龙',
  '夏天的风',
  'Sunny',
  '西瓜太郎',
  '陈小胖',
  'Ivy🌿',
  '不吃香菜',
  '慢慢来',
  '追光者',
  '椰椰',
  'Coco_Lin',
  '喜羊羊',
  '三分糖',
  '周末去哪儿',
  '二狗子',
  'Zoe',
  '半糖主义',
  '🍵茶茶',
  '小确幸',
  'Leo',
  '柠檬不酸',
  '月亮不睡我不睡',
  '糖糖',
  'Vivian',
  '长安',
  '奥利奥',
  'Mia💕',
];

export const NICKNAME_SUFFIXES = [
  '',
  '',
  '',
  '',
  '',
  '',
  '呀',
  '酱',
  '2020',
  '88',
  '_',
  '🐱',
  '🍋',
  '☁️',
  '.',
  '666',
];

/** What shop assistants note about a customer in the remark, after the name. */
export const REMARK_FEATURES = [
  '爱喝果茶',
  '芝士奶盖控',
  '少糖少冰',
  '常点杨枝甘露',
  '周末带娃',
  '附近写字楼',
  '学生党',
  '外卖常客',
  '只喝纯茶',
  '咖啡转茶',
  '会员日必来',
  '爱尝新品',
  '不加糖',
  '去冰',
  '爱拍照打卡',
  '常团购',
  '乳糖不耐',
  '控糖',
  '下午茶拼单',
  '多肉葡萄',
  '芋泥爱好者',
  '加班党',
];

export const DESCRIPTIONS = [
  '工作日下午常点外卖，偏好少冰',
  '带孩子来过几次，孩子喜欢芋泥波波',
  '公司团建订过 30 杯，可推荐企业团购',
  '对新品反馈积极，可邀请参加试饮',
  '投诉过一次等待时间长，已补券道歉',
  '住在附近小区，晚上散步顺路来',
  '喜欢拍照发小红书，可邀请参与探店',
  '对价格敏感，常用满减券',
  '只在会员日下单，关注积分兑换',
  '老顾客，开业第一周就加了',
  '咨询过门店加盟，已转总部招商',
  '在附近健身房上班，偏好无糖纯茶',
];

/** Notes staff leave on the customer's timeline. */
export const NOTES = [
  '到店消费，推荐了新品「荔枝冰酿」',
  '客户咨询会员积分兑换，已说明规则',
  '反馈奶盖偏甜，已记录并转给产品',
  '邀请参加周末试饮活动，客户答应来',
  '生日月，已发送生日券',
  '团购 20 杯，已安排提前备货',
  '外卖漏送小料，已退款并补发优惠券',
  '推荐了季节限定款，客户说下次试试',
  '客户介绍了两位同事加微信',
  '询问能否做低因版本，已回复可选低因',
];

const PERSONA_CARD: Record<StaffTable['persona'], { intro: string; avatar: string }> = {
  brand: {
    intro: '禾木茶饮官方号：新品上市、会员福利和门店活动第一时间告诉你。',
    avatar: '品牌 Logo 绿底白字，不用真人照',
  },
  expert: {
    intro: '国家二级评茶员，十年茶园经验。想知道哪款茶最适合你？随时问我。',
    avatar: '茶园或茶台前的半身照，浅色工装，自然光',
  },
  founder: {
    intro: '禾木创始人。每一杯茶的原料我都亲自跑过产地，欢迎直接跟我聊你的建议。',
    avatar: '真人正面照，休闲正装，背景为门店或茶园',
  },
  sales: {
    intro: '你的专属饮品顾问，点单、预约、会员问题都可以找我。',
    avatar: '门店工装微笑半身照，背景干净',
  },
  assistant: {
    intro: '禾木服务助理：售后、发票、配送问题，找我就好。',
    avatar: '卡通助理形象（品牌统一设计）',
  },
};

/** The name card of a demo member: the persona's introduction, avatar guideline and the mini-program entry. */
export function demoCard(s: StaffDef) {
  const card = PERSONA_CARD[s.persona];
  return {
    persona_intro: card.intro,
    avatar_guide: card.avatar,
    card_mall_title: s.persona === 'brand' ? '进入禾木小程序商城' : '在线点单 · 到店自取',
    card_mall_url: `https://wxaurl.cn/hemu${s.userid.replace(/[^a-z0-9]/gi, '').slice(0, 12)}`,
  };
}

/**
 * The brand's pilots (PLAYBOOK §1), and what they did to the orders of their stores' customers after their
 * start (demo/orders.ts plays it): the second-cup journey of the two Shanghai stores works (a buyer comes back
 * for a second cup after about 45 % of their orders), so its effect is significant; the south's member-day
 * policy started recently, lifts Tianhe and costs Nanshan orders (its customers wait for the Wednesday), so it is not yet.
 */
export interface PilotDef {
  name: string;
  kind: 'journey' | 'linkage' | 'channel' | 'policy';
  note: string;
  stores: readonly string[];
  startsDaysAgo: number;
  /** Per store: the chance of an extra order after each order from the start (negative: of dropping it). */
  effect: Readonly<Record<string, number>>;
}

export const PILOTS: readonly PilotDef[] = [
  {
    name: '第二杯半价旅程',
    kind: 'journey',
    note: '首单后第 3 天推送第二杯半价，只发价格敏感客户',
    stores: ['sh-jingan', 'sh-xuhui'],
    startsDaysAgo: 75,
    effect: { 'sh-jingan': 0.45, 'sh-xuhui': 0.45 },
  },
  {
    name: '周三会员日满减',
    kind: 'policy',
    note: '每周三会员满 30 减 8，华南两店先试',
    stores: ['gz-tianhe', 'sz-nanshan'],
    startsDaysAgo: 40,
    effect: { 'gz-tianhe': 0.8, 'sz-nanshan': -0.4 },
  },
];
