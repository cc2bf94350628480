import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from './clock.ts';
import { CORP, corpPath, newContactWay, newCustomer, seedCorp, startTestSim } from './testing.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('state file', () => {
  it('a restarted simulator keeps corps, members, customers, follows, tags, groups and contact ways', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'siyu-sim-'));
    dirs.push(dir);
    const stateFile = join(dir, 'nested', 'sim.json');
    const clock = new ManualClock('2026-03-10T02:00:00Z');

    const first = await startTestSim({ stateFile, clock, saveDebounceMs: 20 });
    await seedCorp(first);
    const way = await newContactWay(first, { state: 'persisted' });
    const ext = await newCustomer(first);
    await first.ok('POST', corpPath('/scenarios/scan-contact-way'), { config_id: way, external_userid: ext });
    const tags = await first.api('/cgi-bin/externalcontact/add_corp_tag', {
      group_name: '等级',
      tag: [{ name: 'VIP' }],
    });
    const follow = (await first.ok('GET', corpPath(`/customers/${ext}`))).follows[0];
    await first.api('/cgi-bin/externalcontact/mark_tag', {
      userid: follow.userid,
      external_userid: ext,
      add_tag: [tags.tag_group.tag[0].id],
    });
    const group = await first.ok('POST', corpPath('/scenarios/member-creates-group'), {
      owner: 'zhangsan',
      name: '持久群',
      external_userids: [ext],
    });
    const token = await first.token();
    // The debounced save runs without closing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(existsSync(stateFile)).toBe(true);
    await first.close();
    expect(readdirSync(join(dir, 'nested'))).toEqual(['sim.json']);

    const second = await startTestSim({ stateFile, clock });
    try {
      const corp = await second.ok('GET', corpPath());
      expect(corp.counts).toMatchObject({
        members: 3,
        customers: 1,
        follows: 1,
        tags: 1,
        contact_ways: 1,
        groups: 1,
      });
      // The token survives too, as on WeCom.
      const got = await second.api('/cgi-bin/externalcontact/get', undefined, {
        external_userid: ext,
        access_token: token,
      });
      expect(got.errcode).toBe(0);
      expect(got.follow_user[0]).toMatchObject({ state: 'persisted', tags: [{ tag_name: 'VIP' }] });
      const chat = await second.api('/cgi-bin/externalcontact/groupchat/get', {
        chat_id: group.group.chat_id,
      });
      expect(chat.group_chat).toMatchObject({ name: '持久群', member_version: group.group.member_version });
      expect(
        (await second.api('/cgi-bin/externalcontact/get_contact_way', { config_id: way })).contact_way.state,
      ).toBe('persisted');
      expect(corp.corpid).toBe(CORP.corpid);
    } finally {
      await second.close();
    }
  });
});
