import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../demo/shift-clock.ts';
import type { Actor } from '../../platform/actor.ts';
import { actorOf } from '../../testing/fixture.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { acquisitionOf, createChannel, getChannel, listChannels } from '../channels/service.ts';
import { ctxFor } from '../context.ts';
import { runFullSync } from './full-sync.ts';

/**
 * Adds whose callbacks Siyu missed (down longer than WeCom retries) come back with the next full sync:
 * attributed to their channel code like a live add, their welcome marked missed (the 20 s window is long
 * gone), and counted in the sync's result. The first sync's follows are history, not missed adds; and an add
 * young enough for its callback to be on its way is left to that callback, which still sends the welcome.
 */
let t: Linked;
const simClock = new ShiftableClock();
let configId: string;
let channelId: number;

const hq = (): Actor => actorOf('hq_admin', Object.values(t.fx.units));

beforeAll(async () => {
  // No callback URL: what happens in WeCom below, Siyu does not hear of.
  t = await openLinked({ callbacks: false, simClock });
  const admin = ctxFor(t.app.runtime.deps, hq());
  const created = await createChannel(admin, {
    name: '门店台卡',
    scene: '收银台',
    method: 'table_card',
    bait: '第二杯半价券',
    unitId: t.fx.units.sh1,
    assignMode: 'single',
    poolStrategy: 'round_robin',
    dailyCap: null,
    workingHours: null,
    skipVerify: true,
    remarkTemplate: '',
    welcome: { text: '{客户昵称}你好，送你{诱饵}' },
    staff: [{ staffId: t.fx.staff.sh1a, backup: false }],
    tagIds: [],
  });
  channelId = created.id;
  await t.settle();
  configId = (await getChannel(admin, channelId)).codes[0]!.configId!;
});
afterAll(() => t.close());

async function scan(name: string) {
  const ext = (await t.corp('POST', '/customers', { name })).external_userid as string;
  await t.corp('POST', '/scenarios/scan-contact-way', { config_id: configId, external_userid: ext });
  return ext;
}

async function customerId(ext: string) {
  return (
    await t.database.db
      .selectFrom('customers')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('external_userid', '=', ext)
      .executeTakeFirstOrThrow()
  ).id;
}

const customerRow = (ext: string) =>
  t.database.db
    .selectFrom('customers')
    .select('id')
    .where('corp_id', '=', 'acme')
    .where('external_userid', '=', ext)
    .executeTakeFirst();

/** The channel's row in the funnel over the last day (as HQ sees it). */
async function funnel() {
  const rows = await listChannels(ctxFor(t.app.runtime.deps, hq()), {
    from: new Date(Date.now() - 86_400_000),
    to: new Date(Date.now() + 60_000),
  });
  return rows.find((r) => r.id === channelId)!;
}

/** The add callbacks in Siyu's inbox, by status. */
async function inboxAdds(): Promise<{ done: number; [status: string]: number }> {
  const rows = await t.database.db
    .selectFrom('wecom_inbox')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('corp_id', '=', 'acme')
    .where('event_type', '=', 'add_external_contact')
    .groupBy('status')
    .execute();
  return { done: 0, ...Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) };
}

const channelAdds = (ext: string) =>
  t.database.db
    .selectFrom('channel_adds as a')
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'a.corp_id').onRef('c.id', '=', 'a.customer_id'),
    )
    .select(['a.welcome_missed', 'a.sync_run', 'a.welcome_key'])
    .where('c.external_userid', '=', ext)
    .execute();

const welcomes = async (ext: string) =>
  (await t.corp('GET', `/customers/${ext}/welcomes`)).welcomes as unknown[];

/** The deps of a sync that runs `ms` later than now: the adds just made are past their welcome window. */
const later = (ms: number) => ({ ...t.app.runtime.deps, clock: { now: () => new Date(Date.now() + ms) } });

describe('a full sync after Siyu missed callbacks', () => {
  let historic: string;
  let missed: string;
  let organic: string;

  it('brings the brand’s history in on its first sync without calling any of it a missed add', async () => {
    // an hour before Siyu connected, a customer came through the code
    simClock.setOffset(-3_600_000);
    historic = await scan('老顾客');
    simClock.setOffset(0);
    const first = await runFullSync(t.app.runtime.deps, 'acme');
    expect(first.status).toBe('done');
    expect(first.counts.addsRecovered).toBeUndefined();
    expect(first.counts.channelAddsRecovered).toBeUndefined();
    expect(await customerId(historic)).toBeGreaterThan(0);
    expect(await channelAdds(historic)).toEqual([]);
  });

  it('attributes the adds made while Siyu was down to their channel, marks their welcome missed and counts them', async () => {
    missed = await scan('林小满');
    organic = (await t.corp('POST', '/customers', { name: '自然添加' })).external_userid as string;
    await t.corp('POST', '/scenarios/member-adds-customer', { userid: 'sh1b', external_userid: organic });

    const run = await runFullSync(later(25_000), 'acme');
    expect(run.status).toBe('done');
    expect(run.counts).toMatchObject({ addsRecovered: 2, channelAddsRecovered: 1 });
    expect(await channelAdds(missed)).toEqual([
      { welcome_missed: true, sync_run: run.id, welcome_key: null },
    ]);
    expect(await channelAdds(organic)).toEqual([]);
    expect(await welcomes(missed)).toEqual([]);

    // on the timeline: the follow recovered, and the channel's add with its welcome missed
    const timeline = await t.database.db
      .selectFrom('customer_events')
      .select(['kind', 'summary', 'data'])
      .where('customer_id', '=', await customerId(missed))
      .orderBy('id')
      .execute();
    expect(timeline.find((e) => e.kind === 'follow_added')?.summary).toContain('回调错过，全量同步补回');
    const add = timeline.find((e) => e.kind === 'channel_add')!;
    expect(add.summary).toContain('欢迎语已错过');
    expect(add.data).toMatchObject({ channelId, welcomeMissed: true, syncRun: run.id });

    // in the channel's numbers and the customer's acquisition
    const admin = ctxFor(t.app.runtime.deps, hq());
    const rows = await listChannels(admin, {
      from: new Date(Date.now() - 86_400_000),
      to: new Date(Date.now() + 60_000),
    });
    expect(rows.find((r) => r.id === channelId)).toMatchObject({ adds: 1, welcomeMissed: 1 });
    expect(await acquisitionOf(admin, await customerId(missed))).toEqual([
      expect.objectContaining({ channelId, welcomeMissed: true }),
    ]);

    // a further sync recovers nothing twice
    const again = await runFullSync(later(50_000), 'acme');
    expect(again.counts).toMatchObject({ addsRecovered: 0, channelAddsRecovered: 0 });
  });

  it('leaves an add inside its welcome window to its callback, and recovers it next time when that never came', async () => {
    const lost = await scan('回调丢失');
    const run = await runFullSync(t.app.runtime.deps, 'acme');
    expect(run.counts).toMatchObject({ addsRecovered: 0, channelAddsRecovered: 0, addsLeftToCallback: 1 });
    // not mirrored half-way (a follow without its channel): the callback, or the next sync, brings it whole
    expect(await customerRow(lost)).toBeUndefined();

    const next = await runFullSync(later(25_000), 'acme');
    expect(next.counts).toMatchObject({ addsRecovered: 1, channelAddsRecovered: 1, addsLeftToCallback: 0 });
    expect(await channelAdds(lost)).toEqual([{ welcome_missed: true, sync_run: next.id, welcome_key: null }]);
  });

  it('leaves an add inside its welcome window to its callback, which still welcomes the customer', async () => {
    await t.corp('PATCH', '', { callback_url: `${t.siyuUrl}/wecom/callback/acme` });
    await t.app.runtime.stop(); // the callback waits in the inbox while the sync runs
    const young = await scan('刚扫码');
    await t.simulator.sim.idle();
    const run = await runFullSync(t.app.runtime.deps, 'acme');
    expect(run.counts).toMatchObject({ addsRecovered: 0, channelAddsRecovered: 0, addsLeftToCallback: 1 });
    expect(await channelAdds(young)).toEqual([]);
    await t.app.runtime.start();
    await t.settle();
    expect(await channelAdds(young)).toEqual([
      { welcome_missed: false, sync_run: null, welcome_key: expect.stringMatching(/^welcome:/) },
    ]);
    expect(await welcomes(young)).toHaveLength(1);
  });

  it('counts a recovered add once when its callback turns up after the sync', async () => {
    const addsBefore = (await funnel()).adds;
    const addsInInbox = await inboxAdds();
    await t.app.runtime.stop(); // the callback waits in the inbox until after the sync
    const late = await scan('迟到的回调');
    await t.simulator.sim.idle();
    const run = await runFullSync(later(25_000), 'acme');
    expect(run.counts).toMatchObject({ addsRecovered: 1, channelAddsRecovered: 1 });
    await t.app.runtime.start();
    await t.settle();
    // the callback was handled (not parked, not pending)
    expect(await inboxAdds()).toEqual({ ...addsInInbox, done: addsInInbox.done + 1 });

    expect(await channelAdds(late)).toEqual([{ welcome_missed: true, sync_run: run.id, welcome_key: null }]);
    expect(await welcomes(late)).toEqual([]);
    const kinds = (
      await t.database.db
        .selectFrom('customer_events')
        .select('kind')
        .where('corp_id', '=', 'acme')
        .where('customer_id', '=', await customerId(late))
        .execute()
    ).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'follow_added')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'channel_add')).toHaveLength(1);
    expect(await funnel()).toMatchObject({ adds: addsBefore + 1 });
  });
});
