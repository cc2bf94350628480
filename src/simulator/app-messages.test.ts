import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WecomClient } from '../wecom/client.ts';
import { WecomApiError } from '../wecom/errors.ts';
import { ManualClock } from './clock.ts';
import { CORP, corpPath, type Json, seedCorp, startTestSim, type TestSim } from './testing.ts';

/** message/send (发送应用消息) over HTTP: recipients, invalid ones, errcodes, limits, what each member got. */
const SEND = '/cgi-bin/message/send';
let sim: TestSim;

beforeEach(async () => {
  sim = await startTestSim();
  await seedCorp(sim);
});
afterEach(async () => {
  await sim.close();
});

const text = (touser: string, content = '你有一条待办：给王芳回电话', extra: Json = {}) => ({
  touser,
  msgtype: 'text',
  agentid: CORP.agentid,
  text: { content },
  ...extra,
});
const received = async (userid?: string): Promise<Json[]> =>
  (await sim.ok('GET', corpPath(`/app-messages${userid ? `?userid=${userid}` : ''}`))).messages;

describe('message/send', () => {
  it('delivers text, textcard and markdown to each named member, case-insensitively', async () => {
    const a = await sim.api(SEND, text('ZhangSan|lisi'));
    expect(a).toMatchObject({ errcode: 0, errmsg: 'ok', invaliduser: '', invalidparty: '', invalidtag: '' });
    expect(a.msgid).toMatch(/^msg/);
    const card = await sim.api(SEND, {
      touser: 'zhangsan',
      msgtype: 'textcard',
      agentid: CORP.agentid,
      textcard: {
        title: '待办提醒',
        description: '今天 18:00 前给王芳回电话',
        url: 'https://siyu.example/tasks/1',
      },
    });
    expect(card.errcode).toBe(0);
    const md = await sim.api(SEND, {
      touser: 'wangwu',
      msgtype: 'markdown',
      agentid: CORP.agentid,
      markdown: { content: '**待办** 邀请孙悦入群' },
    });
    expect(md.errcode).toBe(0);

    const zhangsan = await received('zhangsan');
    expect(zhangsan.map((m: Json) => m.msgtype)).toEqual(['text', 'textcard']);
    expect(zhangsan[0]).toMatchObject({ msgid: a.msgid, text: { content: '你有一条待办：给王芳回电话' } });
    expect(zhangsan[1].textcard).toEqual({
      title: '待办提醒',
      description: '今天 18:00 前给王芳回电话',
      url: 'https://siyu.example/tasks/1',
      btntxt: '详情',
    });
    expect((await received('lisi')).map((m: Json) => m.msgid)).toEqual([a.msgid]);
    expect((await received('wangwu'))[0].markdown).toEqual({ content: '**待办** 邀请孙悦入群' });
    expect(await received()).toHaveLength(3);
  });

  it('sends to the valid recipients and names the invalid ones; all invalid is 81013', async () => {
    const partly = await sim.api(
      SEND,
      text('zhangsan|Nobody|gone', undefined, { toparty: '99', totag: '7' }),
    );
    expect(partly).toMatchObject({
      errcode: 0,
      invaliduser: 'nobody|gone',
      invalidparty: '99',
      invalidtag: '7',
    });
    expect(await received('zhangsan')).toHaveLength(1);

    // a resigned member is invalid too
    await sim.ok('DELETE', corpPath('/members/lisi'));
    const none = await sim.api(SEND, text('lisi|nobody'));
    expect(none.errcode).toBe(81013);
    expect(none.errmsg).toMatch(/^user & party & tag all invalid, hint: /);
    expect(none.invaliduser).toBe('lisi|nobody');
    expect(await received()).toHaveLength(1);
  });

  it('reaches a department and its sub-departments, and @all everyone', async () => {
    await sim.ok('POST', corpPath('/departments'), { id: 3, name: '上海一店', parentid: 2 });
    await sim.ok('POST', corpPath('/members'), { userid: 'zhaoliu', name: '赵六', department: [3] });
    const party = await sim.api(SEND, { ...text(''), touser: undefined, toparty: '2' });
    expect(party.errcode).toBe(0);
    const all = await sim.api(SEND, text('@all'));
    expect(all.errcode).toBe(0);
    const byMsg = Object.fromEntries((await received()).map((m: Json) => [m.msgid, m.touser]));
    expect(byMsg[party.msgid]).toEqual(['lisi', 'zhangsan', 'zhaoliu']);
    expect(byMsg[all.msgid]).toEqual(['lisi', 'wangwu', 'zhangsan', 'zhaoliu']);
  });

  it('answers the errcodes of bad requests and sends nothing', async () => {
    expect((await sim.api(SEND, { ...text('zhangsan'), agentid: undefined })).errcode).toBe(41011);
    expect((await sim.api(SEND, text('zhangsan', 'x', { agentid: 1 }))).errcode).toBe(40056);
    expect((await sim.api(SEND, { ...text('zhangsan'), msgtype: 'news' })).errcode).toBe(40008);
    expect((await sim.api(SEND, { ...text('zhangsan'), msgtype: undefined })).errcode).toBe(40008);
    expect((await sim.api(SEND, text('zhangsan', ''))).errcode).toBe(44004);
    const longMd = await sim.api(SEND, {
      touser: 'zhangsan',
      msgtype: 'markdown',
      agentid: CORP.agentid,
      markdown: { content: '茶'.repeat(683) },
    });
    expect(longMd.errcode).toBe(45002);
    const noUrl = await sim.api(SEND, {
      touser: 'zhangsan',
      msgtype: 'textcard',
      agentid: CORP.agentid,
      textcard: { title: 't', description: 'd' },
    });
    expect(noUrl).toMatchObject({ errcode: 40058 });
    expect(noUrl.errmsg).toMatch(/^missing textcard\.url\. invalid Request Parameter/);
    const users = Array.from({ length: 1001 }, (_, i) => `u${i}`).join('|');
    expect((await sim.api(SEND, text(users))).errcode).toBe(40032);
    expect((await sim.api(SEND, { ...text(''), touser: undefined })).errcode).toBe(81013);
    expect(await received()).toEqual([]);
  });

  it('truncates text past 2048 bytes and a card past its title and description limits', async () => {
    await sim.api(SEND, text('zhangsan', '茶'.repeat(700)));
    await sim.api(SEND, {
      touser: 'zhangsan',
      msgtype: 'textcard',
      agentid: CORP.agentid,
      textcard: {
        title: '标'.repeat(50),
        description: '述'.repeat(200),
        url: 'https://x.example',
        btntxt: '立即处理它',
      },
    });
    const [t, c] = await received('zhangsan');
    expect(t.text.content).toBe('茶'.repeat(682));
    expect(c.textcard).toMatchObject({
      title: '标'.repeat(42),
      description: '述'.repeat(170),
      btntxt: '立即处理',
    });
  });

  it('with enable_duplicate_check, the same message within the interval is delivered once', async () => {
    const dup = { enable_duplicate_check: 1, duplicate_check_interval: 600 };
    const first = await sim.api(SEND, text('zhangsan', '提醒', dup));
    sim.clock.advance(300_000);
    const again = await sim.api(SEND, text('zhangsan', '提醒', dup));
    expect(again).toMatchObject({ errcode: 0, msgid: first.msgid });
    expect(await received('zhangsan')).toHaveLength(1);
    // without the check, or after the interval, it is delivered again
    await sim.api(SEND, text('zhangsan', '提醒'));
    sim.clock.advance(601_000);
    await sim.api(SEND, text('zhangsan', '提醒', dup));
    expect(await received('zhangsan')).toHaveLength(3);
  });

  it('refuses a 31st message a minute to one member with 45009', async () => {
    for (let i = 0; i < 30; i++) expect((await sim.api(SEND, text('zhangsan', `第${i}条`))).errcode).toBe(0);
    expect((await sim.api(SEND, text('zhangsan|lisi', '第31条'))).errcode).toBe(45009);
    expect((await sim.api(SEND, text('lisi', '给李四'))).errcode).toBe(0);
    sim.clock.advance(61_000);
    expect((await sim.api(SEND, text('zhangsan', '下一分钟'))).errcode).toBe(0);
  });

  it('is what WecomClient.sendAppMessage calls, with invaliduser in its answer', async () => {
    const client = new WecomClient({
      baseUrl: sim.url,
      corpId: CORP.corpid,
      secret: CORP.secret,
      now: () => sim.clock.now().getTime(),
    });
    const res = await client.sendAppMessage({
      agentid: CORP.agentid,
      touser: 'zhangsan|ghost',
      msgtype: 'text',
      text: { content: '待办' },
    });
    expect(res).toMatchObject({ errcode: 0, invaliduser: 'ghost' });
    const err = await client
      .sendAppMessage({ agentid: CORP.agentid, touser: 'ghost', msgtype: 'text', text: { content: '待办' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(WecomApiError);
    expect(err.errcode).toBe(81013);
    await expect(
      client.sendAppMessage({ agentid: CORP.agentid, msgtype: 'text', text: { content: 'x' } }),
    ).rejects.toThrow(/touser, toparty or totag is required/);
  });
});

describe('message/send and the state file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-appmsg-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps what members received across a restart', async () => {
    const stateFile = join(dir, 'sim.json');
    const clock = new ManualClock('2026-03-10T02:00:00Z');
    const first = await startTestSim({ stateFile, clock });
    await seedCorp(first);
    const sent = await first.api(SEND, text('zhangsan'));
    await first.close();
    const second = await startTestSim({ stateFile, clock });
    const { messages } = await second.ok('GET', corpPath('/app-messages?userid=zhangsan'));
    expect(messages.map((m: Json) => m.msgid)).toEqual([sent.msgid]);
    await second.close();
  });
});
