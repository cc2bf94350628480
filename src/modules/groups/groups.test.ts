import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../demo/shift-clock.ts';
import type { Actor, Role } from '../../platform/actor.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { createChannel, getChannel } from '../channels/service.ts';
import { type Ctx, ctxFor, syncCtxOf } from '../context.ts';
import { ingestOrders } from '../orders/index.ts';
import { createGroupCode, getGroupCode, ROTATE_AT } from './codes.ts';
import { setRoutingRules } from './routing.ts';
import { customerGroups, getGroup, listGroups, setGroupType } from './service.ts';

/**
 * Groups through the simulator: groups made in WeCom mirror into Siyu; group codes become join ways that
 * rotate as groups fill; a friend-then-group store code welcomes a new friend with the right group's QR.
 */

let t: Linked;
const clock = new ShiftableClock();
/**
 * Group events are read from WeCom 2 s after they arrive (its data lags them), and under load a call may be
 * retried after its backoff: the clocks move to each pending row's time until nothing is pending.
 */
async function settle() {
  await t.settle();
  for (let round = 0; round < 10; round++) {
    const { rows } = await sql<{ at: Date | null }>`
      select min(next_attempt_at) as at from (
        select next_attempt_at from wecom_inbox where status = 'pending'
        union all select next_attempt_at from domain_event_deliveries where status = 'pending'
        union all select next_attempt_at from wecom_outbox where status = 'pending') p`.execute(
      t.database.db,
    );
    const at = rows[0]?.at;
    if (!at) return;
    clock.shiftBy(Math.max(0, new Date(at).getTime() - clock.now().getTime()) + 1);
    await t.settle();
  }
}
beforeAll(async () => {
  t = await openLinked({ clock });
  await t.database.db
    .insertInto('acquisition_settings')
    .values({ corp_id: 'acme', unit_id: t.fx.units.hq, linkage: 'friend_then_group', adds_model: 'journey' })
    .execute();
});
afterAll(() => t.close());

function ctxAs(role: Role, unitId: number, unitIds: number[], staffId: number | null = null): Ctx {
  const actor: Actor = {
    corpId: 'acme',
    accountId: 0,
    role,
    unitId,
    seesWholeCorp: role === 'hq_admin',
    unitIds,
    staffId,
  };
  return ctxFor(t.app.runtime.deps, actor);
}
const hq = () => ctxAs('hq_admin', t.fx.units.hq, Object.values(t.fx.units));
const sh1Manager = () => ctxAs('store_manager', t.fx.units.sh1, [t.fx.units.sh1]);

async function newCustomer(name: string): Promise<string> {
  return (await t.corp('POST', '/customers', { name })).external_userid as string;
}

/** A group made in WeCom by `owner` with `extra` customers, mirrored into Siyu; its Siyu id. */
async function wecomGroup(owner: string, name: string, extra = 0) {
  const externals: string[] = [];
  for (let i = 0; i < extra; i++) externals.push(await newCustomer(`${name}群友${i}`));
  const made = (await t.corp('POST', '/scenarios/member-creates-group', {
    owner,
    name,
    external_userids: externals,
  })) as { group: { chat_id: string } };
  await settle();
  const row = await t.database.db
    .selectFrom('groups')
    .select(['id', 'member_count'])
    .where('chat_id', '=', made.group.chat_id)
    .executeTakeFirstOrThrow();
  return { id: row.id, chatId: made.group.chat_id, members: row.member_count };
}

async function readyCode(input: Parameters<typeof createGroupCode>[1]) {
  const code = await createGroupCode(hq(), input);
  await settle();
  const ready = await getGroupCode(hq(), code.id);
  expect(ready).toMatchObject({ sync: 'ready' });
  expect(ready.qrCode).toBeTruthy();
  return ready;
}

async function joinByCode(configId: string, name: string) {
  const ext = await newCustomer(name);
  const r = (await t.corp('POST', '/scenarios/join-group', {
    config_id: configId,
    external_userid: ext,
  })) as { chat_id: string; created_chat_id: string | null };
  await settle();
  return { ext, ...r };
}

describe('group codes', () => {
  it('rotate to the next group when one nears the 200 a QR admits, and the next customer lands there', async () => {
    const a = await wecomGroup('sh1a', '静安福利群1', ROTATE_AT - 2);
    const b = await wecomGroup('sh1a', '静安福利群2');
    expect(a.members).toBe(ROTATE_AT - 1);
    const code = await readyCode({
      unitId: t.fx.units.sh1,
      name: '静安福利群活码',
      groupIds: [a.id, b.id],
      roomBaseName: '静安福利群',
      roomBaseId: 3,
      autoCreate: true,
      welcomeText: '欢迎{客户昵称}加入{群名}～{门店}每周三会员日第二杯半价',
    });
    expect(code.currentGroupId).toBe(a.id);
    const way = (await t.corp('GET', '/join-ways')).join_ways.find(
      (w: { config_id: string }) => w.config_id === code.configId,
    );
    expect(way).toMatchObject({
      chat_id_list: [a.chatId, b.chatId],
      room_base_name: '静安福利群',
      state: code.state,
    });

    // The customer who takes group A to the rotation threshold: A leaves the way's list.
    const first = await joinByCode(code.configId!, '顾一');
    expect(first.chat_id).toBe(a.chatId);
    const rotated = await getGroupCode(hq(), code.id);
    expect(rotated.currentGroupId).toBe(b.id);
    expect(rotated.groups.find((g) => g.id === a.id)).toMatchObject({
      retired: true,
      memberCount: ROTATE_AT,
    });
    const after = (await t.corp('GET', '/join-ways')).join_ways.find(
      (w: { config_id: string }) => w.config_id === code.configId,
    );
    expect(after.chat_id_list).toEqual([b.chatId]);

    // The next customer lands in group B; both joins are counted for the code (member.state).
    const second = await joinByCode(code.configId!, '顾二');
    expect(second.chat_id).toBe(b.chatId);
    expect((await getGroupCode(hq(), code.id)).joins).toBe(2);

    // The group welcome template exists in WeCom with the variables filled and %NICKNAME% for the joiner.
    expect(rotated.welcomeSynced).toBe(true);
    const { welcome_template_id } = await t.database.db
      .selectFrom('group_codes')
      .select('welcome_template_id')
      .where('id', '=', code.id)
      .executeTakeFirstOrThrow();
    const link = await t.app.runtime.deps.links.require('acme');
    const template = (await link.client.post('/cgi-bin/externalcontact/group_welcome_template/get', {
      template_id: welcome_template_id,
    })) as { text: { content: string } };
    expect(template.text.content).toBe('欢迎%NICKNAME%加入静安福利群～上海一店每周三会员日第二杯半价');
  });

  it('follow the room WeCom auto-creates (base name + number) when the last group fills', async () => {
    const only = await wecomGroup('sh1b', '静安新客群', 199 - 1);
    expect(only.members).toBe(199);
    const code = await readyCode({
      unitId: t.fx.units.sh1,
      name: '静安新客活码',
      groupIds: [only.id],
      roomBaseName: '静安新客群',
      roomBaseId: 2,
      autoCreate: true,
      welcomeText: '',
    });
    // Every group retired: the way keeps the last one listed, so WeCom opens the next room when it fills.
    expect(code.groups[0]).toMatchObject({ retired: true });
    const last = await joinByCode(code.configId!, '满员者');
    expect(last.chat_id).toBe(only.chatId);
    const next = await joinByCode(code.configId!, '新房间第一人');
    expect(next.created_chat_id).toBeTruthy();
    const created = await t.database.db
      .selectFrom('groups')
      .select(['id', 'name'])
      .where('chat_id', '=', next.created_chat_id!)
      .executeTakeFirstOrThrow();
    expect(created.name).toBe('静安新客群2');
    const adopted = await getGroupCode(hq(), code.id);
    expect(adopted.currentGroupId).toBe(created.id);
    const way = (await t.corp('GET', '/join-ways')).join_ways.find(
      (w: { config_id: string }) => w.config_id === code.configId,
    );
    expect(way.chat_id_list).toContain(next.created_chat_id);
    // The joiner's profile lists the group, with the join by QR on the timeline.
    const customer = await t.database.db
      .selectFrom('group_members')
      .select(['member_key', 'join_scene', 'state'])
      .where('group_id', '=', created.id)
      .where('member_type', '=', 2)
      .execute();
    expect(customer).toEqual([{ member_key: next.ext, join_scene: 3, state: code.state }]);
  });
});

describe('smart routing under friend-then-group', () => {
  it('invites a customer who buys mostly at store A to A’s group though they scan at store B, and says why', async () => {
    const gzGroup = await wecomGroup('gz1a', '广州一店门店群');
    const shGroup = await wecomGroup('sh1a', '上海一店门店群');
    await setGroupType(hq(), gzGroup.id, 'store');
    await setGroupType(hq(), shGroup.id, 'store');
    const gzCode = await readyCode({
      unitId: t.fx.units.gz1,
      name: '广州一店群码',
      groupIds: [gzGroup.id],
      roomBaseName: '广州一店门店群',
      roomBaseId: 2,
      autoCreate: true,
      welcomeText: '',
    });
    await readyCode({
      unitId: t.fx.units.sh1,
      name: '上海一店群码',
      groupIds: [shGroup.id],
      roomBaseName: '上海一店门店群',
      roomBaseId: 2,
      autoCreate: true,
      welcomeText: '',
    });
    // The brand's order: the store the customer buys from most comes first.
    await setRoutingRules(hq(), t.fx.units.hq, [{ kind: 'top_store' }, { kind: 'default' }]);

    // A customer of 广州一店: friends with its staff, three orders there.
    const ext = await newCustomer('何小雨');
    await t.corp('POST', '/scenarios/member-adds-customer', { userid: 'gz1a', external_userid: ext });
    await settle();
    const sync = syncCtxOf(t.app.runtime.deps, 'acme');
    await ingestOrders(
      sync,
      'pos',
      [1, 2, 3].map((n) => ({
        sourceOrderId: `GZ-${n}`,
        storeCode: 'gz1',
        channel: 'pos' as const,
        orderedAt: new Date(Date.now() - n * 86_400_000).toISOString(),
        items: [{ productCode: 'T1', productName: '杨枝甘露', quantity: 1, priceFen: 1800 }],
        totalFen: 1800,
        paidFen: 1800,
        customer: { externalUserid: ext },
      })),
    );
    await settle();
    const customerId = (
      await t.database.db
        .selectFrom('customers')
        .select('id')
        .where('external_userid', '=', ext)
        .executeTakeFirstOrThrow()
    ).id;
    const facts = await t.database.db
      .selectFrom('customer_facts')
      .select(['top_unit_id', 'order_count'])
      .where('customer_id', '=', customerId)
      .executeTakeFirstOrThrow();
    expect(facts).toMatchObject({ top_unit_id: t.fx.units.gz1, order_count: 3 });

    // Travelling in Shanghai, they scan 上海一店's table card.
    const made = await createChannel(sh1Manager(), {
      name: '上海一店台卡',
      scene: '收银台',
      method: 'table_card',
      bait: '第二杯半价',
      unitId: t.fx.units.sh1,
      assignMode: 'pool',
      poolStrategy: 'round_robin',
      dailyCap: null,
      workingHours: null,
      skipVerify: true,
      remarkTemplate: '',
      welcome: { text: '{客户昵称}你好，欢迎来到上海一店' },
      staff: [{ staffId: t.fx.staff.sh1a, backup: false }],
      tagIds: [],
    });
    await settle();
    const channel = await getChannel(sh1Manager(), made.id);
    await t.corp('POST', '/scenarios/scan-contact-way', {
      config_id: channel.codes[0]!.configId,
      external_userid: ext,
    });
    await settle();
    await settle();

    // The welcome carries 广州一店's group QR.
    const welcomes = (await t.corp('GET', `/customers/${ext}/welcomes`)).welcomes as {
      attachments?: { msgtype: string; image?: { pic_url: string } }[];
    }[];
    expect(welcomes).toHaveLength(1);
    expect(welcomes[0]!.attachments).toContainEqual({ msgtype: 'image', image: { pic_url: gzCode.qrCode } });

    // The decision and its reason are on the profile (为什么是这个群).
    const mine = await customerGroups(hq(), customerId);
    expect(mine.decisions[0]).toMatchObject({
      groupId: gzGroup.id,
      codeId: gzCode.id,
      rule: 'top_store',
      staffName: '张丽',
    });
    expect(mine.decisions[0]!.reason.zh).toContain('最常在广州一店消费（3 单）');
    expect(mine.decisions[0]!.reason.zh).toContain('上海一店扫码');

    // They join with the QR: the group page links them to their profile.
    await t.corp('POST', '/scenarios/join-group', { config_id: gzCode.configId, external_userid: ext });
    await settle();
    const group = await getGroup(hq(), gzGroup.id);
    expect(group.members.find((m) => m.key === ext)).toMatchObject({
      customerId,
      kind: 'customer',
      joinScene: 3,
    });
    expect((await customerGroups(hq(), customerId)).groups.map((g) => g.name)).toContain('广州一店门店群');
  });

  it('sends no group under friend-only', async () => {
    await t.database.db
      .insertInto('acquisition_settings')
      .values({ corp_id: 'acme', unit_id: t.fx.units.sh1, linkage: 'friend_only', adds_model: 'journey' })
      .execute();
    const channel = await getChannel(
      sh1Manager(),
      (
        await t.database.db
          .selectFrom('channels')
          .select('id')
          .where('name', '=', '上海一店台卡')
          .executeTakeFirstOrThrow()
      ).id,
    );
    const ext = await newCustomer('只加好友');
    await t.corp('POST', '/scenarios/scan-contact-way', {
      config_id: channel.codes[0]!.configId,
      external_userid: ext,
    });
    await settle();
    await settle();
    const welcomes = (await t.corp('GET', `/customers/${ext}/welcomes`)).welcomes as {
      attachments?: unknown[];
    }[];
    expect(welcomes).toHaveLength(1);
    expect(welcomes[0]!.attachments ?? []).toEqual([]);
    const decisions = await t.database.db
      .selectFrom('group_routing_decisions as d')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'd.corp_id').onRef('c.id', '=', 'd.customer_id'),
      )
      .select('d.id')
      .where('c.external_userid', '=', ext)
      .execute();
    expect(decisions).toEqual([]);
  });
});

describe('the scope of groups', () => {
  it('shows a store manager only their stores’ groups; another store’s group answers 404', async () => {
    const mine = await listGroups(sh1Manager(), { limit: 200, offset: 0 });
    expect(mine.items.length).toBeGreaterThan(0);
    expect(new Set(mine.items.map((g) => g.unitId))).toEqual(new Set([t.fx.units.sh1]));
    const all = await listGroups(hq(), { limit: 200, offset: 0 });
    const gz = all.items.find((g) => g.unitId === t.fx.units.gz1)!;
    expect(gz).toBeDefined();
    await expect(getGroup(sh1Manager(), gz.id)).rejects.toMatchObject({ code: 'not_found' });
    // A front-line member sees the groups they own.
    const staff = ctxAs('staff', t.fx.units.sh1, [t.fx.units.sh1], t.fx.staff.sh1b);
    const own = await listGroups(staff, { limit: 200, offset: 0 });
    expect(own.items.every((g) => g.ownerUserid === 'sh1b')).toBe(true);
    expect(own.items.length).toBeGreaterThan(0);
  });
});
