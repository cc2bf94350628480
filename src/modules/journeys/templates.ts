import type { Graph } from './graph.ts';

/**
 * Journeys from the playbook (PLAYBOOK §4–5), ready to copy and adapt: the new customer's day 0 / 3 / 7
 * (the coupon to price-sensitive customers only), the super user's birthday and membership anniversary
 * ("six interactions a year"), and the win-back of dormant high-value customers. They name no brand's ids:
 * a brand adds its channels, tags and content when it makes one its own.
 */

export interface JourneyTemplate {
  key: string;
  name: { zh: string; en: string };
  description: { zh: string; en: string };
  graph: Graph;
}

/** A customer whose orders used a coupon at least half the time (the demo brand's 价格敏感 too). */
export const PRICE_SENSITIVE = { field: 'coupon_share', cmp: 'gte', value: 0.5 } as const;

export const TEMPLATES: readonly JourneyTemplate[] = [
  {
    key: 'welcome_series',
    name: { zh: '新客 7 天欢迎旅程', en: 'New customer: days 0, 3 and 7' },
    description: {
      zh: '加好友当天送新人礼包，第 3 天讲品牌故事建立信任，第 7 天只给价格敏感的客户发首单券',
      en: 'Day 0 welcome pack, day 3 trust content, day 7 first-order coupon for price-sensitive customers only',
    },
    graph: {
      trigger: { kind: 'channel_add', channelIds: [], methods: [], scenes: [] },
      reentry: false,
      start: 'day0',
      nodes: [
        {
          id: 'day0',
          kind: 'send',
          label: '第0天 新人礼包',
          text: '{{name}}你好，我是{{staff}}～欢迎加入！新人礼包已放进你的会员中心，到店出示即可使用。',
          next: 'wait3',
          position: { x: 0, y: 0 },
        },
        {
          id: 'wait3',
          kind: 'wait',
          label: '等到第3天 10:00',
          wait: { days: 3, hours: 0, minutes: 0, at: '10:00' },
          next: 'day3',
          position: { x: 0, y: 120 },
        },
        {
          id: 'day3',
          kind: 'send',
          label: '第3天 品牌故事',
          contentKind: 'trust',
          text: '{{name}}，分享一下我们的原料故事：每一杯茶底都来自自有茶园，当天现萃。',
          next: 'wait7',
          position: { x: 0, y: 240 },
        },
        {
          id: 'wait7',
          kind: 'wait',
          label: '等到第7天 10:00',
          wait: { days: 4, hours: 0, minutes: 0, at: '10:00' },
          next: 'priceSensitive',
          position: { x: 0, y: 360 },
        },
        {
          id: 'priceSensitive',
          kind: 'branch',
          label: '价格敏感？',
          rule: { ...PRICE_SENSITIVE },
          yes: 'day7coupon',
          no: 'end',
          position: { x: 0, y: 480 },
        },
        {
          id: 'day7coupon',
          kind: 'send',
          label: '第7天 首单券',
          contentKind: 'coupon',
          text: '{{name}}，送你一张首单立减5元券，7天内有效～',
          position: { x: -160, y: 600 },
        },
        { id: 'end', kind: 'exit', label: '结束', position: { x: 160, y: 600 } },
      ],
    },
  },
  {
    key: 'birthday_care',
    name: { zh: '超级用户生日关怀', en: 'Super users: birthday care' },
    description: {
      zh: '生日前 3 天提醒导购准备关怀，生日当天 10:00 发祝福',
      en: 'Three days before, a birthday-care task for the staff member; on the day at 10:00, the greeting',
    },
    graph: {
      trigger: {
        kind: 'date',
        date: 'birthday',
        daysAhead: 3,
        filter: { field: 'stage', cmp: 'in', value: ['super'] },
      },
      reentry: true,
      start: 'task',
      nodes: [
        {
          id: 'task',
          kind: 'task',
          label: '导购准备生日关怀',
          taskKind: 'birthday_care',
          title: '超级用户 3 天后生日：准备生日礼遇',
          dueInHours: 48,
          next: 'wait',
          position: { x: 0, y: 0 },
        },
        {
          id: 'wait',
          kind: 'wait',
          label: '等到生日当天 10:00',
          wait: { days: 3, hours: 0, minutes: 0, at: '10:00' },
          next: 'greet',
          position: { x: 0, y: 120 },
        },
        {
          id: 'greet',
          kind: 'send',
          label: '生日祝福',
          contentKind: 'event',
          text: '{{name}}，生日快乐！🎂 今天到店送你一杯生日特饮，谢谢一直以来的喜欢。',
          position: { x: 0, y: 240 },
        },
      ],
    },
  },
  {
    key: 'member_anniversary',
    name: { zh: '超级用户入会周年', en: 'Super users: membership anniversary' },
    description: {
      zh: '入会周年当天 10:00 发感谢和周年礼遇',
      en: 'On the membership anniversary at 10:00, thanks and an anniversary gift',
    },
    graph: {
      trigger: {
        kind: 'date',
        date: 'member_anniversary',
        daysAhead: 0,
        filter: { field: 'stage', cmp: 'in', value: ['super'] },
      },
      reentry: true,
      start: 'wait',
      nodes: [
        {
          id: 'wait',
          kind: 'wait',
          label: '当天 10:00',
          wait: { untilTime: '10:00' },
          next: 'thanks',
          position: { x: 0, y: 0 },
        },
        {
          id: 'thanks',
          kind: 'send',
          label: '周年感谢',
          contentKind: 'event',
          text: '{{name}}，今天是你成为会员的纪念日，谢谢一路相伴！周年礼已发到会员中心。',
          position: { x: 0, y: 120 },
        },
      ],
    },
  },
  {
    key: 'win_back',
    name: { zh: '高价值沉睡客户唤醒', en: 'Win back dormant high-value customers' },
    description: {
      zh: '60 天没下单、累计消费 300 元以上的客户：先发问候，7 天后仍未回来的交给导购电话回访',
      en: 'No order for 60 days and ¥300+ spent: a note first; still away after 7 days, a call task for the staff',
    },
    graph: {
      trigger: {
        kind: 'no_order',
        days: 60,
        filter: { field: 'ltv_fen', cmp: 'gte', value: 30_000 },
      },
      reentry: true,
      start: 'hello',
      nodes: [
        {
          id: 'hello',
          kind: 'send',
          label: '好久不见',
          text: '{{name}}，好久不见～最近上了几款新品，想请你来尝尝，有空来店里坐坐。',
          next: 'wait',
          position: { x: 0, y: 0 },
        },
        {
          id: 'wait',
          kind: 'wait',
          label: '等 7 天',
          wait: { days: 7, hours: 0, minutes: 0 },
          next: 'back',
          position: { x: 0, y: 120 },
        },
        {
          id: 'back',
          kind: 'branch',
          label: '回来下单了？',
          rule: { field: 'last_order_days', cmp: 'lte', value: 7 },
          yes: 'end',
          no: 'call',
          position: { x: 0, y: 240 },
        },
        {
          id: 'call',
          kind: 'task',
          label: '导购电话回访',
          taskKind: 'call',
          title: '高价值老客 60 天未下单：电话回访',
          dueInHours: 48,
          next: 'end',
          position: { x: -160, y: 360 },
        },
        { id: 'end', kind: 'exit', label: '结束', position: { x: 160, y: 360 } },
      ],
    },
  },
];

export const templateOf = (key: string) => TEMPLATES.find((t) => t.key === key);
