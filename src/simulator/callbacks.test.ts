import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aesKey, decrypt, verifySignature } from '../wecom/crypto.ts';
import {
  CORP,
  corpPath,
  newContactWay,
  newCustomer,
  Receiver,
  seedCorp,
  startTestSim,
  type TestSim,
  xmlField,
} from './testing.ts';

const EC = '/cgi-bin/externalcontact';
let sim: TestSim;
let receiver: Receiver;

beforeEach(async () => {
  receiver = await new Receiver().start();
  sim = await startTestSim();
  await seedCorp(sim, { callback_url: receiver.url });
});
afterEach(async () => {
  await sim.close();
  await receiver.close();
});

async function deliveries(query = '') {
  return (await sim.ok('GET', corpPath(`/deliveries${query}`))) as {
    total: number;
    deliveries: {
      id: number;
      status: string;
      change_type: string;
      attempts: { outcome: string; http_status?: number }[];
    }[];
    summary: Record<string, number>;
  };
}

describe('callback push', () => {
  it('a scan pushes a signed, encrypted add_external_contact with State and WelcomeCode', async () => {
    const way = await newContactWay(sim, { state: 'store-042' });
    const ext = await newCustomer(sim);
    const scan = await sim.ok('POST', corpPath('/scenarios/scan-contact-way'), {
      config_id: way,
      external_userid: ext,
    });
    await sim.idle();

    expect(receiver.received).toHaveLength(1);
    const got = receiver.received[0]!;
    expect(got.signatureOk).toBe(true);
    expect(
      verifySignature(
        got.query.get('msg_signature')!,
        CORP.token,
        got.query.get('timestamp')!,
        got.query.get('nonce')!,
        got.encrypt,
      ),
    ).toBe(true);
    expect(got.query.get('timestamp')).toBe(String(Math.floor(sim.clock.now().getTime() / 1000)));
    expect(got.body).toBe(
      `<xml><ToUserName><![CDATA[${CORP.corpid}]]></ToUserName><AgentID><![CDATA[${CORP.agentid}]]></AgentID><Encrypt><![CDATA[${got.encrypt}]]></Encrypt></xml>`,
    );
    const xml = decrypt(aesKey(CORP.encoding_aes_key), got.encrypt, CORP.corpid);
    const now = Math.floor(sim.clock.now().getTime() / 1000);
    expect(xml).toBe(
      `<xml><ToUserName><![CDATA[${CORP.corpid}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>` +
        `<CreateTime>${now}</CreateTime><MsgType><![CDATA[event]]></MsgType>` +
        '<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>' +
        `<UserID><![CDATA[${scan.userid}]]></UserID><ExternalUserID><![CDATA[${ext}]]></ExternalUserID>` +
        `<State><![CDATA[store-042]]></State><WelcomeCode><![CDATA[${scan.welcome_code}]]></WelcomeCode></xml>`,
    );
    const log = await deliveries();
    expect(log.deliveries[0]).toMatchObject({ status: 'delivered', change_type: 'add_external_contact' });
    expect(log.deliveries[0]!.attempts).toHaveLength(1);
  });

  it('a type-2 way rotates among its members (round robin)', async () => {
    const way = await newContactWay(sim, { user: ['zhangsan', 'lisi', 'wangwu'] });
    const picked: string[] = [];
    for (let i = 0; i < 4; i++) {
      const ext = await newCustomer(sim, `客${i}`);
      picked.push(
        (
          await sim.ok('POST', corpPath('/scenarios/scan-contact-way'), {
            config_id: way,
            external_userid: ext,
          })
        ).userid,
      );
    }
    expect(picked).toEqual(['zhangsan', 'lisi', 'wangwu', 'zhangsan']);
  });

  it('changes made through the API push no callback', async () => {
    const ext = await newCustomer(sim);
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: ext,
    });
    await sim.idle();
    const before = receiver.received.length;
    const tags = await sim.api(`${EC}/add_corp_tag`, { group_name: '等级', tag: [{ name: 'VIP' }] });
    const tagId = tags.tag_group.tag[0].id;
    await sim.api(`${EC}/mark_tag`, { userid: 'zhangsan', external_userid: ext, add_tag: [tagId] });
    await sim.api(`${EC}/remark`, { userid: 'zhangsan', external_userid: ext, remark: '老客' });
    await sim.api(`${EC}/edit_corp_tag`, { id: tagId, name: 'VVIP' });
    await sim.api(`${EC}/add_contact_way`, { type: 1, scene: 2, user: ['lisi'] });
    const chat = await sim.ok('POST', corpPath('/scenarios/member-creates-group'), {
      owner: 'zhangsan',
      external_userids: [ext],
    });
    await sim.idle();
    const afterGroup = receiver.received.length;
    await sim.api(`${EC}/groupchat/onjob_transfer`, {
      chat_id_list: [chat.group.chat_id],
      new_owner: 'lisi',
    });
    await sim.api(`${EC}/del_corp_tag`, { tag_id: [tagId] });
    await sim.idle();
    expect(before).toBe(1);
    expect(afterGroup).toBe(2); // only the group creation, a user-side action
    expect(receiver.received).toHaveLength(2);
  });

  it('user-side edits push edit_external_contact, tag and group events', async () => {
    const ext = await newCustomer(sim);
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: ext,
    });
    const created = await sim.ok('POST', corpPath('/scenarios/admin-create-tags'), {
      group_name: '兴趣',
      tag: [{ name: '奶茶' }],
    });
    await sim.ok('POST', corpPath('/scenarios/admin-create-tags'), {
      group_id: created.tag_group.group_id,
      tag: [{ name: '咖啡' }],
    });
    await sim.ok('POST', corpPath('/scenarios/member-edits-contact'), {
      userid: 'zhangsan',
      external_userid: ext,
      remark: '王小美',
      add_tag: [created.tag_group.tag[0].id],
    });
    // Only remark_mobiles changed: no event.
    await sim.ok('POST', corpPath('/scenarios/member-edits-contact'), {
      userid: 'zhangsan',
      external_userid: ext,
      remark_mobiles: ['13800000000'],
    });
    const group = await sim.ok('POST', corpPath('/scenarios/member-creates-group'), {
      owner: 'zhangsan',
      name: '群',
    });
    const chatId = group.group.chat_id;
    await sim.ok('POST', corpPath('/scenarios/join-group'), {
      chat_id: chatId,
      external_userid: ext,
      via: 'invite',
    });
    await sim.ok('POST', corpPath('/scenarios/leave-group'), {
      chat_id: chatId,
      external_userid: ext,
      removed_by: 'zhangsan',
    });
    await sim.ok('POST', corpPath('/scenarios/rename-group'), { chat_id: chatId, name: '新群名' });
    await sim.ok('POST', corpPath('/scenarios/dismiss-group'), { chat_id: chatId });
    await sim.ok('POST', corpPath('/scenarios/admin-delete-tags'), {
      group_id: [created.tag_group.group_id],
    });
    await sim.ok('POST', corpPath('/scenarios/customer-deletes-member'), {
      external_userid: ext,
      userid: 'zhangsan',
    });
    await sim.idle();

    const summary = receiver.received.map((r) =>
      [
        xmlField(r.xml, 'Event'),
        xmlField(r.xml, 'ChangeType'),
        xmlField(r.xml, 'UpdateDetail') ?? xmlField(r.xml, 'TagType'),
      ]
        .filter(Boolean)
        .join('/'),
    );
    expect(summary.sort()).toEqual(
      [
        'change_external_contact/add_external_contact',
        'change_external_tag/create/tag_group',
        'change_external_tag/create/tag',
        'change_external_contact/edit_external_contact',
        'change_external_chat/create',
        'change_external_chat/update/add_member',
        'change_external_chat/update/del_member',
        'change_external_chat/update/change_name',
        'change_external_chat/dismiss',
        'change_external_tag/delete/tag_group',
        'change_external_contact/del_follow_user',
      ].sort(),
    );
    const add = receiver.received.find((r) => xmlField(r.xml, 'UpdateDetail') === 'add_member')!.xml;
    expect(xmlField(add, 'JoinScene')).toBe('0');
    expect(add).toContain(
      `<MemChangeCnt>1</MemChangeCnt><MemChangeList><Item><![CDATA[${ext}]]></Item></MemChangeList>`,
    );
    expect(xmlField(add, 'LastMemVer')).toMatch(/^[0-9a-f]{32}$/);
    const del = receiver.received.find((r) => xmlField(r.xml, 'UpdateDetail') === 'del_member')!.xml;
    expect(xmlField(del, 'QuitScene')).toBe('1');
    expect(xmlField(del, 'LastMemVer')).toBe(xmlField(add, 'CurMemVer'));
  });

  it('events of one customer arrive in creation order, even with slow answers', async () => {
    receiver.respond = (n) => (n === 1 ? 500 : 200);
    const ext = await newCustomer(sim);
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: ext,
    });
    await sim.ok('POST', corpPath('/scenarios/member-edits-contact'), {
      userid: 'zhangsan',
      external_userid: ext,
      remark: 'a',
    });
    await sim.ok('POST', corpPath('/scenarios/member-deletes-customer'), {
      userid: 'zhangsan',
      external_userid: ext,
    });
    await sim.idle();
    const order = receiver.received.filter((r) => r.xml).map((r) => xmlField(r.xml, 'ChangeType'));
    expect(order).toEqual([
      'add_external_contact',
      'add_external_contact',
      'edit_external_contact',
      'del_external_contact',
    ]);
  });

  it('events of different customers are delivered concurrently', async () => {
    receiver.respond = (n) => (n === 1 ? 'hang' : 200);
    await sim.close();
    sim = await startTestSim({ push: { timeoutMs: 400, retryDelaysMs: [10, 10, 10] } });
    await seedCorp(sim, { callback_url: receiver.url });
    const slow = await newCustomer(sim, '慢');
    const fast = await newCustomer(sim, '快');
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: slow,
    });
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: fast,
    });
    await sim.idle();
    expect(receiver.received.map((r) => xmlField(r.xml, 'ExternalUserID'))).toEqual([slow, fast, slow]);
  });

  it('retries: 500, 500, then 200 → called 3 times, delivered', async () => {
    receiver.respond = (n) => (n <= 2 ? 500 : 200);
    const ext = await newCustomer(sim);
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: ext,
    });
    await sim.idle();
    expect(receiver.received).toHaveLength(3);
    const log = await deliveries();
    expect(log.deliveries[0]!.status).toBe('delivered');
    expect(log.deliveries[0]!.attempts.map((a) => a.outcome)).toEqual([
      'http_status',
      'http_status',
      'delivered',
    ]);
  });

  it('a receiver that never answers 200 is called 4 times (1 + 3 retries) and the log says failed', async () => {
    receiver.respond = (n) => (n % 2 === 0 ? 'hang' : 503);
    await sim.close();
    sim = await startTestSim({ push: { timeoutMs: 200, retryDelaysMs: [10, 10, 10] } });
    await seedCorp(sim, { callback_url: receiver.url });
    const ext = await newCustomer(sim);
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: ext,
    });
    await sim.idle();
    expect(receiver.received).toHaveLength(4);
    const log = await deliveries('?status=failed');
    expect(log.total).toBe(1);
    expect(log.deliveries[0]!.attempts.map((a) => a.outcome)).toEqual([
      'http_status',
      'timeout',
      'http_status',
      'timeout',
    ]);
    expect(log.deliveries[0]!.attempts[0]!.http_status).toBe(503);
    const counters = await sim.ok('GET', corpPath('/counters'));
    expect(counters.deliveries).toMatchObject({ total: 1, failed: 1, attempts: 4 });
    expect(counters.events['change_external_contact/add_external_contact']).toBe(1);
  });

  it('connection failures are retried and logged', async () => {
    await receiver.close();
    const ext = await newCustomer(sim);
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: ext,
    });
    await sim.idle();
    const log = await deliveries();
    expect(log.deliveries[0]!.status).toBe('failed');
    expect(log.deliveries[0]!.attempts.map((a) => a.outcome)).toEqual(Array(4).fill('connection_error'));
  });

  it('without a callback URL events are logged as no_callback_url', async () => {
    await sim.ok('PATCH', corpPath(), { callback_url: null });
    const ext = await newCustomer(sim);
    await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
      userid: 'zhangsan',
      external_userid: ext,
    });
    expect((await deliveries()).deliveries[0]!.status).toBe('no_callback_url');
  });
});

describe('URL verification', () => {
  async function echoServer(answer: (plain: string) => string, delayMs = 0) {
    const server = createServer((req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams;
      const ok = verifySignature(
        q.get('msg_signature')!,
        CORP.token,
        q.get('timestamp')!,
        q.get('nonce')!,
        q.get('echostr')!,
      );
      const plain = ok
        ? decrypt(aesKey(CORP.encoding_aes_key), q.get('echostr')!, CORP.corpid)
        : 'bad signature';
      setTimeout(() => res.end(answer(plain)), delayMs);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb` };
  }

  it('passes when the receiver answers the plaintext, fails otherwise', async () => {
    const good = await echoServer((plain) => plain);
    const bad = await echoServer((plain) => `"${plain}"\n`);
    const slow = await echoServer((plain) => plain, 1300);
    try {
      const ok = await sim.ok('POST', corpPath('/verify-callback'), { url: good.url });
      expect(ok).toMatchObject({ ok: true, http_status: 200 });
      expect(ok.received).toBe(ok.expected);
      const wrong = await sim.ok('POST', corpPath('/verify-callback'), { url: bad.url });
      expect(wrong).toMatchObject({ ok: false, error: 'the answer is not the plaintext echostr' });
      const late = await sim.ok('POST', corpPath('/verify-callback'), { url: slow.url });
      expect(late).toMatchObject({ ok: false, error: 'no answer within 1000 ms' });
    } finally {
      for (const s of [good, bad, slow]) {
        s.server.closeAllConnections();
        s.server.close();
      }
    }
  });
});
