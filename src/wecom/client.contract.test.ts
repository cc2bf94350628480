import { describe, expect, it } from 'vitest';
import * as clientModule from './client.ts';
import {
  allCustomersOf,
  allGroupChats,
  allUserIds,
  apiError,
  CORP,
  type Contract,
  called,
  collect,
  corpPath,
  EC,
  inParallel,
  type PublicMethod,
  shape,
  useContract,
  wireLog,
} from './contract/harness.ts';
import * as S from './contract/schemas.ts';
import { WecomNetworkError } from './errors.ts';

/**
 * Contract tests: the real WecomClient against the real simulator (127.0.0.1, port 0, manual clock), state
 * built through the simulator's control API. Every response is checked at runtime against a schema written
 * from the client's types and API-FACTS (src/wecom/contract/schemas.ts), and its values against the state.
 * If the client and the simulator drift apart, this file fails.
 */

const DAY_MS = 86_400_000;

describe('auth: gettoken, the token cache and token errors', () => {
  const c = useContract();

  it('getAccessToken fetches one token (≤ 512 bytes) and serves it from the cache afterwards', async () => {
    const { client, counter } = c();
    const token = await client.getAccessToken();
    expect(Buffer.byteLength(token)).toBeLessThanOrEqual(512);
    expect(await client.getAccessToken()).toBe(token);
    expect((await counter('/cgi-bin/gettoken')).calls).toBe(1);
  });

  it('a token revoked through the control API: 40014, the client refetches once and the call succeeds', async () => {
    const { newClient, ok } = c();
    const wire = wireLog();
    const client = newClient({ fetch: wire.fetch });
    const before = await client.getAccessToken();
    await ok('POST', corpPath('/revoke-tokens'));
    shape(S.FollowUserList, await client.getFollowUserList());
    expect(wire.log.map((e) => [e.path.split('/').pop(), e.errcode])).toEqual([
      ['gettoken', 0],
      ['get_follow_user_list', 40014],
      ['gettoken', 0],
      ['get_follow_user_list', 0],
    ]);
    expect(await client.getAccessToken()).not.toBe(before);
  });

  it('a token expired on the server (client clock not moved): 42001, one refetch, success', async () => {
    const { newClient, advance } = c();
    const wire = wireLog();
    const client = newClient({ now: Date.now, fetch: wire.fetch }); // its own clock: it cannot know
    shape(S.FollowUserList, await client.getFollowUserList());
    await advance(7200_000 + 1000);
    shape(S.DepartmentList, await client.listDepartments());
    expect(wire.errcodes('/cgi-bin/department/list')).toEqual([42001, 0]);
    expect(wire.errcodes('/cgi-bin/gettoken')).toEqual([0, 0]);
  });

  it('on a shared clock the client renews the token before it expires: no token error at all', async () => {
    const { newClient, advance } = c();
    const wire = wireLog();
    const client = newClient({ fetch: wire.fetch });
    await client.getAccessToken();
    await advance((7200 - 250) * 1000); // inside the client's 300 s margin: it refetches first
    shape(S.DepartmentList, await client.listDepartments());
    await advance(400_000); // past the old token's expiry
    shape(S.DepartmentList, await client.listDepartments());
    expect(wire.errcodes('/cgi-bin/gettoken')).toEqual([0, 0, 0]);
    expect(wire.errcodes('/cgi-bin/department/list')).toEqual([0, 0]);
  });

  it('invalidateToken() makes the next call fetch a token again', async () => {
    const { client, counter } = c();
    await client.getAccessToken();
    const tokenCalls = (await counter('/cgi-bin/gettoken')).calls;
    client.invalidateToken();
    await client.getAccessToken();
    expect((await counter('/cgi-bin/gettoken')).calls).toBe(tokenCalls + 1);
  });

  it('a wrong secret: gettoken 40001 → WecomApiError, not retried, the secret nowhere in it', async () => {
    const { newClient, counter } = c();
    const client = newClient({ secret: 'wrong-secret-XYZ' });
    const before = (await counter('/cgi-bin/gettoken')).errors['40001'] ?? 0;
    const err = await apiError(client.getFollowUserList());
    expect(err).toMatchObject({ errcode: 40001, retryable: false, api: '/cgi-bin/gettoken' });
    expect(`${err.message} ${err.errmsg}`).not.toContain('wrong-secret-XYZ');
    expect((await counter('/cgi-bin/gettoken')).errors['40001']).toBe(before + 1);
    expect(JSON.stringify(client)).not.toContain('wrong-secret-XYZ');
  });

  it('generic get/post reach any path with the token and return the raw JSON', async () => {
    const { client } = c();
    const viaGet = shape(S.User, await client.get('/cgi-bin/user/get', { userid: 'zhangsan' }));
    expect(viaGet).toEqual(await client.getUser('zhangsan'));
    shape(S.CorpTagList, await client.post(`${EC}/get_corp_tag_list`, {}));
  });

  it('toJSON shows the corp and base URL, never the secret or the token', async () => {
    const { client, sim } = c();
    const token = await client.getAccessToken();
    expect(client.toJSON()).toEqual({ corpId: CORP.corpid, baseUrl: sim.url });
    expect(JSON.stringify(client)).not.toContain(CORP.secret);
    expect(JSON.stringify(client)).not.toContain(token);
  });
});

describe('directory: department/list, user/list_id, user/get', () => {
  const c = useContract();

  it('department/list returns every department, or the subtree of an id', async () => {
    const { client, ok } = c();
    await ok('POST', corpPath('/departments'), { id: 3, name: '上海门店', parentid: 2, order: 5 });
    const all = shape(S.DepartmentList, await client.listDepartments());
    expect(all.department.map((d) => [d.id, d.parentid]).sort()).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
    ]);
    expect(all.department.find((d) => d.id === 3)).toMatchObject({ name: '上海门店', order: 5 });
    const sub = shape(S.DepartmentList, await client.listDepartments(2));
    expect(sub.department.map((d) => d.id).sort()).toEqual([2, 3]);
  });

  it('user/list_id pages with next_cursor; allUserIds yields every userid ↔ department row', async () => {
    const { client, member, ok } = c();
    for (let i = 0; i < 4; i++) await member(`guide${i}`, `导购${i}`, [2]);
    const first = shape(S.ListUserIds, await client.listUserIds(undefined, 2));
    expect(first.dept_user).toHaveLength(2);
    expect(first.next_cursor).toBeTruthy();
    shape(S.ListUserIds, await client.listUserIds(first.next_cursor, 2));

    const rows = await collect(allUserIds(client, { limit: 2 }));
    const members: { userid: string; department: number[] }[] = (await ok('GET', corpPath('/members')))
      .members;
    const expected = members.flatMap((m) =>
      m.department.map((department) => ({ userid: m.userid, department })),
    );
    expect(rows).toHaveLength(expected.length);
    expect(new Set(rows.map((r) => `${r.userid}/${r.department}`))).toEqual(
      new Set(expected.map((r) => `${r.userid}/${r.department}`)),
    );
  });

  it('user/get returns the member as created; an unknown userid is a non-retryable error', async () => {
    const { client } = c();
    const user = shape(S.User, await client.getUser('zhangsan'));
    expect(user).toMatchObject({
      userid: 'zhangsan',
      name: '张三',
      department: [2],
      main_department: 2,
      position: '导购',
      status: 1,
    });
    const err = await apiError(client.getUser('nobody'));
    expect(err.retryable).toBe(false);
    expect(err.errcode).toBe(60111);
  });

  it('get_follow_user_list lists the members with customer contact (not disabled ones)', async () => {
    const { client, ok } = c();
    await ok('PATCH', corpPath('/members/guide3'), { status: 2 });
    const res = shape(S.FollowUserList, await client.getFollowUserList());
    expect(res.follow_user).toEqual(expect.arrayContaining(['zhangsan', 'lisi', 'wangwu', 'guide0']));
    expect(res.follow_user).not.toContain('guide3');
  });
});

describe('customers: get, batch/get_by_user, list, remark, mark_tag', () => {
  const c = useContract();

  /** A tag group with tags VIP and 普通, created in the admin console. */
  async function tagGroup(ctx: Contract, group_name: string) {
    const created = await ctx.scenario('admin-create-tags', {
      group_name,
      tag: [{ name: 'VIP' }, { name: '普通' }],
    });
    const [vip, normal] = created.tag_group.tag.map((t: { id: string }) => t.id) as [string, string];
    return { vip, normal };
  }

  it('get returns the customer and each follow with remark, tags (tag_id, type), add_way, state, oper_userid', async () => {
    const ctx = c();
    const { client, scenario } = ctx;
    const { vip } = await tagGroup(ctx, '客户等级');
    const { external_userid } = await ctx.befriend('zhangsan', {
      add_way: 3,
      state: 'store-001',
      name: '刘一',
    });
    await scenario('member-adds-customer', { userid: 'lisi', external_userid, add_way: 2 });
    await scenario('member-edits-contact', {
      userid: 'zhangsan',
      external_userid,
      remark: '老客户',
      description: '爱喝乌龙',
      add_tag: [vip],
    });

    const res = shape(S.GetExternalContact, await client.getExternalContact(external_userid));
    expect(res.external_contact).toMatchObject({ external_userid, name: '刘一', type: 1, gender: 2 });
    expect(res.follow_user.map((f) => f.userid).sort()).toEqual(['lisi', 'zhangsan']);
    const zs = res.follow_user.find((f) => f.userid === 'zhangsan')!;
    expect(zs).toMatchObject({
      remark: '老客户',
      description: '爱喝乌龙',
      add_way: 3,
      state: 'store-001',
      oper_userid: 'zhangsan',
      createtime: ctx.nowS(),
      tags: [{ group_name: '客户等级', tag_name: 'VIP', type: 1, tag_id: vip }],
    });
    expect(res.follow_user.find((f) => f.userid === 'lisi')).toMatchObject({ add_way: 2, tags: [] });
    expect(res.next_cursor ?? '').toBe('');
  });

  it('remark and mark_tag through the API are visible in get and batch/get_by_user', async () => {
    const ctx = c();
    const { client } = ctx;
    const { vip, normal } = await tagGroup(ctx, '会员等级');
    const { external_userid } = await ctx.befriend('wangwu');
    shape(
      S.Empty,
      await client.remark({
        userid: 'wangwu',
        external_userid,
        remark: '王女士',
        description: '周末到店',
        remark_company: '禾木茶饮',
        remark_mobiles: ['13800000000'],
      }),
    );
    shape(S.Empty, await client.markTag({ userid: 'wangwu', external_userid, add_tag: [vip, normal] }));
    shape(S.Empty, await client.markTag({ userid: 'wangwu', external_userid, remove_tag: [vip] }));

    const got = shape(S.GetExternalContact, await client.getExternalContact(external_userid));
    expect(got.follow_user[0]).toMatchObject({
      userid: 'wangwu',
      remark: '王女士',
      description: '周末到店',
      remark_corp_name: '禾木茶饮',
      remark_mobiles: ['13800000000'],
      tags: [{ tag_id: normal, tag_name: '普通', group_name: '会员等级', type: 1 }],
    });
    const batch = shape(S.BatchGetByUser, await client.batchGetByUser({ userid_list: ['wangwu'] }));
    const row = batch.external_contact_list.find(
      (r) => r.external_contact.external_userid === external_userid,
    )!;
    expect(row.follow_info).toMatchObject({ userid: 'wangwu', remark: '王女士', tag_id: [normal] });
  });

  it('remark/mark_tag on a customer the member does not follow: 84061, not retryable', async () => {
    const { client, customer } = c();
    const stranger = await customer('陌生人');
    const err = await apiError(client.remark({ userid: 'zhangsan', external_userid: stranger, remark: 'x' }));
    expect(err).toMatchObject({ errcode: 84061, retryable: false });
    expect((await apiError(client.getExternalContact(stranger))).errcode).toBe(84061);
  });

  it('batch/get_by_user pages with next_cursor (one row per follow) and list returns the same customers', async () => {
    const ctx = c();
    const { client } = ctx;
    await ctx.member('store7', '七号店');
    const ids = await inParallel([0, 1, 2, 3, 4, 5, 6], 7, async (i) => {
      const { external_userid } = await ctx.befriend('store7', { name: `客户${i}` });
      return external_userid;
    });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = shape(
        S.BatchGetByUser,
        await client.batchGetByUser({ userid_list: ['store7'], cursor, limit: 3 }),
      );
      pages++;
      expect(res.external_contact_list.length).toBeLessThanOrEqual(3);
      for (const r of res.external_contact_list) {
        expect(r.follow_info.userid).toBe('store7');
        seen.push(r.external_contact.external_userid);
      }
      cursor = res.next_cursor || undefined;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...ids].sort());

    const listed = shape(S.ExternalUserIdList, await client.listExternalContacts('store7'));
    expect(listed.external_userid.sort()).toEqual([...ids].sort());
  });

  it('list for a member without customers is 84061 (WeCom answers no empty list)', async () => {
    const ctx = c();
    await ctx.member('newbie', '新人');
    expect((await apiError(ctx.client.listExternalContacts('newbie'))).errcode).toBe(84061);
  });

  it('get pages the followers of a customer beyond 500 with cursor', async () => {
    const ctx = c();
    const { client, ok, scenario } = ctx;
    const external_userid = await ctx.customer('人气王');
    const userids = Array.from({ length: 503 }, (_, i) => `fan${String(i).padStart(3, '0')}`);
    await inParallel(userids, 32, async (userid) => {
      await ok('POST', corpPath('/members'), { userid, name: userid, department: [1] });
      await scenario('member-adds-customer', { userid, external_userid });
    });
    const first = shape(S.GetExternalContact, await client.getExternalContact(external_userid));
    expect(first.follow_user).toHaveLength(500);
    expect(first.next_cursor).toBeTruthy();
    const second = shape(
      S.GetExternalContact,
      await client.getExternalContact(external_userid, first.next_cursor),
    );
    expect(second.follow_user).toHaveLength(3);
    expect(second.next_cursor ?? '').toBe('');
    expect(new Set([...first.follow_user, ...second.follow_user].map((f) => f.userid))).toEqual(
      new Set(userids),
    );
  });
});

describe('corp tags: get_corp_tag_list, add/edit/del_corp_tag', () => {
  const c = useContract();

  it('add_corp_tag creates a group with tags; get_corp_tag_list returns them (deleted=false), higher order first', async () => {
    const { client } = c();
    const added = shape(
      S.AddCorpTag,
      await client.addCorpTag({
        group_name: '兴趣',
        order: 1,
        tag: [
          { name: '奶茶', order: 1 },
          { name: '咖啡', order: 9 },
        ],
      }),
    );
    expect(added.tag_group).toMatchObject({ group_name: '兴趣', order: 1 });
    expect(added.tag_group.tag.map((t) => t.name)).toEqual(['奶茶', '咖啡']);
    await client.addCorpTag({ group_name: '渠道', order: 5, tag: [{ name: '美团' }] });
    // Adding to an existing group by group_id.
    const more = shape(
      S.AddCorpTag,
      await client.addCorpTag({ group_id: added.tag_group.group_id, tag: [{ name: '果茶' }] }),
    );
    expect(more.tag_group.group_id).toBe(added.tag_group.group_id);

    const list = shape(S.CorpTagList, await client.getCorpTagList());
    expect(list.tag_group.map((g) => g.group_name)).toEqual(['渠道', '兴趣']);
    const interest = list.tag_group[1]!;
    expect(interest.deleted).toBe(false);
    expect(interest.tag.map((t) => [t.name, t.deleted])).toEqual([
      ['咖啡', false],
      ['奶茶', false],
      ['果茶', false],
    ]);
  });

  it('get_corp_tag_list filters by tag_id, and by group_id (which wins when both are given)', async () => {
    const { client } = c();
    const list = shape(S.CorpTagList, await client.getCorpTagList());
    const interest = list.tag_group.find((g) => g.group_name === '兴趣')!;
    const channel = list.tag_group.find((g) => g.group_name === '渠道')!;
    const coffee = interest.tag.find((t) => t.name === '咖啡')!;

    const byTag = shape(S.CorpTagList, await client.getCorpTagList({ tag_id: [coffee.id] }));
    expect(byTag.tag_group.map((g) => [g.group_id, g.tag.map((t) => t.id)])).toEqual([
      [interest.group_id, [coffee.id]],
    ]);
    const both = shape(
      S.CorpTagList,
      await client.getCorpTagList({ tag_id: [coffee.id], group_id: [channel.group_id] }),
    );
    expect(both.tag_group.map((g) => g.group_id)).toEqual([channel.group_id]);
  });

  it('edit_corp_tag renames and reorders an API-created tag; del_corp_tag removes tags and groups', async () => {
    const { client } = c();
    const list = shape(S.CorpTagList, await client.getCorpTagList());
    const interest = list.tag_group.find((g) => g.group_name === '兴趣')!;
    const milkTea = interest.tag.find((t) => t.name === '奶茶')!;
    shape(S.Empty, await client.editCorpTag({ id: milkTea.id, name: '鲜奶茶', order: 100 }));
    shape(S.Empty, await client.editCorpTag({ id: interest.group_id, name: '口味偏好' }));
    const edited = shape(S.CorpTagList, await client.getCorpTagList({ group_id: [interest.group_id] }));
    expect(edited.tag_group[0]!.group_name).toBe('口味偏好');
    expect(edited.tag_group[0]!.tag[0]).toMatchObject({ id: milkTea.id, name: '鲜奶茶', order: 100 });

    shape(S.Empty, await client.delCorpTag({ tag_id: [milkTea.id] }));
    const after = shape(S.CorpTagList, await client.getCorpTagList({ group_id: [interest.group_id] }));
    expect(after.tag_group[0]!.tag.map((t) => t.id)).not.toContain(milkTea.id);

    const channel = list.tag_group.find((g) => g.group_name === '渠道')!;
    shape(S.Empty, await client.delCorpTag({ group_id: [channel.group_id] }));
    const final = shape(S.CorpTagList, await client.getCorpTagList());
    expect(final.tag_group.map((g) => g.group_id)).not.toContain(channel.group_id);
  });

  it('a tag created in the admin console cannot be edited or deleted through the API: 301002', async () => {
    const { client, scenario } = c();
    const created = await scenario('admin-create-tags', {
      group_name: '后台标签',
      tag: [{ name: '黑名单' }],
    });
    const tagId: string = created.tag_group.tag[0].id;
    expect((await apiError(client.editCorpTag({ id: tagId, name: '白名单' }))).errcode).toBe(301002);
    const err = await apiError(client.delCorpTag({ tag_id: [tagId] }));
    expect(err).toMatchObject({ errcode: 301002, retryable: false });
  });

  it('a deleted tag disappears from the follows that carried it', async () => {
    const ctx = c();
    const { client } = ctx;
    const group = shape(
      S.AddCorpTag,
      await client.addCorpTag({ group_name: '临时', tag: [{ name: '活动A' }] }),
    );
    const tagId = group.tag_group.tag[0]!.id;
    const { external_userid } = await ctx.befriend('zhangsan');
    await client.markTag({ userid: 'zhangsan', external_userid, add_tag: [tagId] });
    expect((await client.getExternalContact(external_userid)).follow_user[0]!.tags).toHaveLength(1);
    await client.delCorpTag({ tag_id: [tagId] });
    expect((await client.getExternalContact(external_userid)).follow_user[0]!.tags).toEqual([]);
  });
});

describe('«联系我» contact ways: add → get → update → list → del', () => {
  const c = useContract();

  it('walks one contact way through its whole life, and a scan adds the customer with add_way 1 and its state', async () => {
    const ctx = c();
    const { client, scenario } = ctx;
    const added = shape(
      S.AddContactWay,
      await client.addContactWay({
        type: 1,
        scene: 2,
        remark: '门店海报',
        state: 'poster-store-7',
        user: ['zhangsan'],
        skip_verify: true,
      }),
    );
    expect(added.qr_code).toBeTruthy(); // scene 2 has a QR code

    const got = shape(S.GetContactWay, await client.getContactWay(added.config_id));
    expect(got.contact_way).toMatchObject({
      config_id: added.config_id,
      type: 1,
      scene: 2,
      remark: '门店海报',
      state: 'poster-store-7',
      user: ['zhangsan'],
      skip_verify: true,
      qr_code: added.qr_code,
    });

    shape(
      S.Empty,
      await client.updateContactWay({ config_id: added.config_id, user: ['lisi'], state: 'poster-store-8' }),
    );
    const updated = shape(S.GetContactWay, await client.getContactWay(added.config_id));
    expect(updated.contact_way).toMatchObject({
      user: ['lisi'],
      state: 'poster-store-8',
      remark: '门店海报',
    });

    const external_userid = await ctx.customer('扫码客');
    await scenario('scan-contact-way', { config_id: added.config_id, external_userid });
    const customer = shape(S.GetExternalContact, await client.getExternalContact(external_userid));
    expect(customer.follow_user).toEqual([
      expect.objectContaining({
        userid: 'lisi',
        add_way: 1,
        state: 'poster-store-8',
        oper_userid: external_userid,
      }),
    ]);

    const listed = shape(S.ListContactWay, await client.listContactWay());
    expect(listed.contact_way.map((w) => w.config_id)).toContain(added.config_id);

    shape(S.Empty, await client.delContactWay(added.config_id));
    expect((await apiError(client.getContactWay(added.config_id))).retryable).toBe(false);
    const after = shape(S.ListContactWay, await client.listContactWay());
    expect(after.contact_way.map((w) => w.config_id)).not.toContain(added.config_id);
  });

  it('list_contact_way pages with next_cursor; a mini-program (scene 1) way has no qr_code', async () => {
    const { client } = c();
    const ids: string[] = [];
    for (const scene of [1, 2, 2] as const) {
      const res = shape(
        S.AddContactWay,
        await client.addContactWay({ type: 2, scene, user: ['zhangsan', 'lisi'] }),
      );
      if (scene === 1) expect(res.qr_code).toBeUndefined();
      ids.push(res.config_id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = shape(S.ListContactWay, await client.listContactWay({ limit: 2, cursor }));
      seen.push(...page.contact_way.map((w) => w.config_id));
      cursor = page.next_cursor || undefined;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining(ids));
    const type2 = shape(S.GetContactWay, await client.getContactWay(ids[0]!));
    expect(type2.contact_way).toMatchObject({ type: 2, scene: 1, user: ['zhangsan', 'lisi'] });
  });

  it('state is ≤ 30 chars on both sides: 30 passes both, 31 is refused by the client before any request and by the simulator (40058)', async () => {
    const { client, counter } = c();
    const way = { type: 1 as const, scene: 2 as const, user: ['zhangsan'] };
    shape(S.AddContactWay, await client.addContactWay({ ...way, state: 's'.repeat(30) }));
    const calls = (await counter(`${EC}/add_contact_way`)).calls;
    await expect(client.addContactWay({ ...way, state: 's'.repeat(31) })).rejects.toThrow(RangeError);
    expect((await counter(`${EC}/add_contact_way`)).calls).toBe(calls); // no request was made
    const raw = await apiError(client.post(`${EC}/add_contact_way`, { ...way, state: 's'.repeat(31) }));
    expect(raw).toMatchObject({ errcode: 40058, retryable: false });
    // And type is required on both sides (41037 from the simulator).
    const noType = await apiError(client.post(`${EC}/add_contact_way`, { scene: 2, user: ['zhangsan'] }));
    expect(noType.errcode).toBe(41037);
  });
});

describe('welcome message: send_welcome_msg', () => {
  const c = useContract();

  it('sends once with the WelcomeCode of the add event; the second send is 41051 (not retryable)', async () => {
    const ctx = c();
    const { client, ok } = ctx;
    const { external_userid, welcome_code } = await ctx.befriend('zhangsan');
    expect(welcome_code).toBeTruthy();
    shape(
      S.Empty,
      await client.sendWelcomeMsg({
        welcome_code: welcome_code!,
        text: { content: '欢迎光临禾木茶饮' },
        attachments: [{ msgtype: 'link', link: { title: '会员中心', url: 'https://example.com/vip' } }],
      }),
    );
    const { welcomes } = await ok('GET', corpPath(`/customers/${external_userid}/welcomes`));
    expect(welcomes).toEqual([
      expect.objectContaining({ userid: 'zhangsan', welcome_code, text: '欢迎光临禾木茶饮' }),
    ]);
    const again = await apiError(
      client.sendWelcomeMsg({ welcome_code: welcome_code!, text: { content: '再次欢迎' } }),
    );
    expect(again).toMatchObject({ errcode: 41051, retryable: false, api: `${EC}/send_welcome_msg` });
  });

  it('a WelcomeCode older than 20 s is refused with 41051', async () => {
    const ctx = c();
    const { welcome_code } = await ctx.befriend('lisi');
    await ctx.advance(21_000);
    const err = await apiError(
      ctx.client.sendWelcomeMsg({ welcome_code: welcome_code!, text: { content: '晚了' } }),
    );
    expect(err.errcode).toBe(41051);
  });

  it('text over 4000 bytes or 10 attachments are refused by the client before any request', async () => {
    const ctx = c();
    const { welcome_code } = await ctx.befriend('lisi');
    const calls = (await ctx.counter(`${EC}/send_welcome_msg`)).calls;
    await expect(
      ctx.client.sendWelcomeMsg({ welcome_code: welcome_code!, text: { content: '茶'.repeat(1334) } }),
    ).rejects.toThrow(RangeError);
    const image = { msgtype: 'image' as const, image: { media_id: 'MEDIA' } };
    await expect(
      ctx.client.sendWelcomeMsg({ welcome_code: welcome_code!, attachments: Array(10).fill(image) }),
    ).rejects.toThrow(RangeError);
    expect((await ctx.counter(`${EC}/send_welcome_msg`)).calls).toBe(calls);
  });
});

describe('app messages: message/send', () => {
  const c = useContract();

  it('reaches the members named, answers the invalid ones, and 81013 when none is valid', async () => {
    const { client, ok } = c();
    const sent = await client.sendAppMessage({
      agentid: CORP.agentid,
      touser: 'zhangsan|ghost',
      msgtype: 'textcard',
      textcard: { title: '待办提醒', description: '给王芳回电话', url: 'https://siyu.example/tasks/mine' },
    });
    expect(sent).toMatchObject({ invaliduser: 'ghost', msgid: expect.any(String) });
    const { messages } = await ok('GET', corpPath('/app-messages?userid=zhangsan'));
    expect(messages).toEqual([expect.objectContaining({ msgid: sent.msgid, msgtype: 'textcard' })]);
    const none = await apiError(
      client.sendAppMessage({
        agentid: CORP.agentid,
        touser: 'ghost',
        msgtype: 'text',
        text: { content: 'x' },
      }),
    );
    expect(none).toMatchObject({ errcode: 81013, retryable: false, api: '/cgi-bin/message/send' });
  });
});

describe('sidebar: web OAuth codes and JS-SDK tickets (API-FACTS-2 §7)', () => {
  const c = useContract();

  /** The authorize page as the client's browser follows it: the code in the redirect. */
  async function codeFor(sim: { url: string }, userid: string): Promise<string> {
    const params = new URLSearchParams({
      appid: CORP.corpid,
      redirect_uri: 'https://siyu.example/api/v1/sidebar/oauth/callback?brand=demo',
      response_type: 'code',
      scope: 'snsapi_base',
      state: 'abc123',
      agentid: String(CORP.agentid),
      sim_userid: userid,
    });
    const res = await fetch(`${sim.url}/connect/oauth2/authorize?${params}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location') ?? '');
    expect(to.origin).toBe('https://siyu.example');
    expect(to.searchParams.get('state')).toBe('abc123');
    return to.searchParams.get('code') ?? '';
  }

  it('getUserInfoByCode: the member once; a reused or expired code is 40029; an untrusted redirect is refused', async () => {
    const { client, ok, advance, sim } = c();
    await ok('PATCH', corpPath(''), { callback_url: 'https://siyu.example/wecom/callback/demo' });
    const code = await codeFor(sim, 'zhangsan');
    expect(await client.getUserInfoByCode(code)).toMatchObject({ errcode: 0, userid: 'zhangsan' });
    expect(await apiError(client.getUserInfoByCode(code))).toMatchObject({
      errcode: 40029,
      retryable: false,
    });
    const late = await codeFor(sim, 'zhangsan');
    await advance(300_000);
    expect(await apiError(client.getUserInfoByCode(late))).toMatchObject({ errcode: 40029 });
    const evil = await fetch(
      `${sim.url}/connect/oauth2/authorize?appid=${CORP.corpid}&redirect_uri=${encodeURIComponent('https://evil.example/x')}&response_type=code&scope=snsapi_base&sim_userid=zhangsan`,
      { redirect: 'manual' },
    );
    expect(evil.status).toBe(200);
    expect(await evil.text()).toContain('50001');
  });

  it('getJsapiTicket and getAgentConfigTicket: 7200 s, the same ticket while valid, two kinds', async () => {
    const { client, advance } = c();
    const a = await client.getJsapiTicket();
    expect(a).toMatchObject({ errcode: 0, expires_in: 7200, ticket: expect.any(String) });
    expect(Buffer.byteLength(a.ticket)).toBeLessThanOrEqual(512);
    const agent = await client.getAgentConfigTicket();
    expect(agent.ticket).not.toBe(a.ticket);
    await advance(1000 * 1000);
    expect(await client.getJsapiTicket()).toMatchObject({ ticket: a.ticket, expires_in: 6200 });
    await advance(6200 * 1000);
    expect((await client.getJsapiTicket()).ticket).not.toBe(a.ticket);
  });
});

/** A few bytes that pass for a PNG (the simulator checks size and name, not pixels). */
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(256, 1),
]);

describe('temporary media: media/upload, and add_msg_template checking the media ids', () => {
  const c = useContract();

  it('uploads each type within its size and format; the answer is type, media_id and created_at', async () => {
    const ctx = c();
    const { client } = ctx;
    const image = shape(
      S.UploadMedia,
      await client.uploadMedia('image', { filename: 'a.jpg', contentType: 'image/jpeg', data: png }),
    );
    expect(image).toMatchObject({ type: 'image', created_at: String(ctx.nowS()) });
    const file = await client.uploadMedia('file', {
      filename: '门店菜单.pdf',
      contentType: 'application/pdf',
      data: Buffer.alloc(20 * 1024 * 1024, 2),
    });
    expect(file.type).toBe('file');
    expect(file.media_id).not.toBe(image.media_id);
    const voice = await client.uploadMedia('voice', {
      filename: 'v.amr',
      contentType: 'audio/amr',
      data: png,
    });
    expect(voice.type).toBe('voice');

    const refused = async (type: string, filename: string, size: number) =>
      (
        await apiError(
          client.uploadMedia(type as 'image', {
            filename,
            contentType: 'application/octet-stream',
            data: Buffer.alloc(size, 3),
          }),
        )
      ).errcode;
    expect(await refused('gif', 'a.gif', 100)).toBe(40004);
    expect(await refused('image', 'a.gif', 100)).toBe(40005);
    expect(await refused('video', 'a.mov', 100)).toBe(40005);
    expect(await refused('image', 'big.png', 10 * 1024 * 1024 + 1)).toBe(40006);
    expect(await refused('voice', 'long.amr', 2 * 1024 * 1024 + 1)).toBe(40006);
    expect(await refused('file', 'tiny.txt', 5)).toBe(40006);
    expect(await refused('file', 'empty.txt', 0)).toBe(44001);
  });

  it('add_msg_template takes live media ids only (40007), and the customer receives the attachments', async () => {
    const ctx = c();
    const { client, scenario, ok } = ctx;
    const a = (await ctx.befriend('zhangsan', { name: '图片客户' })).external_userid;
    const cover = await client.uploadMedia('image', {
      filename: 'cover.png',
      contentType: 'image/png',
      data: png,
    });
    const menu = await client.uploadMedia('file', {
      filename: 'menu.pdf',
      contentType: 'application/pdf',
      data: png,
    });
    const card = {
      msgtype: 'miniprogram' as const,
      miniprogram: {
        title: '点单',
        appid: 'wx0123456789abcdef',
        page: 'pages/index.html',
        pic_media_id: cover.media_id,
      },
    };
    const unknown = await apiError(
      client.addMsgTemplate({
        sender: 'zhangsan',
        external_userid: [a],
        attachments: [{ msgtype: 'image', image: { media_id: 'NOT_UPLOADED' } }],
      }),
    );
    expect(unknown.errcode).toBe(40007);
    // a file's id is not an image's
    const wrongType = await apiError(
      client.addMsgTemplate({
        sender: 'zhangsan',
        external_userid: [a],
        attachments: [{ msgtype: 'image', image: { media_id: menu.media_id } }],
      }),
    );
    expect(wrongType.errcode).toBe(40007);

    const added = await client.addMsgTemplate({
      sender: 'zhangsan',
      external_userid: [a],
      text: { content: '新品菜单' },
      attachments: [card, { msgtype: 'file', file: { media_id: menu.media_id } }],
    });
    await scenario('member-confirms-mass-send', { msgid: added.msgid, userid: 'zhangsan' });
    const { messages } = await ok('GET', corpPath(`/messages?external_userid=${a}`));
    expect(messages.at(-1)).toMatchObject({
      kind: 'mass',
      content: '新品菜单',
      attachments: [
        { msgtype: 'miniprogram', title: '点单', media_id: cover.media_id, filename: 'cover.png' },
        { msgtype: 'file', media_id: menu.media_id, filename: 'menu.pdf' },
      ],
    });

    // three days on, the same ids are refused
    await ctx.advance(3 * DAY_MS + 1000);
    const expired = await apiError(
      client.addMsgTemplate({ sender: 'zhangsan', external_userid: [a], attachments: [card] }),
    );
    expect(expired.errcode).toBe(40007);
    expect(expired.message).toContain(cover.media_id);
  });
});

describe('mass send 群发: add_msg_template → list/task/result, remind, cancel', () => {
  const c = useContract();

  it('a task is unsent until the member confirms it; then task and send result show it sent', async () => {
    const ctx = c();
    const { client, scenario } = ctx;
    const a = (await ctx.befriend('zhangsan', { name: 'A' })).external_userid;
    const b = (await ctx.befriend('zhangsan', { name: 'B' })).external_userid;
    const stranger = await ctx.customer('陌生人');
    const start = ctx.nowS() - 60;
    const picture = shape(
      S.UploadMedia,
      await client.uploadMedia('image', { filename: 'spring.png', contentType: 'image/png', data: png }),
    );

    const added = shape(
      S.AddMsgTemplate,
      await client.addMsgTemplate({
        chat_type: 'single',
        sender: 'zhangsan',
        external_userid: [a, b, stranger],
        text: { content: '春季新品上市' },
        attachments: [{ msgtype: 'image', image: { media_id: picture.media_id } }],
      }),
    );
    expect(added.fail_list).toEqual([stranger]);

    const list = shape(
      S.GroupMsgListV2,
      await client.getGroupMsgListV2({ chat_type: 'single', start_time: start, end_time: ctx.nowS() + 60 }),
    );
    const msg = list.group_msg_list.find((m) => m.msgid === added.msgid)!;
    expect(msg).toMatchObject({ creator: 'zhangsan', create_type: 0, text: { content: '春季新品上市' } });
    expect(Number(msg.create_time)).toBe(ctx.nowS());
    expect(msg.attachments).toEqual([{ msgtype: 'image', image: { media_id: picture.media_id } }]);

    const pending = shape(S.GroupMsgTask, await client.getGroupMsgTask({ msgid: added.msgid }));
    expect(pending.task_list).toEqual([expect.objectContaining({ userid: 'zhangsan', status: 0 })]);
    const unsent = shape(
      S.GroupMsgSendResult,
      await client.getGroupMsgSendResult({ msgid: added.msgid, userid: 'zhangsan' }),
    );
    expect(unsent.send_list.map((r) => [r.external_userid, r.status]).sort()).toEqual(
      [
        [a, 0],
        [b, 0],
      ].sort(),
    );

    await ctx.advance(5000);
    await scenario('member-confirms-mass-send', { msgid: added.msgid, userid: 'zhangsan' });
    const done = shape(S.GroupMsgTask, await client.getGroupMsgTask({ msgid: added.msgid }));
    expect(done.task_list).toEqual([{ userid: 'zhangsan', status: 2, send_time: ctx.nowS() }]);
    const sent = shape(
      S.GroupMsgSendResult,
      await client.getGroupMsgSendResult({ msgid: added.msgid, userid: 'zhangsan' }),
    );
    expect(sent.send_list).toHaveLength(2);
    for (const row of sent.send_list)
      expect(row).toMatchObject({ userid: 'zhangsan', status: 1, send_time: ctx.nowS() });
  });

  it('over the monthly receive cap the customer is status 3; not a friend any more is status 2', async () => {
    const ctx = c();
    const { client, ok, scenario } = ctx;
    await ok('PATCH', corpPath(''), { limits: { receive_cap_per_month: 1 } });
    const a = (await ctx.befriend('lisi', { name: 'A2' })).external_userid;
    const b = (await ctx.befriend('lisi', { name: 'B2' })).external_userid;
    const first = await client.addMsgTemplate({
      sender: 'lisi',
      external_userid: [a],
      text: { content: '一' },
    });
    await scenario('member-confirms-mass-send', { msgid: first.msgid, userid: 'lisi' });
    const second = await client.addMsgTemplate({
      sender: 'lisi',
      external_userid: [a, b],
      text: { content: '二' },
    });
    await scenario('customer-deletes-member', { external_userid: b, userid: 'lisi' });
    await scenario('member-confirms-mass-send', { msgid: second.msgid, userid: 'lisi' });
    const res = shape(
      S.GroupMsgSendResult,
      await client.getGroupMsgSendResult({ msgid: second.msgid, userid: 'lisi' }),
    );
    expect(Object.fromEntries(res.send_list.map((r) => [r.external_userid, r.status]))).toEqual({
      [a]: 3,
      [b]: 2,
    });
    await ok('PATCH', corpPath(''), { limits: { receive_cap_per_month: null } });
  });

  it('a group 群发 names chat_ids in its send result; get_groupmsg_list_v2 pages with next_cursor', async () => {
    const ctx = c();
    const { client, scenario } = ctx;
    const chat = (await scenario('member-creates-group', { owner: 'wangwu', name: '王五的群' })).group
      .chat_id;
    const added = shape(
      S.AddMsgTemplate,
      await client.addMsgTemplate({
        chat_type: 'group',
        sender: 'wangwu',
        chat_id_list: [chat],
        text: { content: '群通知' },
      }),
    );
    const res = shape(
      S.GroupMsgSendResult,
      await client.getGroupMsgSendResult({ msgid: added.msgid, userid: 'wangwu' }),
    );
    expect(res.send_list).toEqual([{ chat_id: chat, userid: 'wangwu', status: 0 }]);

    await client.addMsgTemplate({
      chat_type: 'group',
      sender: 'wangwu',
      chat_id_list: [chat],
      text: { content: '再通知' },
    });
    const window = {
      chat_type: 'group' as const,
      start_time: ctx.nowS() - 3600,
      end_time: ctx.nowS() + 60,
      limit: 1,
    };
    const p1 = shape(S.GroupMsgListV2, await client.getGroupMsgListV2(window));
    expect(p1.group_msg_list).toHaveLength(1);
    expect(p1.next_cursor).toBeTruthy();
    const p2 = shape(S.GroupMsgListV2, await client.getGroupMsgListV2({ ...window, cursor: p1.next_cursor }));
    expect(p2.group_msg_list).toHaveLength(1);
    expect(p2.group_msg_list[0]!.msgid).not.toBe(p1.group_msg_list[0]!.msgid);
  });

  it('remind_groupmsg_send and cancel_groupmsg_send answer ok; a cancelled task can no longer be sent', async () => {
    const ctx = c();
    const { client, sim } = ctx;
    const a = (await ctx.befriend('zhangsan', { name: 'C' })).external_userid;
    const added = await client.addMsgTemplate({
      sender: 'zhangsan',
      external_userid: [a],
      text: { content: '提醒' },
    });
    shape(S.Empty, await client.remindGroupMsgSend(added.msgid));
    shape(S.Empty, await client.cancelGroupMsgSend(added.msgid));
    const confirm = await sim.control('POST', corpPath('/scenarios/member-confirms-mass-send'), {
      msgid: added.msgid,
      userid: 'zhangsan',
    });
    expect(confirm.status).toBe(409);
    const res = shape(
      S.GroupMsgSendResult,
      await client.getGroupMsgSendResult({ msgid: added.msgid, userid: 'zhangsan' }),
    );
    expect(res.send_list.map((r) => r.status)).toEqual([0]);
    expect((await apiError(client.remindGroupMsgSend('msgNOSUCHMSG'))).retryable).toBe(false);
  });
});

describe('customer groups: groupchat/list, groupchat/get, join ways', () => {
  const c = useContract();

  async function group(ctx: Contract) {
    const a = (await ctx.befriend('zhangsan', { name: '群客A' })).external_userid;
    const b = await ctx.customer('群客B', { unionid: 'oUNIONID-B' });
    const created = await ctx.scenario('member-creates-group', {
      owner: 'zhangsan',
      name: '禾木VIP群',
      notice: '每周三上新',
      member_userids: ['lisi'],
      external_userids: [a],
      admin_userids: ['lisi'],
    });
    return { chat: created.group.chat_id as string, a, b };
  }

  it('groupchat/get returns member_list with type, join_time, join_scene (1 invite, 2 link, 3 QR), invitor and names', async () => {
    const ctx = c();
    const { client, scenario } = ctx;
    const { chat, a, b } = await group(ctx);
    const viaLink = await ctx.customer('链接客');
    const viaQr = await ctx.customer('扫码客');
    await scenario('join-group', { chat_id: chat, external_userid: b, via: 'invite', invitor: 'lisi' });
    await scenario('join-group', {
      chat_id: chat,
      external_userid: viaLink,
      via: 'link',
      invitor: 'zhangsan',
    });
    await scenario('join-group', { chat_id: chat, external_userid: viaQr, via: 'qr' });

    const res = shape(S.GetGroupChat, await client.getGroupChat(chat, true));
    const g = res.group_chat;
    expect(g).toMatchObject({ chat_id: chat, name: '禾木VIP群', owner: 'zhangsan', notice: '每周三上新' });
    expect(g.admin_list).toEqual([{ userid: 'lisi' }]);
    const byId = Object.fromEntries(g.member_list.map((m) => [m.userid, m]));
    expect(byId.zhangsan).toMatchObject({ type: 1, name: '张三' });
    expect(byId.lisi).toMatchObject({
      type: 1,
      join_scene: 1,
      invitor: { userid: 'zhangsan' },
      name: '李四',
    });
    expect(byId[a]).toMatchObject({ type: 2, join_scene: 1, name: '群客A' });
    expect(byId[b]).toMatchObject({
      type: 2,
      join_scene: 1,
      invitor: { userid: 'lisi' },
      unionid: 'oUNIONID-B',
    });
    expect(byId[viaLink]).toMatchObject({ type: 2, join_scene: 2, invitor: { userid: 'zhangsan' } });
    expect(byId[viaQr]).toMatchObject({ type: 2, join_scene: 3 });
    for (const m of g.member_list) expect(m.join_time).toBe(ctx.nowS());

    const noNames = shape(S.GetGroupChat, await client.getGroupChat(chat));
    expect(noNames.group_chat.member_list.every((m) => m.name === undefined)).toBe(true);
    expect(noNames.group_chat.member_version).toBe(g.member_version);
  });

  it('groupchat/list filters by owner; allGroupChats pages through every group', async () => {
    const ctx = c();
    const { client, scenario, ok } = ctx;
    await inParallel(
      Array.from({ length: 23 }, (_, i) => i),
      8,
      (i) => scenario('member-creates-group', { owner: i % 2 ? 'lisi' : 'wangwu', name: `门店群${i}` }),
    );
    const lisi = shape(
      S.ListGroupChats,
      await client.listGroupChats({ owner_filter: { userid_list: ['lisi'] }, limit: 100 }),
    );
    expect(lisi.group_chat_list).toHaveLength(11);
    expect(lisi.group_chat_list.every((g) => g.status === 0)).toBe(true);

    const first = shape(S.ListGroupChats, await client.listGroupChats({ limit: 10 }));
    expect(first.group_chat_list).toHaveLength(10);
    expect(first.next_cursor).toBeTruthy();

    const calls = (await ctx.counter(`${EC}/groupchat/list`)).calls;
    const all = await collect(allGroupChats(client, { limit: 10 }));
    const { groups } = await ok('GET', corpPath('/groups'));
    expect(all.map((g) => g.chat_id).sort()).toEqual(
      groups.map((g: { chat_id: string }) => g.chat_id).sort(),
    );
    expect(all.length).toBeGreaterThan(20);
    expect((await ctx.counter(`${EC}/groupchat/list`)).calls - calls).toBe(Math.ceil(all.length / 10));
  });

  it('join way: add → get → update (overwrites) → a QR join carries its state → del', async () => {
    const ctx = c();
    const { client, scenario } = ctx;
    const { chat } = await group(ctx);
    const chat2 = (await scenario('member-creates-group', { owner: 'zhangsan', name: '禾木VIP2群' })).group
      .chat_id;

    const added = shape(
      S.AddJoinWay,
      await client.addJoinWay({
        scene: 2,
        chat_id_list: [chat],
        auto_create_room: 0,
        remark: '海报',
        state: 'jw-poster',
      }),
    );
    const got = shape(S.GetJoinWay, await client.getJoinWay(added.config_id));
    expect(got.join_way).toMatchObject({
      config_id: added.config_id,
      scene: 2,
      remark: '海报',
      auto_create_room: 0,
      chat_id_list: [chat],
      state: 'jw-poster',
    });
    expect(got.join_way.qr_code).toBeTruthy();

    shape(
      S.Empty,
      await client.updateJoinWay({
        config_id: added.config_id,
        scene: 2,
        chat_id_list: [chat2, chat],
        auto_create_room: 1,
        room_base_name: '禾木VIP',
        room_base_id: 3,
        state: 'jw-store',
      }),
    );
    const updated = shape(S.GetJoinWay, await client.getJoinWay(added.config_id));
    expect(updated.join_way).toMatchObject({
      chat_id_list: [chat2, chat],
      auto_create_room: 1,
      room_base_name: '禾木VIP',
      room_base_id: 3,
      state: 'jw-store',
      remark: '', // overwritten: update replaces the whole way
    });

    const joiner = await ctx.customer('进群客');
    await scenario('join-group', { config_id: added.config_id, external_userid: joiner });
    const g = shape(S.GetGroupChat, await client.getGroupChat(chat2));
    expect(g.group_chat.member_list.find((m) => m.userid === joiner)).toMatchObject({
      type: 2,
      join_scene: 3,
      state: 'jw-store',
    });

    shape(S.Empty, await client.delJoinWay(added.config_id));
    expect((await apiError(client.getJoinWay(added.config_id))).retryable).toBe(false);
  });

  it('chat_id_list holds at most 5 on both sides: 6 is refused by the client before any request and by the simulator', async () => {
    const ctx = c();
    const { client, counter } = ctx;
    const { chat } = await group(ctx);
    const six = [chat, chat, chat, chat, chat, chat];
    const calls = (await counter(`${EC}/groupchat/add_join_way`)).calls;
    await expect(client.addJoinWay({ scene: 2, chat_id_list: six, auto_create_room: 0 })).rejects.toThrow(
      RangeError,
    );
    await expect(client.listGroupChats({ limit: 1001 })).rejects.toThrow(RangeError);
    expect((await counter(`${EC}/groupchat/add_join_way`)).calls).toBe(calls);
    const raw = await apiError(
      client.post(`${EC}/groupchat/add_join_way`, { scene: 2, chat_id_list: six, auto_create_room: 0 }),
    );
    expect(raw.errcode).toBe(40058);
  });

  it('groupchat/get of an unknown chat is a non-retryable error', async () => {
    const { client } = c();
    const err = await apiError(client.getGroupChat('wrNOSUCHCHAT0000000000000000000'));
    expect(err.retryable).toBe(false);
    expect(err.errcode).not.toBe(0);
  });
});

describe('transfers: 在职继承 and 离职继承 of customers and groups', () => {
  const c = useContract();

  it('transfer_customer starts takeovers (errcode per customer); transfer_result shows waiting, refused, then done after 24 h', async () => {
    const ctx = c();
    const { client, scenario } = ctx;
    const a = (await ctx.befriend('zhangsan', { name: '转A' })).external_userid;
    const b = (await ctx.befriend('zhangsan', { name: '转B' })).external_userid;
    const notFriend = await ctx.customer('非好友');
    await client.remark({ userid: 'zhangsan', external_userid: a, remark: '转接客户' });

    const started = shape(
      S.TransferCustomer,
      await client.transferCustomer({
        handover_userid: 'zhangsan',
        takeover_userid: 'lisi',
        external_userid: [a, b, notFriend, 'wmNOSUCHCUSTOMER00000000000000'],
        transfer_success_msg: '您好，后续由李四为您服务',
      }),
    );
    expect(Object.fromEntries(started.customer.map((r) => [r.external_userid, r.errcode]))).toEqual({
      [a]: 0,
      [b]: 0,
      [notFriend]: 84061,
      wmNOSUCHCUSTOMER00000000000000: 40096,
    });
    const due = ctx.nowS() + 86_400;
    const waiting = shape(
      S.TransferResult,
      await client.transferResult({ handover_userid: 'zhangsan', takeover_userid: 'lisi' }),
    );
    expect(waiting.customer).toEqual(
      expect.arrayContaining([
        { external_userid: a, status: 2, takeover_time: due },
        { external_userid: b, status: 2, takeover_time: due },
      ]),
    );

    await scenario('customer-refuses-transfer', { external_userid: b });
    await ctx.advance(DAY_MS + 1000);
    const result = shape(
      S.TransferResult,
      await client.transferResult({ handover_userid: 'zhangsan', takeover_userid: 'lisi' }),
    );
    expect(Object.fromEntries(result.customer.map((r) => [r.external_userid, r.status]))).toEqual({
      [a]: 1,
      [b]: 3,
    });
    const moved = shape(S.GetExternalContact, await client.getExternalContact(a));
    expect(moved.follow_user.map((f) => f.userid)).toEqual(['lisi']);
    const stayed = shape(S.GetExternalContact, await client.getExternalContact(b));
    expect(stayed.follow_user.map((f) => f.userid)).toEqual(['zhangsan']);
  });

  it('a member deleted through the control API: their customers wait in get_unassigned_list; resigned transfer takes them over', async () => {
    const ctx = c();
    const { client, ok } = ctx;
    await ctx.member('leaver', '离职员工');
    const ids = await inParallel(
      [0, 1, 2],
      3,
      async (i) => (await ctx.befriend('leaver', { name: `遗留${i}` })).external_userid,
    );
    await ok('DELETE', corpPath('/members/leaver'));
    const resignedAt = ctx.nowS();

    const all = shape(S.UnassignedList, await client.getUnassignedList());
    const mine = all.info.filter((r) => r.handover_userid === 'leaver');
    expect(mine.map((r) => r.external_userid).sort()).toEqual([...ids].sort());
    expect(mine.every((r) => r.dimission_time === resignedAt)).toBe(true);
    expect(all.is_last).toBe(true);

    const page = shape(S.UnassignedList, await client.getUnassignedList({ page_size: 1 }));
    expect(page.info).toHaveLength(1);
    expect(page.is_last).toBe(false);
    expect(page.next_cursor).toBeTruthy();

    const started = shape(
      S.TransferCustomer,
      await client.resignedTransferCustomer({
        handover_userid: 'leaver',
        takeover_userid: 'wangwu',
        external_userid: [ids[0]!],
      }),
    );
    expect(started.customer).toEqual([{ external_userid: ids[0], errcode: 0 }]);
    const waiting = shape(
      S.TransferResult,
      await client.resignedTransferResult({ handover_userid: 'leaver', takeover_userid: 'wangwu' }),
    );
    expect(waiting.customer).toEqual([
      { external_userid: ids[0], status: 2, takeover_time: ctx.nowS() + 86_400 },
    ]);
    const rest = shape(S.UnassignedList, await client.getUnassignedList());
    expect(
      rest.info
        .filter((r) => r.handover_userid === 'leaver')
        .map((r) => r.external_userid)
        .sort(),
    ).toEqual(ids.slice(1).sort());

    await ctx.advance(DAY_MS + 1000);
    const done = shape(
      S.TransferResult,
      await client.resignedTransferResult({ handover_userid: 'leaver', takeover_userid: 'wangwu' }),
    );
    expect(done.customer.map((r) => r.status)).toEqual([1]);
    const got = shape(S.GetExternalContact, await client.getExternalContact(ids[0]!));
    expect(got.follow_user.map((f) => f.userid)).toEqual(['wangwu']);
  });

  it('groupchat/transfer moves a resigned owner’s group (status 1 → 3) and refuses an on-job owner’s (90500); onjob_transfer moves an on-job owner’s', async () => {
    const ctx = c();
    const { client, scenario, ok } = ctx;
    await ctx.member('quitter', '将离职');
    const orphan = (
      await scenario('member-creates-group', { owner: 'quitter', name: '孤儿群', member_userids: ['lisi'] })
    ).group.chat_id;
    const active = (await scenario('member-creates-group', { owner: 'zhangsan', name: '在职群' })).group
      .chat_id;
    await ok('DELETE', corpPath('/members/quitter'));

    const waiting = shape(S.ListGroupChats, await client.listGroupChats({ status_filter: 1, limit: 100 }));
    expect(waiting.group_chat_list).toEqual([{ chat_id: orphan, status: 1 }]);

    const res = shape(
      S.TransferGroupChats,
      await client.transferGroupChats({ chat_id_list: [orphan, active], new_owner: 'lisi' }),
    );
    expect(res.failed_chat_list).toEqual([{ chat_id: active, errcode: 90500, errmsg: expect.any(String) }]);
    expect(shape(S.GetGroupChat, await client.getGroupChat(orphan)).group_chat.owner).toBe('lisi');
    const inherited = shape(S.ListGroupChats, await client.listGroupChats({ status_filter: 3, limit: 100 }));
    expect(inherited.group_chat_list.map((g) => g.chat_id)).toContain(orphan);

    const onjob = shape(
      S.TransferGroupChats,
      await client.onjobTransferGroupChats({ chat_id_list: [active], new_owner: 'wangwu' }),
    );
    expect(onjob.failed_chat_list ?? []).toEqual([]);
    const moved = shape(S.GetGroupChat, await client.getGroupChat(active));
    expect(moved.group_chat.owner).toBe('wangwu');
    expect(moved.group_chat.member_list.map((m) => m.userid)).toContain('wangwu');
  });

  it('over 100 customers or 100 chats per call are refused by the client before any request', async () => {
    const { client, counter } = c();
    const ids = Array.from({ length: 101 }, (_, i) => `wm${String(i).padStart(30, '0')}`);
    const paths = ['transfer_customer', 'resigned/transfer_customer', 'groupchat/onjob_transfer'];
    const before = await Promise.all(paths.map(async (p) => (await counter(`${EC}/${p}`)).calls));
    await expect(
      client.transferCustomer({ handover_userid: 'zhangsan', takeover_userid: 'lisi', external_userid: ids }),
    ).rejects.toThrow(RangeError);
    await expect(
      client.resignedTransferCustomer({
        handover_userid: 'zhangsan',
        takeover_userid: 'lisi',
        external_userid: ids,
      }),
    ).rejects.toThrow(RangeError);
    await expect(client.onjobTransferGroupChats({ chat_id_list: ids, new_owner: 'lisi' })).rejects.toThrow(
      RangeError,
    );
    const after = await Promise.all(paths.map(async (p) => (await counter(`${EC}/${p}`)).calls));
    expect(after).toEqual(before);
    const raw = await apiError(
      client.post(`${EC}/transfer_customer`, {
        handover_userid: 'zhangsan',
        takeover_userid: 'lisi',
        external_userid: ids,
      }),
    );
    expect(raw.errcode).toBe(40058);
  });
});

describe('errors: the simulator’s errcodes as the client reports them', () => {
  const c = useContract();

  it('an unknown external_userid: WecomApiError 40096, not retryable, one request only, no token in it', async () => {
    const { client, counter } = c();
    const token = await client.getAccessToken();
    const err = await apiError(client.getExternalContact('wmNOSUCHCUSTOMER00000000000000'));
    expect(err).toMatchObject({ errcode: 40096, retryable: false, tokenInvalid: false, api: `${EC}/get` });
    expect(err.errmsg).toMatch(/hint: \[\d+\]/);
    expect(err.message).not.toContain(token);
    expect(await counter(`${EC}/get`)).toEqual({ calls: 1, errors: { 40096: 1 } });
  });

  it('an API the simulator does not serve fails loudly: a non-retryable WecomNetworkError (HTTP 404), never a silent success', async () => {
    const { client } = c();
    const err = await apiError(client.post(`${EC}/no_such_api`, {}));
    expect(err).toBeInstanceOf(WecomNetworkError);
    expect(err).toMatchObject({ kind: 'http_status', status: 404, retryable: false });
  });

  it('the per-minute rate limit hit (45009): the client backs off maxRetries times, then throws a retryable error', async () => {
    const { newClient, ok, counter } = c();
    await ok('PATCH', corpPath(''), { limits: { rate_per_minute: 3 } });
    const sleeps: number[] = [];
    const client = newClient({ sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 });
    for (let i = 0; i < 3; i++) shape(S.FollowUserList, await client.getFollowUserList());
    const err = await apiError(client.getFollowUserList());
    expect(err).toMatchObject({ errcode: 45009, retryable: true, api: `${EC}/get_follow_user_list` });
    expect(sleeps).toEqual([375, 750, 1500]); // 500·2ⁿ, jitter 0.5: three backoffs, four attempts
    expect(await counter(`${EC}/get_follow_user_list`)).toEqual({ calls: 7, errors: { 45009: 4 } });
    // The limit is per API: another path still answers.
    shape(S.DepartmentList, await client.listDepartments());
  });

  it('45009 then a backoff that outlasts the minute window: the retry succeeds', async () => {
    const { newClient, ok, counter, sim } = c();
    const client = newClient({
      // A sleep that really lets simulated time pass, and a backoff of a whole minute.
      sleep: async (ms) => sim.clock.advance(ms),
      retryBaseMs: 60_000,
      retryMaxMs: 60_000,
      random: () => 0.999_99,
    });
    const before = await counter(`${EC}/get_follow_user_list`);
    shape(S.FollowUserList, await client.getFollowUserList());
    const after = await counter(`${EC}/get_follow_user_list`);
    expect(after.errors['45009']).toBe((before.errors['45009'] ?? 0) + 1);
    expect(after.calls).toBe(before.calls + 2);
    await ok('PATCH', corpPath(''), { limits: { rate_per_minute: 10_000 } });
  });

  it('client-side limit checks throw RangeError before any request (the simulator counts no call)', async () => {
    const { client, counter } = c();
    const paths = [
      'remark',
      'batch/get_by_user',
      'add_corp_tag',
      'mark_tag',
      'add_msg_template',
      'get_groupmsg_task',
    ];
    const before = await Promise.all(paths.map(async (p) => (await counter(`${EC}/${p}`)).calls));
    const calls: (() => Promise<unknown>)[] = [
      () => client.remark({ userid: 'zhangsan', external_userid: 'wm0', remark: '一'.repeat(21) }),
      () => client.batchGetByUser({ userid_list: Array.from({ length: 101 }, (_, i) => `u${i}`) }),
      () => client.batchGetByUser({ userid_list: ['zhangsan'], limit: 101 }),
      () => client.addCorpTag({ group_name: '组'.repeat(31), tag: [{ name: 'x' }] }),
      () => client.markTag({ userid: 'zhangsan', external_userid: 'wm0' }),
      () => client.addMsgTemplate({ chat_type: 'group', text: { content: 'x' } }),
      () => client.getGroupMsgTask({ msgid: 'msg', limit: 1001 }),
    ];
    for (const call of calls) await expect(call()).rejects.toThrow(RangeError);
    const after = await Promise.all(paths.map(async (p) => (await counter(`${EC}/${p}`)).calls));
    expect(after).toEqual(before);
  });
});

describe('iterators: allCustomersOf and allGroupChats over many pages', () => {
  const c = useContract();

  it('allCustomersOf yields all 250 (customer, follow) rows of two members over 3 pages of 100', async () => {
    const ctx = c();
    const { client, counter } = ctx;
    const owners = Array.from({ length: 250 }, (_, i) => (i < 150 ? 'zhangsan' : 'lisi'));
    const ids = await inParallel(owners, 25, async (userid) => (await ctx.befriend(userid)).external_userid);
    const before = (await counter(`${EC}/batch/get_by_user`)).calls;
    const rows = await collect(allCustomersOf(client, ['zhangsan', 'lisi'], { limit: 100 }));
    expect((await counter(`${EC}/batch/get_by_user`)).calls - before).toBe(3);
    expect(rows).toHaveLength(250);
    for (const row of rows) shape(S.BatchGetByUser.shape.external_contact_list.element, row);
    expect(new Set(rows.map((r) => r.external_contact.external_userid))).toEqual(new Set(ids));
    expect(rows.filter((r) => r.follow_info.userid === 'lisi')).toHaveLength(100);
  });

  it('allCustomersOf splits more than 100 userids into several userid_lists (both sides accept ≤ 100)', async () => {
    const ctx = c();
    const { client, counter, ok } = ctx;
    const userids = Array.from({ length: 101 }, (_, i) => `staff${i}`);
    await inParallel(userids, 25, (userid) =>
      ok('POST', corpPath('/members'), { userid, name: userid, department: [1] }),
    );
    const last = (await ctx.befriend('staff100')).external_userid;
    const before = (await counter(`${EC}/batch/get_by_user`)).calls;
    const rows = await collect(allCustomersOf(client, userids));
    expect(rows.map((r) => r.external_contact.external_userid)).toEqual([last]);
    expect(await counter(`${EC}/batch/get_by_user`)).toMatchObject({ calls: before + 2, errors: {} });
  });

  it('allGroupChats pages with the default limit too', async () => {
    const { client, scenario } = c();
    await scenario('member-creates-group', { owner: 'wangwu', name: '单群' });
    const all = await collect(allGroupChats(client));
    expect(all).toEqual([expect.objectContaining({ status: 0 })]);
  });
});

describe('moments 朋友圈: upload_attachment → add_moment_task → task result, task, send result, comments', () => {
  const c = useContract();

  it('a member publishes the corp Moment to the tagged customers; who liked and commented comes back', async () => {
    const ctx = c();
    const { client, scenario } = ctx;
    const tags = await ctx.ok('POST', corpPath('/scenarios/admin-create-tags'), {
      group_name: '人群',
      tag: [{ name: '宝妈' }],
    });
    const tagId: string = tags.tag_group.tag[0].id;
    const mum = (await ctx.befriend('zhangsan', { name: '宝妈A' })).external_userid;
    const other = (await ctx.befriend('zhangsan', { name: '路人B' })).external_userid;
    await client.markTag({ userid: 'zhangsan', external_userid: mum, add_tag: [tagId] });

    const media = await client.uploadAttachment('image', {
      filename: 'spring.jpg',
      contentType: 'image/jpeg',
      data: Buffer.alloc(2048, 7),
    });
    expect(media).toMatchObject({ type: 'image', media_id: expect.any(String) });
    const { jobid } = await client.addMomentTask({
      text: { content: '春季新品上市' },
      attachments: [{ msgtype: 'image', image: { media_id: media.media_id } }],
      visible_range: {
        sender_list: { user_list: ['zhangsan', 'ghost'] },
        external_contact_list: { tag_list: [tagId] },
      },
    });
    const job = await client.getMomentTaskResult(jobid);
    expect(job).toMatchObject({ status: 3, type: 'add_moment_task' });
    expect(job.result?.invalid_sender_list?.user_list).toEqual(['ghost']);
    const momentId = job.result!.moment_id!;
    const listed = await client.getMomentList({
      start_time: ctx.nowS() - 60,
      end_time: ctx.nowS() + 60,
      filter_type: 0,
      limit: 20,
    });
    expect(listed.moment_list.map((m) => m.moment_id)).toContain(momentId);

    expect((await client.getMomentTask({ moment_id: momentId })).task_list).toEqual([
      { userid: 'zhangsan', publish_status: 0 },
    ]);
    await scenario('member-publishes-moment', { moment_id: momentId, userid: 'zhangsan' });
    expect((await client.getMomentTask({ moment_id: momentId })).task_list[0]?.publish_status).toBe(1);
    const sent = await client.getMomentSendResult({ moment_id: momentId, userid: 'zhangsan' });
    expect(sent.customer_list).toEqual([{ external_userid: mum }]);

    await scenario('customer-reacts-to-moment', {
      moment_id: momentId,
      userid: 'zhangsan',
      external_userid: mum,
      like: true,
      comment: '好看！',
    });
    const refused = await ctx.sim.control('POST', corpPath('/scenarios/customer-reacts-to-moment'), {
      moment_id: momentId,
      userid: 'zhangsan',
      external_userid: other,
      like: true,
    });
    expect(refused.status).toBe(409);
    const comments = await client.getMomentComments({ moment_id: momentId, userid: 'zhangsan' });
    expect(comments.like_list).toEqual([{ external_userid: mum, create_time: ctx.nowS() }]);
    // who and when, never the text
    expect(comments.comment_list).toEqual([{ external_userid: mum, create_time: ctx.nowS() }]);
  });
});

describe('coverage of the contract', () => {
  /** Every public method of WecomClient → the family above that pins it (tsc demands a line for a new one). */
  const CONTRACTS: Record<PublicMethod, string> = {
    toJSON: 'auth',
    getAccessToken: 'auth',
    invalidateToken: 'auth',
    get: 'auth',
    post: 'auth',
    listDepartments: 'directory',
    listUserIds: 'directory',
    getUser: 'directory',
    getFollowUserList: 'directory',
    listExternalContacts: 'customers',
    getExternalContact: 'customers',
    batchGetByUser: 'customers',
    remark: 'customers',
    markTag: 'customers',
    getCorpTagList: 'corp tags',
    addCorpTag: 'corp tags',
    editCorpTag: 'corp tags',
    delCorpTag: 'corp tags',
    addContactWay: 'contact ways',
    getContactWay: 'contact ways',
    listContactWay: 'contact ways',
    updateContactWay: 'contact ways',
    delContactWay: 'contact ways',
    sendWelcomeMsg: 'welcome',
    sendAppMessage: 'app messages',
    getUserInfoByCode: 'sidebar',
    getJsapiTicket: 'sidebar',
    getAgentConfigTicket: 'sidebar',
    addMsgTemplate: 'mass send',
    getGroupMsgListV2: 'mass send',
    getGroupMsgTask: 'mass send',
    getGroupMsgSendResult: 'mass send',
    remindGroupMsgSend: 'mass send',
    cancelGroupMsgSend: 'mass send',
    listGroupChats: 'groups',
    getGroupChat: 'groups',
    addJoinWay: 'groups',
    getJoinWay: 'groups',
    updateJoinWay: 'groups',
    delJoinWay: 'groups',
    transferCustomer: 'transfers',
    transferResult: 'transfers',
    resignedTransferCustomer: 'transfers',
    resignedTransferResult: 'transfers',
    getUnassignedList: 'transfers',
    transferGroupChats: 'transfers',
    onjobTransferGroupChats: 'transfers',
    uploadAttachment: 'moments',
    uploadMedia: 'media',
    addMomentTask: 'moments',
    getMomentTaskResult: 'moments',
    getMomentTask: 'moments',
    getMomentList: 'moments',
    getMomentSendResult: 'moments',
    getMomentComments: 'moments',
  };

  it('drove every public method of WecomClient and every exported iterator', () => {
    const iterators = Object.entries(clientModule)
      .filter(([name, value]) => typeof value === 'function' && name.startsWith('all'))
      .map(([name]) => name);
    expect(iterators.sort()).toEqual(['allCustomersOf', 'allGroupChats', 'allUserIds']);
    const missing = [...Object.keys(CONTRACTS), ...iterators].filter((name) => !called.has(name));
    expect(missing).toEqual([]);
  });
});
