import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { createChannel } from '../modules/channels/index.ts';
import { routeCode } from '../modules/channels/routing.ts';
import { runFullSync } from '../modules/connector/index.ts';
import { ctxFor, syncCtxOf } from '../modules/context.ts';
import {
  addTimeline,
  editCustomerTags,
  recomputeAllFacts,
  stageCounts,
  type TimelineEntry,
} from '../modules/customers/index.ts';
import { pullGroupStats, STATS_JOB } from '../modules/groups/index.ts';
import type { Tables } from '../modules/tables.ts';
import { corpDb } from '../platform/db/corp-db.ts';
import type { Pii } from '../platform/pii.ts';
import { saveConnection } from '../platform/wecom-links.ts';
import type { Runtime } from '../runtime.ts';
import type { Simulator } from '../simulator/state.ts';
import { WELCOME_WINDOW_SECONDS } from '../wecom/limits.ts';
import { doDemoAuditedWork } from './audit.ts';
import { ACCOUNTS, BRAND, demoCard, STAFF, STORE_PLACEMENTS, TAG_GROUPS, UNITS } from './brand.ts';
import { createDemoContent } from './content.ts';
import { type CustomerPlan, customerPlans, joinedDaysAgo, staffByUserid, staffMobile } from './generate.ts';
import { createDemoGroups } from './groups.ts';
import { buildDemoInsight } from './insight.ts';
import { createDemoJourneys, orderAfterWelcome, startDemoWelcome } from './journeys.ts';
import { createDemoLevers } from './levers.ts';
import { createDemoMassSends } from './mass-sends.ts';
import { createDemoMoments } from './moments.ts';
import { demoOrders, ingestDemoOrders } from './orders.ts';
import { createDemoQuotes } from './quotes.ts';
import { mixSeed, Random } from './random.ts';
import { DEMO_CORP_ID, DEMO_PASSWORD, type DemoLogin, insertDemoUnits } from './seed.ts';
import { createDemoSegments } from './segments.ts';
import type { ShiftableClock } from './shift-clock.ts';
import { type ScenarioInput, SimDirect, SimHttp, type WecomSide } from './sim-port.ts';
import { createDemoTagRules } from './tag-rules.ts';
import { createDemoTasks } from './tasks.ts';
import { createDemoDeparture, createDemoReassignment } from './transfers.ts';

/**
 * The demo brand 禾木茶饮 built the way a real brand reaches Siyu: its history is played in the WeCom
 * simulator (members, corp tags, customers adding staff over ~18 months, remarks and tags, deletions, a
 * resignation with 离职继承, customer groups), each step at its planned moment on the simulator's clock and
 * before Siyu listens; Siyu then connects and pulls it with a full sync, and from there on the brand lives
 * through real, encrypted callbacks: a few customers arrive today while Siyu watches.
 *
 * Only the Siyu-only settings are written directly: the corp and its org units (with codes, linked to the
 * departments), the staff's personas and journey roles, the tag groups' audiences, the console accounts and
 * the staff's notes.
 */

export interface BuildDemoOptions {
  db: Kysely<Tables>;
  pii: Pii;
  hashPassword: (password: string) => Promise<string>;
  /** Base URL of the running simulator: its control API (/sim) and its WeCom API (/cgi-bin). */
  simulatorUrl: string;
  /**
   * The same simulator's in-process state (`startSimulator(…).sim`), if it runs in this process: the history
   * (which pushes nothing) is then played through its functions directly instead of thousands of HTTP calls,
   * and its delivery queue is awaited with `idle()`. The live part always goes through the control API.
   */
  sim?: Simulator;
  /** The clock the simulator was started with; left at real time (offset 0) when done. */
  simClock: ShiftableClock;
  /** Siyu's own base URL: the simulator pushes to `${siyuUrl}/wecom/callback/demo`. */
  siyuUrl: string;
  /** Siyu's running runtime (its links are used for the full sync, its dispatcher handles the callbacks). */
  runtime: Runtime;
  /** Customers in the brand's history. Default 3000. */
  customers?: number;
  /** Customers who arrive today, through real callbacks. Default 20. */
  liveCustomers?: number;
  /** Default 20240601: the same seed gives the same brand. */
  seed?: number;
  /** The history is dated relative to this; default (and at most) the current time. */
  now?: Date;
  onProgress?: (stage: DemoStage, done: number, total: number) => void;
}

/**
 * history: steps played in the simulator; sync: follows pulled by Siyu's full sync; orders: the order
 * history sent by the brand's tills, mini-program and shop; live: today's events; facts: every customer's
 * RFM, stage and the rest, computed once all of it is in.
 */
export type DemoStage = 'history' | 'sync' | 'orders' | 'live' | 'facts';

const CORP = DEMO_CORP_ID;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** WeCom completes a resigned member's customer transfer 24 h after the call. */
const TRANSFER_DELAY = 24 * HOUR;

/** Same-moment steps run in this order. */
const RANK = {
  create: 0,
  add: 1,
  edit: 2,
  groupCreate: 3,
  join: 4,
  delete: 5,
  leave: 6,
  resign: 7,
  transfer: 8,
  talk: 9,
} as const;

interface Step {
  at: number;
  rank: number;
  seq: number;
  run: () => Promise<void>;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomString(length: number, alphabet = ALNUM): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** At most `max` UTF-16 units (what the control API counts), never splitting a surrogate pair. */
function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let out = '';
  for (const ch of s) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function storeShortName(code: string): string {
  return UNITS.find((u) => u.code === code)!.name.slice(2, -1);
}

/**
 * Builds the demo brand through the simulator and connects Siyu to it (see the file comment). Meant for an
 * empty database and a simulator without the demo corp; throws if any step fails (nothing is rolled back).
 */
export async function buildDemoThroughSimulator(
  opts: BuildDemoOptions,
): Promise<{ logins: DemoLogin[]; counts: Record<string, number> }> {
  const now = opts.now ?? new Date();
  if (now.getTime() > Date.now() + MINUTE) {
    throw new Error(
      'buildDemoThroughSimulator: `now` cannot be in the future (live events happen in real time)',
    );
  }
  const seed = opts.seed ?? 20240601;
  const total = opts.customers ?? 3000;
  const liveTotal = opts.liveCustomers ?? 20;
  const { simClock, db } = opts;
  const progress = opts.onProgress ?? (() => {});

  const credentials = {
    corpid: `wwdemo${randomString(10, 'abcdefghijklmnopqrstuvwxyz0123456789')}`,
    secret: randomString(43),
    token: randomString(32),
    encoding_aes_key: randomString(43),
    agentid: 1000002,
  };
  const http = new SimHttp(opts.simulatorUrl, credentials.corpid, credentials.secret, simClock);
  const wecom: WecomSide = opts.sim ? new SimDirect(opts.sim, credentials.corpid) : http;

  const t0 = performance.now();
  let history: HistoryResult;
  try {
    history = await playHistory(wecom, credentials, { now, seed, total, clock: simClock, progress });
  } finally {
    simClock.reset();
  }
  const t1 = performance.now();

  const siyu = await connectSiyu(opts, http, credentials, history, now, progress);
  const t2 = performance.now();

  await createDemoTagRules(db, CORP);
  // About eight months of orders and the membership system's members, as the brand's systems send them.
  const ordered = await ingestDemoOrders(
    syncCtxOf(opts.runtime.deps, CORP),
    demoOrders(
      history.plans.map((plan, i) => ({ plan, key: String(i).padStart(5, '0') })),
      seed,
      now,
      { from: 240, live: false },
    ),
    (done, total) => progress('orders', done, total),
  );
  const tOrders = performance.now();

  // HQ's welcome journey runs before today's customers arrive: their day-0 pack goes out through it.
  const welcomeJourney = await startDemoWelcome(opts.runtime.deps, CORP);
  // The stores' group codes and routing rules, before today's customers are welcomed into groups.
  const demoGroups = await createDemoGroups(opts.runtime, CORP);
  const live = await playLive(opts, http, history, { now, seed, liveTotal, progress });
  // today's customers' earlier orders: their numbers carry `L` and the customer's index
  const liveLinked = await db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('corp_id', '=', CORP)
    .where('source_order_id', 'like', '%L____%')
    .where('customer_id', 'is not', null)
    .executeTakeFirstOrThrow();
  const t3 = performance.now();

  // Orders refreshed their buyers' facts as they came; now every customer's, those without orders too, so
  // the lists, segments and super users read them from the start (the facts job would, within the day).
  // What the orders set off after commit (their facts, tag rules) is done first.
  await opts.runtime.drain();
  const factsCtx = syncCtxOf(opts.runtime.deps, CORP);
  await recomputeAllFacts(factsCtx, (done, total) => progress('facts', done, total));
  const stages = await stageCounts(factsCtx.cdb);
  await createDemoSegments(opts.runtime.deps, CORP);
  const journeys = await createDemoJourneys(opts.runtime.deps, CORP, welcomeJourney);
  await tagAsStoreManager(opts.runtime, now);
  // the 群发 of the last ten days first: the audit log is in time order, and the people's work is newer
  const massSends = await createDemoMassSends({
    runtime: opts.runtime,
    corpId: CORP,
    wecomCorpId: credentials.corpid,
    sim: (method, path, body) => http.sim(method, path, body),
    simClock,
    now,
    seed,
  });
  const transferDemo = {
    runtime: opts.runtime,
    corpId: CORP,
    wecomCorpId: credentials.corpid,
    sim: (method: string, path: string, body?: unknown) => http.sim(method, path, body),
    simClock,
    now,
  };
  // 在职转接 two days ago (before the people's audited work, so the audit log stays in time order)
  const reassigned = await createDemoReassignment(transferDemo);
  const audited = await doDemoAuditedWork(opts.runtime.deps, CORP, now);
  const demoTasks = await createDemoTasks(opts.runtime, CORP, now);
  const demoContent = await createDemoContent(opts.runtime.deps, CORP, now);
  // 离职继承 this morning: last, since the member who leaves is gone from WeCom afterwards
  const departure = await createDemoDeparture(transferDemo);
  // colleagues' quotes with their notes, some of them conflicting (after the departure: both still here)
  const demoQuotes = await createDemoQuotes(opts.runtime.deps, CORP, now);
  // a month of 朋友圈: the past ones published through the simulator at their time, the ones ahead planned
  const demoMoments = await createDemoMoments({ ...transferDemo, seed });
  // the groups' daily statistics (groupchat/statistic) for the last 30 days, as the hourly job pulls them:
  // all 30 pulled now, whatever the job's pass made while the brand was being built (its history, 会员日
  // and Moments played in the past with the simulator's clock set back) — the figures of the finished brand
  await opts.runtime.runJob(STATS_JOB);
  await pullGroupStats(
    syncCtxOf(opts.runtime.deps, CORP),
    (await opts.runtime.deps.links.require(CORP)).client,
    {
      repull: true,
    },
  );
  const { n: statsDays } = await db
    .selectFrom('group_stats_pulls')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('corp_id', '=', CORP)
    .executeTakeFirstOrThrow();
  // today's welcomed customers who ordered after the day-0 pack: the journey's credited GMV (after commit)
  const journeyOrders = await orderAfterWelcome(opts.runtime.deps, CORP);
  await opts.runtime.drain();
  await buildDemoInsight(opts.runtime, CORP);
  await createDemoLevers(opts.runtime, CORP, now);
  const t4 = performance.now();

  const counts: Record<string, number> = {};
  for (const table of [
    'org_units',
    'staff',
    'accounts',
    'tag_groups',
    'tags',
    'customers',
    'follows',
    'customer_tags',
    'customer_events',
    'groups',
    'group_members',
    'group_routing_decisions',
    'orders',
    'members',
    'customer_identities',
    'customer_facts',
    'audit_log',
    'journeys',
    'journey_enrolments',
  ] as const) {
    const { n } = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('corp_id', '=', CORP)
      .executeTakeFirstOrThrow();
    counts[table] = Number(n);
  }
  Object.assign(counts, {
    corps: 1,
    sim_customers: history.customers,
    sim_follows_added: history.followsAdded,
    sim_transfers: history.transfers,
    sim_groups: history.groups,
    sim_group_joins: history.joins,
    sim_history_operations: wecom.operations,
    sim_requests: http.operations,
    sync_follows: siyu.syncedFollows,
    notes: siyu.notes,
    orders_sent: ordered.orders,
    orders_linked: ordered.linked,
    journey_orders: journeyOrders,
    live_orders_waiting: live.ordersWaiting,
    live_orders_linked: Number(liveLinked.n),
    live_customers: live.customers,
    live_callbacks: live.delivered,
    missed_adds: live.missedAdds,
    adds_recovered: live.addsRecovered,
    history_ms: Math.round(t1 - t0),
    sync_ms: Math.round(siyu.syncMs),
    siyu_setup_ms: Math.round(t2 - t1 - siyu.syncMs),
    orders_ms: Math.round(tOrders - t2),
    live_ms: Math.round(t3 - tOrders),
    super_users: stages.super,
    // the people's audited work, and each transfer request (one entry each)
    audited_actions: audited + (reassigned ? 1 : 0) + (departure ? 1 : 0),
    journeys_enrolled: Object.values(journeys).reduce((a, b) => a + b, 0),
    mass_sends: massSends.sends,
    member_day_occurrences: massSends.memberDayOccurrences,
    group_stats_days: Number(statsDays),
    tasks: demoTasks.tasks,
    task_reminders: demoTasks.reminders,
    content_items: demoContent.items,
    content_uses: demoContent.uses,
    quotes: demoQuotes.quotes,
    quote_conflicts: demoQuotes.conflicts,
    group_codes: demoGroups.codes,
    groups_typed: demoGroups.typed,
    transfers_reassigned: reassigned,
    transfers_departure: departure,
    moments_published: demoMoments.published,
    moments_planned: demoMoments.planned,
    facts_ms: Math.round(t4 - t3),
  });

  const logins = ACCOUNTS.filter((a) => a.disabledDaysAgo === undefined).map((a) => ({
    login: `${a.username}@${CORP}`,
    role: a.role,
    unit: UNITS.find((u) => u.code === a.unit)!.name,
  }));
  return { logins, counts };
}

/* ---------- 1. History, in WeCom, before Siyu listens ---------- */

interface Credentials {
  corpid: string;
  secret: string;
  token: string;
  encoding_aes_key: string;
  agentid: number;
}

interface HistoryResult {
  plans: CustomerPlan[];
  /** Plan index → the simulator's external_userid. */
  externalIds: string[];
  deptOf: Map<string, number>;
  /** corp tag name `group/tag` → WeCom tag id. */
  tagIds: Map<string, string>;
  /** Store code → its groups' chat ids (the 福利群 first). */
  chats: Map<string, string[]>;
  customers: number;
  followsAdded: number;
  transfers: number;
  groups: number;
  joins: number;
}

async function playHistory(
  wecom: WecomSide,
  credentials: Credentials,
  o: {
    now: Date;
    seed: number;
    total: number;
    clock: ShiftableClock;
    progress: (stage: DemoStage, done: number, total: number) => void;
  },
): Promise<HistoryResult> {
  const { clock } = o;
  const nowMs = o.now.getTime();
  const ago = (days: number) => nowMs - days * DAY;
  const departed = new Map(
    STAFF.filter((s) => s.departedDaysAgo !== undefined).map((s) => [s.userid, ago(s.departedDaysAgo!)]),
  );

  // The corp, its directory and its tags, as the brand's admin set them up before the first customer.
  clock.shiftTo(ago(580));
  await wecom.createCorp({ ...credentials, name: BRAND.name });
  await wecom.updateDepartment(1, { name: UNITS.find((u) => u.kind === 'hq')!.name });
  const deptOf = new Map<string, number>();
  for (const [i, u] of UNITS.entries()) {
    if (!u.parent) {
      deptOf.set(u.code, 1);
      continue;
    }
    const id = await wecom.createDepartment({
      name: u.name,
      parentid: deptOf.get(u.parent)!,
      order: UNITS.length - i,
    });
    deptOf.set(u.code, id);
  }
  const mobiles = new Random(o.seed ^ 0x5eed);
  for (const s of STAFF) {
    await wecom.createMember({
      userid: s.userid,
      name: s.name,
      department: [deptOf.get(s.unit)!],
      position: s.title,
      mobile: staffMobile(mobiles),
    });
  }
  const tagIds = new Map<string, string>();
  for (const [i, g] of TAG_GROUPS.entries()) {
    const created = await wecom.scenario('admin-create-tags', {
      group_name: g.name,
      order: TAG_GROUPS.length - i,
      tag: g.tags.map((name, j) => ({ name, order: g.tags.length - j })),
    });
    for (const t of created.tag_group.tag) tagIds.set(`${g.name}/${t.name}`, t.id);
  }

  // Every change of every customer, then the groups, played in time order.
  const plans = [...customerPlans(o.total, o.seed, o.now)];
  const externalIds: string[] = new Array(plans.length);
  const steps: Step[] = [];
  const at = (when: number, rank: number, run: () => Promise<void>) =>
    steps.push({ at: when, rank, seq: steps.length, run });
  let followsAdded = 0;
  let transfers = 0;

  for (const [i, c] of plans.entries()) {
    const ext = () => externalIds[i]!;
    at(c.firstAddedAt.getTime(), RANK.create, async () => {
      externalIds[i] = await wecom.createCustomer({
        name: c.name,
        gender: c.gender,
        ...(c.unionid ? { unionid: c.unionid } : {}),
        ...(c.avatar ? { avatar: c.avatar } : {}),
      });
    });
    for (const f of c.follows) {
      const added = f.addedAt.getTime();
      const ended = f.endedAt?.getTime() ?? null;
      const tags = c.tags.filter((t) => t.staff === f.staff).map((t) => tagIds.get(`${t.group}/${t.tag}`)!);
      let editAt: number;
      const edit: Omit<ScenarioInput<'member-edits-contact'>, 'userid' | 'external_userid'> = {};
      if (f.transferredFrom) {
        // 离职继承: the admin hands the customer over after the resignation; WeCom completes it 24 h later,
        // copying remark, description, phone and tags to the colleague.
        const leftAt = departed.get(f.transferredFrom)!;
        const callAt = Math.max(leftAt + MINUTE, added - TRANSFER_DELAY);
        at(callAt, RANK.transfer, async () => {
          const r = await wecom.transferResigned({
            handover_userid: f.transferredFrom!,
            takeover_userid: f.staff,
            external_userid: [ext()],
          });
          const failed = r.customer.find((x) => x.errcode !== 0);
          if (failed) throw new Error(`transfer of ${ext()} to ${f.staff} refused: ${failed.errcode}`);
        });
        transfers++;
        editAt = callAt + TRANSFER_DELAY + MINUTE;
      } else {
        at(added, RANK.add, async () => {
          await wecom.scenario('member-adds-customer', {
            userid: f.staff,
            external_userid: ext(),
            add_way: f.addWay,
            ...(f.state ? { state: f.state } : {}),
          });
        });
        followsAdded++;
        if (f.remark) edit.remark = clip(f.remark, 20);
        if (f.description) edit.description = clip(f.description, 150);
        if (c.phone) edit.remark_mobiles = [c.phone];
        // The remark and phone are noted while chatting right after the add.
        editAt = added + MINUTE;
      }
      if (tags.length) edit.add_tag = tags;
      if (ended !== null) editAt = Math.min(editAt, ended - 1000);
      if (Object.keys(edit).length > 0 && editAt < nowMs) {
        at(editAt, RANK.edit, async () => {
          await wecom.scenario('member-edits-contact', { userid: f.staff, external_userid: ext(), ...edit });
        });
      }
      if (ended !== null && !departed.has(f.staff)) {
        const name =
          f.status === 'deleted_by_customer' ? 'customer-deletes-member' : 'member-deletes-customer';
        at(ended, RANK.delete, async () => {
          await wecom.scenario(name, { userid: f.staff, external_userid: ext() });
        });
      }
    }
  }

  // Resignations, after the member's last own change.
  for (const [userid, leftAt] of departed) {
    at(leftAt, RANK.resign, async () => {
      await wecom.deleteMember(userid);
    });
  }

  const chats = new Map<string, string[]>();
  const groupCounts = planGroups(plans, externalIds, chats, wecom, at, o);

  steps.sort((a, b) => a.at - b.at || a.rank - b.rank || a.seq - b.seq);
  o.progress('history', 0, steps.length);
  const rankName = Object.fromEntries(Object.entries(RANK).map(([k, v]) => [v, k]));
  for (const [n, step] of steps.entries()) {
    clock.shiftTo(step.at);
    try {
      await step.run();
    } catch (err) {
      const what = `${rankName[step.rank]} at ${new Date(step.at).toISOString()}`;
      throw new Error(
        `demo history step ${n + 1}/${steps.length} (${what}) failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if ((n + 1) % 250 === 0) o.progress('history', n + 1, steps.length);
  }
  o.progress('history', steps.length, steps.length);

  return {
    plans,
    externalIds,
    deptOf,
    tagIds,
    chats,
    customers: plans.length,
    followsAdded,
    transfers,
    groups: groupCounts.groups,
    joins: groupCounts.joins,
  };
}

/** How far back the demo's groups have messages: the statistics charts show 30 days. */
const TALK_DAYS = 35;
const GROUP_POSTS = [
  '今天店里新到了一批当季水果，下午茶可以来试试～',
  '周三会员日别忘了：第二杯半价，到店出示群聊截图即可。',
  '周五下午 3 点群里发限量券，大家定好闹钟⏰',
  '新品试饮名额还剩几个，想来的在群里说一声～',
];
const GROUP_TALK = [
  '收到，谢谢！',
  '昨天那款新品好喝，推荐大家试试',
  '请问今天几点关门？',
  '券已经领到啦',
  '周末带孩子去，有没有少糖的推荐？',
  '👍',
  '会员日是每周三吗？',
  '外卖也能用群里的券吗',
];

const GROUP_NOTICES = [
  '每周三会员日：群内专享第二杯半价，到店出示群聊截图即可。',
  '新品上市第一时间在群里通知，欢迎大家试饮后反馈～',
  '群内每周五下午 3 点发放限量优惠券，先到先得。',
];

/**
 * Customer groups per store: a 福利群 soon after the store opened, and a 新客群 for the busier stores; the
 * store's customers join over time (QR code at the counter, or invited by the staff), a few leave.
 */
function planGroups(
  plans: CustomerPlan[],
  externalIds: string[],
  chats: Map<string, string[]>,
  wecom: WecomSide,
  at: (when: number, rank: number, run: () => Promise<void>) => void,
  o: { now: Date; seed: number },
): { groups: number; joins: number } {
  const rng = new Random(mixSeed(o.seed, 0x67726f75));
  // what is said in the groups has its own draws, so the groups and their members stay as they were
  const talk = new Random(mixSeed(o.seed, 0x74616c6b));
  const nowMs = o.now.getTime();
  const talkFrom = nowMs - TALK_DAYS * DAY;
  let groups = 0;
  let joins = 0;
  /** A message in a group; one the simulator refuses (the speaker gone meanwhile) is left unsaid. */
  const say = (
    when: number,
    chat: () => string,
    speaker: { userid: string } | { external_userid: string },
  ) => {
    const content = talk.pick('userid' in speaker ? GROUP_POSTS : GROUP_TALK);
    at(when, RANK.talk, async () => {
      await wecom.scenario('group-message', { chat_id: chat(), ...speaker, content }).catch(() => {});
    });
  };
  for (const store of UNITS.filter((u) => u.kind === 'store')) {
    const manager = STAFF.find((s) => s.unit === store.code && s.title === '店长')!;
    const short = storeShortName(store.code);
    const kinds: { name: string; createdDaysAgo: number }[] = [
      { name: `禾木${short}福利群`, createdDaysAgo: store.openedDaysAgo - rng.int(10, 40) },
    ];
    if ((store.weight ?? 1) >= 1.1) {
      kinds.push({
        name: `禾木${short}新客群`,
        createdDaysAgo: Math.min(store.openedDaysAgo - 60, rng.int(120, 200)),
      });
    }
    // The store's own customers: those a store staff member added.
    const candidates = plans
      .map((c, i) => ({ c, i }))
      .filter(
        ({ c }) =>
          c.store === store.code && c.follows.some((f) => staffByUserid(f.staff).unit === store.code),
      );
    for (const [k, kind] of kinds.entries()) {
      const createdAt = nowMs - kind.createdDaysAgo * DAY + rng.int(10, 20) * HOUR;
      if (createdAt >= nowMs - DAY) continue;
      const colleagues = STAFF.filter(
        (s) =>
          s.unit === store.code &&
          s.userid !== manager.userid &&
          s.departedDaysAgo === undefined &&
          joinedDaysAgo(s) * DAY >= nowMs - createdAt,
      ).map((s) => s.userid);
      const list = chats.get(store.code) ?? [];
      chats.set(store.code, list);
      const slot = list.length;
      list.push('');
      groups++;
      at(createdAt, RANK.groupCreate, async () => {
        const r = await wecom.scenario('member-creates-group', {
          owner: manager.userid,
          name: kind.name,
          notice: GROUP_NOTICES[k % GROUP_NOTICES.length],
          member_userids: colleagues,
        });
        list[slot] = r.group.chat_id;
      });
      // the manager posts in the group on some days (the notices, the week's new products)
      for (let d = TALK_DAYS; d >= 1; d--) {
        const when = nowMs - d * DAY + talk.int(9, 20) * HOUR;
        if (when > createdAt + HOUR && talk.chance(0.45))
          say(when, () => list[slot]!, { userid: manager.userid });
      }
      const eligible =
        k === 0 ? candidates : candidates.filter(({ c }) => c.firstAddedAt.getTime() > createdAt - 30 * DAY);
      const size = Math.min(eligible.length, rng.int(20, 80));
      for (const { c, i } of rng.sample(eligible, size)) {
        const from = Math.max(createdAt + HOUR, c.firstAddedAt.getTime() + HOUR);
        if (from >= nowMs - HOUR) continue;
        const joinAt = from + Math.floor(rng.next() ** 2 * (nowMs - HOUR - from));
        const via = rng.chance(0.7) ? 'qr' : 'invite';
        const invitor =
          via === 'invite' ? c.follows.find((f) => staffByUserid(f.staff).unit === store.code)!.staff : null;
        joins++;
        at(joinAt, RANK.join, async () => {
          await wecom.scenario('join-group', {
            chat_id: list[slot],
            external_userid: externalIds[i],
            via,
            // The invitor must still be with the brand when inviting; else the owner invites.
            ...(invitor && !departedAt(invitor, joinAt, nowMs) ? { invitor } : {}),
          });
        });
        let until = nowMs - HOUR;
        if (rng.chance(0.08)) {
          const leaveAt = joinAt + Math.floor(rng.next() * (nowMs - HOUR - joinAt));
          until = leaveAt;
          if (leaveAt > joinAt) {
            at(leaveAt, RANK.leave, async () => {
              await wecom.scenario('leave-group', { chat_id: list[slot]!, external_userid: externalIds[i] });
            });
          }
        }
        // about a third of the members say something in the last weeks, a few times
        const start = Math.max(joinAt + MINUTE, talkFrom);
        if (until > start && talk.chance(0.35)) {
          for (let n = talk.int(1, 4); n > 0; n--) {
            const when = start + Math.floor(talk.next() * (until - start));
            say(when, () => list[slot]!, { external_userid: externalIds[i]! });
          }
        }
      }
    }
  }
  return { groups, joins };
}

function departedAt(userid: string, when: number, nowMs: number): boolean {
  const s = staffByUserid(userid);
  return s.departedDaysAgo !== undefined && nowMs - s.departedDaysAgo * DAY <= when;
}

/* ---------- 2. Siyu: the brand, its connection, a full sync, Siyu-only settings ---------- */

async function connectSiyu(
  opts: BuildDemoOptions,
  http: SimHttp,
  credentials: Credentials,
  history: HistoryResult,
  now: Date,
  progress: (stage: DemoStage, done: number, total: number) => void,
): Promise<{ syncMs: number; syncedFollows: number; notes: number }> {
  const { db, pii } = opts;
  const ago = (days: number) => new Date(now.getTime() - days * DAY);

  const unitIds = await db.transaction().execute(async (tx) => {
    await tx
      .insertInto('corps')
      .values({
        corp_id: CORP,
        name: BRAND.name,
        wecom_corp_id: credentials.corpid,
        business_type: BRAND.businessType,
        created_at: ago(580),
      })
      .execute();
    const ids = await insertDemoUnits(tx, ago, history.deptOf);
    return ids;
  });

  await saveConnection(db, pii, CORP, {
    wecomCorpId: credentials.corpid,
    agentId: String(credentials.agentid),
    apiBaseUrl: opts.simulatorUrl,
    secret: credentials.secret,
    callbackToken: credentials.token,
    encodingAesKey: credentials.encoding_aes_key,
    simulated: true,
  });
  opts.runtime.deps.links.invalidate(CORP);

  // The full sync: what a brand connecting its existing WeCom gets.
  const simCorp = await http.corp('GET', '');
  const expectedFollows: number = simCorp.counts.follows;
  progress('sync', 0, expectedFollows);
  const s0 = performance.now();
  const run = await runFullSync(opts.runtime.deps, CORP, (r) =>
    progress('sync', Math.min(r.counts.follows ?? 0, expectedFollows), expectedFollows),
  );
  const syncMs = performance.now() - s0;
  if (run.status !== 'done') throw new Error(`the demo's full sync ended ${run.status}: ${run.error ?? ''}`);
  progress('sync', expectedFollows, expectedFollows);

  // Siyu-only settings an HQ admin makes: personas and journey roles, tag audiences, console accounts.
  await db.transaction().execute(async (tx) => {
    for (const s of STAFF) {
      await tx
        .updateTable('staff')
        .set({
          persona: s.persona,
          persona_name: s.personaName,
          journey_role: s.journeyRole,
          ...demoCard(s),
        })
        .where('corp_id', '=', CORP)
        .where('userid', '=', s.userid)
        .execute();
    }
    // A follow records the role its staff member plays in the journey; the sync ran before HQ set the roles.
    await sql`update follows f set journey_role = s.journey_role from staff s
      where f.corp_id = ${CORP} and s.corp_id = f.corp_id and s.id = f.staff_id`.execute(tx);
    for (const g of TAG_GROUPS) {
      await tx
        .updateTable('tag_groups')
        .set({ audience: g.audience })
        .where('corp_id', '=', CORP)
        .where('name', '=', g.name)
        .execute();
    }
  });

  const staffRows = await db
    .selectFrom('staff')
    .select(['id', 'userid'])
    .where('corp_id', '=', CORP)
    .execute();
  const staffIds = new Map(staffRows.map((r) => [r.userid, r.id]));
  const passwordHash = await opts.hashPassword(DEMO_PASSWORD);
  const accounts = await db
    .insertInto('accounts')
    .values(
      ACCOUNTS.map((a) => {
        // a member who left may be gone from WeCom: their disabled login keeps no staff link then
        const staffId = a.staff ? (staffIds.get(a.staff) ?? (a.disabledDaysAgo ? null : undefined)) : null;
        if (staffId === undefined)
          throw new Error(`demo account ${a.username}: staff ${a.staff} was not synced`);
        return {
          corp_id: CORP,
          username: a.username,
          display_name: a.displayName,
          password_hash: passwordHash,
          role: a.role,
          unit_id: unitIds.get(a.unit)!,
          staff_id: staffId,
          created_at: ago(560),
          disabled: a.disabledDaysAgo !== undefined,
          disabled_at: a.disabledDaysAgo !== undefined ? ago(a.disabledDaysAgo) : null,
        };
      }),
    )
    .returning(['id', 'username'])
    .execute();
  // 最近登录 in 人员与权限: a past session per login that was used, long expired (nobody holds its token;
  // the account's next sign-in clears it)
  const accountIds = new Map(accounts.map((r) => [r.username, r.id]));
  const used = ACCOUNTS.filter((a) => a.lastSeenHoursAgo !== undefined && a.disabledDaysAgo === undefined);
  if (used.length > 0)
    await db
      .insertInto('sessions')
      .values(
        used.map((a) => {
          const seen = new Date(ago(0).getTime() - a.lastSeenHoursAgo! * 3_600_000);
          return {
            corp_id: CORP,
            token_hash: randomBytes(32).toString('hex'),
            account_id: accountIds.get(a.username)!,
            csrf_token: randomBytes(16).toString('hex'),
            created_at: seen,
            expires_at: seen,
            last_seen_at: seen,
            ip: null,
            user_agent: null,
          };
        }),
      )
      .execute();

  // Notes staff wrote in Siyu about customers Siyu knows.
  const customerRows = await db
    .selectFrom('customers')
    .select(['id', 'external_userid'])
    .where('corp_id', '=', CORP)
    .execute();
  const customerIds = new Map(customerRows.map((r) => [r.external_userid, r.id]));
  const notes: TimelineEntry[] = [];
  for (const [i, c] of history.plans.entries()) {
    const customerId = customerIds.get(history.externalIds[i]!);
    if (customerId === undefined) continue;
    for (const n of c.notes) {
      const staffId = staffIds.get(n.staff);
      if (staffId === undefined) continue;
      notes.push({
        customerId,
        kind: 'note',
        at: n.at,
        staffId,
        summary: n.text,
        data: { staff_id: staffId },
      });
    }
  }
  const cdb = corpDb(db, CORP);
  for (let i = 0; i < notes.length; i += 500) await addTimeline(cdb, notes.slice(i, i + 500));

  return { syncMs, syncedFollows: run.counts.follows ?? 0, notes: notes.length };
}

/* ---------- 3. Live: customers arrive today, through real callbacks ---------- */

/** The user agent of a demo customer's phone: distinct per person, as WeChat's in-app browser reports it. */
function demoPhone(n: number): string {
  return n % 2
    ? `Mozilla/5.0 (iPhone; CPU iPhone OS 17_${n % 7} like Mac OS X) AppleWebKit/605.1.15 Mobile/15E${148 + n} MicroMessenger/8.0.${40 + (n % 13)} NetType/WIFI Language/zh_CN`
    : `Mozilla/5.0 (Linux; Android 14; V${2300 + n}) AppleWebKit/537.36 MicroMessenger/8.0.${40 + (n % 13)} NetType/5G Language/zh_CN`;
}

async function playLive(
  opts: BuildDemoOptions,
  http: SimHttp,
  history: HistoryResult,
  o: {
    now: Date;
    seed: number;
    liveTotal: number;
    progress: (stage: DemoStage, done: number, total: number) => void;
  },
): Promise<{
  customers: number;
  delivered: number;
  ordersWaiting: number;
  missedAdds: number;
  addsRecovered: number;
}> {
  const { db } = opts;

  // Who arrives: new people (their own generator stream), each scanning a table card or poster in a store.
  const rng = new Random(mixSeed(o.seed, 0x6c697665));
  const people = [...customerPlans(o.liveTotal, mixSeed(o.seed, 0x6e6577), o.now)];
  // Some bought before, in the mini-program (unionid) or at the till (phone): their orders wait, unresolved,
  // until they add a member today and Siyu learns the unionid, or the phone the assistant notes (every other one).
  const earlier = await ingestDemoOrders(
    syncCtxOf(opts.runtime.deps, CORP),
    demoOrders(
      people.map((plan, k) => ({
        plan: k % 2 === 0 ? plan : { ...plan, phone: null },
        key: `L${String(k).padStart(4, '0')}`,
      })),
      o.seed,
      o.now,
      { from: 45, live: true },
    ),
  );
  const steps = o.liveTotal + 5;
  let done = 0;
  const tick = () => o.progress('live', Math.min(++done, steps), steps);
  o.progress('live', 0, steps);

  // HQ's channel codes: one per store for table cards, posters and roll-ups, each routed by Siyu.
  const codes = await createDemoChannels(opts.runtime, history, o.now);
  await opts.runtime.sender.drain();
  const storeCodes = await db
    .selectFrom('channel_codes as k')
    .innerJoin('channels as c', (j) =>
      j.onRef('c.corp_id', '=', 'k.corp_id').onRef('c.id', '=', 'k.channel_id'),
    )
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'k.corp_id').onRef('u.id', '=', 'k.unit_id'),
    )
    .select(['c.method', 'u.code', 'k.config_id', 'k.state'])
    .where('k.corp_id', '=', CORP)
    .where('k.channel_id', 'in', codes)
    .execute();
  const codeOf = (store: string, method: string) =>
    storeCodes.find((k) => k.code === store && k.method === method && k.config_id);

  // Before Siyu's callbacks reached it, a few customers added members: WeCom could not deliver those adds.
  const outage = await playMissedAdds(opts, http, codeOf, {
    now: o.now,
    seed: o.seed,
    count: Math.max(2, Math.round(o.liveTotal / 5)),
  });

  const callbackUrl = `${opts.siyuUrl.replace(/\/+$/, '')}/wecom/callback/${CORP}`;
  await http.corp('PATCH', '', { callback_url: callbackUrl });
  const check = await http.corp('POST', '/verify-callback', {});
  if (!check.ok) {
    throw new Error(
      `the simulator could not verify Siyu's callback URL ${callbackUrl}: ${check.error ?? 'unknown error'} (HTTP ${check.http_status})`,
    );
  }
  const before = await http.corp('GET', '/deliveries?limit=1');
  const sinceId: number = before.deliveries.at(-1)?.id ?? 0;

  const live: { ext: string; userid: string; state: string; store: string }[] = [];
  for (const [k, p] of people.entries()) {
    const ext = await http.createCustomer({
      name: p.name,
      gender: p.gender,
      ...(p.unionid ? { unionid: p.unionid } : {}),
      ...(p.avatar ? { avatar: p.avatar } : {}),
    });
    const placement = rng.weighted(STORE_PLACEMENTS.map((x) => [x, x[2]] as const));
    // The customer scans the store's code for that placement; Siyu's routing picked the member.
    const code = codeOf(p.store, PLACEMENT_METHOD[placement[0]]);
    if (!code?.config_id)
      throw new Error(`the demo's ${placement[1]} code of store ${p.store} is not in WeCom`);
    // The phone opens the material's landing page (a scan) before the customer adds; about one in three
    // opens it again (the same phone, its cookie: still one scan), and every third code is looked at by a
    // passer-by who does not add.
    const landing = `${opts.siyuUrl.replace(/\/+$/, '')}/c/${CORP}/${encodeURIComponent(code.state)}`;
    const look = async (phone: string, cookie?: string) => {
      const res = await fetch(landing, { headers: { 'user-agent': phone, ...(cookie ? { cookie } : {}) } });
      await res.text();
      return res.headers.get('set-cookie')?.split(';')[0];
    };
    const cookie = await look(demoPhone(k));
    if (rng.chance(0.35)) await look(demoPhone(k), cookie);
    if (k % 3 === 1) await look(demoPhone(k + 1000));
    const scanned = await http.scenario('scan-contact-way', {
      config_id: code.config_id,
      external_userid: ext,
    });
    const staff = { userid: scanned.userid };
    const state = code.state;
    live.push({ ext, userid: staff.userid, state, store: p.store });
    // Every other one: the assistant notes the name and phone and tags where they came from.
    if (k % 2 === 0) {
      const city = UNITS.find((u) => u.code === p.store)!.city!;
      await http.scenario('member-edits-contact', {
        userid: staff.userid,
        external_userid: ext,
        remark: clip(`${p.name} 今日新客`, 20),
        ...(p.phone ? { remark_mobiles: [p.phone] } : {}),
        add_tag: [
          history.tagIds.get(`客户来源/${placement[1]}`)!,
          history.tagIds.get(`所属区域/${city}`)!,
          history.tagIds.get('消费等级/新客')!,
        ],
      });
    }
    tick();
  }

  // About half of them scan their store's group code (the QR their welcome carried) right away.
  const groupCodes = await db
    .selectFrom('group_codes as k')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'k.corp_id').onRef('u.id', '=', 'k.unit_id'),
    )
    .select(['u.code', 'k.config_id'])
    .where('k.corp_id', '=', CORP)
    .where('k.config_id', 'is not', null)
    .orderBy('k.id')
    .execute();
  let joined = 0;
  for (const [k, c] of live.entries()) {
    if (k % 2 === 1 && joined >= 2) continue;
    const code = groupCodes.find((g) => g.code === c.store);
    const chat = history.chats.get(c.store)?.[0];
    if (code?.config_id) {
      await http.scenario('join-group', { config_id: code.config_id, external_userid: c.ext });
    } else if (chat) {
      await http.scenario('join-group', { chat_id: chat, external_userid: c.ext, via: 'qr' });
    } else continue;
    joined++;
  }
  tick();

  // A long-standing customer who follows two staff members deletes one of them.
  const leaver = history.plans.findIndex(
    (c) =>
      c.follows.filter((f) => f.status === 'active' && !staffByUserid(f.staff).departedDaysAgo).length >= 2,
  );
  let deleted: { ext: string; userid: string } | null = null;
  if (leaver >= 0) {
    const f = history.plans[leaver]!.follows.filter(
      (x) => x.status === 'active' && !staffByUserid(x.staff).departedDaysAgo,
    )[1]!;
    deleted = { ext: history.externalIds[leaver]!, userid: f.staff };
    await http.scenario('customer-deletes-member', { external_userid: deleted.ext, userid: deleted.userid });
  }
  tick();

  // Wait until the simulator has delivered everything, then until Siyu has handled it.
  const deadline = Date.now() + 60_000;
  await opts.sim?.idle();
  for (;;) {
    const pending = await http.corp('GET', '/deliveries?status=pending&limit=1');
    if (pending.total === 0) break;
    if (Date.now() > deadline) throw new Error(`the simulator still has ${pending.total} callbacks pending`);
    await sleep(50);
  }
  const pushed = await http.corp('GET', `/deliveries?since_id=${sinceId}&limit=10000`);
  const notDelivered = (pushed.deliveries as { status: string; event: string; change_type: string }[]).filter(
    (d) => d.status !== 'delivered',
  );
  if (notDelivered.length) {
    throw new Error(
      `${notDelivered.length} callbacks to Siyu were not delivered: ${notDelivered
        .slice(0, 5)
        .map((d) => `${d.change_type} ${d.status}`)
        .join(', ')}`,
    );
  }
  tick();
  for (;;) {
    await opts.runtime.drain();
    const open = await db
      .selectFrom('wecom_inbox')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('corp_id', '=', CORP)
      .where('status', '!=', 'done')
      .groupBy('status')
      .execute();
    const parked = open.find((r) => r.status === 'parked');
    if (parked) throw new Error(`${parked.n} callbacks are parked in Siyu's inbox`);
    if (open.length === 0) break;
    if (Date.now() > deadline) throw new Error(`Siyu's inbox still has ${open[0]!.n} callbacks to handle`);
    await sleep(100);
  }

  // They are in Siyu now, with their channel.
  const arrived = await db
    .selectFrom('customers as c')
    .innerJoin('follows as f', (j) =>
      j.onRef('f.corp_id', '=', 'c.corp_id').onRef('f.customer_id', '=', 'c.id'),
    )
    .select(['c.external_userid', 'f.state'])
    .where('c.corp_id', '=', CORP)
    .where(
      'c.external_userid',
      'in',
      live.map((c) => c.ext),
    )
    .execute();
  const missing = live.filter(
    (c) => !arrived.some((a) => a.external_userid === c.ext && a.state === c.state),
  );
  if (live.length && missing.length) {
    throw new Error(
      `${missing.length} of today's ${live.length} customers did not reach Siyu through callbacks`,
    );
  }
  if (deleted) {
    const row = await db
      .selectFrom('follows as f')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
      )
      .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
      .select('f.status')
      .where('f.corp_id', '=', CORP)
      .where('c.external_userid', '=', deleted.ext)
      .where('s.userid', '=', deleted.userid)
      .executeTakeFirst();
    if (row?.status !== 'deleted_by_customer') {
      throw new Error(
        `the customer's deletion of ${deleted.userid} did not reach Siyu (${row?.status ?? 'no follow'})`,
      );
    }
  }
  tick();

  // HQ notices the gap and runs a full sync (企业微信 → 全量同步): it recovers the missed adds, attributed to
  // their codes with the welcome marked missed. Each must be past WeCom's welcome window, or the sync leaves
  // it to a callback that will never come.
  const wait = outage.lastAt + WELCOME_WINDOW_SECONDS * 1000 + 1000 - Date.now();
  if (wait > 0) await sleep(wait);
  const recovery = await runFullSync(opts.runtime.deps, CORP);
  const { addsRecovered, channelAddsRecovered } = recovery.counts;
  if (
    recovery.status !== 'done' ||
    addsRecovered !== outage.adds ||
    channelAddsRecovered !== outage.viaCodes
  ) {
    throw new Error(
      `the demo's second full sync ended ${recovery.status} and recovered ${addsRecovered} adds (${channelAddsRecovered} through codes) of the ${outage.adds} (${outage.viaCodes}) Siyu missed`,
    );
  }
  tick();
  return {
    customers: live.length,
    delivered: pushed.deliveries.length,
    ordersWaiting: earlier.orders - earlier.linked,
    missedAdds: outage.adds,
    addsRecovered,
  };
}

/**
 * Customers who added members after Siyu's first sync but while their callbacks could not reach it: most
 * scanned a store's code, the last one found a store member by phone number. The simulator has no callback
 * URL yet, so WeCom keeps these adds to itself; their moments are spread between the first sync and 20 s
 * ago, past WeCom's welcome window. Returns how many, how many through codes, and the last one's time.
 */
async function playMissedAdds(
  opts: BuildDemoOptions,
  http: SimHttp,
  codeOf: (store: string, method: string) => { config_id: string | null } | undefined,
  o: { now: Date; seed: number; count: number },
): Promise<{ adds: number; viaCodes: number; lastAt: number }> {
  const first = await opts.db
    .selectFrom('wecom_sync_runs')
    .select('started_at')
    .where('corp_id', '=', CORP)
    .where('status', '=', 'done')
    .orderBy('id')
    .limit(1)
    .executeTakeFirstOrThrow();
  const from = first.started_at.getTime() + 2000;
  const to = Math.max(from + o.count * 1000, Date.now() - WELCOME_WINDOW_SECONDS * 1000 - 5000);
  const rng = new Random(mixSeed(o.seed, 0x6d697373));
  const people = [...customerPlans(o.count, mixSeed(o.seed, 0x6f757461), o.now)];
  let viaCodes = 0;
  let lastAt = 0;
  try {
    for (const [k, p] of people.entries()) {
      lastAt = from + Math.round(((to - from) * (k + 1)) / (people.length + 1));
      opts.simClock.shiftTo(lastAt);
      const ext = await http.createCustomer({
        name: p.name,
        gender: p.gender,
        ...(p.unionid ? { unionid: p.unionid } : {}),
        ...(p.avatar ? { avatar: p.avatar } : {}),
      });
      if (k < people.length - 1) {
        const placement = rng.weighted(STORE_PLACEMENTS.map((x) => [x, x[2]] as const));
        const code = codeOf(p.store, PLACEMENT_METHOD[placement[0]]);
        if (!code?.config_id)
          throw new Error(`the demo's ${placement[1]} code of store ${p.store} is not in WeCom`);
        await http.scenario('scan-contact-way', { config_id: code.config_id, external_userid: ext });
        viaCodes++;
      } else {
        const member = STAFF.find((s) => s.unit === p.store && s.departedDaysAgo === undefined)!;
        await http.scenario('member-adds-customer', {
          userid: member.userid,
          external_userid: ext,
          add_way: 2,
        });
      }
    }
  } finally {
    opts.simClock.reset();
  }
  return { adds: people.length, viaCodes, lastAt };
}

const PLACEMENT_METHOD: Record<
  (typeof STORE_PLACEMENTS)[number][0],
  'table_card' | 'poster' | 'rollup_banner'
> = {
  tablecard: 'table_card',
  poster: 'poster',
  rollup: 'rollup_banner',
};

/**
 * The channel codes HQ sets up in Siyu on the first day: store codes for each placement in the stores
 * (tagged with where the customer came from and welcoming with the bait), a package card routed to the
 * online team, and a Wangwang invitation (flagged as not scalable). Returns the channels' ids.
 */
/**
 * The 上海静安店 manager tags a few of her store's customers with their region in the console, as HQ asked:
 * their timelines name her as the one who did it, not the member whose follow carries the tag in WeCom.
 */
async function tagAsStoreManager(runtime: Runtime, now: Date): Promise<void> {
  const db = runtime.deps.db;
  const account = await db
    .selectFrom('accounts')
    .select(['id', 'unit_id'])
    .where('corp_id', '=', CORP)
    .where('username', '=', 'sh-jingan')
    .executeTakeFirst();
  const tag = await db
    .selectFrom('tags as t')
    .innerJoin('tag_groups as g', (j) =>
      j.onRef('g.corp_id', '=', 't.corp_id').onRef('g.id', '=', 't.group_id'),
    )
    .select('t.id')
    .where('t.corp_id', '=', CORP)
    .where('g.name', '=', '所属区域')
    .where('t.name', '=', '上海')
    .executeTakeFirst();
  if (!account || !tag) return;
  const customers = await db
    .selectFrom('follows as f')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
    .select('f.customer_id')
    .distinct()
    .where('f.corp_id', '=', CORP)
    .where('s.unit_id', '=', account.unit_id)
    .where('f.status', '=', 'active')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('customer_tags as ct')
            .select('ct.tag_id')
            .whereRef('ct.corp_id', '=', 'f.corp_id')
            .whereRef('ct.customer_id', '=', 'f.customer_id')
            .where('ct.tag_id', '=', tag.id),
        ),
      ),
    )
    .orderBy('f.customer_id')
    .limit(5)
    .execute();
  const ctx = {
    ...ctxFor(runtime.deps, {
      corpId: CORP,
      accountId: account.id,
      role: 'store_manager',
      unitId: account.unit_id,
      seesWholeCorp: false,
      unitIds: [account.unit_id],
      staffId: null,
    }),
    clock: { now: () => now },
  };
  for (const c of customers) await editCustomerTags(ctx, c.customer_id, { add: [tag.id], remove: [] });
}

async function createDemoChannels(runtime: Runtime, history: HistoryResult, now: Date): Promise<number[]> {
  const db = runtime.deps.db;
  const root = await db
    .selectFrom('org_units')
    .select('id')
    .where('corp_id', '=', CORP)
    .where('parent_id', 'is', null)
    .executeTakeFirstOrThrow();
  const tagId = async (name: string) => {
    const wecomId = history.tagIds.get(name);
    if (!wecomId) return [];
    const row = await db
      .selectFrom('tags')
      .select('id')
      .where('corp_id', '=', CORP)
      .where('wecom_tag_id', '=', wecomId)
      .executeTakeFirst();
    return row ? [row.id] : [];
  };
  const online = await db
    .selectFrom('staff')
    .select('id')
    .where('corp_id', '=', CORP)
    .where('journey_role', '=', 'online_ops')
    .where('status', '=', 'active')
    .orderBy('id')
    .execute();
  const ctx = {
    ...syncCtxOf(runtime.deps, CORP),
    clock: { now: () => now },
    actor: {
      corpId: CORP,
      accountId: 0,
      role: 'hq_admin' as const,
      unitId: root.id,
      seesWholeCorp: true,
      unitIds: [root.id],
      staffId: null,
    },
  };
  const welcome = (bait: string) => ({
    text: `{客户昵称}你好，我是禾木茶饮的{员工}～感谢添加！送你一张「${bait}」，到店出示即可使用。`,
    link: { title: '本月新品 · 桂花乌龙', url: 'https://example.com/heamu/new', desc: '限时尝鲜价' },
  });
  const base = {
    unitId: root.id,
    poolStrategy: 'round_robin' as const,
    dailyCap: null,
    workingHours: null,
    skipVerify: true,
    remarkTemplate: '{渠道}-{日期}',
    staff: [],
  };
  const ids: number[] = [];
  // The brand's printed table cards, posters, roll-ups and package cards carry the codes it made in WeCom
  // before Siyu (state `ch_<store>_<placement>`, `ch_online_package`): Siyu's codes keep those states, so the
  // printed material goes on working and the customers who came through it count for their channel.
  const kept: number[] = [];
  const keepState = async (channelId: number, state: (unitCode: string) => string) => {
    const codes = await db
      .selectFrom('channel_codes as k')
      .innerJoin('org_units as u', (j) =>
        j.onRef('u.corp_id', '=', 'k.corp_id').onRef('u.id', '=', 'k.unit_id'),
      )
      .select(['k.id', 'u.code'])
      .where('k.corp_id', '=', CORP)
      .where('k.channel_id', '=', channelId)
      .execute();
    for (const k of codes) {
      await db
        .updateTable('channel_codes')
        .set({ state: state(k.code ?? 'hq') })
        .where('corp_id', '=', CORP)
        .where('id', '=', k.id)
        .execute();
      kept.push(k.id);
    }
  };
  for (const [placement, label, method, bait] of [
    ['tablecard', '门店台卡', 'table_card', '第二杯半价券'],
    ['poster', '门店海报', 'poster', '新品免费试饮'],
    ['rollup', '门店易拉宝', 'rollup_banner', '满30减5券'],
  ] as const) {
    const c = await createChannel(ctx, {
      ...base,
      name: label,
      scene: placement === 'tablecard' ? '收银台' : '门店入口',
      method,
      bait,
      assignMode: 'store',
      welcome: welcome(bait),
      tagIds: await tagId(`客户来源/${label}`),
    });
    await keepState(c.id, (store) => `ch_${store}_${placement}`);
    ids.push(c.id);
  }
  if (online.length) {
    const c = await createChannel(ctx, {
      ...base,
      name: '外卖包裹卡',
      scene: '外卖订单',
      method: 'package_card',
      bait: '晒单返5元',
      assignMode: 'pool',
      dailyCap: 200,
      welcome: welcome('晒单返5元'),
      staff: online.map((s) => ({ staffId: s.id, backup: false })),
      tagIds: await tagId('客户来源/外卖包裹卡'),
    });
    await keepState(c.id, () => 'ch_online_package');
    ids.push(c.id);
    const w = await createChannel(ctx, {
      ...base,
      name: '淘宝旺旺邀请',
      scene: '旺旺售后',
      method: 'wangwang',
      bait: '会员积分翻倍',
      assignMode: 'pool',
      welcome: welcome('会员积分翻倍'),
      staff: online.slice(0, 1).map((s) => ({ staffId: s.id, backup: false })),
      tagIds: [],
    });
    ids.push(w.id);
  }
  // Once WeCom made every «联系我» (some were on their way while the states changed), each is updated to carry
  // its kept state.
  await runtime.sender.drain();
  for (const codeId of kept) await routeCode(ctx, codeId, { force: true });
  await runtime.sender.drain();
  await attributeHistoryAdds(db, now, kept);
  return ids;
}

/**
 * The follows that began through the kept codes before Siyu listened (the first full sync brought them, with
 * their state) are attributed to their channel, as a callback would have: no welcome of Siyu's (none was
 * due), not missed either. Each channel is dated from its first add. Without this the channels' GMV, CAC
 * and ROI would cover today's customers only.
 */
async function attributeHistoryAdds(db: Kysely<Tables>, now: Date, kept: number[]): Promise<void> {
  await sql`
    insert into channel_adds (corp_id, code_id, channel_id, customer_id, staff_id, added_at)
    select f.corp_id, k.id, k.channel_id, f.customer_id, f.staff_id, f.added_at
    from follows f join channel_codes k on k.corp_id = f.corp_id and k.state = f.state
    where f.corp_id = ${CORP} and f.added_at < ${now}
    on conflict (corp_id, customer_id, staff_id, added_at) do nothing`.execute(db);
  await sql`
    update channels c set created_at = least(c.created_at, x.first)
    from (select channel_id, min(added_at) first from channel_adds where corp_id = ${CORP} group by 1) x
    where c.corp_id = ${CORP} and c.id = x.channel_id`.execute(db);
  if (kept.length === 0) return;
  // Each of those adds began with a scan of the printed code a few minutes before, and about three in five
  // of the scanners had scanned it once before without adding (the funnel's scan → add), by visitors of
  // their own ('h…': a landing page's visitor is hex), on the brand's day (UTC+8) as the landing page records
  // them.
  await sql`
    insert into channel_scans (corp_id, code_id, day, visitor, scanned_at)
    select a.corp_id, a.code_id,
      date_trunc('day', s.at at time zone 'Asia/Shanghai') at time zone 'Asia/Shanghai',
      'h' || left(md5('demo-scan|' || a.customer_id || '|' || g.n), 31), s.at
    from channel_adds a
    cross join lateral generate_series(0, case when abs(hashtext(a.customer_id::text)) % 5 < 3 then 1 else 0 end) g(n)
    cross join lateral (select a.added_at - make_interval(mins => 3 + g.n * 60 * 26) as at) s
    where a.corp_id = ${CORP} and a.added_at < ${now}
      and a.code_id in (${sql.join(kept)})
    on conflict do nothing`.execute(db);
  await sql`
    update channel_codes k set scans = (
      select count(*) from channel_scans s where s.corp_id = k.corp_id and s.code_id = k.id)
    where k.corp_id = ${CORP} and k.id in (${sql.join(kept)})`.execute(db);
}
