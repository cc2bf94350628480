import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../demo/shift-clock.ts';
import type { Actor } from '../../platform/actor.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { createChannel, getChannel } from '../channels/service.ts';
import { type Ctx, ctxFor, syncCtxOf } from '../context.ts';
import { refreshFacts } from '../customers/facts.ts';
import { ARCHIVE_JOB } from '../outreach/index.ts';
import { ADVANCE_JOB } from './engine.ts';
import { RESULTS_JOB } from './results.ts';
import { createJourney, getJourney, setJourneyStatus } from './service.ts';
import { templateOf } from './templates.ts';

/**
 * The playbook's new-customer journey through the simulator, on a clock the test moves (Siyu's and the
 * simulator's): two customers scan a store's table card; each gets the day-0 welcome pack and the day-3 trust
 * content from the staff member they added, and on day 7 only the price-sensitive one gets the coupon.
 */
const DAY = 86_400_000;
const clock = new ShiftableClock();
let t: Linked;
let journeyId: number;
let plain: string;
beforeAll(async () => {
  // 11:00 in Shanghai
  clock.shiftTo(new Date('2026-07-01T03:00:00Z'));
  t = await openLinked({ clock });
});
afterAll(() => t.close());

const actor = (role: Actor['role'], unitId: number, unitIds: number[], whole = false): Actor => ({
  corpId: 'acme',
  accountId: 0,
  role,
  unitId,
  seesWholeCorp: whole,
  unitIds,
  staffId: null,
});
const hq = (): Ctx =>
  ctxFor(t.app.runtime.deps, actor('hq_admin', t.fx.units.hq, Object.values(t.fx.units), true));
const store = (): Ctx => ctxFor(t.app.runtime.deps, actor('store_manager', t.fx.units.sh1, [t.fx.units.sh1]));

async function customerId(ext: string) {
  const row = await t.database.db
    .selectFrom('customers')
    .select('id')
    .where('corp_id', '=', 'acme')
    .where('external_userid', '=', ext)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The 1:1 messages WeCom has from Siyu's journeys, per customer name in the text. */
async function massSends(): Promise<{ userid: string; text: string }[]> {
  const list = (await t.corp('GET', '/mass-sends')).mass_sends as {
    text?: { content: string };
    tasks: { userid: string }[];
  }[];
  return list.map((m) => ({ userid: m.tasks[0]!.userid, text: m.text?.content ?? '' }));
}

/** A day's sends go out in parallel: compared sorted. */
const sortedTexts = (sends: { text: string }[]) => sends.map((s) => s.text).sort();

async function runDay() {
  await t.settle();
  await t.app.runtime.runJob(ADVANCE_JOB);
  await t.settle();
}

describe('the day 0 / 3 / 7 welcome journey', () => {
  it('walks two customers added through a channel; only the price-sensitive one gets the coupon', async () => {
    const template = templateOf('welcome_series')!;
    const journey = await createJourney(hq(), {
      name: '新客欢迎',
      graph: template.graph,
      template: template.key,
    });
    await setJourneyStatus(hq(), journey.id, 'active');

    const created = await createChannel(store(), {
      name: '静安店台卡',
      scene: '收银台',
      method: 'table_card',
      bait: '新人礼包',
      unitId: t.fx.units.sh1,
      assignMode: 'pool',
      poolStrategy: 'round_robin',
      dailyCap: null,
      workingHours: null,
      skipVerify: true,
      staff: [{ staffId: t.fx.staff.sh1a, backup: false }],
      tagIds: [],
      remarkTemplate: '',
      welcome: { text: '{客户昵称}你好，欢迎光临' },
    });
    await t.settle();
    const channel = await getChannel(store(), created.id);
    const configId = channel.codes[0]!.configId!;

    const scan = async (name: string) => {
      const ext = (await t.corp('POST', '/customers', { name })).external_userid as string;
      await t.corp('POST', '/scenarios/scan-contact-way', { config_id: configId, external_userid: ext });
      return ext;
    };
    const thrifty = await scan('券达人');
    plain = await scan('随便喝');
    await t.settle();
    await t.settle();
    const thriftyId = await customerId(thrifty);
    const plainId = await customerId(plain);

    // Day 0: both get the welcome pack from sh1a, at once.
    await runDay();
    let sent = await massSends();
    expect(sent.map((s) => s.userid)).toEqual(['sh1a', 'sh1a']);
    expect(sortedTexts(sent)).toEqual([
      expect.stringContaining('券达人你好，我是'),
      expect.stringContaining('随便喝你好，我是'),
    ]);

    // The thrifty customer's earlier orders (found by OneID) mostly used coupons: price-sensitive.
    for (const [i, coupon] of [true, true, false].entries()) {
      await t.database.db
        .insertInto('orders')
        .values({
          corp_id: 'acme',
          source: 'miniprogram',
          source_order_id: `MP-${i}`,
          channel: 'miniprogram',
          unit_id: t.fx.units.sh1,
          customer_id: thriftyId,
          total_fen: 2_000,
          paid_fen: coupon ? 1_500 : 2_000,
          coupon_code: coupon ? 'NEW5' : null,
          coupon_fen: coupon ? 500 : 0,
          ordered_at: new Date(clock.now().getTime() - (i + 1) * DAY),
          linked_by: 'unionid',
        })
        .execute();
    }
    await refreshFacts(syncCtxOf(t.app.runtime.deps, 'acme'), [thriftyId, plainId]);

    // Day 1 and 2: nothing.
    clock.shiftBy(2 * DAY);
    await runDay();
    expect(await massSends()).toHaveLength(2);

    // Day 3 at 10:00 (brand time): the trust content.
    clock.shiftTo(new Date('2026-07-04T02:00:30Z'));
    await runDay();
    sent = await massSends();
    expect(sent).toHaveLength(4);
    expect(sortedTexts(sent.slice(2))).toEqual([
      expect.stringContaining('券达人，分享一下我们的原料故事'),
      expect.stringContaining('随便喝，分享一下我们的原料故事'),
    ]);

    // Day 7 at 10:00: the coupon, to the price-sensitive customer only.
    clock.shiftTo(new Date('2026-07-08T02:00:30Z'));
    await runDay();
    sent = await massSends();
    expect(sent).toHaveLength(5);
    expect(sent[4]).toEqual({
      userid: 'sh1a',
      text: expect.stringContaining('券达人，送你一张首单立减5元券'),
    });

    const view = await getJourney(hq(), journey.id);
    const counts = Object.fromEntries(view.counts.map((c) => [c.node, c]));
    expect(counts.day0).toMatchObject({ entered: 2, done: 2, waiting: 0 });
    expect(counts.day3).toMatchObject({ entered: 2, done: 2 });
    expect(counts.priceSensitive).toMatchObject({ entered: 2, done: 2 });
    expect(counts.day7coupon).toMatchObject({ entered: 1, done: 1 });
    expect(counts.end).toMatchObject({ entered: 1, done: 1 });
    journeyId = journey.id;
    expect(view.versions[0]).toMatchObject({ version: 1, active: 0, done: 2, exited: 0 });

    // Every step once: one row per (enrolment, seq), and one WeCom call per send.
    const steps = await t.database.db
      .selectFrom('journey_steps')
      .select(['enrolment_id', 'node'])
      .where('corp_id', '=', 'acme')
      .execute();
    expect(steps).toHaveLength(6 + 6);
    const outbox = await t.database.db
      .selectFrom('wecom_outbox')
      .select(['status'])
      .where('corp_id', '=', 'acme')
      .where('idem_key', 'like', 'journey:%')
      .execute();
    expect(outbox.map((o) => o.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    // each send took a slot of the customer's touch budget (outreach), and is on their timeline
    const touches = await t.database.db
      .selectFrom('touches')
      .select(['customer_id', 'source_kind'])
      .where('corp_id', '=', 'acme')
      .execute();
    expect(touches.filter((x) => x.customer_id === thriftyId)).toHaveLength(3);
    expect(touches.filter((x) => x.customer_id === plainId)).toHaveLength(2);
    expect(new Set(touches.map((x) => x.source_kind))).toEqual(new Set(['journey']));
  });

  it('follows each message until the member sends it: the touch is sent, or its slot comes back', async () => {
    const list = (await t.corp('GET', '/mass-sends')).mass_sends as {
      msgid: string;
      text?: { content: string };
      tasks: { userid: string; status: number }[];
    }[];
    const statuses = async () =>
      (
        await t.database.db
          .selectFrom('touches')
          .select(['status', 'released_reason'])
          .where('corp_id', '=', 'acme')
          .where('source_kind', '=', 'journey')
          .orderBy('id')
          .execute()
      ).map((x) => x.released_reason ?? x.status);
    // WeCom has the tasks; the members have not sent them yet: all still reserved
    expect(await statuses()).toEqual(['reserved', 'reserved', 'reserved', 'reserved', 'reserved']);
    // sh1a sends the welcome packs and the trust content; the coupon (today's) is left in WeCom
    for (const m of list.filter((x) => !x.text?.content.includes('首单立减'))) {
      await t.corp('POST', '/scenarios/member-confirms-mass-send', { msgid: m.msgid, userid: 'sh1a' });
    }
    await t.app.runtime.runJob(RESULTS_JOB);
    await t.settle();
    const after = await t.database.db
      .selectFrom('journey_steps')
      .select(['node', sql<string>`outcome->>'wecom'`.as('wecom')])
      .where('corp_id', '=', 'acme')
      .where('kind', '=', 'send')
      .orderBy('node')
      .execute();
    expect(after.map((x) => `${x.node}:${x.wecom}`).sort()).toEqual(
      ['day0:sent', 'day0:sent', 'day3:sent', 'day3:sent', 'day7coupon:created'].sort(),
    );
    expect((await statuses()).sort()).toEqual(['reserved', 'sent', 'sent', 'sent', 'sent']);
    // the other customer (no coupon) answers sh1a on day 7: the session archive says so, and the latest
    // message to them, day 3's trust content, counts the reply
    await t.corp('POST', '/scenarios/customer-sends-message', {
      external_userid: plain,
      userid: 'sh1a',
      content: '原料故事挺好的，下次去店里试试',
    });
    await t.app.runtime.runJob(ARCHIVE_JOB);
    const counts = Object.fromEntries((await getJourney(hq(), journeyId)).counts.map((c) => [c.node, c]));
    expect(counts.day0!.outcome).toMatchObject({ messages: 2, reached: 2, replied: 0 });
    expect(counts.day3!.outcome).toMatchObject({ messages: 2, reached: 2, replied: 1 });
    expect(counts.day7coupon!.outcome).toMatchObject({ messages: 1, reached: 0, replied: 0 });
    expect(counts.priceSensitive!.outcome).toBeNull();
    // more than three days later the coupon is still not sent: its slot comes back
    clock.shiftBy(4 * DAY);
    await t.app.runtime.runJob(RESULTS_JOB);
    await t.settle();
    expect((await statuses()).sort()).toEqual(['sent', 'sent', 'sent', 'sent', 'unsent']);
    // a store manager of another store counts none of them
    const other = ctxFor(t.app.runtime.deps, actor('store_manager', t.fx.units.gz1, [t.fx.units.gz1]));
    const theirs = Object.fromEntries((await getJourney(other, journeyId)).counts.map((c) => [c.node, c]));
    expect(theirs.day3!.outcome).toMatchObject({ messages: 0, replied: 0 });
  });
});
