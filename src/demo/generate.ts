import {
  DESCRIPTIONS,
  GIVEN_FEMALE,
  GIVEN_MALE,
  NICKNAME_SUFFIXES,
  NICKNAMES,
  NOTES,
  ONLINE_CHANNELS,
  REMARK_FEATURES,
  STAFF,
  STORE_PLACEMENTS,
  type StaffDef,
  SURNAMES,
  UNITS,
  type UnitDef,
} from './brand.ts';
import { BASE62, mixSeed, Random } from './random.ts';

/**
 * Generates the demo brand's customers in memory, without I/O: everything comes from one seeded PRNG, so the
 * same seed and `now` give the same customers. seed.ts writes the plan to the database.
 */

const DAY = 86_400_000;
const MINUTE = 60_000;
/** Shanghai is UTC+8 all year: business hours are computed there. */
const SHANGHAI = 8 * 3_600_000;

/** WeCom's add_way codes. */
export const ADD_WAY = {
  scanQr: 1,
  searchPhone: 2,
  nameCard: 3,
  groupChat: 4,
  acquisitionLink: 16,
  /** 管理员/负责人分配: what WeCom reports for a customer transferred from a departed colleague. */
  assigned: 202,
} as const;

export interface FollowPlan {
  staff: string;
  remark: string | null;
  description: string | null;
  addWay: number;
  state: string | null;
  journeyRole: string;
  status: 'active' | 'deleted_by_customer' | 'deleted_by_staff';
  addedAt: Date;
  endedAt: Date | null;
  /** Set on a follow created by transfer on departure (离职继承): the departed colleague. */
  transferredFrom: string | null;
}

export interface TagPlan {
  group: string;
  tag: string;
  staff: string;
  at: Date;
}

export interface NotePlan {
  staff: string;
  at: Date;
  text: string;
}

export interface CustomerPlan {
  externalUserid: string;
  unionid: string | null;
  name: string;
  gender: 0 | 1 | 2;
  avatar: string | null;
  phone: string | null;
  store: string;
  follows: FollowPlan[];
  tags: TagPlan[];
  notes: NotePlan[];
  firstAddedAt: Date;
  updatedAt: Date;
}

interface Ctx {
  rng: Random;
  now: number;
  externalIds: Set<string>;
  phones: Set<string>;
}

const STORES = UNITS.filter((u) => u.kind === 'store');
const ONLINE_OPS = STAFF.filter((s) => s.journeyRole === 'online_ops');
const unitOf = new Map(UNITS.map((u) => [u.code, u]));
const staffOf = new Map(STAFF.map((s) => [s.userid, s]));

export function unitByCode(code: string): UnitDef {
  const unit = unitOf.get(code);
  if (!unit) throw new Error(`Unknown demo unit ${code}`);
  return unit;
}

export function staffByUserid(userid: string): StaffDef {
  const staff = staffOf.get(userid);
  if (!staff) throw new Error(`Unknown demo staff ${userid}`);
  return staff;
}

export function joinedDaysAgo(s: StaffDef): number {
  return s.joinedDaysAgo ?? unitByCode(s.unit).openedDaysAgo;
}

/**
 * The customers of the demo brand, one at a time so that a large brand never sits in memory whole. Their
 * order is not chronological (as after a first sync of a brand's existing WeCom customers).
 */
export function* customerPlans(count: number, seed: number, now: Date): Generator<CustomerPlan> {
  const shared = { now: now.getTime(), externalIds: new Set<string>(), phones: new Set<string>() };
  // One stream per customer: a customer that comes out differently for another `now` (a staff member who had
  // not joined yet, a date past `now`) does not shift every customer after it.
  for (let i = 0; i < count; i++) yield generateCustomer({ ...shared, rng: new Random(mixSeed(seed, i)) });
}

export function generateCustomers(count: number, seed: number, now: Date): CustomerPlan[] {
  return [...customerPlans(count, seed, now)];
}

export function staffMobile(rng: Random): string {
  return mobile(rng);
}

function generateCustomer(ctx: Ctx): CustomerPlan {
  const { rng } = ctx;
  const store = rng.weighted(STORES.map((u) => [u, u.weight ?? 1] as const));
  const nickname = rng.chance(0.28);
  const gender: 0 | 1 | 2 = nickname
    ? rng.weighted([
        [2, 6],
        [1, 3],
        [0, 1],
      ] as const)
    : rng.chance(0.66)
      ? 2
      : 1;
  const name = nickname ? rng.pick(NICKNAMES) + rng.pick(NICKNAME_SUFFIXES) : chineseName(rng, gender === 1);
  const externalUserid = unique(ctx.externalIds, () => `wm${rng.string(BASE62, 28)}`);
  const unionid = rng.chance(0.7) ? `o${rng.string(BASE62, 27)}` : null;
  const phone = rng.chance(0.6) ? unique(ctx.phones, () => mobile(rng)) : null;
  const avatar = rng.chance(0.75) ? avatarUrl(name, rng.int(0, AVATAR_COLOURS.length - 1)) : null;

  const who: Who = { name, gender, nickname, phone };
  const follows: FollowPlan[] = [];
  const follows_ = (userid: string) => follows.some((f) => f.staff === userid);

  // The first relationship: a store's shop assistant (scan at the counter), or the HQ online ops team
  // (take-away package card, mini-program, SMS), which receives adds from every city.
  const viaStore = rng.chance(0.6);
  if (viaStore) {
    const at = businessTime(ctx, recentSkew(rng, store.openedDaysAgo));
    const staff = storeStaffAt(ctx, store.code, at);
    const placement = rng.weighted(STORE_PLACEMENTS.map((p) => [p, p[2]] as const));
    const scan = rng.chance(0.82);
    follows.push(
      follow(ctx, staff, who, at, {
        addWay: scan ? ADD_WAY.scanQr : rng.pick([ADD_WAY.searchPhone, ADD_WAY.nameCard, ADD_WAY.groupChat]),
        state: scan ? `ch_${store.code}_${placement[0]}` : null,
      }),
    );
  } else {
    const at = businessTime(ctx, recentSkew(rng, 540));
    const staff = rng.weighted(ONLINE_OPS.map((s) => [s, s.weight ?? 1] as const));
    const link = rng.chance(0.15);
    const channel = rng.weighted(ONLINE_CHANNELS.map((c) => [c, c[2]] as const));
    follows.push(
      follow(ctx, staff, who, at, {
        addWay: link ? ADD_WAY.acquisitionLink : ADD_WAY.scanQr,
        state: link ? 'ch_online_link' : channel[0],
      }),
    );
  }

  // ~15 % also add a second staff member along their journey, a few a third: the store assistant plus the HQ
  // online ops, or the region's tea expert.
  const extra = rng.weighted([
    [0, 82],
    [1, 15],
    [2, 3],
  ] as const);
  const expert = STAFF.find((s) => s.unit === store.parent && s.persona === 'expert')!;
  for (let k = 0; k < extra; k++) {
    const kind = k === 1 || rng.chance(0.25) ? 'expert' : viaStore ? 'ops' : 'store';
    const earliest = Math.max(follows[0]!.addedAt.getTime() + DAY, ctx.now - store.openedDaysAgo * DAY);
    if (earliest >= ctx.now - DAY) continue;
    const spanDays = (ctx.now - earliest) / DAY;
    const at = businessTime(ctx, spanDays * (1 - rng.next()));
    const staff =
      kind === 'expert'
        ? expert
        : kind === 'ops'
          ? rng.weighted(ONLINE_OPS.map((s) => [s, s.weight ?? 1] as const))
          : storeStaffAt(ctx, store.code, at);
    if (follows_(staff.userid)) continue;
    const isOps = kind === 'ops';
    follows.push(
      follow(ctx, staff, who, at, {
        addWay: isOps
          ? rng.pick([ADD_WAY.scanQr, ADD_WAY.acquisitionLink])
          : rng.pick([ADD_WAY.nameCard, ADD_WAY.nameCard, ADD_WAY.groupChat, ADD_WAY.scanQr]),
        state: isOps ? rng.pick(['ch_online_miniapp', 'ch_online_package']) : null,
      }),
    );
  }

  // Relationships end: a customer deletes a staff member now and then; departed staff hand theirs over.
  for (const f of [...follows]) {
    const staff = staffByUserid(f.staff);
    if (staff.departedDaysAgo !== undefined) {
      const leftAt = new Date(ctx.now - staff.departedDaysAgo * DAY);
      f.status = 'deleted_by_staff';
      f.endedAt = leftAt;
      const colleague = storeStaffAt(
        ctx,
        staff.unit,
        leftAt.getTime() + DAY,
        follows.map((x) => x.staff),
      );
      if (!follows_(colleague.userid)) {
        const at = businessTime(ctx, staff.departedDaysAgo - rng.int(1, 3));
        follows.push({
          ...follow(ctx, colleague, who, at, { addWay: ADD_WAY.assigned, state: null }),
          remark: f.remark,
          description: f.description,
          transferredFrom: staff.userid,
        });
      }
    } else if (rng.chance(0.05)) {
      const span = ctx.now - f.addedAt.getTime();
      f.status = 'deleted_by_customer';
      f.endedAt = new Date(f.addedAt.getTime() + Math.floor(span * (0.1 + 0.9 * rng.next())));
    }
  }

  const firstAddedAt = new Date(Math.min(...follows.map((f) => f.addedAt.getTime())));
  const tags = chooseTags(ctx, store, follows);
  const notes: NotePlan[] = [];
  if (rng.chance(0.1)) {
    const f = rng.pick(follows);
    notes.push({ staff: f.staff, at: laterThan(ctx, f, 60), text: rng.pick(NOTES) });
  }
  const times = [
    ...follows.flatMap((f) => [f.addedAt, f.endedAt]),
    ...tags.map((t) => t.at),
    ...notes.map((n) => n.at),
  ].filter((d): d is Date => d !== null);
  const updatedAt = new Date(Math.max(...times.map((d) => d.getTime())));
  return {
    externalUserid,
    unionid,
    name,
    gender,
    avatar,
    phone,
    store: store.code,
    follows,
    tags,
    notes,
    firstAddedAt,
    updatedAt,
  };
}

interface Who {
  name: string;
  gender: 0 | 1 | 2;
  nickname: boolean;
  phone: string | null;
}

function follow(
  ctx: Ctx,
  staff: StaffDef,
  who: Who,
  at: number,
  how: { addWay: number; state: string | null },
): FollowPlan {
  const { rng } = ctx;
  return {
    staff: staff.userid,
    remark: rng.chance(0.68) ? remark(rng, who) : null,
    description: rng.chance(0.12) ? rng.pick(DESCRIPTIONS) : null,
    addWay: how.addWay,
    state: how.state,
    journeyRole: staff.journeyRole,
    status: 'active',
    addedAt: new Date(at),
    endedAt: null,
    transferredFrom: null,
  };
}

/** '王女士 爱喝果茶', '李先生 尾号5678', 'Cici 芝士奶盖控'. */
function remark(rng: Random, who: Who): string {
  let base: string;
  if (who.nickname) base = who.name.replace(/[^\p{L}\p{N}]/gu, '') || who.name;
  else if (rng.chance(0.3)) base = who.name;
  else base = `${surnameOf(who.name)}${who.gender === 1 ? '先生' : '女士'}`;
  if (who.phone && rng.chance(0.25)) return `${base} 尾号${who.phone.slice(-4)}`;
  return rng.chance(0.8) ? `${base} ${rng.pick(REMARK_FEATURES)}` : base;
}

function surnameOf(name: string): string {
  const double = SURNAMES.find(([s]) => s.length === 2 && name.startsWith(s));
  return double ? double[0] : name.slice(0, 1);
}

function chineseName(rng: Random, male: boolean): string {
  const chars = male ? GIVEN_MALE : GIVEN_FEMALE;
  const given = rng.chance(0.7) ? rng.pick(chars) + rng.pick(chars) : rng.pick(chars);
  return rng.weighted(SURNAMES) + given;
}

const MOBILE_PREFIXES = [
  '130',
  '131',
  '132',
  '133',
  '135',
  '136',
  '137',
  '138',
  '139',
  '150',
  '151',
  '152',
  '155',
  '156',
  '157',
  '158',
  '159',
  '166',
  '173',
  '176',
  '177',
  '180',
  '181',
  '182',
  '183',
  '185',
  '186',
  '187',
  '188',
  '189',
  '191',
  '198',
  '199',
];

function mobile(rng: Random): string {
  return rng.pick(MOBILE_PREFIXES) + rng.string('0123456789', 8);
}

const AVATAR_COLOURS = [
  '#7cb305',
  '#08979c',
  '#d48806',
  '#c41d7f',
  '#1d39c4',
  '#531dab',
  '#d4380d',
  '#389e0d',
];

/** A deterministic, self-contained placeholder: a coloured disc with the first character of the name. */
function avatarUrl(name: string, colour: number): string {
  const initial = [...name][0] ?? '?';
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="32" fill="${AVATAR_COLOURS[colour]}"/>` +
    `<text x="32" y="42" font-size="28" text-anchor="middle" fill="#fff" font-family="sans-serif">${escapeXml(initial)}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function unique(seen: Set<string>, make: () => string): string {
  for (;;) {
    const v = make();
    if (!seen.has(v)) {
      seen.add(v);
      return v;
    }
  }
}

/** Days ago, skewed towards the recent past: a growing brand adds more customers every month. */
function recentSkew(rng: Random, maxDaysAgo: number): number {
  return maxDaysAgo * rng.next() ** 1.4;
}

/** A moment on the Shanghai calendar day `daysAgo` days before now, between 09:00 and 22:00, never in the future. */
function businessTime(ctx: Ctx, daysAgo: number): number {
  const { rng, now } = ctx;
  const day = now - Math.max(0, daysAgo) * DAY;
  const midnight = Math.floor((day + SHANGHAI) / DAY) * DAY - SHANGHAI;
  // Busier at lunch and after work.
  const hour = rng.weighted([
    [9, 2],
    [10, 3],
    [11, 5],
    [12, 8],
    [13, 7],
    [14, 5],
    [15, 6],
    [16, 5],
    [17, 6],
    [18, 8],
    [19, 7],
    [20, 5],
    [21, 3],
  ] as const);
  const t = midnight + hour * 3_600_000 + rng.int(0, 3_599) * 1000;
  // Always draw the fallback, so that the sequence (hence the brand) does not depend on the time of day of `now`.
  const fallback = now - rng.int(1, 90) * MINUTE;
  return t < now ? t : fallback;
}

/**
 * When a staff member acts on a follow: mostly right after adding the customer (tagging while chatting), else
 * during business hours within `days` days, never after the relationship ended or in the future.
 */
function laterThan(ctx: Ctx, f: FollowPlan, days = 20): Date {
  const { rng } = ctx;
  const from = f.addedAt.getTime();
  const until = Math.min(f.endedAt?.getTime() ?? ctx.now, ctx.now);
  const at = rng.chance(0.6)
    ? from + rng.int(1, 30) * MINUTE
    : businessTime(ctx, (ctx.now - from) / DAY - rng.int(1, days));
  return new Date(Math.max(from + MINUTE, Math.min(at, until)));
}

/** A store's staff member who was with the store at time `at`, by weight; `exclude` skips some. */
function storeStaffAt(ctx: Ctx, store: string, at: number, exclude: string[] = []): StaffDef {
  const daysAgo = (ctx.now - at) / DAY;
  const present = STAFF.filter(
    (s) =>
      s.unit === store &&
      !exclude.includes(s.userid) &&
      joinedDaysAgo(s) >= daysAgo &&
      (s.departedDaysAgo === undefined || s.departedDaysAgo < daysAgo),
  );
  const pool = present.length > 0 ? present : STAFF.filter((s) => s.unit === store && s.title === '店长');
  return ctx.rng.weighted(pool.map((s) => [s, s.weight ?? 1] as const));
}

/** 0–4 tags that agree with the customer: where they came from, their city, taste, spend, membership. */
function chooseTags(ctx: Ctx, store: UnitDef, follows: FollowPlan[]): TagPlan[] {
  const { rng } = ctx;
  const first = follows[0]!;
  const ops = follows.find((f) => f.journeyRole === 'online_ops') ?? first;
  const front = follows.find((f) => f.journeyRole !== 'online_ops') ?? first;
  const out: TagPlan[] = [];
  const add = (group: string, tag: string, by: FollowPlan) => {
    out.push({ group, tag, staff: by.staff, at: laterThan(ctx, by) });
  };

  // A franchise enquiry the store passed on to HQ: tagged in HQ's own group, which stores do not see.
  const enquiry = follows.find((f) => f.description?.includes('加盟'));
  if (enquiry) add('招商线索', '加盟意向', enquiry);
  const source = sourceTag(first.state);
  if (source && rng.chance(0.55)) add('客户来源', source, first);
  if (rng.chance(0.5)) add('所属区域', store.city!, ops);
  if (rng.chance(0.45)) {
    for (const taste of rng.sample(
      ['果茶', '奶茶', '纯茶', '少糖', '芝士奶盖', '低因'],
      rng.chance(0.7) ? 1 : 2,
    )) {
      add('口味偏好', taste, front);
    }
  }
  if (rng.chance(0.35)) {
    const ageDays = (ctx.now - first.addedAt.getTime()) / DAY;
    const level =
      ageDays < 30
        ? '新客'
        : rng.weighted([
            ['复购客', 5],
            ['高频客', 2],
            ['沉睡客', ageDays > 120 ? 3 : 0.5],
          ] as const);
    add('消费等级', level, front);
  }
  if (rng.chance(0.3)) {
    add(
      '会员',
      rng.weighted([
        ['普通会员', 6],
        ['银卡会员', 3],
        ['金卡会员', 1],
      ] as const),
      ops,
    );
  }
  return out.slice(0, 4);
}

function sourceTag(state: string | null): string | null {
  if (!state) return null;
  if (state === 'ch_online_link') return '小程序';
  const online = ONLINE_CHANNELS.find(([s]) => s === state);
  if (online) return online[1];
  const placement = STORE_PLACEMENTS.find(([p]) => state.endsWith(`_${p}`));
  return placement ? placement[1] : null;
}
