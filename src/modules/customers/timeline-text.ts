import type { Lang } from '../../platform/http/errors.ts';

/** A sentence in both of the console's languages. */
export type Text = Record<Lang, string>;

/** One timeline entry as stored, with the names its ids resolve to at read time. */
export interface StoredEntry {
  kind: string;
  /** The Chinese sentence written with the entry: shown only when its data is too old to render. */
  summary: string;
  data: Record<string, unknown>;
  /** The staff member of the entry (staff_id): the one added, deleted, who followed. */
  staffName: string | null;
  /** The channel whose code state a follow_added entry carries, when the state names one. */
  channelName?: string | null;
}

const STAGE: Record<string, Text> = {
  new: { zh: '新客', en: 'new' },
  active: { zh: '活跃', en: 'active' },
  repeat: { zh: '复购', en: 'repeat' },
  super: { zh: '超级用户', en: 'super user' },
  dormant: { zh: '沉睡', en: 'dormant' },
  churned: { zh: '流失', en: 'churned' },
};
const STAGE_CAUSE: Record<string, Text> = {
  orders: { zh: '订单变化', en: 'orders changed' },
  follows: { zh: '跟进关系变化', en: 'follows changed' },
  settings: { zh: '生命周期阈值调整', en: 'thresholds changed' },
  time: { zh: '时间推移', en: 'time passed' },
};
const ORDER_CHANNEL: Record<string, Text> = {
  miniprogram: { zh: '小程序', en: 'the mini-program' },
  ecommerce: { zh: '电商', en: 'the online shop' },
  pos: { zh: '门店', en: 'a store' },
};
const JOIN_SCENE: Record<number, Text> = {
  1: { zh: '直接邀请', en: 'invited directly' },
  2: { zh: '邀请链接', en: 'through an invitation link' },
  3: { zh: '扫描群二维码', en: 'by scanning the group QR code' },
};
const IDENTITY: Record<string, Text> = {
  external_userid: { zh: '企业微信客户ID', en: 'WeCom external_userid' },
  unionid: { zh: 'UnionID', en: 'UnionID' },
  openid: { zh: 'OpenID', en: 'OpenID' },
  phone: { zh: '手机号', en: 'phone' },
};
const TRANSFER_REASON: Record<string, Text> = {
  customer_refused: { zh: '客户拒绝', en: 'the customer refused' },
  customer_limit_exceed: { zh: '接替成员客户数已满', en: 'the new member has too many customers' },
};

const TOUCH_SOURCE: Record<string, Text> = {
  mass_send: { zh: '群发', en: 'mass send' },
  journey: { zh: '旅程', en: 'journey' },
  task: { zh: '待办', en: 'task' },
  sidebar: { zh: '聊天侧边栏话术', en: 'sidebar script' },
};

const TASK_KIND: Record<string, Text> = {
  call: { zh: '电话回访', en: 'call' },
  send_script: { zh: '发送话术', en: 'send a script' },
  invite_group: { zh: '邀请入群', en: 'invite to a group' },
  birthday_care: { zh: '生日关怀', en: 'birthday care' },
  custom: { zh: '待办', en: 'task' },
};

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const text = (v: unknown): Text | null =>
  v && typeof v === 'object' && typeof (v as Text).zh === 'string' && typeof (v as Text).en === 'string'
    ? (v as Text)
    : null;
const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

/** Why a tag went on or came off, from the entry's data; null when the data does not say. */
function tagCause(d: Record<string, unknown>): Text | null {
  switch (d.source) {
    case 'siyu':
      return { zh: '私域后台', en: 'in Siyu' };
    case 'wecom':
      return { zh: '企业微信', en: 'in WeCom' };
    case 'rule': {
      const rule = str(d.ruleName);
      if (!rule) return null;
      const why = text(d.why);
      return {
        zh: `规则「${rule}」${why ? `：${why.zh}` : ''}`,
        en: `rule “${rule}”${why ? `: ${why.en}` : ''}`,
      };
    }
    case 'channel': {
      const channel = str(d.channelName);
      return channel ? { zh: `渠道「${channel}」`, en: `channel “${channel}”` } : null;
    }
    case 'journey': {
      const journey = str(d.journeyName);
      return journey ? { zh: `客户旅程「${journey}」`, en: `journey “${journey}”` } : null;
    }
    default:
      return null;
  }
}

/**
 * The entry in words, in each language, from its kind and structured data (names resolved at read time),
 * so that switching the console's language switches the timeline too. An entry whose data lacks what its
 * sentence needs (written before the data carried it) falls back to the sentence stored with it.
 */
export function timelineText(e: StoredEntry): Text {
  return render(e) ?? { zh: e.summary, en: e.summary };
}

function render(e: StoredEntry): Text | null {
  const d = e.data;
  const staff = e.staffName;
  switch (e.kind) {
    case 'follow_added': {
      if (!staff) return null;
      const channel = e.channelName;
      return {
        zh: `添加了 ${staff}${channel ? `（渠道「${channel}」）` : ''}`,
        en: `Added ${staff}${channel ? ` (channel “${channel}”)` : ''}`,
      };
    }
    case 'follow_edited': {
      if (!staff) return null;
      const remark = str(d.remark);
      return {
        zh: `${staff} 修改了备注：${remark ?? '（无）'}`,
        en: `${staff} changed the remark: ${remark ?? '(none)'}`,
      };
    }
    case 'follow_deleted_by_customer':
      return staff ? { zh: `客户删除了 ${staff}`, en: `The customer deleted ${staff}` } : null;
    case 'follow_deleted_by_staff':
      if (!staff) return null;
      if (d.source === 'full_sync')
        return {
          zh: `全量同步：企业微信里 ${staff} 与客户已不是好友`,
          en: `Full sync: ${staff} and the customer are no longer friends in WeCom`,
        };
      return d.source === 'DELETE_BY_TRANSFER'
        ? { zh: `${staff} 删除了客户（在职转接）`, en: `${staff} removed the customer (reassigned)` }
        : { zh: `${staff} 删除了客户`, en: `${staff} deleted the customer` };
    case 'tag_added':
    case 'tag_removed': {
      const tag = str(d.tagName);
      const cause = tagCause(d);
      if (!tag || !cause) return null;
      if (d.reason === 'tag_deleted')
        return d.source === 'wecom'
          ? { zh: `标签「${tag}」已在企业微信删除`, en: `The tag “${tag}” was deleted in WeCom` }
          : { zh: `标签「${tag}」已在私域后台删除`, en: `The tag “${tag}” was deleted in Siyu` };
      return e.kind === 'tag_added'
        ? { zh: `打上标签「${tag}」（${cause.zh}）`, en: `Tagged “${tag}” (${cause.en})` }
        : { zh: `移除标签「${tag}」（${cause.zh}）`, en: `Tag “${tag}” removed (${cause.en})` };
    }
    case 'group_joined': {
      const group = str(d.groupName);
      if (!group) return null;
      const scene = num(d.joinScene);
      const how = scene ? (JOIN_SCENE[scene] ?? { zh: '其他方式', en: 'another way' }) : null;
      return {
        zh: `加入客户群「${group}」${how ? `（${how.zh}）` : ''}`,
        en: `Joined the group “${group}”${how ? ` (${how.en})` : ''}`,
      };
    }
    case 'group_left': {
      const group = str(d.groupName);
      if (!group) return null;
      return d.dismissed
        ? { zh: `客户群「${group}」已解散`, en: `The group “${group}” was dismissed` }
        : { zh: `离开客户群「${group}」`, en: `Left the group “${group}”` };
    }
    case 'transfer_failed': {
      const to = str(d.userid);
      if (!to) return null;
      const reason = str(d.reason);
      const why = reason ? (TRANSFER_REASON[reason] ?? { zh: reason, en: reason }) : null;
      return {
        zh: `转接给 ${to} 失败${why ? `：${why.zh}` : ''}`,
        en: `Reassignment to ${to} failed${why ? `: ${why.en}` : ''}`,
      };
    }
    case 'transferred': {
      const from = str(d.fromName);
      const to = str(d.toName);
      if (!from || !to) return null;
      const resigned = d.kind === 'resigned';
      return {
        zh: `${resigned ? '离职继承' : '在职转接'}：客户由 ${from} 转给 ${to}`,
        en: `${resigned ? 'Departure transfer' : 'Reassignment'}: the customer moved from ${from} to ${to}`,
      };
    }
    case 'channel_add': {
      const channel = str(d.channelName);
      if (!channel || !staff) return null;
      const bait = str(d.bait);
      return {
        zh: `通过渠道「${channel}」添加 ${staff}${bait ? `（诱饵：${bait}）` : ''}`,
        en: `Added ${staff} through the channel “${channel}”${bait ? ` (bait: ${bait})` : ''}`,
      };
    }
    case 'stage_changed': {
      const [from, to, cause] = [
        STAGE[str(d.from) ?? ''],
        STAGE[str(d.to) ?? ''],
        STAGE_CAUSE[str(d.cause) ?? ''],
      ];
      if (!from || !to || !cause) return null;
      return {
        zh: `生命周期：${from.zh} → ${to.zh}（${cause.zh}）`,
        en: `Lifecycle: ${from.en} → ${to.en} (${cause.en})`,
      };
    }
    case 'order': {
      const paid = num(d.paidFen);
      const items = Array.isArray(d.items) ? (d.items as { name?: unknown; quantity?: unknown }[]) : null;
      const channel = ORDER_CHANNEL[str(d.channel) ?? ''];
      if (paid === null || !items || !channel) return null;
      const store = str(d.store);
      const what = items.map((i) => `${String(i.name)}×${String(i.quantity)}`);
      const coupon = str(d.couponCode);
      return {
        zh: `在${store ?? channel.zh}下单 ${yuan(paid)}：${what.join('、')}${coupon ? `（用券 ${coupon}）` : ''}`,
        en: `Ordered ${yuan(paid)} at ${store ?? channel.en}: ${what.join(', ')}${coupon ? ` (coupon ${coupon})` : ''}`,
      };
    }
    case 'member': {
      const no = str(d.memberNo);
      if (!no) return null;
      const level = str(d.level);
      return {
        zh: `会员身份已关联：${no}${level ? `（${level}）` : ''}`,
        en: `Membership linked: ${no}${level ? ` (${level})` : ''}`,
      };
    }
    case 'identity_unlinked': {
      const kind = IDENTITY[str(d.kind) ?? ''];
      const [orders, members] = [num(d.orders), num(d.members)];
      if (!kind || orders === null || members === null) return null;
      const source = str(d.source) ?? '';
      return {
        zh: `撤销了${kind.zh}的关联（来源 ${source}）：${orders} 笔订单、${members} 个会员移出`,
        en: `Undid the ${kind.en} link (source ${source}): ${orders} order(s) and ${members} membership(s) moved out`,
      };
    }
    case 'touch': {
      const source = TOUCH_SOURCE[str(d.sourceKind) ?? ''];
      if (!source || !staff) return null;
      const name = str(d.sourceName);
      return {
        zh: `${staff} 向客户发送${source.zh}${name ? `「${name}」` : ''}`,
        en: `${staff} messaged the customer (${source.en}${name ? ` “${name}”` : ''})`,
      };
    }
    case 'task_created':
    case 'task_done':
    case 'task_dismissed': {
      const [title, kind] = [str(d.title), TASK_KIND[str(d.taskKind) ?? '']];
      if (!title || !kind || !staff) return null;
      if (e.kind === 'task_created')
        return {
          zh: `给 ${staff} 的待办（${kind.zh}）：${title}`,
          en: `Task for ${staff} (${kind.en}): ${title}`,
        };
      if (e.kind === 'task_done')
        return d.late
          ? { zh: `${staff} 完成了待办（逾期）：${title}`, en: `${staff} did the task (late): ${title}` }
          : { zh: `${staff} 完成了待办：${title}`, en: `${staff} did the task: ${title}` };
      const reason = str(d.reason);
      return {
        zh: `待办已忽略：${title}${reason ? `（${reason}）` : ''}`,
        en: `Task dismissed: ${title}${reason ? ` (${reason})` : ''}`,
      };
    }
    case 'note': {
      const text = str(d.text);
      const quote = d.quote && typeof d.quote === 'object' ? (d.quote as Record<string, unknown>) : null;
      const quoted = quote ? { item: str(quote.item), amount: yuan(Number(quote.amountFen)) } : null;
      if (!d.followUp || !(text || quoted)) return null;
      const zh = [text, quoted ? `报价「${quoted.item}」${quoted.amount}` : ''].filter(Boolean).join('；');
      const en = [text, quoted ? `quoted ${quoted.amount} for ${quoted.item}` : '']
        .filter(Boolean)
        .join('; ');
      return staff
        ? { zh: `${staff} 的跟进记录：${zh}`, en: `Follow-up note by ${staff}: ${en}` }
        : { zh: `跟进记录：${zh}`, en: `Follow-up note: ${en}` };
    }
    default:
      return null;
  }
}
