import { wayMembers } from './contact-ways.ts';
import {
  addFollow,
  createCustomer,
  customerDeletesMember,
  customerIds,
  customerSendsMessage,
  findFollow,
  memberDeletesCustomer,
  memberEditsContact,
} from './contacts.ts';
import { activeMembers } from './directory.ts';
import { SimError } from './errors.ts';
import { findGroupChat, joinGroup, leaveGroup, memberCreatesGroup, QR_JOIN_CAP } from './groups.ts';
import { settleMassTasks } from './mass-send.ts';
import type { ContactWay, CorpState } from './model.ts';
import { Rng, randomSeed } from './random.ts';
import type { Simulator } from './state.ts';

/**
 * A brand's day at a given rate: new customers scanning the corp's «联系我» codes, some adding a second
 * member, some deleting, groups joined and left, messages. Every action goes through the same scenario
 * functions as the control API, so it changes state and pushes the same callbacks. Choices come from a
 * seeded PRNG: the same seed on the same starting state gives the same sequence of actions.
 */

export const POPULATION_KINDS = [
  'new_customer',
  'second_member',
  'customer_deletes',
  'member_deletes',
  'join_group',
  'leave_group',
  'message',
  'edit_contact',
] as const;
export type PopulationKind = (typeof POPULATION_KINDS)[number];

export const DEFAULT_MIX: Record<PopulationKind, number> = {
  new_customer: 40,
  second_member: 5,
  customer_deletes: 4,
  member_deletes: 1,
  join_group: 15,
  leave_group: 3,
  message: 30,
  edit_contact: 2,
};

export interface PopulationOptions {
  rate_per_minute: number;
  duration_s?: number | null;
  mix?: Partial<Record<PopulationKind, number>>;
  seed?: number;
  /** Of the 群发 tasks members get, the share they confirm (default 0.85); the others they ignore. */
  mass_send_confirm_rate?: number;
  /** How long (simulated seconds) a member takes to look at a 群发 task (default 60). */
  mass_send_delay_s?: number;
}

export const DEFAULT_MASS_SEND_BEHAVIOUR = { confirmRate: 0.85, delayS: 60 };

export interface PopulationProgress {
  corpid: string;
  status: 'running' | 'stopped' | 'finished' | 'failed';
  seed: number;
  rate_per_minute: number;
  duration_s: number | null;
  mix: Record<PopulationKind, number>;
  started_at: string;
  elapsed_s: number;
  done: number;
  counts: Record<PopulationKind, number>;
  skipped: number;
  errors: number;
  last_error: string | null;
  /** 群发 tasks the population's members confirmed and ignored. */
  mass_sends: { confirmed: number; ignored: number };
}

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN =
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲建红文云飞亮燕宁欣悦琳晨雪梅婷倩颖佳怡思雨萱子涵浩宇轩然博文欢乐心语嘉琪';
const MESSAGES = [
  '你好，请问今天有什么优惠吗？',
  '我想预约周六下午',
  '上次买的很好喝，还有吗',
  '会员积分怎么查？',
  '门店几点关门呀',
  '可以帮我开发票吗',
  '收到，谢谢！',
  '新品什么时候上市？',
  '优惠券怎么用',
  '👍',
];
const GROUP_NAMES = ['福利群', '新客群', '会员群', '门店群', '粉丝群'];

export class PopulationRunner {
  private rng: number;
  private readonly seed: number;
  private readonly mix: Record<PopulationKind, number>;
  private readonly counts = Object.fromEntries(POPULATION_KINDS.map((k) => [k, 0])) as Record<
    PopulationKind,
    number
  >;
  private status: PopulationProgress['status'] = 'stopped';
  private startedWall = performance.now();
  private startedAt: string;
  private attempted = 0;
  private done = 0;
  private skipped = 0;
  private errors = 0;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly massSends = { confirmed: 0, ignored: 0 };

  constructor(
    private readonly sim: Simulator,
    private readonly corpid: string,
    private readonly opts: PopulationOptions,
  ) {
    this.seed = opts.seed ?? randomSeed();
    this.rng = new Rng(this.seed).state;
    this.mix = { ...DEFAULT_MIX, ...opts.mix };
    this.startedAt = sim.clock.now().toISOString();
  }

  /** Runs in the background at rate_per_minute (wall time) until duration_s or stop(). */
  start(): void {
    this.status = 'running';
    this.startedWall = performance.now();
    const tickMs = Math.max(20, Math.min(1000, Math.floor(60_000 / this.opts.rate_per_minute)));
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.status === 'running') this.status = 'stopped';
  }

  /** Runs `count` actions now (tests, or a burst from the control API), as one simulator operation. */
  step(count: number): void {
    this.attempted += count;
    const step: PopulationStep = {
      corpid: this.corpid,
      mix: this.mix,
      rng: this.rng,
      count,
      mass_sends: {
        confirmRate: this.opts.mass_send_confirm_rate ?? DEFAULT_MASS_SEND_BEHAVIOUR.confirmRate,
        delayS: this.opts.mass_send_delay_s ?? DEFAULT_MASS_SEND_BEHAVIOUR.delayS,
      },
    };
    const outcome = this.sim.run<StepOutcome>(POPULATION_OP, step);
    this.rng = outcome.rng;
    for (const [kind, n] of Object.entries(outcome.performed) as [PopulationKind, number][]) {
      this.counts[kind] += n;
      this.done += n;
    }
    this.skipped += outcome.skipped;
    this.errors += outcome.errors;
    this.massSends.confirmed += outcome.massSends?.confirmed ?? 0;
    this.massSends.ignored += outcome.massSends?.ignored ?? 0;
    this.lastError = outcome.lastError ?? this.lastError;
  }

  progress(): PopulationProgress {
    return {
      corpid: this.corpid,
      status: this.status,
      seed: this.seed,
      rate_per_minute: this.opts.rate_per_minute,
      duration_s: this.opts.duration_s ?? null,
      mix: this.mix,
      started_at: this.startedAt,
      elapsed_s: Math.round((performance.now() - this.startedWall) / 100) / 10,
      done: this.done,
      counts: { ...this.counts },
      skipped: this.skipped,
      errors: this.errors,
      last_error: this.lastError,
      mass_sends: { ...this.massSends },
    };
  }

  private tick(): void {
    const elapsedMs = performance.now() - this.startedWall;
    const durationMs = this.opts.duration_s ? this.opts.duration_s * 1000 : Number.POSITIVE_INFINITY;
    const due = Math.floor((Math.min(elapsedMs, durationMs) * this.opts.rate_per_minute) / 60_000);
    const batch = Math.min(due - this.attempted, 5000);
    if (batch > 0) this.step(batch);
    if (elapsedMs >= durationMs) {
      this.stop();
      this.status = 'finished';
    }
    if (!this.sim.findCorp(this.corpid)) {
      this.stop();
      this.status = 'failed';
      this.lastError = `corp ${this.corpid} was deleted`;
    }
  }
}

const POPULATION_OP = 'population';

/** One journaled step of a runner: `count` actions drawn from `rng` (the runner's generator state). */
interface PopulationStep {
  corpid: string;
  mix: Record<PopulationKind, number>;
  rng: number;
  count: number;
  /** How members treat their 群发 tasks in this step; absent in steps journaled before it existed. */
  mass_sends?: { confirmRate: number; delayS: number };
}

interface StepOutcome {
  performed: Partial<Record<PopulationKind, number>>;
  skipped: number;
  errors: number;
  lastError: string | null;
  /** The generator's state after the step. */
  rng: number;
  massSends?: { confirmed: number; ignored: number };
}

/** Performs a step's actions on the state: what the runner's operation replays. */
class PopulationActor {
  private readonly rng = new Rng(0);
  private readonly outcome: StepOutcome = { performed: {}, skipped: 0, errors: 0, lastError: null, rng: 0 };

  constructor(
    private readonly sim: Simulator,
    private readonly step: PopulationStep,
  ) {
    this.rng.state = step.rng;
  }

  run(): StepOutcome {
    for (let i = 0; i < this.step.count; i++) this.act();
    const corp = this.sim.findCorp(this.step.corpid);
    if (corp && this.step.mass_sends) {
      this.outcome.massSends = settleMassTasks(this.sim, corp, {
        ...this.step.mass_sends,
        chance: (p) => this.rng.chance(p),
      });
    }
    this.outcome.rng = this.rng.state;
    return this.outcome;
  }

  private act(): void {
    const corp = this.sim.findCorp(this.step.corpid);
    if (!corp) return;
    const kind = this.rng.weighted(this.step.mix);
    try {
      const performed = this.perform(corp, kind) ?? this.perform(corp, 'new_customer');
      if (performed) this.outcome.performed[performed] = (this.outcome.performed[performed] ?? 0) + 1;
      else this.outcome.skipped++;
    } catch (err) {
      // A conflict (already a member, group full…) is a customer who could not do it: skipped, not an error.
      if (err instanceof SimError && err.status === 409 && err.code !== 'no_member') {
        this.outcome.skipped++;
        return;
      }
      this.outcome.errors++;
      this.outcome.lastError = err instanceof Error ? err.message : String(err);
    }
  }

  /** The kind performed, or null when the state does not allow it (e.g. no follow to delete). */
  private perform(corp: CorpState, kind: PopulationKind): PopulationKind | null {
    const { sim, rng } = this;
    switch (kind) {
      case 'new_customer': {
        const way = this.contactWay(corp);
        if (!way) return null;
        const members = wayMembers(corp, way);
        if (members.length === 0) return null;
        const customer = createCustomer(sim, corp, {
          name: this.name(),
          gender: rng.pick([0, 1, 2] as const),
        });
        sim.countScenario(corp.corpid, 'population:new_customer');
        const userid = members[way.next_index % members.length]!;
        way.next_index = (way.next_index + 1) % members.length;
        addFollow(sim, corp, {
          userid,
          external_userid: customer.external_userid,
          add_way: 1,
          state: way.state,
          oper_userid: customer.external_userid,
        });
        return kind;
      }
      case 'second_member': {
        const externalUserid = this.customerWithFollow(corp);
        if (!externalUserid) return null;
        const others = activeMembers(corp).filter((m) => !findFollow(corp, m.userid, externalUserid));
        if (others.length === 0) return null;
        addFollow(sim, corp, {
          userid: rng.pick(others).userid,
          external_userid: externalUserid,
          add_way: rng.pick([1, 3, 4]),
          state: '',
          oper_userid: externalUserid,
        });
        return kind;
      }
      case 'customer_deletes':
      case 'member_deletes': {
        const follow = this.randomFollow(corp);
        if (!follow) return null;
        if (kind === 'customer_deletes') customerDeletesMember(sim, corp, follow);
        else memberDeletesCustomer(sim, corp, follow);
        return kind;
      }
      case 'join_group': {
        const externalUserid = this.customerWithFollow(corp);
        if (!externalUserid) return null;
        const joinWays = Object.values(corp.join_ways).filter((w) =>
          w.chat_id_list.some((id) => findGroupChat(corp, id)),
        );
        if (joinWays.length > 0 && rng.chance(0.7)) {
          joinGroup(sim, corp, { config_id: rng.pick(joinWays).config_id, external_userid: externalUserid });
          return kind;
        }
        const open = Object.values(corp.groups).filter(
          (g) =>
            !g.dismissed &&
            g.members.length < QR_JOIN_CAP &&
            !g.members.some((m) => m.userid === externalUserid),
        );
        const chatId = open.length > 0 ? rng.pick(open).chat_id : this.newGroup(corp);
        if (!chatId) return null;
        joinGroup(sim, corp, {
          chat_id: chatId,
          external_userid: externalUserid,
          via: rng.chance(0.8) ? 'qr' : 'invite',
        });
        return kind;
      }
      case 'leave_group': {
        const groups = Object.values(corp.groups).filter(
          (g) => !g.dismissed && g.members.some((m) => m.type === 2),
        );
        if (groups.length === 0) return null;
        const group = rng.pick(groups);
        const leaver = rng.pick(group.members.filter((m) => m.type === 2));
        leaveGroup(sim, corp, {
          chat_id: group.chat_id,
          external_userid: leaver.userid,
          ...(rng.chance(0.1) ? { removed_by: group.owner } : {}),
        });
        return kind;
      }
      case 'message': {
        const follow = this.randomFollow(corp);
        if (!follow) return null;
        customerSendsMessage(sim, corp, { ...follow, content: rng.pick(MESSAGES) });
        return kind;
      }
      case 'edit_contact': {
        const follow = this.randomFollow(corp);
        if (!follow) return null;
        const tags = corp.tag_groups.flatMap((g) => g.tags);
        memberEditsContact(sim, corp, {
          ...follow,
          remark: `${corp.customers[follow.external_userid]?.name ?? ''}-${rng.pick(['老客', '新客', 'VIP', '意向'])}`,
          ...(tags.length > 0 ? { add_tag: [rng.pick(tags).id] } : {}),
        });
        return kind;
      }
    }
  }

  private name(): string {
    return this.rng.pick([...SURNAMES]) + this.rng.string(1 + this.rng.int(2), GIVEN);
  }

  /** A contact way to scan; creates one over all members (state "population") when the corp has none. */
  private contactWay(corp: CorpState): ContactWay | null {
    const ways = Object.values(corp.contact_ways).filter((w) => wayMembers(corp, w).length > 0);
    if (ways.length > 0) return this.rng.pick(ways);
    const members = activeMembers(corp).slice(0, 100);
    if (members.length === 0)
      throw new SimError(409, 'no_member', `corp ${corp.corpid} has no member to add customers`);
    const way: ContactWay = {
      config_id: this.sim.ids.configId(),
      type: members.length === 1 ? 1 : 2,
      scene: 2,
      style: null,
      remark: 'population',
      skip_verify: true,
      state: 'population',
      user: members.map((m) => m.userid),
      party: [],
      is_temp: false,
      expires_in: null,
      chat_expires_in: null,
      unionid: '',
      conclusions: null,
      qr_code: this.sim.ids.qrCode(),
      create_time: this.sim.nowS(),
      next_index: 0,
    };
    corp.contact_ways[way.config_id] = way;
    return way;
  }

  /** A random customer who follows at least one member (a few random tries, then a full scan). */
  private customerWithFollow(corp: CorpState): string | null {
    const ids = customerIds(corp);
    for (let i = 0; i < 8 && ids.length > 0; i++) {
      const id = this.rng.pick(ids);
      if (corp.follows[id]?.length) return id;
    }
    const withFollows = Object.keys(corp.follows);
    return withFollows.length > 0 ? this.rng.pick(withFollows) : null;
  }

  private randomFollow(corp: CorpState): { userid: string; external_userid: string } | null {
    const externalUserid = this.customerWithFollow(corp);
    if (!externalUserid) return null;
    const follow = this.rng.pick(corp.follows[externalUserid]!);
    return { userid: follow.userid, external_userid: externalUserid };
  }

  private newGroup(corp: CorpState): string | null {
    const members = activeMembers(corp);
    if (members.length === 0) return null;
    const owner = this.rng.pick(members);
    const count = Object.keys(corp.groups).length + 1;
    return memberCreatesGroup(this.sim, corp, {
      owner: owner.userid,
      name: `${this.rng.pick(GROUP_NAMES)}${count}`,
    }).group.chat_id;
  }
}

/** One runner per corp. */
export class Populations {
  private readonly runners = new Map<string, PopulationRunner>();

  constructor(private readonly sim: Simulator) {
    sim.defineOp<PopulationStep>(POPULATION_OP, (step) => new PopulationActor(sim, step).run());
  }

  start(corpid: string, opts: PopulationOptions): PopulationProgress {
    this.sim.corp(corpid);
    this.runners.get(corpid)?.stop();
    const runner = new PopulationRunner(this.sim, corpid, opts);
    this.runners.set(corpid, runner);
    runner.start();
    return runner.progress();
  }

  /** Runs `count` actions at once with a fresh runner (not kept). */
  steps(corpid: string, count: number, opts: Omit<PopulationOptions, 'rate_per_minute'>): PopulationProgress {
    this.sim.corp(corpid);
    const runner = new PopulationRunner(this.sim, corpid, { ...opts, rate_per_minute: 0 });
    runner.step(count);
    return { ...runner.progress(), status: 'finished' };
  }

  get(corpid: string): PopulationRunner | undefined {
    return this.runners.get(corpid);
  }

  stop(corpid: string): PopulationProgress | undefined {
    const runner = this.runners.get(corpid);
    runner?.stop();
    return runner?.progress();
  }

  stopAll(): void {
    for (const runner of this.runners.values()) runner.stop();
  }
}
