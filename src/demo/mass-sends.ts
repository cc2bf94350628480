import { createContent } from '../modules/content/index.ts';
import { type Ctx, syncCtxOf } from '../modules/context.ts';
import { subtreeUnitIds } from '../modules/org/index.ts';
import {
  attributeOrdersSince,
  cancelMassSend,
  createMassSend,
  dispatchDue,
  followResults,
  GROUP_CONFIRM_HOURS,
  MASS_SEND_JOB,
  type MassSendInput,
  planAudience,
  readArchive,
  remindMassSend,
} from '../modules/outreach/index.ts';
import type { Clock } from '../platform/clock.ts';
import type { Runtime } from '../runtime.ts';
import { simulatedArchive } from '../wecom/archive.ts';
import { MANGO } from './content.ts';
import { Random } from './random.ts';
import type { ShiftableClock } from './shift-clock.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const BRAND_OFFSET = 8 * HOUR;

/** A moment of the brand's calendar (UTC+8): `daysAgo` days before `now`'s day, at hh:mm. */
export function brandTime(now: Date, daysAgo: number, hh: number, mm = 0): Date {
  const local = now.getTime() + BRAND_OFFSET;
  const dayStart = local - (local % DAY) - BRAND_OFFSET;
  return new Date(dayStart - daysAgo * DAY + hh * HOUR + mm * 60_000);
}

/**
 * The demo's HQ admin as a caller of the API's functions, on a clock stopped at `at`: what the demo does in
 * the past (群发, Moments) goes through the same scope and audit as the console.
 */
export async function adminCtxAt(deps: Runtime['deps'], corpId: string): Promise<(at?: Date) => Ctx> {
  const admin = await deps.db
    .selectFrom('accounts')
    .select(['id', 'unit_id'])
    .where('corp_id', '=', corpId)
    .where('username', '=', 'admin')
    .executeTakeFirstOrThrow();
  const unitIds = await subtreeUnitIds(syncCtxOf(deps, corpId).cdb, admin.unit_id);
  // without `at`, on the live clock
  return (at?: Date): Ctx => {
    const clock: Clock = at ? { now: () => new Date(at) } : deps.clock;
    return {
      ...syncCtxOf({ ...deps, clock }, corpId),
      actor: {
        corpId,
        accountId: admin.id,
        role: 'hq_admin',
        unitId: admin.unit_id,
        seesWholeCorp: true,
        unitIds,
        staffId: null,
      },
    };
  };
}

export interface DemoMassSendOptions {
  runtime: Runtime;
  corpId: string;
  /** The simulator's corp id, for its control calls. */
  wecomCorpId: string;
  /** A control-API call to the simulator that must succeed. */
  sim(method: string, path: string, body?: unknown): Promise<unknown>;
  simClock: ShiftableClock;
  now: Date;
  seed: number;
}

/**
 * The demo brand's 群发, made by the HQ admin through the same functions the API calls, each on its own day
 * in the past (Siyu's side on a clock set to that moment, the simulator's clock shifted to it), so that the
 * page opens on sends in every state: one done with results and the orders that followed, a coupon sent to
 * the price-sensitive part only with a member still to confirm (reminded once), one cancelled part-way, and
 * one scheduled for tomorrow morning.
 */
export async function createDemoMassSends(
  o: DemoMassSendOptions,
): Promise<{ sends: number; memberDayOccurrences: number }> {
  const deps = o.runtime.deps;
  const ctxAt = await adminCtxAt(deps, o.corpId);
  const segment = async (name: string) =>
    (
      await deps.db
        .selectFrom('segments')
        .select('id')
        .where('corp_id', '=', o.corpId)
        .where('name', '=', name)
        .executeTakeFirstOrThrow()
    ).id;
  const link = await deps.links.require(o.corpId);
  const rng = new Random(o.seed ^ 0x6d617373);

  /** Whether anyone would get it (a small demo brand may have nobody in a segment). */
  const reaches = async (at: Date, input: MassSendInput) =>
    (
      await planAudience(ctxAt(at), {
        ...input,
        audience: input.audience!,
        senderRule: input.senderRule!,
        at,
        contentKind: input.contentKind,
        guard: input.guard,
      })
    ).receiving > 0;

  /**
   * Creates and dispatches a send at `at`; members confirm with probability `confirm` an hour later. null
   * when its audience has nobody to receive it.
   */
  async function send(at: Date, input: MassSendInput, confirm: number): Promise<number | null> {
    if (!(await reaches(at, input))) return null;
    o.simClock.shiftTo(at);
    try {
      const { id } = await createMassSend(ctxAt(at), input);
      await dispatchDue(ctxAt(at));
      deps.wake.outbox();
      await o.runtime.drain();
      const later = new Date(at.getTime() + HOUR);
      o.simClock.shiftTo(later);
      await membersConfirm(o, id, rng, confirm);
      await followResults(ctxAt(new Date(later.getTime() + HOUR)), link.client);
      return id;
    } finally {
      o.simClock.reset();
    }
  }

  // 周三会员日: a weekly group send to the stores' welfare groups, made three weeks ago (first, so that the
  // audit log stays in time order); each past Wednesday's occurrence went out and most owners confirmed it
  // The background 群发 job reads the real clock: to it every task dispatched on a past Wednesday is days old,
  // past the owners' confirmation window, and it would withdraw them before the owners confirm. It waits
  // while the Wednesdays are played (each one's window is closed at its own time below).
  const job = o.runtime.jobs.get(MASS_SEND_JOB);
  await job?.stop();
  let series: number;
  try {
    series = await memberDaySeries(o, ctxAt, new Random(o.seed ^ 0x6d656d62), link.client);
  } finally {
    job?.start();
  }

  const first = brandTime(o.now, 10, 10, 30);
  // HQ puts the launch's picture and mini-program card into the library that morning
  const mango = await createContent(ctxAt(new Date(first.getTime() - HOUR)), MANGO);
  await send(
    first,
    {
      name: '新品上市：芒果多多',
      contentKind: 'product',
      // the library item: its picture and its mini-program card go out as WeCom media
      contentId: mango.id,
      senderRule: { prefer: 'store_staff' },
      audience: { segmentId: await segment('超级用户') },
    },
    1,
  );

  const coupon = await send(
    brandTime(o.now, 6, 15),
    {
      name: '会员日：满 30 减 5',
      contentKind: 'coupon',
      text: '周三会员日🎉 满 30 减 5 券已放进你的小程序卡包，今晚 24 点前有效～',
      senderRule: { prefer: 'store_staff' },
      audience: { segmentId: await segment('首单新客') },
      guard: 'price_sensitive_only',
    },
    0.8,
  );
  // a member has not sent it yet: reminded once
  if (coupon !== null) await remindMassSend(ctxAt(brandTime(o.now, 6, 18)), coupon).catch(() => {});

  const winBack = brandTime(o.now, 3, 11);
  const cancelled = await send(
    winBack,
    {
      name: '好久不见：回归请你喝一杯',
      contentKind: 'product',
      text: '好久不见～这周回店，第二杯我们请🍵',
      senderRule: { prefer: 'latest_follow' },
      audience: { segmentId: await segment('沉睡高价值') },
    },
    0.5,
  );
  if (cancelled !== null) {
    o.simClock.shiftTo(new Date(winBack.getTime() + 3 * HOUR));
    try {
      await cancelMassSend(ctxAt(new Date(winBack.getTime() + 3 * HOUR)), cancelled);
      deps.wake.outbox();
      await o.runtime.drain();
      await followResults(ctxAt(new Date(winBack.getTime() + 4 * HOUR)), link.client);
    } finally {
      o.simClock.reset();
    }
  }

  const weekend: MassSendInput = {
    name: '周末亲子 DIY：做一杯自己的奶茶',
    contentKind: 'event',
    text: '本周六下午 2 点，门店亲子 DIY 奶茶课开课啦，名额 12 组，回复「报名」锁定～',
    sendAt: brandTime(o.now, -1, 10).toISOString(),
    senderRule: { prefer: 'store_staff' },
    audience: { segmentId: await segment('果茶复购客') },
  };
  // planned three days ago for tomorrow morning (the audit log stays in time order)
  if (await reaches(new Date(weekend.sendAt!), weekend)) {
    await createMassSend(ctxAt(brandTime(o.now, 3, 16)), weekend);
  }

  // the orders since the first send that followed a touch
  await attributeOrdersSince(syncCtxOf(deps, o.corpId), first);
  await customersReply(o, new Random(o.seed ^ 0x72706c79));
  // a series' occurrences are counted with it (each send made has one audit entry)
  const { n } = await deps.db
    .selectFrom('mass_sends')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('corp_id', '=', o.corpId)
    .where('series_id', 'is', null)
    .executeTakeFirstOrThrow();
  return { sends: Number(n), memberDayOccurrences: series };
}

const REPLIES = [
  '好的，谢谢～',
  '收到👌',
  '周末去店里试试',
  '券怎么用呀？',
  '芒果多多还有吗',
  '今天几点关门？',
  '上次那杯好喝，再来',
  '可以外卖吗',
];

/**
 * About a third of the customers a message reached answer their sender in WeCom, 20 minutes to 20 hours
 * later (before now): the session archive has their messages, and reading it marks the touches replied.
 */
async function customersReply(o: DemoMassSendOptions, rng: Random): Promise<void> {
  const now = o.now.getTime();
  const touches = await o.runtime.deps.db
    .selectFrom('touches as t')
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 't.corp_id').onRef('c.id', '=', 't.customer_id'),
    )
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 't.corp_id').onRef('s.id', '=', 't.staff_id'))
    .select(['t.at', 'c.external_userid', 's.userid'])
    .where('t.corp_id', '=', o.corpId)
    .where('t.status', '=', 'sent')
    .where('t.at', '<', new Date(now - HOUR))
    .orderBy('t.id')
    .execute();
  try {
    for (const t of touches) {
      if (!rng.chance(0.35)) continue;
      const at = Math.min(t.at.getTime() + rng.int(20, 20 * 60) * 60_000, now - 60_000);
      o.simClock.shiftTo(new Date(at));
      await o
        .sim('POST', `/sim/corps/${o.wecomCorpId}/scenarios/customer-sends-message`, {
          external_userid: t.external_userid,
          userid: t.userid,
          content: rng.pick(REPLIES),
        })
        // a customer who has since deleted the member cannot write to them
        .catch((err: Error) => {
          if (!err.message.includes('not_friends')) throw err;
        });
    }
  } finally {
    o.simClock.reset();
  }
  const link = await o.runtime.deps.links.require(o.corpId);
  await readArchive(syncCtxOf(o.runtime.deps, o.corpId), simulatedArchive(link.client));
}

/** Each member (or group owner) with a task of the send confirms it in WeCom with probability `p`. */
async function membersConfirm(o: DemoMassSendOptions, massSendId: number, rng: Random, p: number) {
  const tasks = await o.runtime.deps.db
    .selectFrom('mass_send_tasks as t')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 't.corp_id').onRef('s.id', '=', 't.staff_id'))
    .select(['t.msgid', 's.userid'])
    .where('t.corp_id', '=', o.corpId)
    .where('t.mass_send_id', '=', massSendId)
    .where('t.msgid', 'is not', null)
    .orderBy('t.id')
    .execute();
  let waiting = 0;
  for (const [k, t] of tasks.entries()) {
    // a send members confirm only in part keeps one member to confirm at least (whatever its audience's
    // size): the coupon's reminder and the win-back's cancellation need it still sending
    const confirms = rng.chance(p);
    if (!confirms) waiting++;
    if (!confirms || (p < 1 && waiting === 0 && k === tasks.length - 1)) continue;
    await o
      .sim('POST', `/sim/corps/${o.wecomCorpId}/scenarios/member-confirms-mass-send`, {
        msgid: t.msgid,
        userid: t.userid,
      })
      .catch((err: Error) => {
        // WeCom refuses a second confirmation: the member has sent it, which is what this step is for
        if (!err.message.includes('already_sent')) throw err;
      });
  }
}

/**
 * The weekly 会员日 group send: created 22 days ago for every Wednesday at 10:00 to the welfare groups, with
 * each group's name and store filled in; at each past Wednesday the scheduler's pass makes the occurrence and
 * sends it through the owners, who confirm an hour later (most of them). Returns the occurrences made.
 */
async function memberDaySeries(
  o: DemoMassSendOptions,
  ctxAt: (at: Date) => Ctx,
  rng: Random,
  client: Parameters<typeof followResults>[1],
): Promise<number> {
  const createdAt = brandTime(o.now, 22, 17);
  const input: MassSendInput = {
    name: '周三会员日',
    contentKind: 'event',
    text: '{{group_name}}的朋友们，今天是周三会员日🎉 {{store_name}}全场第二杯半价，到店出示群聊截图即可～',
    target: 'groups',
    groups: { types: ['welfare'] },
    recurrence: { weekdays: [3], time: '10:00' },
  };
  const { id } = await createMassSend(ctxAt(createdAt), input);
  let made = 0;
  for (let daysAgo = 21; daysAgo >= 0; daysAgo--) {
    const at = brandTime(o.now, daysAgo, 10, 1);
    // Wednesdays whose confirmations are over (today's, if still to come, is the live scheduler's)
    if (new Date(at.getTime() + BRAND_OFFSET).getUTCDay() !== 3) continue;
    if (at <= createdAt || at.getTime() + 3 * HOUR > o.now.getTime()) continue;
    o.simClock.shiftTo(at);
    try {
      await dispatchDue(ctxAt(at));
      o.runtime.deps.wake.outbox();
      await o.runtime.drain();
      const later = new Date(at.getTime() + HOUR);
      o.simClock.shiftTo(later);
      const occurrence = await o.runtime.deps.db
        .selectFrom('mass_sends')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('corp_id', '=', o.corpId)
        .where('series_id', '=', id)
        .where('created_at', '>=', at)
        .executeTakeFirstOrThrow();
      // this Wednesday's occurrence, made by this pass (none if the series had already moved past it)
      if (occurrence.id === null) continue;
      await membersConfirm(o, Number(occurrence.id), rng, 0.85);
      await followResults(ctxAt(new Date(later.getTime() + HOUR)), client);
      // a Wednesday whose confirmation window is over: the owners who never confirmed are withdrawn, and
      // the occurrence ends 部分完成 with them 未确认 (a recent one is still 发送中)
      const closes = new Date(at.getTime() + (GROUP_CONFIRM_HOURS + 1) * HOUR);
      if (closes.getTime() <= o.now.getTime()) {
        o.simClock.shiftTo(closes);
        await followResults(ctxAt(closes), client);
        o.runtime.deps.wake.outbox();
        await o.runtime.drain();
      }
      made++;
    } finally {
      o.simClock.reset();
    }
  }
  return made;
}
