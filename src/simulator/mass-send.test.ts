import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { corpPath, newCustomer, seedCorp, startTestSim, type TestSim } from './testing.ts';

/**
 * 群发 in the simulator over real HTTP: a member confirms or ignores a task (control calls), picks recipients
 * when allow_select is on, every result status (0 unsent, 1 sent, 2 not a friend, 3 over the cap), the
 * monthly cap shared by corp and personal sends, cancel, reminds beyond WeCom's 3 per 24 h, and the
 * population runner confirming most tasks after a delay.
 */
const EC = '/cgi-bin/externalcontact';
let sim: TestSim;

beforeEach(async () => {
  sim = await startTestSim();
  await seedCorp(sim);
});
afterEach(async () => {
  await sim.close();
});

async function friend(name: string, userid = 'zhangsan'): Promise<string> {
  const ext = await newCustomer(sim, name);
  await sim.ok('POST', corpPath('/scenarios/member-adds-customer'), {
    userid,
    external_userid: ext,
    add_way: 3,
  });
  return ext;
}
const results = async (msgid: string, userid = 'zhangsan') =>
  Object.fromEntries(
    (await sim.api(`${EC}/get_groupmsg_send_result`, { msgid, userid })).send_list.map(
      (s: { external_userid: string; status: number }) => [s.external_userid, s.status],
    ),
  );

describe('members and their 群发 tasks', () => {
  it('every status: sent, unsent (not picked), not a friend, over the cap', async () => {
    await sim.ok('PATCH', corpPath(), { limits: { receive_cap_per_month: 1 } });
    const [a, b, c, d] = [await friend('甲'), await friend('乙'), await friend('丙'), await friend('丁')];
    // d already got a 群发 this month (the member's own): the cap of 1 is used
    const personal = await sim.ok('POST', corpPath('/scenarios/member-sends-personal-mass-send'), {
      userid: 'zhangsan',
      external_userids: [d],
      content: '周末见',
    });
    expect(personal.send_list).toEqual([expect.objectContaining({ external_userid: d, status: 1 })]);
    const { msgid } = await sim.api(`${EC}/add_msg_template`, {
      external_userid: [a, b, c, d],
      allow_select: true,
      text: { content: '新品' },
    });
    await sim.ok('POST', corpPath('/scenarios/customer-deletes-member'), {
      external_userid: c,
      userid: 'zhangsan',
    });
    const confirmed = await sim.ok('POST', corpPath('/scenarios/member-confirms-mass-send'), {
      msgid,
      userid: 'zhangsan',
      external_userids: [a, c, d],
    });
    expect(confirmed.send_list.map((s: { status: number }) => s.status)).toEqual([1, 0, 2, 3]);
    expect(await results(msgid)).toEqual({ [a]: 1, [b]: 0, [c]: 2, [d]: 3 });
    // the personal send is listed as a member's (create_type 1)
    const now = Math.floor(sim.clock.now().getTime() / 1000);
    const list = await sim.api(`${EC}/get_groupmsg_list_v2`, {
      chat_type: 'single',
      start_time: now - 60,
      end_time: now + 60,
      filter_type: 1,
    });
    expect(list.group_msg_list.map((m: { msgid: string }) => m.msgid)).toEqual([personal.msgid]);
  });

  it("a personal send is refused over the cap the corp's sends used", async () => {
    await sim.ok('PATCH', corpPath(), { limits: { receive_cap_per_month: 1 } });
    const a = await friend('甲');
    const { msgid } = await sim.api(`${EC}/add_msg_template`, {
      sender: 'zhangsan',
      text: { content: '一' },
    });
    await sim.ok('POST', corpPath('/scenarios/member-confirms-mass-send'), { msgid, userid: 'zhangsan' });
    const personal = await sim.ok('POST', corpPath('/scenarios/member-sends-personal-mass-send'), {
      userid: 'zhangsan',
      external_userids: [a],
      content: '二',
    });
    expect(personal.send_list[0]).toMatchObject({ external_userid: a, status: 3 });
  });

  it('ignores a task: it stays unsent; picking recipients needs allow_select; cancel stops the rest', async () => {
    const a = await friend('甲');
    const b = await friend('乙', 'lisi');
    const { msgid } = await sim.api(`${EC}/add_msg_template`, {
      external_userid: [a, b],
      text: { content: '券' },
    });
    const tasks = (await sim.api(`${EC}/get_groupmsg_task`, { msgid })).task_list;
    expect(tasks.map((t: { userid: string }) => t.userid).sort()).toEqual(['lisi', 'zhangsan']);
    const ignored = await sim.ok('POST', corpPath('/scenarios/member-ignores-mass-send'), {
      msgid,
      userid: 'lisi',
    });
    expect(ignored).toEqual({ msgid, userid: 'lisi', ignored: true });
    const picked = await sim.control('POST', corpPath('/scenarios/member-confirms-mass-send'), {
      msgid,
      userid: 'zhangsan',
      external_userids: [a],
    });
    expect(picked.status).toBe(409);
    expect(JSON.stringify(picked.body)).toMatch(/allow_select/);
    expect((await sim.api(`${EC}/cancel_groupmsg_send`, { msgid })).errcode).toBe(0);
    const late = await sim.control('POST', corpPath('/scenarios/member-confirms-mass-send'), {
      msgid,
      userid: 'lisi',
    });
    expect(late.status).toBe(409);
    expect(await results(msgid, 'lisi')).toEqual({ [b]: 0 });
    expect(
      (await sim.api(`${EC}/get_groupmsg_task`, { msgid })).task_list.every(
        (t: { status: number }) => t.status === 0,
      ),
    ).toBe(true);
    const view = await sim.ok('GET', corpPath(`/mass-sends`));
    expect(view.mass_sends[0]).toMatchObject({ cancelled: true });
    expect(view.mass_sends[0].tasks.find((t: { userid: string }) => t.userid === 'lisi')).toMatchObject({
      ignored: true,
    });
  });

  it('reminds: 3 per 24 hours notify the members; more are answered ok and recorded as over the limit', async () => {
    await friend('甲');
    const { msgid } = await sim.api(`${EC}/add_msg_template`, {
      sender: 'zhangsan',
      text: { content: '提醒' },
    });
    for (let i = 0; i < 4; i++)
      expect((await sim.api(`${EC}/remind_groupmsg_send`, { msgid })).errcode).toBe(0);
    let view = await sim.ok('GET', corpPath(`/mass-sends/${msgid}`));
    expect(view.reminds).toHaveLength(3);
    expect(view.reminds_over_limit).toHaveLength(1);
    sim.clock.advance(24 * 3_600_000 + 1000);
    expect((await sim.api(`${EC}/remind_groupmsg_send`, { msgid })).errcode).toBe(0);
    view = await sim.ok('GET', corpPath(`/mass-sends/${msgid}`));
    expect(view.reminds).toHaveLength(4);
  });
});

describe('the population runner and 群发', () => {
  it('confirms most tasks after a delay and ignores the rest', async () => {
    for (const name of ['甲', '乙', '丙']) await friend(name);
    const msgids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await sim.api(`${EC}/add_msg_template`, {
        sender: 'zhangsan',
        text: { content: `第${i}条` },
      });
      expect(res.errcode).toBe(0);
      msgids.push(res.msgid);
    }
    // too early: nobody has looked at them yet
    const early = await sim.ok('POST', corpPath('/population/steps'), {
      count: 1,
      seed: 6,
      mix: { message: 1 },
      mass_send_delay_s: 120,
    });
    expect(early.mass_sends).toEqual({ confirmed: 0, ignored: 0 });
    sim.clock.advance(121_000);
    const later = await sim.ok('POST', corpPath('/population/steps'), {
      count: 1,
      seed: 6,
      mix: { message: 1 },
      mass_send_delay_s: 120,
      mass_send_confirm_rate: 0.8,
    });
    expect(later.mass_sends.confirmed + later.mass_sends.ignored).toBe(30);
    expect(later.mass_sends.confirmed).toBeGreaterThan(15);
    expect(later.mass_sends.ignored).toBeGreaterThan(0);
    const statuses = await Promise.all(
      msgids.map(async (msgid) => (await sim.api(`${EC}/get_groupmsg_task`, { msgid })).task_list[0].status),
    );
    expect(statuses.filter((s) => s === 2)).toHaveLength(later.mass_sends.confirmed);
    // an ignored task is left alone by the next steps
    const again = await sim.ok('POST', corpPath('/population/steps'), {
      count: 1,
      seed: 7,
      mix: { message: 1 },
    });
    expect(again.mass_sends).toEqual({ confirmed: 0, ignored: 0 });
  });
});
