import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../platform/actor.ts';
import { systemClock } from '../../platform/clock.ts';
import { InboxDispatcher } from '../../platform/jobs/inbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import { BUSY_REQUESTS, createRuntime } from '../../runtime.ts';
import { pii } from '../../testing/fixture.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { handleWecomEvent } from '../connector/events/index.ts';
import { type Ctx, ctxFor } from '../context.ts';
import { getCustomerProfile } from '../customers/service.ts';
import { MODULES } from '../index.ts';
import { type ModuleManifest, subscriber } from '../manifest.ts';
import { acquisitionOf, type ChannelInput, createChannel, getChannel, listChannels } from './service.ts';

let t: Linked;
let tagId: number;
let wecomTagId: string;
beforeAll(async () => {
  t = await openLinked();
  // A corp tag that exists in WeCom (made through the API, as an operator would) and in Siyu.
  const link = await t.app.runtime.deps.links.require('acme');
  const made = (await link.client.post('/cgi-bin/externalcontact/add_corp_tag', {
    group_name: '渠道来源',
    tag: [{ name: '门店台卡' }],
  })) as { tag_group: { group_id: string; tag: { id: string }[] } };
  wecomTagId = made.tag_group.tag[0]!.id;
  const group = await t.database.db
    .insertInto('tag_groups')
    .values({ corp_id: 'acme', name: '渠道来源', wecom_group_id: made.tag_group.group_id })
    .returning('id')
    .executeTakeFirstOrThrow();
  tagId = (
    await t.database.db
      .insertInto('tags')
      .values({ corp_id: 'acme', group_id: group.id, name: '门店台卡', wecom_tag_id: wecomTagId })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
});
afterAll(() => t.close());

const manager = (): Ctx => {
  const actor: Actor = {
    corpId: 'acme',
    accountId: 0,
    role: 'store_manager',
    unitId: t.fx.units.sh1,
    seesWholeCorp: false,
    unitIds: [t.fx.units.sh1],
    staffId: null,
  };
  return ctxFor(t.app.runtime.deps, actor);
};

const tableCard = (extra: Partial<ChannelInput> = {}): ChannelInput => ({
  name: '静安店收银台台卡',
  scene: '收银台',
  method: 'table_card',
  bait: '第二杯半价券',
  unitId: t.fx.units.sh1,
  assignMode: 'pool',
  poolStrategy: 'round_robin',
  dailyCap: null,
  workingHours: null,
  skipVerify: true,
  remarkTemplate: '台卡-{客户昵称}',
  welcome: {
    text: '{客户昵称}你好，我是{员工}～送你一张{诱饵}，到店出示即可使用',
    link: { title: '本周新品', url: 'https://example.com/new' },
  },
  staff: [
    { staffId: t.fx.staff.sh1a, backup: false },
    { staffId: t.fx.staff.sh1b, backup: false },
  ],
  tagIds: [tagId],
  ...extra,
});

async function readyChannel(input: ChannelInput) {
  const created = await createChannel(manager(), input);
  await t.settle();
  const channel = await getChannel(manager(), created.id);
  expect(channel.codes).toHaveLength(1);
  expect(channel.codes[0]).toMatchObject({ sync: 'ready', currentUserids: ['sh1a', 'sh1b'] });
  return channel;
}

async function scan(configId: string, name: string) {
  const ext = (await t.corp('POST', '/customers', { name })).external_userid as string;
  const at = Date.now();
  await t.corp('POST', '/scenarios/scan-contact-way', { config_id: configId, external_userid: ext });
  return { ext, at };
}

describe('a customer scans a store table card', () => {
  it('is added to the right staff, welcomed with the bait inside the window, tagged in WeCom and Siyu, and counted', async () => {
    const channel = await readyChannel(tableCard());
    const code = channel.codes[0]!;
    // The customer's phone opens the material's landing page first: counted, then WeCom's QR.
    const landing = await fetch(`${t.siyuUrl}/c/acme/${code.state}`);
    expect(landing.status).toBe(200);
    const html = await landing.text();
    expect(html).toContain('第二杯半价券');
    expect(html).toContain(`src="${code.qrCode}"`);
    expect((await fetch(`${t.siyuUrl}/c/acme/no-such-code`)).status).toBe(404);
    const { ext, at } = await scan(code.configId!, '林小满');
    await t.settle();
    await t.settle();

    const welcomes = (await t.corp('GET', `/customers/${ext}/welcomes`)).welcomes as {
      userid: string;
      text?: { content: string };
      at?: number;
    }[];
    expect(welcomes).toHaveLength(1);
    expect(welcomes[0]!.userid).toBe('sh1a');
    expect(JSON.stringify(welcomes[0])).toContain('林小满你好，我是');
    expect(JSON.stringify(welcomes[0])).toContain('第二杯半价券');
    const sent = await t.database.db
      .selectFrom('wecom_outbox')
      .select(['status', 'done_at', 'lane'])
      .where('idem_key', 'like', 'welcome:%')
      .executeTakeFirstOrThrow();
    expect(sent).toMatchObject({ status: 'done', lane: 'welcome' });
    expect(sent.done_at!.getTime() - at).toBeLessThan(20_000);

    // In WeCom: the follow carries the channel's tag and the remark from the template.
    const link = await t.app.runtime.deps.links.require('acme');
    const got = (await link.client.getExternalContact(ext)) as {
      follow_user: { userid: string; remark: string; state: string; tags?: { tag_id?: string }[] }[];
    };
    const follow = got.follow_user.find((f) => f.userid === 'sh1a')!;
    expect(follow.state).toBe(code.state);
    expect(follow.tags?.map((x) => x.tag_id)).toContain(wecomTagId);
    expect(follow.remark).toBe('台卡-林小满');

    // In Siyu: one customer, the tag, the acquisition on the timeline.
    const customer = await t.database.db
      .selectFrom('customers')
      .select('id')
      .where('external_userid', '=', ext)
      .executeTakeFirstOrThrow();
    const tags = await t.database.db
      .selectFrom('customer_tags')
      .select('tag_id')
      .where('customer_id', '=', customer.id)
      .execute();
    expect(tags.map((x) => x.tag_id)).toContain(tagId);
    const timeline = await t.database.db
      .selectFrom('customer_events')
      .select(['kind', 'summary'])
      .where('customer_id', '=', customer.id)
      .orderBy('id')
      .execute();
    expect(timeline.map((e) => e.kind)).toContain('channel_add');
    // The profile names the channel, never the code's state, in either language.
    const profile = await getCustomerProfile(manager(), customer.id);
    const mine = profile.follows.find((f) => f.staff.name === '张丽')!;
    // with the bait the channel offered (the sidebar's card shows it)
    expect(mine).toMatchObject({
      state: code.state,
      channel: { id: channel.id, name: '静安店收银台台卡', bait: '第二杯半价券' },
    });
    const added = profile.timeline.find((e) => e.kind === 'follow_added')!;
    expect(added.text).toEqual({
      zh: '添加了 张丽（渠道「静安店收银台台卡」）',
      en: 'Added 张丽 (channel “静安店收银台台卡”)',
    });
    expect(profile.timeline.find((e) => e.kind === 'channel_add')!.text.en).toBe(
      'Added 张丽 through the channel “静安店收银台台卡” (bait: 第二杯半价券)',
    );
    expect(JSON.stringify(profile.timeline)).not.toContain(code.state);

    // The store's channel numbers count the add; round robin moved the code on to the next member.
    const now = new Date();
    const rows = await listChannels(manager(), {
      from: new Date(now.getTime() - 86_400_000),
      to: new Date(now.getTime() + 60_000),
    });
    expect(rows.find((r) => r.id === channel.id)).toMatchObject({ scans: 1, adds: 1, deleted: 0 });
    const acquisition = await acquisitionOf(manager(), customer.id);
    expect(acquisition).toEqual([
      expect.objectContaining({
        channelId: channel.id,
        method: 'table_card',
        bait: '第二杯半价券',
        staffName: '张丽',
      }),
    ]);
    // The code is one multi-member way: WeCom takes turns, so the next customer goes to the next member.
    const ways = (await t.corp('GET', '/contact-ways')).contact_ways as {
      config_id: string;
      type: number;
      user?: string[];
    }[];
    expect(ways.find((w) => w.config_id === code.configId)).toMatchObject({
      type: 2,
      user: ['sh1a', 'sh1b'],
    });
    const next = await scan(code.configId!, '周末');
    await t.settle();
    const welcomedBy = (await t.corp('GET', `/customers/${next.ext}/welcomes`)).welcomes as {
      userid: string;
    }[];
    expect(welcomedBy.map((w) => w.userid)).toEqual(['sh1b']);
  });
});

describe('the welcome is sent once', () => {
  let proxy: Server | undefined;
  afterAll(() => new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r())));

  it('even when the callback arrives three times and the worker dies between inbox and outbox', async () => {
    const channel = await readyChannel(tableCard({ name: '重复回调台卡' }));
    // Every delivery reaches Siyu three times (a WeCom retry storm).
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      let status = 0;
      for (let i = 0; i < 3; i++) {
        const up = await fetch(`${t.siyuUrl}${req.url}`, {
          method: 'POST',
          body: Buffer.concat(chunks),
          headers: { 'content-type': 'text/xml' },
        });
        status = up.status;
      }
      res.writeHead(status).end();
    });
    proxy = server;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    await t.corp('PATCH', '', {
      callback_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/wecom/callback/acme`,
    });

    await t.app.runtime.stop(); // the workers are down: events only reach the inbox
    const { ext } = await scan(channel.codes[0]!.configId!, '许多次');
    await t.simulator.sim.idle();
    const inbox = await t.database.db
      .selectFrom('wecom_inbox')
      .select(['id', 'status'])
      .where('event_type', '=', 'add_external_contact')
      .where('status', '=', 'pending')
      .execute();
    expect(inbox).toHaveLength(1);

    // A worker handles the event (its effects commit, the welcome is in the outbox) and dies before it can
    // mark the inbox row done.
    const handle = handleWecomEvent(t.app.runtime.deps);
    const dying = new InboxDispatcher({
      db: jobsDb(t.database.db),
      clock: { now: () => new Date() },
      handle: async (e) => {
        await handle(e);
        throw new Error('killed');
      },
    });
    await dying.drain();

    // The process comes back: the same row is handled again, the outbox sends.
    await t.app.runtime.start();
    for (let i = 0; i < 60; i++) {
      await t.settle();
      const row = await t.database.db
        .selectFrom('wecom_inbox')
        .select('status')
        .where('id', '=', inbox[0]!.id)
        .executeTakeFirstOrThrow();
      if (row.status === 'done') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await t.settle();
    const welcomes = (await t.corp('GET', `/customers/${ext}/welcomes`)).welcomes as unknown[];
    expect(welcomes).toHaveLength(1);
    const adds = await t.database.db
      .selectFrom('channel_adds')
      .select('id')
      .where('channel_id', '=', channel.id)
      .execute();
    expect(adds).toHaveLength(1);
    await t.corp('PATCH', '', { callback_url: `${t.siyuUrl}/wecom/callback/acme` });
  });
});

describe('an add whose reaction fails', () => {
  it('leaves nothing half-done: no customer, no attribution, no welcome, until the retry does it all once', async () => {
    const channel = await readyChannel(tableCard({ name: '失败重试台卡' }));
    await t.app.runtime.stop(); // the event waits in the inbox for the workers below
    const { ext } = await scan(channel.codes[0]!.configId!, '半途');
    await t.simulator.sim.idle();
    const clock = { now: () => new Date() };
    // The channel's attribution and welcome run, then another reaction to the add in its transaction fails.
    const failingModule: ModuleManifest = {
      name: 'failing',
      dependsOn: [],
      tables: [],
      migrations: { dir: '' },
      publishes: [],
      subscribes: [
        subscriber('failing', 'on-add', 'ContactAdded', 'inTransaction', async () => {
          throw new Error('a reaction in the add’s transaction failed');
        }),
      ],
    };
    const failing = createRuntime(
      { db: t.database.db, clock, pii },
      { modules: [...MODULES, failingModule] },
    );
    const errors: unknown[] = [];
    await new InboxDispatcher({
      db: jobsDb(t.database.db),
      clock,
      handle: handleWecomEvent(failing.deps),
      onError: (err) => errors.push(err),
    }).drain();
    expect(String(errors[0])).toContain('a reaction in the add’s transaction failed');
    const customer = () =>
      t.database.db
        .selectFrom('customers')
        .select('id')
        .where('corp_id', '=', 'acme')
        .where('external_userid', '=', ext)
        .executeTakeFirst();
    const adds = () =>
      t.database.db.selectFrom('channel_adds').select('id').where('channel_id', '=', channel.id).execute();
    const welcomes = () =>
      t.database.db
        .selectFrom('wecom_outbox as o')
        .innerJoin('wecom_inbox as i', (j) => j.onRef('i.corp_id', '=', 'o.corp_id'))
        .select('o.id')
        .where('i.event_type', '=', 'add_external_contact')
        .where(sql<boolean>`i.event ->> 'externalUserId' = ${ext}`)
        .where(sql<boolean>`o.idem_key = 'welcome:' || (i.event ->> 'welcomeCode')`)
        .execute();
    expect(await welcomes()).toHaveLength(0);
    expect(await customer()).toBeUndefined();
    expect(await adds()).toHaveLength(0);

    // The retry (the inbox row is due again) runs with every reaction working.
    await t.database.db
      .updateTable('wecom_inbox')
      .set({ next_attempt_at: new Date() })
      .where('status', '=', 'pending')
      .execute();
    await new InboxDispatcher({
      db: jobsDb(t.database.db),
      clock,
      handle: handleWecomEvent(t.app.runtime.deps),
    }).drain();
    expect(await customer()).toBeDefined();
    expect(await adds()).toHaveLength(1);
    expect(await welcomes()).toHaveLength(1);
    await t.app.runtime.start();
  });
});

describe('an add whose later reaction fails', () => {
  it('has committed its customer, attribution and welcome; the failing reaction is retried from the log alone', async () => {
    const channel = await readyChannel(tableCard({ name: '慢反应台卡' }));
    await t.app.runtime.stop(); // the event waits in the inbox for the workers below
    const { ext } = await scan(channel.codes[0]!.configId!, '后来');
    await t.simulator.sim.idle();
    let broken = true;
    const slowModule: ModuleManifest = {
      name: 'slow',
      dependsOn: [],
      tables: [],
      migrations: { dir: '' },
      publishes: [],
      subscribes: [
        subscriber('slow', 'after-add', 'ContactAdded', 'afterCommit', async () => {
          if (broken) throw new Error('a reaction after the add failed');
        }),
      ],
    };
    const clock = { now: () => new Date() };
    const withSlow = createRuntime({ db: t.database.db, clock, pii }, { modules: [...MODULES, slowModule] });
    await new InboxDispatcher({
      db: jobsDb(t.database.db),
      clock,
      handle: handleWecomEvent(withSlow.deps),
    }).drain();
    await withSlow.events.drain();
    // the add committed before anything slower: the customer, the attribution, the welcome queued
    const customer = await t.database.db
      .selectFrom('customers')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('external_userid', '=', ext)
      .executeTakeFirstOrThrow();
    expect(await acquisitionOf(manager(), customer.id)).toHaveLength(1);
    const welcome = await t.database.db
      .selectFrom('wecom_outbox')
      .select('status')
      .where('idem_key', 'like', 'welcome:%')
      .where(sql<boolean>`request ->> 'welcome_code' is not null`)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(welcome.status).toBe('pending');
    // the failing reaction waits, with its error, while the others (OneID) are done
    const deliveries = await t.database.db
      .selectFrom('domain_event_deliveries as d')
      .innerJoin('domain_events as e', (j) =>
        j.onRef('e.corp_id', '=', 'd.corp_id').onRef('e.id', '=', 'd.event_id'),
      )
      .select(['d.subscriber', 'd.status', 'd.last_error'])
      .where('e.customer_id', '=', customer.id)
      .orderBy('d.subscriber')
      .execute();
    expect(deliveries).toEqual(
      expect.arrayContaining([
        { subscriber: 'on:CustomerMirrored', status: 'done', last_error: null },
        {
          subscriber: 'on:ContactAdded',
          status: 'pending',
          last_error: 'slow.after-add: a reaction after the add failed',
        },
      ]),
    );
    // fixed, it is delivered on its retry
    broken = false;
    await t.database.db
      .updateTable('domain_event_deliveries')
      .set({ next_attempt_at: new Date() })
      .where('subscriber', '=', 'on:ContactAdded')
      .where('status', '=', 'pending')
      .execute();
    await withSlow.events.drain();
    const retried = await t.database.db
      .selectFrom('domain_event_deliveries as d')
      .innerJoin('domain_events as e', (j) =>
        j.onRef('e.corp_id', '=', 'd.corp_id').onRef('e.id', '=', 'd.event_id'),
      )
      .select(['d.status', 'd.attempts'])
      .where('d.subscriber', '=', 'on:ContactAdded')
      .where('e.customer_id', '=', customer.id)
      .executeTakeFirstOrThrow();
    expect(retried).toEqual({ status: 'done', attempts: 2 });
    await t.app.runtime.start();
  });
});

describe('a burst of callbacks', () => {
  it('is acknowledged first: while the foreground is busy the inbox handles one event at a time and the reactions after commit wait', async () => {
    const channel = await readyChannel(tableCard({ name: '忙时台卡' }));
    await t.app.runtime.stop(); // the events wait in the inbox for the runtime below
    for (const name of ['忙一', '忙二', '忙三']) await scan(channel.codes[0]!.configId!, name);
    await t.simulator.sim.idle();
    let handling = 0;
    let peak = 0;
    const reacted: number[] = [];
    const watching: ModuleManifest = {
      name: 'watch',
      dependsOn: [],
      tables: [],
      migrations: { dir: '' },
      publishes: [],
      subscribes: [
        subscriber('watch', 'in-add', 'ContactAdded', 'inTransaction', async () => {
          peak = Math.max(peak, ++handling);
          await new Promise((r) => setTimeout(r, 20));
          handling--;
        }),
        subscriber('watch', 'after-add', 'ContactAdded', 'afterCommit', async (_ctx, events) => {
          reacted.push(...events.map((e) => e.customerId!));
        }),
      ],
    };
    const rt = createRuntime(
      { db: t.database.db, clock: systemClock, pii },
      { modules: [...MODULES, watching] },
    );
    rt.foreground.inFlight = BUSY_REQUESTS;
    await rt.inbox.drain();
    await rt.events.drain();
    expect(peak).toBe(1);
    expect(reacted).toEqual([]);
    // calm again: the reactions go
    rt.foreground.inFlight = 0;
    await rt.events.drain();
    expect(reacted).toHaveLength(3);
    await t.app.runtime.start();
  });
});
