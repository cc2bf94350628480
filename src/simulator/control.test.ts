import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CORP,
  corpPath,
  newContactWay,
  newCustomer,
  seedCorp,
  startTestSim,
  type TestSim,
} from './testing.ts';

let sim: TestSim;

beforeEach(async () => {
  sim = await startTestSim();
  await seedCorp(sim);
});
afterEach(async () => {
  await sim.close();
});

describe('validation', () => {
  it('answers a clear 400 for bad bodies', async () => {
    const missing = await sim.control('POST', '/sim/corps', { corpid: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('invalid_request');
    expect(missing.body.error.message).toContain('body.name');
    expect(missing.body.error.details.map((d: { path: string }) => d.path)).toContain(
      'body.encoding_aes_key',
    );

    const badKey = await sim.control('POST', '/sim/corps', {
      ...CORP,
      corpid: 'other',
      encoding_aes_key: 'short',
    });
    expect(badKey.body.error.message).toBe('body.encoding_aes_key: encoding_aes_key: 43 base64 characters');
    const unknownField = await sim.control('POST', corpPath('/customers'), { name: 'a', nickname: 'b' });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.message).toMatch(/nickname/);
    const notJson = await fetch(`${sim.url}${corpPath('/customers')}`, { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    const scenario = await sim.control('POST', corpPath('/scenarios/join-group'), {
      chat_id: 'wr1',
      via: 'teleport',
    });
    expect(scenario.status).toBe(400);
    expect(scenario.body.error.message).toContain('body.via');
  });

  it('404 for unknown corps, scenarios, customers and routes; 409 for duplicates', async () => {
    expect((await sim.control('GET', '/sim/corps/nope')).status).toBe(404);
    const unknown = await sim.control('POST', corpPath('/scenarios/fly'), {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('scan-contact-way');
    expect((await sim.control('GET', corpPath('/customers/wmnope'))).status).toBe(404);
    expect((await sim.control('GET', '/sim/nothing')).status).toBe(404);
    expect((await sim.control('POST', '/sim/corps', CORP)).status).toBe(409);
    const dup = await sim.control('POST', corpPath('/members'), {
      userid: 'lisi',
      name: 'x',
      department: [1],
    });
    expect(dup.body.error.code).toBe('member_exists');
    const ext = await newCustomer(sim);
    const notFriends = await sim.control('POST', corpPath('/scenarios/customer-sends-message'), {
      external_userid: ext,
      userid: 'lisi',
      content: 'hi',
    });
    expect(notFriends.status).toBe(409);
    expect(notFriends.body.error.code).toBe('not_friends');
  });
});

describe('corps, directory and inspection', () => {
  it('creates, updates and deletes corps, departments and members', async () => {
    const corp = await sim.ok('GET', corpPath());
    expect(corp).toMatchObject({
      corpid: CORP.corpid,
      callback_url: null,
      limits: { receive_cap_per_month: null, rate_per_minute: 10000 },
      counts: { departments: 2, members: 3, customers: 0 },
    });
    const updated = await sim.ok('PATCH', corpPath(), {
      callback_url: 'http://127.0.0.1:9/cb',
      limits: { rate_per_minute: 50 },
    });
    expect(updated).toMatchObject({ callback_url: 'http://127.0.0.1:9/cb', limits: { rate_per_minute: 50 } });
    expect((await sim.ok('GET', '/sim/corps')).corps).toHaveLength(1);

    await sim.ok('POST', corpPath('/departments'), { id: 3, name: '上海门店', parentid: 2 });
    expect((await sim.control('DELETE', corpPath('/departments/2'))).status).toBe(409);
    await sim.ok('PATCH', corpPath('/members/lisi'), { department: [3], position: '店长' });
    expect(await sim.ok('GET', corpPath('/members/lisi'))).toMatchObject({
      department: [3],
      position: '店长',
      main_department: 3,
    });
    await sim.ok('DELETE', corpPath('/members/lisi'));
    expect((await sim.control('GET', corpPath('/members/lisi'))).status).toBe(404);
    expect(
      (await sim.ok('GET', corpPath('/members'))).members.map((m: { userid: string }) => m.userid),
    ).toEqual(['zhangsan', 'wangwu']);

    await sim.ok('POST', '/sim/corps', { ...CORP, corpid: 'wwother' });
    expect(await sim.ok('DELETE', '/sim/corps/wwother')).toEqual({ deleted: true });
  });

  it('shows a customer with all follows, tags, groups, welcomes and messages', async () => {
    const way = await newContactWay(sim, { type: 1, user: ['lisi'], state: 'pkg-card' });
    const ext = await newCustomer(sim);
    const scan = await sim.ok('POST', corpPath('/scenarios/scan-contact-way'), {
      config_id: way,
      external_userid: ext,
    });
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: ext,
      add_way: 2,
    });
    const tags = await sim.ok('POST', corpPath('/scenarios/admin-create-tags'), {
      group_name: '渠道',
      tag: [{ name: '包裹卡' }],
    });
    const tagId = tags.tag_group.tag[0].id;
    await sim.ok('POST', corpPath('/scenarios/member-edits-contact'), {
      userid: 'lisi',
      external_userid: ext,
      remark: '小美',
      add_tag: [tagId],
    });
    const group = await sim.ok('POST', corpPath('/scenarios/member-creates-group'), {
      owner: 'lisi',
      name: '包裹卡福利群',
    });
    await sim.ok('POST', corpPath('/scenarios/join-group'), {
      chat_id: group.group.chat_id,
      external_userid: ext,
    });
    await sim.api('/cgi-bin/externalcontact/send_welcome_msg', {
      welcome_code: scan.welcome_code,
      text: { content: '欢迎' },
    });
    await sim.ok('POST', corpPath('/scenarios/customer-sends-message'), {
      external_userid: ext,
      userid: 'lisi',
      content: '你好',
    });

    const view = await sim.ok('GET', corpPath(`/customers/${ext}`));
    expect(view.customer).toMatchObject({ external_userid: ext, name: '王小美', gender: 2 });
    expect(view.follows).toHaveLength(2);
    expect(view.follows[0]).toMatchObject({
      userid: 'lisi',
      member_name: '李四',
      remark: '小美',
      state: 'pkg-card',
      add_way: 1,
      tags: [{ tag_id: tagId, tag_name: '包裹卡', group_name: '渠道' }],
    });
    expect(view.follows[1]).toMatchObject({ userid: 'zhangsan', add_way: 2, state: '', tags: [] });
    expect(view.groups).toEqual([
      expect.objectContaining({ chat_id: group.group.chat_id, name: '包裹卡福利群', join_scene: 3 }),
    ]);
    expect(view.welcomes).toEqual([expect.objectContaining({ text: '欢迎', userid: 'lisi' })]);

    const messages = await sim.ok('GET', corpPath(`/messages?external_userid=${ext}`));
    expect(
      messages.messages.map((m: { kind: string; direction: string }) => `${m.kind}:${m.direction}`),
    ).toEqual(['welcome:out', 'chat:in']);
    const groups = await sim.ok('GET', corpPath('/groups'));
    expect(groups.groups[0]).toMatchObject({ chat_id: group.group.chat_id, member_count: 2 });
    expect((await sim.ok('GET', corpPath(`/groups/${group.group.chat_id}`))).members[1]).toMatchObject({
      userid: ext,
      name: '王小美',
    });
    expect((await sim.ok('GET', corpPath('/customers'))).total).toBe(1);
    expect((await sim.ok('GET', corpPath('/tags'))).tag_groups[0]).toMatchObject({
      group_name: '渠道',
      created_by: 'console',
    });
    expect((await sim.ok('GET', corpPath('/contact-ways'))).contact_ways[0]).toMatchObject({
      config_id: way,
      state: 'pkg-card',
    });
    const counters = await sim.ok('GET', corpPath('/counters'));
    expect(counters.scenarios['scan-contact-way']).toBe(1);
    expect(counters.api['/cgi-bin/externalcontact/add_contact_way'].calls).toBe(1);
  });

  it('a member who already follows the customer just opens the chat: no new follow, no event', async () => {
    const way = await newContactWay(sim, { user: ['zhangsan', 'lisi'] });
    const ext = await newCustomer(sim);
    const first = await sim.ok('POST', corpPath('/scenarios/scan-contact-way'), {
      config_id: way,
      external_userid: ext,
    });
    const again = await sim.ok('POST', corpPath('/scenarios/scan-contact-way'), {
      config_id: way,
      external_userid: ext,
    });
    expect(again).toMatchObject({ userid: first.userid, added: false, welcome_code: null });
  });

  it('a customer who has chatted with the member gets no WelcomeCode on re-adding', async () => {
    const ext = await newCustomer(sim);
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'lisi',
      external_userid: ext,
    });
    await sim.ok('POST', corpPath('/scenarios/customer-sends-message'), {
      external_userid: ext,
      userid: 'lisi',
      content: 'hi',
    });
    await sim.ok('POST', corpPath('/scenarios/customer-deletes-member'), {
      external_userid: ext,
      userid: 'lisi',
    });
    const readd = await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'lisi',
      external_userid: ext,
    });
    expect(readd.welcome_code).toBeNull();
  });

  it('a customer can refuse a transfer (transfer_fail)', async () => {
    const ext = await newCustomer(sim);
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'lisi',
      external_userid: ext,
    });
    await sim.api('/cgi-bin/externalcontact/transfer_customer', {
      handover_userid: 'lisi',
      takeover_userid: 'zhangsan',
      external_userid: [ext],
    });
    const refused = await sim.ok('POST', corpPath('/scenarios/customer-refuses-transfer'), {
      external_userid: ext,
    });
    expect(refused.transfer.status).toBe(3);
    const result = await sim.api('/cgi-bin/externalcontact/transfer_result', {
      handover_userid: 'lisi',
      takeover_userid: 'zhangsan',
    });
    expect(result.customer).toEqual([{ external_userid: ext, status: 3, takeover_time: 0 }]);
  });
});

describe('clock', () => {
  it('moves a manual clock through the control API', async () => {
    const before = await sim.ok('GET', '/sim/clock');
    expect(before).toEqual({ now: '2026-03-10T02:00:00.000Z', manual: true });
    expect(await sim.ok('POST', '/sim/clock', { advance_ms: 21_000 })).toEqual({
      now: '2026-03-10T02:00:21.000Z',
      manual: true,
    });
    expect((await sim.ok('POST', '/sim/clock', { set: '2026-04-01T00:00:00Z' })).now).toBe(
      '2026-04-01T00:00:00.000Z',
    );
    expect((await sim.control('POST', '/sim/clock', {})).status).toBe(400);
  });
});
