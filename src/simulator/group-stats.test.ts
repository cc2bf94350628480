import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chinaDayStart } from './group-stats.ts';
import { corpPath, newCustomer, seedCorp, startTestSim, type TestSim } from './testing.ts';

/** groupchat/statistic and statistic_group_by_day from the simulator's own rooms, joins, leaves and messages. */
const EC = '/cgi-bin/externalcontact';
const DAY_MS = 86_400_000;
let sim: TestSim;

beforeEach(async () => {
  sim = await startTestSim();
  await seedCorp(sim);
});
afterEach(async () => {
  await sim.close();
});

describe('group statistics', () => {
  it('counts a day’s new groups, joins, leaves, speakers and messages per owner, with WeCom’s limits', async () => {
    const [a, b] = [await newCustomer(sim, '甲'), await newCustomer(sim, '乙')];
    const day1 = chinaDayStart(sim.clock.now().getTime() / 1000);
    const { group } = await sim.ok('POST', corpPath('/scenarios/member-creates-group'), {
      owner: 'zhangsan',
      name: '会员群',
    });
    await sim.ok('POST', corpPath('/scenarios/join-group'), { chat_id: group.chat_id, external_userid: a });
    await sim.ok('POST', corpPath('/scenarios/join-group'), { chat_id: group.chat_id, external_userid: b });
    for (const who of [{ external_userid: a }, { external_userid: a }, { userid: 'zhangsan' }]) {
      await sim.ok('POST', corpPath('/scenarios/group-message'), {
        chat_id: group.chat_id,
        content: '你好',
        ...who,
      });
    }
    sim.clock.advance(DAY_MS);
    await sim.ok('POST', corpPath('/scenarios/leave-group'), { chat_id: group.chat_id, external_userid: b });
    sim.clock.advance(DAY_MS);
    const filter = { owner_filter: { userid_list: ['zhangsan', 'lisi'] } };
    const byOwner = await sim.api(`${EC}/groupchat/statistic`, { ...filter, day_begin_time: day1 });
    expect(byOwner).toMatchObject({ errcode: 0, total: 1, next_offset: 1 });
    expect(byOwner.items).toEqual([
      {
        owner: 'zhangsan',
        data: {
          new_chat_cnt: 1,
          chat_total: 1,
          chat_has_msg: 1,
          new_member_cnt: 2,
          member_total: 3,
          member_has_msg: 2,
          msg_total: 3,
        },
      },
    ]);
    const byDay = await sim.api(`${EC}/groupchat/statistic_group_by_day`, {
      ...filter,
      day_begin_time: day1,
      day_end_time: day1 + 86_400,
    });
    expect(
      byDay.items.map((i: { stat_time: number; data: { member_total: number } }) => [
        i.stat_time,
        i.data.member_total,
      ]),
    ).toEqual([
      [day1, 3],
      [day1 + 86_400, 2],
    ]);
    // today is not over; 31 days is too long; no owners is refused
    const today = chinaDayStart(sim.clock.now().getTime() / 1000);
    expect((await sim.api(`${EC}/groupchat/statistic`, { ...filter, day_begin_time: today })).errcode).toBe(
      40058,
    );
    expect(
      (
        await sim.api(`${EC}/groupchat/statistic_group_by_day`, {
          ...filter,
          day_begin_time: today - 40 * 86_400,
          day_end_time: today - 86_400,
        })
      ).errcode,
    ).toBe(40058);
    expect((await sim.api(`${EC}/groupchat/statistic`, { day_begin_time: day1 })).errcode).toBe(40058);
  });
});
