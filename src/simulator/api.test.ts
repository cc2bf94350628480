import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CORP,
  corpPath,
  type Json,
  newContactWay,
  newCustomer,
  seedCorp,
  startTestSim,
  type TestSim,
} from './testing.ts';

const EC = '/cgi-bin/externalcontact';
let sim: TestSim;

beforeEach(async () => {
  sim = await startTestSim();
  await seedCorp(sim);
});
afterEach(async () => {
  await sim.close();
});

async function gettoken(corpid?: string, secret?: string) {
  const q = new URLSearchParams();
  if (corpid !== undefined) q.set('corpid', corpid);
  if (secret !== undefined) q.set('corpsecret', secret);
  return (await fetch(`${sim.url}/cgi-bin/gettoken?${q}`)).json() as Promise<Json>;
}

/** A customer who scanned zhangsan/lisi's contact way; returns [external_userid, userid]. */
async function befriend(name = '王小美'): Promise<[string, string]> {
  const ext = await newCustomer(sim, name);
  const res = await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
    userid: 'zhangsan',
    external_userid: ext,
    add_way: 3,
  });
  return [ext, res.follow.userid];
}

describe('gettoken and tokens', () => {
  it('issues a token valid 7200 s and returns the same one while valid', async () => {
    const a = await gettoken(CORP.corpid, CORP.secret);
    expect(a).toMatchObject({ errcode: 0, errmsg: 'ok', expires_in: 7200 });
    expect(a.access_token).toMatch(/^[A-Za-z0-9_-]{100,512}$/);
    sim.clock.advance(600_000);
    const b = await gettoken(CORP.corpid, CORP.secret);
    expect(b.access_token).toBe(a.access_token);
    expect(b.expires_in).toBe(6600);
  });

  it('answers 40013 for an unknown corpid and 40001 for a wrong secret, with a WeCom errmsg', async () => {
    const unknown = await gettoken('nope', 'x');
    expect(unknown.errcode).toBe(40013);
    expect(unknown.errmsg).toMatch(
      /^invalid corpid, hint: \[\d{25}\], from ip: 127\.0\.0\.1, more info at https:\/\/open\.work\.weixin\.qq\.com\/devtool\/query\?e=40013$/,
    );
    expect((await gettoken(CORP.corpid, 'wrong')).errcode).toBe(40001);
    expect((await gettoken()).errcode).toBe(41002);
  });

  it('requires a token: 41001 missing, 40014 invalid, 42001 expired, 40014 revoked', async () => {
    const call = (token?: string) =>
      fetch(`${sim.url}/cgi-bin/department/list${token === undefined ? '' : `?access_token=${token}`}`).then(
        (r) => r.json() as Promise<Json>,
      );
    expect((await call()).errcode).toBe(41001);
    const invalid = await call('garbage');
    expect(invalid.errcode).toBe(40014);
    expect(invalid.errmsg).toMatch(
      /^invalid access_token, hint: \[\d+\], from ip: 127\.0\.0\.1, more info at .*e=40014$/,
    );

    const token = await sim.token();
    expect((await call(token)).errcode).toBe(0);
    sim.clock.advance(7200_000);
    expect((await call(token)).errcode).toBe(42001);
    const fresh = (await gettoken(CORP.corpid, CORP.secret)).access_token;
    expect(fresh).not.toBe(token);
    expect((await call(fresh)).errcode).toBe(0);

    expect(await sim.ok('POST', corpPath('/revoke-tokens'))).toEqual({ revoked: 2 });
    expect((await call(fresh)).errcode).toBe(40014);
    expect((await gettoken(CORP.corpid, CORP.secret)).access_token).not.toBe(fresh);
  });

  it('rejects malformed JSON with 47001 and unknown API paths with 404', async () => {
    const token = await sim.token();
    const res = await fetch(`${sim.url}${EC}/remark?access_token=${token}`, {
      method: 'POST',
      body: '{oops',
    });
    expect(((await res.json()) as { errcode: number }).errcode).toBe(47001);
    expect((await fetch(`${sim.url}/cgi-bin/nope?access_token=${token}`)).status).toBe(404);
  });
});

describe('directory', () => {
  it('lists departments, user ids and gets a user', async () => {
    const deps = await sim.api('/cgi-bin/department/list');
    expect(deps.department.map((d: { id: number }) => d.id)).toEqual([1, 2]);
    expect((await sim.api('/cgi-bin/department/list', undefined, { id: '2' })).department).toHaveLength(1);
    expect((await sim.api('/cgi-bin/department/list', undefined, { id: '99' })).errcode).toBe(60123);

    const ids = await sim.api('/cgi-bin/user/list_id', { limit: 2 });
    expect(ids.dept_user).toEqual([
      { userid: 'zhangsan', department: 2 },
      { userid: 'lisi', department: 2 },
    ]);
    const rest = await sim.api('/cgi-bin/user/list_id', { cursor: ids.next_cursor, limit: 2 });
    expect(rest).toMatchObject({
      errcode: 0,
      next_cursor: '',
      dept_user: [{ userid: 'wangwu', department: 1 }],
    });

    const user = await sim.api('/cgi-bin/user/get', undefined, { userid: 'lisi' });
    expect(user).toMatchObject({
      errcode: 0,
      userid: 'lisi',
      name: '李四',
      department: [2],
      position: '导购',
      status: 1,
    });
    expect((await sim.api('/cgi-bin/user/get', undefined, { userid: 'ghost' })).errcode).toBe(60111);
  });

  it('a deleted member disappears from the directory', async () => {
    await sim.ok('DELETE', corpPath('/members/wangwu'));
    expect((await sim.api('/cgi-bin/user/get', undefined, { userid: 'wangwu' })).errcode).toBe(60111);
    expect((await sim.api(`${EC}/get_follow_user_list`)).follow_user).toEqual(['zhangsan', 'lisi']);
  });
});

describe('customers and follows', () => {
  it('get / list / batch/get_by_user return WeCom shapes', async () => {
    const [ext] = await befriend();
    const way = await newContactWay(sim, { type: 1, user: ['lisi'], state: 'poster-7' });
    await sim.ok('POST', corpPath('/scenarios/scan-contact-way'), { config_id: way, external_userid: ext });

    const got = await sim.api(`${EC}/get`, undefined, { external_userid: ext });
    expect(got.errcode).toBe(0);
    expect(got.external_contact).toMatchObject({ external_userid: ext, name: '王小美', type: 1, gender: 2 });
    expect(ext).toMatch(/^wm[A-Za-z0-9_-]{30}$/);
    expect(got.follow_user).toHaveLength(2);
    expect(got.follow_user[1]).toMatchObject({
      userid: 'lisi',
      remark: '',
      tags: [],
      add_way: 1,
      state: 'poster-7',
      oper_userid: ext,
    });
    expect(got.follow_user[0]).toMatchObject({ userid: 'zhangsan', add_way: 3, oper_userid: 'zhangsan' });
    expect(got.next_cursor).toBe('');

    expect(await sim.api(`${EC}/list`, undefined, { userid: 'lisi' })).toMatchObject({
      errcode: 0,
      external_userid: [ext],
    });
    expect(await sim.api(`${EC}/list`, undefined, { userid: 'wangwu' })).toMatchObject({
      errcode: 84061,
      external_userid: [],
    });
    expect((await sim.api(`${EC}/list`, undefined, { userid: 'ghost' })).errcode).toBe(60111);

    const batch = await sim.api(`${EC}/batch/get_by_user`, { userid_list: ['zhangsan', 'lisi'], limit: 1 });
    expect(batch.external_contact_list).toHaveLength(1);
    expect(batch.external_contact_list[0].follow_info).toMatchObject({
      userid: 'zhangsan',
      tag_id: [],
      add_way: 3,
    });
    const batch2 = await sim.api(`${EC}/batch/get_by_user`, {
      userid_list: ['zhangsan', 'lisi'],
      cursor: batch.next_cursor,
    });
    expect(batch2.external_contact_list[0].follow_info).toMatchObject({ userid: 'lisi', state: 'poster-7' });
    expect(batch2.next_cursor).toBe('');
    const tooMany = Array.from({ length: 101 }, (_, i) => `u${i}`);
    expect((await sim.api(`${EC}/batch/get_by_user`, { userid_list: tooMany })).errcode).toBe(40058);
    expect(
      (await sim.api(`${EC}/batch/get_by_user`, { userid_list: ['zhangsan'], limit: 101 })).errcode,
    ).toBe(40058);
  });

  it('unknown external_userid → 40096, no relationship → 84061', async () => {
    expect((await sim.api(`${EC}/get`, undefined, { external_userid: 'wmnope' })).errcode).toBe(40096);
    const stranger = await newCustomer(sim);
    const res = await sim.api(`${EC}/get`, undefined, { external_userid: stranger });
    expect(res).toMatchObject({ errcode: 84061, follow_user: [] });
    expect(res.errmsg).toMatch(/^not external contact, hint/);
    expect(
      (await sim.api(`${EC}/remark`, { userid: 'lisi', external_userid: stranger, remark: 'x' })).errcode,
    ).toBe(84061);
    expect(
      (await sim.api(`${EC}/remark`, { userid: 'lisi', external_userid: 'wmnope', remark: 'x' })).errcode,
    ).toBe(40096);
  });

  it('remark and mark_tag change the follow; limits are enforced', async () => {
    const [ext] = await befriend();
    const tags = await sim.api(`${EC}/add_corp_tag`, {
      group_name: '客户等级',
      tag: [{ name: 'VIP' }, { name: '新客' }],
    });
    const [vip, fresh] = tags.tag_group.tag.map((t: { id: string }) => t.id);
    expect(
      await sim.api(`${EC}/remark`, {
        userid: 'zhangsan',
        external_userid: ext,
        remark: '王小美-老客',
        description: '喜欢乌龙',
        remark_company: '禾木',
        remark_mobiles: ['13800000000'],
      }),
    ).toMatchObject({ errcode: 0 });
    expect(
      (await sim.api(`${EC}/remark`, { userid: 'zhangsan', external_userid: ext, remark: 'x'.repeat(21) }))
        .errcode,
    ).toBe(40058);
    expect(
      await sim.api(`${EC}/mark_tag`, { userid: 'zhangsan', external_userid: ext, add_tag: [vip, fresh] }),
    ).toMatchObject({
      errcode: 0,
    });
    await sim.api(`${EC}/mark_tag`, { userid: 'zhangsan', external_userid: ext, remove_tag: [fresh] });
    expect(
      (await sim.api(`${EC}/mark_tag`, { userid: 'zhangsan', external_userid: ext, add_tag: ['etnope'] }))
        .errcode,
    ).toBe(40068);
    expect((await sim.api(`${EC}/mark_tag`, { userid: 'zhangsan', external_userid: ext })).errcode).toBe(
      40058,
    );

    const got = await sim.api(`${EC}/get`, undefined, { external_userid: ext });
    expect(got.follow_user[0]).toMatchObject({
      remark: '王小美-老客',
      description: '喜欢乌龙',
      remark_corp_name: '禾木',
      remark_mobiles: ['13800000000'],
      tags: [{ group_name: '客户等级', tag_name: 'VIP', type: 1, tag_id: vip }],
    });
  });
});

describe('corp tags', () => {
  it('add, list, edit and delete; duplicate names and unknown ids are errors', async () => {
    const added = await sim.api(`${EC}/add_corp_tag`, {
      group_name: '兴趣',
      order: 5,
      tag: [{ name: '奶茶', order: 1 }],
    });
    expect(added.errcode).toBe(0);
    const group = added.tag_group;
    expect(group.group_id).toMatch(/^et[A-Za-z0-9_-]{30}$/);
    expect(group.tag[0]).toMatchObject({ name: '奶茶', order: 1 });
    const more = await sim.api(`${EC}/add_corp_tag`, { group_id: group.group_id, tag: [{ name: '咖啡' }] });
    expect(more.tag_group.tag.map((t: { name: string }) => t.name)).toEqual(['咖啡']);
    expect(
      (await sim.api(`${EC}/add_corp_tag`, { group_id: group.group_id, tag: [{ name: '咖啡' }] })).errcode,
    ).toBe(40071);
    expect((await sim.api(`${EC}/add_corp_tag`, { group_id: 'etnope', tag: [{ name: 'x' }] })).errcode).toBe(
      40068,
    );
    expect(
      (await sim.api(`${EC}/add_corp_tag`, { group_name: 'g', tag: [{ name: 'x'.repeat(31) }] })).errcode,
    ).toBe(40058);

    const list = await sim.api(`${EC}/get_corp_tag_list`, {});
    expect(list.tag_group).toHaveLength(1);
    expect(list.tag_group[0]).toMatchObject({ group_name: '兴趣', order: 5, deleted: false });
    expect(list.tag_group[0].tag).toHaveLength(2);
    const coffee = more.tag_group.tag[0].id;
    const filtered = await sim.api(`${EC}/get_corp_tag_list`, { tag_id: [coffee] });
    expect(filtered.tag_group[0].tag.map((t: { id: string }) => t.id)).toEqual([coffee]);

    expect(await sim.api(`${EC}/edit_corp_tag`, { id: coffee, name: '美式', order: 9 })).toMatchObject({
      errcode: 0,
    });
    expect((await sim.api(`${EC}/edit_corp_tag`, { id: 'etnope', name: 'x' })).errcode).toBe(40068);
    expect(await sim.api(`${EC}/del_corp_tag`, { tag_id: [coffee] })).toMatchObject({ errcode: 0 });
    expect((await sim.api(`${EC}/del_corp_tag`, {})).errcode).toBe(40058);
    expect(await sim.api(`${EC}/del_corp_tag`, { group_id: [group.group_id] })).toMatchObject({ errcode: 0 });
    expect((await sim.api(`${EC}/get_corp_tag_list`, {})).tag_group).toEqual([]);
  });

  it('an app may not edit tags created in the admin console (301002)', async () => {
    const created = await sim.ok('POST', corpPath('/scenarios/admin-create-tags'), {
      group_name: '后台',
      tag: [{ name: 'A' }],
    });
    const tagId = created.tag_group.tag[0].id;
    expect((await sim.api(`${EC}/edit_corp_tag`, { id: tagId, name: 'B' })).errcode).toBe(301002);
    expect((await sim.api(`${EC}/del_corp_tag`, { tag_id: [tagId] })).errcode).toBe(301002);
  });
});

describe('contact ways', () => {
  it('add / get / list / update / del', async () => {
    const res = await sim.api(`${EC}/add_contact_way`, {
      type: 2,
      scene: 2,
      remark: '门店海报',
      state: 'store-001',
      user: ['zhangsan'],
      party: [2],
    });
    expect(res.errcode).toBe(0);
    expect(res.config_id).toMatch(/^[0-9a-f]{32}$/);
    expect(res.qr_code).toMatch(/^https:\/\//);
    const got = await sim.api(`${EC}/get_contact_way`, { config_id: res.config_id });
    expect(got.contact_way).toMatchObject({
      config_id: res.config_id,
      type: 2,
      scene: 2,
      remark: '门店海报',
      skip_verify: true,
      state: 'store-001',
      user: ['zhangsan'],
      party: [2],
      qr_code: res.qr_code,
    });
    const mini = await sim.api(`${EC}/add_contact_way`, { type: 1, scene: 1, user: ['lisi'] });
    expect(mini.qr_code).toBeUndefined();

    const listed = await sim.api(`${EC}/list_contact_way`, { limit: 1 });
    expect(listed.contact_way).toEqual([{ config_id: res.config_id }]);
    const next = await sim.api(`${EC}/list_contact_way`, { limit: 1, cursor: listed.next_cursor });
    expect(next.contact_way).toEqual([{ config_id: mini.config_id }]);

    await sim.api(`${EC}/update_contact_way`, {
      config_id: res.config_id,
      user: ['wangwu'],
      state: 'store-002',
    });
    const updated = await sim.api(`${EC}/get_contact_way`, { config_id: res.config_id });
    expect(updated.contact_way).toMatchObject({ user: ['wangwu'], party: [2], state: 'store-002' });

    expect(await sim.api(`${EC}/del_contact_way`, { config_id: res.config_id })).toMatchObject({
      errcode: 0,
    });
    expect((await sim.api(`${EC}/get_contact_way`, { config_id: res.config_id })).errcode).toBe(40058);
  });

  it('type is required (41037), state ≤ 30, type 1 needs exactly one user', async () => {
    expect((await sim.api(`${EC}/add_contact_way`, { scene: 2, user: ['lisi'] })).errcode).toBe(41037);
    const long = await sim.api(`${EC}/add_contact_way`, {
      type: 1,
      scene: 2,
      user: ['lisi'],
      state: 's'.repeat(31),
    });
    expect(long.errcode).toBe(40058);
    expect(long.errmsg).toMatch(/^state exceed max length 30\. invalid Request Parameter, hint/);
    expect(
      (await sim.api(`${EC}/add_contact_way`, { type: 1, scene: 2, user: ['lisi'], state: '店'.repeat(30) }))
        .errcode,
    ).toBe(0);
    expect((await sim.api(`${EC}/add_contact_way`, { type: 1, scene: 2, user: [] })).errcode).toBe(40058);
    expect((await sim.api(`${EC}/add_contact_way`, { type: 1, scene: 2, user: ['ghost'] })).errcode).toBe(
      60111,
    );
    const way = await newContactWay(sim);
    expect(
      (await sim.api(`${EC}/update_contact_way`, { config_id: way, state: 'x'.repeat(31) })).errcode,
    ).toBe(40058);
  });
});

describe('welcome messages', () => {
  async function scan() {
    const way = await newContactWay(sim);
    const ext = await newCustomer(sim);
    const res = await sim.ok('POST', corpPath('/scenarios/scan-contact-way'), {
      config_id: way,
      external_userid: ext,
    });
    return { ext, code: res.welcome_code as string, userid: res.userid as string };
  }

  it('is sent once: the second use answers 41051; the customer received it', async () => {
    const { ext, code, userid } = await scan();
    const body = {
      welcome_code: code,
      text: { content: '欢迎光临禾木茶饮！' },
      attachments: [{ msgtype: 'link', link: { title: '新人券', url: 'https://example.com/c' } }],
    };
    expect(await sim.api(`${EC}/send_welcome_msg`, body)).toMatchObject({ errcode: 0 });
    const again = await sim.api(`${EC}/send_welcome_msg`, body);
    expect(again.errcode).toBe(41051);
    expect(again.errmsg).toMatch(/^externaluser has started chatting, hint/);
    const received = await sim.ok('GET', corpPath(`/customers/${ext}/welcomes`));
    expect(received.welcomes).toEqual([
      {
        external_userid: ext,
        userid,
        welcome_code: code,
        text: '欢迎光临禾木茶饮！',
        attachments: body.attachments,
        at: Math.floor(sim.clock.now().getTime() / 1000),
      },
    ]);
  });

  it('expires after 20 s (41051)', async () => {
    const { code } = await scan();
    sim.clock.advance(20_001);
    expect(
      (await sim.api(`${EC}/send_welcome_msg`, { welcome_code: code, text: { content: 'hi' } })).errcode,
    ).toBe(41051);
    const second = await scan();
    sim.clock.advance(20_000);
    expect(
      (await sim.api(`${EC}/send_welcome_msg`, { welcome_code: second.code, text: { content: 'hi' } }))
        .errcode,
    ).toBe(0);
  });

  it('checks text ≤ 4000 bytes and ≤ 9 attachments', async () => {
    const { code } = await scan();
    const big = await sim.api(`${EC}/send_welcome_msg`, {
      welcome_code: code,
      text: { content: '茶'.repeat(1334) },
    });
    expect(big.errcode).toBe(40058);
    const image = { msgtype: 'image', image: { media_id: 'MEDIA' } };
    const ten = await sim.api(`${EC}/send_welcome_msg`, {
      welcome_code: code,
      attachments: Array(10).fill(image),
    });
    expect(ten.errcode).toBe(40058);
    const mismatch = await sim.api(`${EC}/send_welcome_msg`, {
      welcome_code: code,
      attachments: [{ msgtype: 'image', link: {} }],
    });
    expect(mismatch.errcode).toBe(40058);
    expect(
      (await sim.api(`${EC}/send_welcome_msg`, { welcome_code: code, attachments: Array(9).fill(image) }))
        .errcode,
    ).toBe(0);
  });
});

describe('mass send', () => {
  it('creates a task per sender, reports fail_list, and results after the member confirms', async () => {
    const [a] = await befriend('甲');
    const [b] = await befriend('乙');
    const stranger = await newCustomer(sim, '丙');
    const res = await sim.api(`${EC}/add_msg_template`, {
      external_userid: [a, b, stranger],
      text: { content: '春季新品上市' },
    });
    expect(res.errcode).toBe(0);
    expect(res.fail_list).toEqual([stranger]);
    expect(res.msgid).toMatch(/^msg/);

    const tasks = await sim.api(`${EC}/get_groupmsg_task`, { msgid: res.msgid });
    expect(tasks.task_list).toEqual([{ userid: 'zhangsan', status: 0 }]);
    const before = await sim.api(`${EC}/get_groupmsg_send_result`, { msgid: res.msgid, userid: 'zhangsan' });
    expect(before.send_list.map((s: { status: number }) => s.status)).toEqual([0, 0]);

    await sim.ok('POST', corpPath('/scenarios/customer-deletes-member'), {
      external_userid: b,
      userid: 'zhangsan',
    });
    await sim.ok('POST', corpPath('/scenarios/member-confirms-mass-send'), {
      msgid: res.msgid,
      userid: 'zhangsan',
    });
    const after = await sim.api(`${EC}/get_groupmsg_send_result`, { msgid: res.msgid, userid: 'zhangsan' });
    const now = Math.floor(sim.clock.now().getTime() / 1000);
    expect(after.send_list).toEqual([
      { external_userid: a, userid: 'zhangsan', status: 1, send_time: now },
      { external_userid: b, userid: 'zhangsan', status: 2 },
    ]);
    expect((await sim.api(`${EC}/get_groupmsg_task`, { msgid: res.msgid })).task_list).toEqual([
      { userid: 'zhangsan', status: 2, send_time: now },
    ]);

    const list = await sim.api(`${EC}/get_groupmsg_list_v2`, {
      chat_type: 'single',
      start_time: now - 60,
      end_time: now + 60,
    });
    expect(list.group_msg_list).toEqual([
      {
        msgid: res.msgid,
        creator: '',
        create_time: String(now),
        create_type: 0,
        text: { content: '春季新品上市' },
      },
    ]);
    expect((await sim.api(`${EC}/add_msg_template`, { text: { content: 'x' } })).errcode).toBe(40058);
    expect((await sim.api(`${EC}/get_groupmsg_task`, { msgid: 'msgnope' })).errcode).toBe(40058);
  });

  it('over the receive cap (set to 2) the status is 3', async () => {
    await sim.ok('PATCH', corpPath(), { limits: { receive_cap_per_month: 2 } });
    const [a] = await befriend();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { msgid } = await sim.api(`${EC}/add_msg_template`, {
        sender: 'zhangsan',
        text: { content: `第${i}条` },
      });
      const confirmed = await sim.ok('POST', corpPath('/scenarios/member-confirms-mass-send'), {
        msgid,
        userid: 'zhangsan',
      });
      statuses.push(confirmed.send_list[0].status);
      expect(confirmed.send_list[0].external_userid).toBe(a);
    }
    expect(statuses).toEqual([1, 1, 3]);
    // A new calendar month (China time) resets the cap.
    sim.clock.set('2026-03-31T16:00:00Z');
    const { msgid } = await sim.api(`${EC}/add_msg_template`, {
      sender: 'zhangsan',
      text: { content: '四月' },
    });
    const april = await sim.ok('POST', corpPath('/scenarios/member-confirms-mass-send'), {
      msgid,
      userid: 'zhangsan',
    });
    expect(april.send_list[0].status).toBe(1);
  });

  it('the default cap is the number of days in the month', async () => {
    const corp = await sim.ok('GET', corpPath());
    expect(corp.effective_receive_cap).toEqual({ month: '2026-03', cap: 31 });
  });
});

describe('groups and join ways', () => {
  async function group() {
    const [ext] = await befriend();
    const created = await sim.ok('POST', corpPath('/scenarios/member-creates-group'), {
      owner: 'zhangsan',
      name: '禾木福利群',
      member_userids: ['lisi'],
      external_userids: [ext],
      admin_userids: ['lisi'],
    });
    return { ext, chatId: created.group.chat_id as string };
  }

  it('groupchat/list and groupchat/get', async () => {
    const { ext, chatId } = await group();
    expect(chatId).toMatch(/^wr[A-Za-z0-9_-]{30}$/);
    const list = await sim.api(`${EC}/groupchat/list`, { limit: 10 });
    expect(list).toMatchObject({
      errcode: 0,
      group_chat_list: [{ chat_id: chatId, status: 0 }],
      next_cursor: '',
    });
    expect((await sim.api(`${EC}/groupchat/list`, {})).errcode).toBe(40058);
    expect(
      (await sim.api(`${EC}/groupchat/list`, { limit: 10, owner_filter: { userid_list: ['lisi'] } }))
        .group_chat_list,
    ).toEqual([]);

    const got = await sim.api(`${EC}/groupchat/get`, { chat_id: chatId, need_name: 1 });
    const now = Math.floor(sim.clock.now().getTime() / 1000);
    expect(got.group_chat).toMatchObject({
      chat_id: chatId,
      name: '禾木福利群',
      owner: 'zhangsan',
      create_time: now,
      admin_list: [{ userid: 'lisi' }],
    });
    expect(got.group_chat.member_version).toMatch(/^[0-9a-f]{32}$/);
    expect(got.group_chat.member_list).toEqual([
      { userid: 'zhangsan', type: 1, join_time: now, join_scene: 1, group_nickname: '', name: '张三' },
      {
        userid: 'lisi',
        type: 1,
        join_time: now,
        join_scene: 1,
        invitor: { userid: 'zhangsan' },
        group_nickname: '',
        name: '李四',
      },
      {
        userid: ext,
        type: 2,
        join_time: now,
        join_scene: 1,
        invitor: { userid: 'zhangsan' },
        group_nickname: '',
        name: '王小美',
      },
    ]);
    const noName = await sim.api(`${EC}/groupchat/get`, { chat_id: chatId });
    expect(noName.group_chat.member_list[0].name).toBeUndefined();
    expect((await sim.api(`${EC}/groupchat/get`, { chat_id: 'wrnope' })).errcode).toBe(40050);
  });

  it('join ways: add / get / update / del; ≤ 5 chats, state ≤ 30; joining changes member_version', async () => {
    const { chatId } = await group();
    const add = await sim.api(`${EC}/groupchat/add_join_way`, {
      scene: 2,
      remark: '门店群码',
      auto_create_room: 1,
      room_base_name: '禾木福利群',
      room_base_id: 2,
      chat_id_list: [chatId],
      state: 'table-card',
    });
    expect(add.config_id).toMatch(/^[0-9a-f]{32}$/);
    const got = await sim.api(`${EC}/groupchat/get_join_way`, { config_id: add.config_id });
    expect(got.join_way).toMatchObject({
      scene: 2,
      chat_id_list: [chatId],
      state: 'table-card',
      auto_create_room: 1,
    });
    expect(got.join_way.qr_code).toMatch(/^https:/);
    const six = Array(6).fill(chatId);
    expect(
      (await sim.api(`${EC}/groupchat/add_join_way`, { scene: 2, auto_create_room: 0, chat_id_list: six }))
        .errcode,
    ).toBe(40058);
    expect(
      (
        await sim.api(`${EC}/groupchat/add_join_way`, {
          scene: 2,
          auto_create_room: 0,
          chat_id_list: [chatId],
          state: 's'.repeat(31),
        })
      ).errcode,
    ).toBe(40058);

    const before = (await sim.api(`${EC}/groupchat/get`, { chat_id: chatId })).group_chat.member_version;
    const joiner = await newCustomer(sim, '路人');
    const joined = await sim.ok('POST', corpPath('/scenarios/join-group'), {
      config_id: add.config_id,
      external_userid: joiner,
    });
    expect(joined.chat_id).toBe(chatId);
    const after = (await sim.api(`${EC}/groupchat/get`, { chat_id: chatId })).group_chat;
    expect(after.member_version).not.toBe(before);
    expect(after.member_list.at(-1)).toMatchObject({
      userid: joiner,
      type: 2,
      join_scene: 3,
      state: 'table-card',
    });
    expect(after.member_list.at(-1).invitor).toBeUndefined();

    expect(
      await sim.api(`${EC}/groupchat/update_join_way`, {
        config_id: add.config_id,
        scene: 2,
        auto_create_room: 0,
        chat_id_list: [chatId],
        state: 'v2',
      }),
    ).toMatchObject({ errcode: 0 });
    expect((await sim.api(`${EC}/groupchat/get_join_way`, { config_id: add.config_id })).join_way.state).toBe(
      'v2',
    );
    expect(await sim.api(`${EC}/groupchat/del_join_way`, { config_id: add.config_id })).toMatchObject({
      errcode: 0,
    });
    expect((await sim.api(`${EC}/groupchat/get_join_way`, { config_id: add.config_id })).errcode).toBe(40058);
  });

  it('a group takes QR joins up to 200 members, direct invites up to 500; a full join way opens a new room', async () => {
    const { chatId } = await group();
    const way = await sim.api(`${EC}/groupchat/add_join_way`, {
      scene: 2,
      auto_create_room: 1,
      room_base_name: '福利群',
      room_base_id: 2,
      chat_id_list: [chatId],
    });
    for (let i = 3; i < 200; i++) {
      const ext = await newCustomer(sim, `客${i}`);
      await sim.ok('POST', corpPath('/scenarios/join-group'), { chat_id: chatId, external_userid: ext });
    }
    expect((await sim.ok('GET', corpPath(`/groups/${chatId}`))).member_count).toBe(200);
    const late = await newCustomer(sim, '迟到');
    const refused = await sim.control('POST', corpPath('/scenarios/join-group'), {
      chat_id: chatId,
      external_userid: late,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('group_qr_full');
    const invited = await sim.ok('POST', corpPath('/scenarios/join-group'), {
      chat_id: chatId,
      external_userid: late,
      via: 'invite',
    });
    expect(invited.member_count).toBe(201);

    const viaWay = await newCustomer(sim, '新人');
    const joined = await sim.ok('POST', corpPath('/scenarios/join-group'), {
      config_id: way.config_id,
      external_userid: viaWay,
    });
    expect(joined.created_chat_id).toBeTruthy();
    expect(joined.chat_id).toBe(joined.created_chat_id);
    const room = await sim.api(`${EC}/groupchat/get`, { chat_id: joined.chat_id });
    expect(room.group_chat).toMatchObject({ name: '福利群2', owner: 'zhangsan' });
    expect(
      (await sim.api(`${EC}/groupchat/get_join_way`, { config_id: way.config_id })).join_way.chat_id_list,
    ).toEqual([chatId, joined.chat_id]);
  });
});

describe('transfers', () => {
  it('on-job transfer completes after 24 h; transfer_result shows waiting then done', async () => {
    const [ext] = await befriend();
    const res = await sim.api(`${EC}/transfer_customer`, {
      handover_userid: 'zhangsan',
      takeover_userid: 'lisi',
      external_userid: [ext, 'wmnope'],
    });
    expect(res.customer).toEqual([
      { external_userid: ext, errcode: 0 },
      { external_userid: 'wmnope', errcode: 40096 },
    ]);
    const waiting = await sim.api(`${EC}/transfer_result`, {
      handover_userid: 'zhangsan',
      takeover_userid: 'lisi',
    });
    expect(waiting.customer[0]).toMatchObject({ external_userid: ext, status: 2 });
    sim.clock.advance(24 * 3600_000);
    const done = await sim.api(`${EC}/transfer_result`, {
      handover_userid: 'zhangsan',
      takeover_userid: 'lisi',
    });
    expect(done.customer[0].status).toBe(1);
    const got = await sim.api(`${EC}/get`, undefined, { external_userid: ext });
    expect(got.follow_user.map((f: { userid: string }) => f.userid)).toEqual(['lisi']);
  });

  it('resigned members: unassigned list, resigned transfer, group transfer', async () => {
    const [ext] = await befriend();
    const created = await sim.ok('POST', corpPath('/scenarios/member-creates-group'), {
      owner: 'zhangsan',
      external_userids: [ext],
    });
    const chatId = created.group.chat_id;
    expect(
      (await sim.api(`${EC}/groupchat/transfer`, { chat_id_list: [chatId], new_owner: 'lisi' }))
        .failed_chat_list,
    ).toEqual([{ chat_id: chatId, errcode: 90500, errmsg: 'chat owner is not resigned' }]);
    await sim.ok('DELETE', corpPath('/members/zhangsan'));
    const unassigned = await sim.api(`${EC}/get_unassigned_list`, {});
    expect(unassigned).toMatchObject({
      errcode: 0,
      is_last: true,
      info: [{ handover_userid: 'zhangsan', external_userid: ext }],
    });
    expect((await sim.api(`${EC}/groupchat/list`, { limit: 10, status_filter: 1 })).group_chat_list).toEqual([
      { chat_id: chatId, status: 1 },
    ]);

    const moved = await sim.api(`${EC}/resigned/transfer_customer`, {
      handover_userid: 'zhangsan',
      takeover_userid: 'lisi',
      external_userid: [ext],
    });
    expect(moved.customer).toEqual([{ external_userid: ext, errcode: 0 }]);
    expect((await sim.api(`${EC}/get_unassigned_list`, {})).info).toEqual([]);
    expect(
      (await sim.api(`${EC}/groupchat/transfer`, { chat_id_list: [chatId], new_owner: 'lisi' }))
        .failed_chat_list,
    ).toEqual([]);
    expect((await sim.api(`${EC}/groupchat/get`, { chat_id: chatId })).group_chat.owner).toBe('lisi');
    const onjob = await sim.api(`${EC}/groupchat/onjob_transfer`, {
      chat_id_list: [chatId, 'wrnope'],
      new_owner: 'wangwu',
    });
    expect(onjob.failed_chat_list).toEqual([
      { chat_id: 'wrnope', errcode: 90501, errmsg: 'chat is not external group chat' },
    ]);
  });
});

describe('rate limit', () => {
  it('answers 45009 past the per-minute rate of one API, per corp', async () => {
    await sim.ok('PATCH', corpPath(), { limits: { rate_per_minute: 3 } });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await sim.api('/cgi-bin/department/list')).errcode);
    expect(codes).toEqual([0, 0, 0, 45009]);
    const blocked = await sim.api('/cgi-bin/department/list');
    expect(blocked.errmsg).toMatch(/^api freq out of limit, hint/);
    // Another API has its own budget; the next minute starts afresh.
    expect((await sim.api(`${EC}/get_follow_user_list`)).errcode).toBe(0);
    sim.clock.advance(60_000);
    expect((await sim.api('/cgi-bin/department/list')).errcode).toBe(0);
  });
});
