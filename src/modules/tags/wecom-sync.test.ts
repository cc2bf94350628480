import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../platform/actor.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { createChannel } from '../channels/service.ts';
import { type Ctx, ctxFor } from '../context.ts';
import { editCustomerTags } from '../customers/customer-tags.ts';
import { createTagRule } from '../tag-rules/auto-rules.ts';
import {
  addTags,
  createTagGroup,
  deleteTag,
  deleteTagGroup,
  listTagGroups,
  renameTag,
  reorder,
  updateTagGroup,
} from './service.ts';

/**
 * Siyu and the WeCom simulator, linked: tag changes made in Siyu reach WeCom through the outbox, WeCom's
 * callbacks come back, and the same name made on both sides ends as one tag.
 */
let t: Linked;
let admin: Ctx;
beforeAll(async () => {
  t = await openLinked();
  const account = await t.database.db
    .selectFrom('accounts')
    .select('id')
    .where('corp_id', '=', 'acme')
    .where('username', '=', 'admin')
    .executeTakeFirstOrThrow();
  const units = await t.database.db
    .selectFrom('org_units')
    .select('id')
    .where('corp_id', '=', 'acme')
    .execute();
  const actor: Actor = {
    corpId: 'acme',
    accountId: account.id,
    role: 'hq_admin',
    unitId: t.fx.units.hq,
    seesWholeCorp: true,
    unitIds: units.map((u) => u.id),
    staffId: null,
  };
  admin = ctxFor(t.app.runtime.deps, actor);
});
afterAll(() => t.close());

interface SimGroup {
  group_id: string;
  group_name: string;
  order: number;
  created_by: string;
  tag: { id: string; name: string; order: number }[];
}
const wecomTags = async (): Promise<SimGroup[]> => (await t.corp('GET', '/tags')).tag_groups;
const wecomGroup = async (name: string) => (await wecomTags()).find((g) => g.group_name === name);
const siyuGroup = async (name: string) => (await listTagGroups(admin)).find((g) => g.name === name);
const settle = async () => {
  for (let i = 0; i < 3; i++) await t.settle(); // a done create may queue follow-ups (edits, marks)
};
const waitFor = async <T>(fn: () => Promise<T | null | undefined | false>, what: string): Promise<T> => {
  for (let i = 0; i < 100; i++) {
    await t.settle();
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};
const tagRow = (name: string) =>
  t.database.db
    .selectFrom('tags')
    .selectAll()
    .where('corp_id', '=', 'acme')
    .where('name', '=', name)
    .execute();

describe('Siyu → WeCom', () => {
  it('creates a group with its tags in WeCom and keeps the ids WeCom gave', async () => {
    await createTagGroup(admin, { name: '口味偏好', audience: 'front_line', tags: ['果茶', '奶茶'] });
    expect((await siyuGroup('口味偏好'))!.sync).toBe('pending');
    await settle();
    const there = (await wecomGroup('口味偏好'))!;
    expect(there.tag.map((x) => x.name).sort()).toEqual(['奶茶', '果茶']);
    const here = (await siyuGroup('口味偏好'))!;
    expect(here).toMatchObject({ sync: 'synced', audience: 'front_line' });
    expect(here.tags.map((x) => [x.name, x.sync])).toEqual([
      ['果茶', 'synced'],
      ['奶茶', 'synced'],
    ]);
    const rows = await t.database.db
      .selectFrom('tags')
      .select(['name', 'wecom_tag_id'])
      .where('corp_id', '=', 'acme')
      .where('name', 'in', ['果茶', '奶茶'])
      .orderBy('name')
      .execute();
    expect(rows.map((r) => r.wecom_tag_id).sort()).toEqual(there.tag.map((x) => x.id).sort());
    const group = await t.database.db
      .selectFrom('tag_groups')
      .select('wecom_group_id')
      .where('name', '=', '口味偏好')
      .executeTakeFirstOrThrow();
    expect(group.wecom_group_id).toBe(there.group_id);
  });

  it('renames and reorders tags and groups in WeCom', async () => {
    const here = (await siyuGroup('口味偏好'))!;
    const [fruit, milk] = here.tags;
    await renameTag(admin, fruit!.id, '水果茶');
    await updateTagGroup(admin, here.id, { name: '饮品偏好' });
    await reorder(admin, { groupId: here.id, tags: [milk!.id, fruit!.id] });
    expect((await siyuGroup('饮品偏好'))!.tags.map((x) => [x.name, x.sync])).toEqual([
      ['奶茶', 'pending'],
      ['水果茶', 'pending'],
    ]);
    await settle();
    const there = (await wecomGroup('饮品偏好'))!;
    // WeCom sorts a higher order first.
    expect([...there.tag].sort((a, b) => b.order - a.order).map((x) => x.name)).toEqual(['奶茶', '水果茶']);
    expect((await siyuGroup('饮品偏好'))!.tags.map((x) => x.sync)).toEqual(['synced', 'synced']);
  });

  it('adds a tag to a synced group and deletes tags; a group emptied in WeCom is made again by name', async () => {
    const here = (await siyuGroup('饮品偏好'))!;
    await addTags(admin, here.id, ['纯茶']);
    await settle();
    expect((await wecomGroup('饮品偏好'))!.tag.map((x) => x.name).sort()).toEqual(['奶茶', '水果茶', '纯茶']);
    for (const x of (await siyuGroup('饮品偏好'))!.tags) await deleteTag(admin, x.id);
    await settle();
    // WeCom drops a group with no tag left.
    expect(await wecomGroup('饮品偏好')).toBeUndefined();
    expect((await siyuGroup('饮品偏好'))!.tags).toEqual([]);
    await addTags(admin, here.id, ['低因']);
    await settle();
    const again = (await wecomGroup('饮品偏好'))!;
    expect(again.tag.map((x) => x.name)).toEqual(['低因']);
    expect((await siyuGroup('饮品偏好'))!.tags.map((x) => x.sync)).toEqual(['synced']);
    await deleteTagGroup(admin, here.id);
    await settle();
    expect(await wecomGroup('饮品偏好')).toBeUndefined();
    expect(await siyuGroup('饮品偏好')).toBeUndefined();
  });

  it('shows a change WeCom refuses as failed, with its error', async () => {
    // Tags made in WeCom's admin console cannot be edited by an app (301002).
    await t.corp('POST', '/scenarios/admin-create-tags', { group_name: '会员等级', tag: [{ name: '金卡' }] });
    const gold = await waitFor(async () => (await siyuGroup('会员等级'))?.tags[0], 'the console tag');
    await renameTag(admin, gold.id, '黄金卡');
    await settle();
    const shown = (await siyuGroup('会员等级'))!.tags[0]!;
    expect(shown).toMatchObject({ name: '黄金卡', sync: 'failed', syncError: { errcode: 301002 } });
    expect((await wecomGroup('会员等级'))!.tag[0]!.name).toBe('金卡');
  });
});

describe('WeCom → Siyu', () => {
  it('follows renames and deletes made in WeCom’s admin console, noting removed tags on the timeline', async () => {
    const created = await t.corp('POST', '/scenarios/admin-create-tags', {
      group_name: '所属区域',
      tag: [{ name: '上海' }, { name: '杭州' }],
    });
    const [sh, hz] = created.tag_group.tag as { id: string; name: string }[];
    await waitFor(async () => (await tagRow('杭州')).length === 1, 'the console tags');
    // A customer carries 上海 in Siyu.
    const shTag = (await tagRow('上海'))[0]!;
    await t.database.db
      .insertInto('customer_tags')
      .values({
        corp_id: 'acme',
        customer_id: t.fx.customers.wang,
        tag_id: shTag.id,
        staff_id: null,
        tagged_at: new Date(),
      })
      .execute();

    await t.corp('POST', '/scenarios/admin-edit-tag', { id: hz!.id, name: '杭州市' });
    await t.corp('POST', '/scenarios/admin-edit-tag', { id: created.tag_group.group_id, name: '城市' });
    await waitFor(async () => (await tagRow('杭州市')).length === 1, 'the rename');
    expect(await siyuGroup('城市')).toBeDefined();

    await t.corp('POST', '/scenarios/admin-delete-tags', { tag_id: [sh!.id] });
    await waitFor(async () => (await tagRow('上海')).length === 0, 'the delete');
    const removed = await t.database.db
      .selectFrom('customer_events')
      .select('summary')
      .where('customer_id', '=', t.fx.customers.wang)
      .where('kind', '=', 'tag_removed')
      .execute();
    expect(removed.map((e) => e.summary)).toEqual(['标签「上海」已在企业微信删除']);

    await t.corp('POST', '/scenarios/admin-delete-tags', { group_id: [created.tag_group.group_id] });
    await waitFor(async () => !(await siyuGroup('城市')), 'the group delete');
    expect(await tagRow('杭州市')).toEqual([]);
  });

  it('keeps Siyu’s rename when a callback about the same tag arrives before WeCom has it', async () => {
    await createTagGroup(admin, { name: '到店偏好', audience: 'all', tags: ['堂食'] });
    await settle();
    const tag = (await siyuGroup('到店偏好'))!.tags[0]!;
    const wecomId = (await tagRow('堂食'))[0]!.wecom_tag_id!;
    await t.app.runtime.stop();
    await renameTag(admin, tag.id, '堂食为主'); // on its way
    await t.corp('POST', '/scenarios/admin-edit-tag', { id: wecomId, order: 5 }); // WeCom still says 堂食
    await t.simulator.sim.idle();
    await t.app.runtime.inbox.drain(); // the callback first
    expect((await siyuGroup('到店偏好'))!.tags[0]).toMatchObject({ name: '堂食为主', sync: 'pending' });
    await t.app.runtime.sender.drain();
    t.app.runtime.start();
    await settle();
    expect((await wecomGroup('到店偏好'))!.tag[0]!.name).toBe('堂食为主');
  });
});

describe('the same name made on both sides ends as one tag', () => {
  it('Siyu’s create meets the tag WeCom already has (no callback yet): it is adopted, not doubled', async () => {
    await createTagGroup(admin, { name: '消费等级', audience: 'front_line', tags: ['新客'] });
    await settle();
    // The console makes 复购客 while Siyu hears nothing of it …
    await t.corp('PATCH', '', { callback_url: null });
    const made = await t.corp('POST', '/scenarios/admin-create-tags', {
      group_name: '消费等级',
      tag: [{ name: '复购客' }],
    });
    // … and Siyu makes 复购客 and 高频客 in the same group.
    await addTags(admin, (await siyuGroup('消费等级'))!.id, ['复购客', '高频客']);
    await settle();
    await t.corp('PATCH', '', { callback_url: `${t.siyuUrl}/wecom/callback/acme` });
    const there = (await wecomGroup('消费等级'))!;
    expect(there.tag.map((x) => x.name).sort()).toEqual(['复购客', '新客', '高频客']);
    const repeat = await tagRow('复购客');
    expect(repeat).toHaveLength(1);
    expect(repeat[0]!.wecom_tag_id).toBe(made.tag_group.tag[0].id);
    expect((await siyuGroup('消费等级'))!.tags.every((x) => x.sync === 'synced')).toBe(true);
  });

  it('WeCom’s callback meets Siyu’s create still on its way: the callback adopts it and the create sends nothing', async () => {
    const group = (await siyuGroup('消费等级'))!;
    await t.app.runtime.stop();
    await addTags(admin, group.id, ['沉睡客']);
    await t.corp('POST', '/scenarios/admin-create-tags', {
      group_id: (await wecomGroup('消费等级'))!.group_id,
      tag: [{ name: '沉睡客' }],
    });
    await t.simulator.sim.idle();
    await t.app.runtime.inbox.drain();
    await t.app.runtime.sender.drain();
    t.app.runtime.start();
    await settle();
    expect((await wecomGroup('消费等级'))!.tag.filter((x) => x.name === '沉睡客')).toHaveLength(1);
    expect(await tagRow('沉睡客')).toHaveLength(1);
  });
});

describe('customer tags', () => {
  let wm: string;
  let customerId: number;
  beforeAll(async () => {
    wm = (await t.corp('POST', '/customers', { name: '周小雨' })).external_userid;
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'sh1a',
      external_userid: wm,
      add_way: 1,
    });
    customerId = await waitFor(
      async () =>
        (
          await t.database.db
            .selectFrom('customers')
            .select('id')
            .where('corp_id', '=', 'acme')
            .where('external_userid', '=', wm)
            .executeTakeFirst()
        )?.id,
      'the customer',
    );
  });
  const followTags = async () =>
    ((await t.corp('GET', `/customers/${wm}`)).follows as { userid: string; tags: { tag_name: string }[] }[])
      .find((f) => f.userid === 'sh1a')!
      .tags.map((x) => x.tag_name)
      .sort();
  const siyuTags = async () =>
    (
      await t.database.db
        .selectFrom('customer_tags as ct')
        .innerJoin('tags as tg', (j) =>
          j.onRef('tg.corp_id', '=', 'ct.corp_id').onRef('tg.id', '=', 'ct.tag_id'),
        )
        .select('tg.name')
        .where('ct.customer_id', '=', customerId)
        .orderBy('tg.name')
        .execute()
    ).map((r) => r.name);

  it('a tag put on or taken off in Siyu is marked in WeCom; WeCom’s edits come back by callback', async () => {
    const id = async (name: string) => (await tagRow(name))[0]!.id;
    await editCustomerTags(admin, customerId, { add: [await id('新客'), await id('高频客')], remove: [] });
    await settle();
    expect(await followTags()).toEqual(['新客', '高频客']);
    await editCustomerTags(admin, customerId, { add: [], remove: [await id('高频客')] });
    await settle();
    expect(await followTags()).toEqual(['新客']);
    // The member edits the customer's tags in WeCom.
    await t.corp('POST', '/scenarios/member-edits-contact', {
      userid: 'sh1a',
      external_userid: wm,
      add_tag: [(await tagRow('复购客'))[0]!.wecom_tag_id],
      remove_tag: [(await tagRow('新客'))[0]!.wecom_tag_id],
    });
    await waitFor(async () => (await siyuTags()).includes('复购客'), 'the callback');
    expect(await siyuTags()).toEqual(['复购客']);
  });

  it('a callback arriving while Siyu’s mark is on its way neither drops nor brings back a tag', async () => {
    const id = async (name: string) => (await tagRow(name))[0]!.id;
    await t.app.runtime.stop();
    await editCustomerTags(admin, customerId, { add: [await id('沉睡客')], remove: [await id('复购客')] });
    await t.corp('POST', '/scenarios/member-edits-contact', {
      userid: 'sh1a',
      external_userid: wm,
      remark: '周女士',
    });
    await t.simulator.sim.idle();
    await t.app.runtime.inbox.drain(); // WeCom still lists 复购客 and not 沉睡客
    expect(await siyuTags()).toEqual(['沉睡客']);
    t.app.runtime.start();
    await settle();
    expect(await followTags()).toEqual(['沉睡客']);
  });

  it('customers tagged before the tag reached WeCom get it marked once it has its id', async () => {
    await t.app.runtime.stop();
    await createTagGroup(admin, { name: '兴趣', audience: 'front_line', tags: ['烘焙'] });
    await editCustomerTags(admin, customerId, { add: [(await tagRow('烘焙'))[0]!.id], remove: [] });
    t.app.runtime.start();
    await settle();
    expect(await followTags()).toEqual(['沉睡客', '烘焙']);
  });

  it('a channel rule (by method) tags customers added through any channel of that method, in WeCom too', async () => {
    const newTag = (await tagRow('高频客'))[0]!;
    await createTagRule(admin, {
      name: '门店台卡来客',
      kind: 'channel',
      condition: { methods: ['table_card'], scenes: [] },
      tagIds: [newTag.id],
      enabled: true,
    });
    const channel = await createChannel(admin, {
      name: '静安店台卡',
      scene: '收银台',
      method: 'table_card',
      bait: '',
      unitId: t.fx.units.sh1,
      assignMode: 'single',
      poolStrategy: 'round_robin',
      dailyCap: null,
      workingHours: null,
      skipVerify: true,
      remarkTemplate: '',
      welcome: {},
      staff: [{ staffId: t.fx.staff.sh1b, backup: false }],
      tagIds: [],
    });
    const configId = await waitFor(
      async () =>
        (
          await t.database.db
            .selectFrom('channel_codes')
            .select('config_id')
            .where('channel_id', '=', channel.id)
            .executeTakeFirst()
        )?.config_id,
      'the contact way',
    );
    const ext = (await t.corp('POST', '/customers', { name: '林小满' })).external_userid as string;
    await t.corp('POST', '/scenarios/scan-contact-way', { config_id: configId, external_userid: ext });
    const marked = await waitFor(async () => {
      const follows = (await t.corp('GET', `/customers/${ext}`)).follows as {
        userid: string;
        tags: { tag_name: string }[];
      }[];
      const f = follows.find((x) => x.userid === 'sh1b');
      return f?.tags.some((x) => x.tag_name === '高频客') ? f : null;
    }, 'the rule’s mark');
    expect(marked.tags.map((x) => x.tag_name)).toEqual(['高频客']);
    const events = await t.database.db
      .selectFrom('customer_events as e')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'e.corp_id').onRef('c.id', '=', 'e.customer_id'),
      )
      .select('e.summary')
      .where('c.external_userid', '=', ext)
      .where('e.kind', '=', 'tag_added')
      .execute();
    expect(events.map((e) => e.summary)).toEqual([
      '打上标签「高频客」（规则「门店台卡来客」：通过渠道「静安店台卡」添加（场景：收银台））',
    ]);
  });
});
