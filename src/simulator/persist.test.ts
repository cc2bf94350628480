import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../testing/temp-dir.ts';
import { ManualClock } from './clock.ts';
import {
  CORP,
  corpPath,
  newContactWay,
  newCustomer,
  Receiver,
  seedCorp,
  simClient,
  startTestSim,
  type TestSim,
  xmlField,
} from './testing.ts';

const MAIN = resolve(import.meta.dirname, 'main.ts');
const EC = '/cgi-bin/externalcontact';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function started(opts: Parameters<typeof startTestSim>[0]): Promise<TestSim> {
  const sim = await startTestSim(opts);
  cleanup.push(() => sim.close());
  return sim;
}

/** The simulator as its own process (src/simulator/main.ts) on a state file. */
async function child(stateFile: string): Promise<{ process: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', '0', '--state', stateFile]);
  cleanup.push(() => proc.kill('SIGKILL'));
  const url = await new Promise<string>((done, fail) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) done(m[1]!);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => fail(new Error(`the simulator exited with ${code}: ${out}`)));
  });
  return { process: proc, url };
}

describe('state file', () => {
  it('a restarted simulator keeps corps, members, customers, follows, tags, groups and contact ways', async () => {
    const dir = tempDir('sim');
    const stateFile = join(dir, 'nested', 'sim.json');
    const clock = new ManualClock('2026-03-10T02:00:00Z');

    const first = await startTestSim({ stateFile, clock });
    await seedCorp(first);
    const way = await newContactWay(first, { state: 'persisted' });
    const ext = await newCustomer(first);
    await first.ok('POST', corpPath('/scenarios/scan-contact-way'), { config_id: way, external_userid: ext });
    const tags = await first.api(`${EC}/add_corp_tag`, { group_name: '等级', tag: [{ name: 'VIP' }] });
    const follow = (await first.ok('GET', corpPath(`/customers/${ext}`))).follows[0];
    await first.api(`${EC}/mark_tag`, {
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
    await first.close();
    // A clean stop leaves the snapshot alone: the journal is folded into it.
    expect(readdirSync(join(dir, 'nested'))).toEqual(['sim.json']);

    const second = await started({ stateFile, clock });
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
    const got = await second.api(`${EC}/get`, undefined, { external_userid: ext, access_token: token });
    expect(got.errcode).toBe(0);
    expect(got.follow_user[0]).toMatchObject({ state: 'persisted', tags: [{ tag_name: 'VIP' }] });
    const chat = await second.api(`${EC}/groupchat/get`, { chat_id: group.group.chat_id });
    expect(chat.group_chat).toMatchObject({ name: '持久群', member_version: group.group.member_version });
    expect((await second.api(`${EC}/get_contact_way`, { config_id: way })).contact_way.state).toBe(
      'persisted',
    );
    expect(corp.corpid).toBe(CORP.corpid);
  });

  it('a simulator killed with SIGKILL comes back with everything it had answered or pushed', async () => {
    const stateFile = join(tempDir('sim'), 'sim.json');
    const receiver = await new Receiver().start();
    cleanup.push(() => receiver.close());

    const first = await child(stateFile);
    const api = simClient(first.url);
    await seedCorp(api, { callback_url: receiver.url });
    const way = await newContactWay(api);
    const tag = (await api.api(`${EC}/add_corp_tag`, { group_name: '来源', tag: [{ name: '门店' }] }))
      .tag_group.tag[0].id;
    const answered: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ext = await newCustomer(api, `顾客${i}`);
      await api.ok('POST', corpPath('/scenarios/scan-contact-way'), { config_id: way, external_userid: ext });
      answered.push(ext);
    }
    const burst = await api.ok('POST', corpPath('/population/steps'), {
      count: 30,
      seed: 5,
      mix: {
        new_customer: 1,
        second_member: 0,
        customer_deletes: 0,
        member_deletes: 0,
        join_group: 0,
        leave_group: 0,
        message: 0,
        edit_contact: 0,
      },
    });
    expect(burst.counts.new_customer).toBe(30);
    // Killed right after the last answer, callbacks still going out.
    const exited = new Promise((done) => first.process.on('exit', done));
    first.process.kill('SIGKILL');
    await exited;
    const pushed = receiver.received
      .filter((c) => xmlField(c.xml, 'ChangeType') === 'add_external_contact')
      .map((c) => ({ ext: xmlField(c.xml, 'ExternalUserID')!, userid: xmlField(c.xml, 'UserID')! }));
    expect(pushed.length).toBeGreaterThan(0);

    const second = await started({ stateFile });
    const corp = await second.ok('GET', corpPath());
    expect(corp.counts).toMatchObject({ customers: 50, follows: 50, contact_ways: 1, tags: 1 });
    for (const ext of answered) {
      const got = await second.api(`${EC}/get`, undefined, { external_userid: ext });
      expect(got.follow_user, ext).toHaveLength(1);
    }
    for (const { ext, userid } of pushed) {
      const got = await second.api(`${EC}/get`, undefined, { external_userid: ext });
      expect(got.follow_user.map((f: { userid: string }) => f.userid)).toContain(userid);
    }
    expect((await second.api(`${EC}/get_contact_way`, { config_id: way })).errcode).toBe(0);
    const tags = await second.api(`${EC}/get_corp_tag_list`, { tag_id: [tag] });
    expect(tags.tag_group[0].tag[0].name).toBe('门店');
  }, 60_000);

  it('replays its journal into the very state it had, across snapshots written meanwhile', async () => {
    const dir = tempDir('sim');
    const stateFile = join(dir, 'sim.json');
    const clock = new ManualClock('2026-03-10T02:00:00Z');
    const live = await started({ stateFile, clock, compactBytes: 2048 });
    await seedCorp(live);
    await newContactWay(live, { state: 'poster' });
    await live.api(`${EC}/add_corp_tag`, { group_name: '等级', tag: [{ name: 'VIP' }, { name: '新客' }] });
    const population = await live.ok('POST', corpPath('/population/steps'), { count: 400, seed: 11 });
    expect(population.errors).toBe(0);
    for (const kind of ['new_customer', 'join_group', 'leave_group', 'customer_deletes', 'edit_contact'])
      expect(population.counts[kind], kind).toBeGreaterThan(0);
    const [ext] = (await live.ok('GET', corpPath('/customers?limit=1'))).customers.map(
      (c: { external_userid: string }) => c.external_userid,
    );
    const follow = (await live.ok('GET', corpPath(`/customers/${ext}`))).follows[0];
    await live.api(`${EC}/remark`, { userid: follow.userid, external_userid: ext, remark: '老朋友' });
    await live.api(`${EC}/transfer_customer`, {
      handover_userid: follow.userid,
      takeover_userid: follow.userid === 'wangwu' ? 'lisi' : 'wangwu',
      external_userid: [ext],
    });
    live.clock.advance(25 * 3600 * 1000);
    // A read that settles the transfer, due by now: a change of its own.
    await live.ok('GET', corpPath('/transfers'));
    await live.ok('POST', corpPath('/population/steps'), { count: 100, seed: 12 });
    await live.ok('DELETE', corpPath('/members/lisi'));
    await live.settled();
    const files = readdirSync(dir);
    expect(files).toContain('sim.json');
    expect(files.filter((f) => f.includes('.wal.')).length).toBeGreaterThan(0);

    // What a kill -9 leaves: the files as they are, the process gone without closing anything.
    const copy = join(tempDir('sim'), 'sim.json');
    for (const name of readdirSync(dir).filter((f) => !f.endsWith('.lock')))
      cpSync(join(dir, name), join(copy, '..', name));
    const again = await started({ stateFile: copy, clock });
    const { seq: _a, ...restored } = again.sim.state;
    const { seq: _b, ...original } = live.sim.state;
    expect(JSON.parse(JSON.stringify(restored))).toEqual(JSON.parse(JSON.stringify(original)));
  }, 60_000);
});
