import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../platform/clock.ts';
import { ManualClock as SimClock } from '../../simulator/clock.ts';
import { type Linked, openLinked, SIM_CORP } from '../../testing/linked.ts';
import { FOLLOW_UP_JOB } from './service.ts';

/**
 * Transfers end to end through the real simulator over HTTP, on clocks the test moves: 离职继承 of a departed
 * member's customers and group by store and least load (one customer refuses, one takeover is over the
 * limit, the rest done 24 h later and carried over with follow, remark, tags and timeline), 在职转接 with its
 * message and the 2-per-90-days protection checked before sending, and scope refusals.
 */
const start = new Date('2026-07-01T03:00:00Z');
const clock = new ManualClock(start);
const simClock = new SimClock(start);
let t: Linked;
const ext: Record<string, string> = {};
const ids: Record<string, number> = {};
let sh1c: number;
let chatId: string;

type Session = { cookie: string; csrf: string };
const sessions: Record<string, Session> = {};

async function login(login: string): Promise<Session> {
  const res = await fetch(`${t.siyuUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: 'correct horse' }),
  });
  const session = /siyu_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1];
  return { cookie: `siyu_session=${session}`, csrf: (await res.json()).csrfToken as string };
}
async function api(as: Session, method: string, path: string, body?: unknown) {
  const res = await fetch(`${t.siyuUrl}/api/v1${path}`, {
    method,
    headers: {
      cookie: as.cookie,
      'x-csrf-token': as.csrf,
      'accept-language': 'en',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
const advance = (ms: number) => {
  clock.advance(ms);
  simClock.advance(ms);
};
const waitFor = async <T>(fn: () => Promise<T | null | undefined | false>, what: string): Promise<T> => {
  for (let i = 0; i < 200; i++) {
    await t.settle();
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};
const db = () => t.database.db;
const transfersOf = (customer: string) =>
  db()
    .selectFrom('transfers')
    .select(['status', 'kind', 'takeover_staff_id', 'reason', 'errcode', 'message'])
    .where('corp_id', '=', 'acme')
    .where('customer_id', '=', ids[customer]!)
    .orderBy('id')
    .execute();
const followsOf = (customer: string) =>
  db()
    .selectFrom('follows')
    .select(['staff_id', 'status', 'remark', 'add_way'])
    .where('corp_id', '=', 'acme')
    .where('customer_id', '=', ids[customer]!)
    .orderBy('id')
    .execute();
const auditCount = async (action: string) =>
  (
    await db()
      .selectFrom('audit_log')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('action', '=', action)
      .execute()
  ).length;

beforeAll(async () => {
  t = await openLinked({ clock, simClock });
  // a third member of 上海一店, so least load has a choice
  await t.corp('POST', '/members', { userid: 'sh1c', name: '李静', department: [3], position: '导购' });
  sh1c = (
    await db()
      .insertInto('staff')
      .values({
        corp_id: 'acme',
        userid: 'sh1c',
        name: '李静',
        unit_id: t.fx.units.sh1,
        persona: 'sales',
        persona_name: null,
        journey_role: 'store_staff',
        title: '导购',
        mobile_masked: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  // a, b, c, d: 张丽's (she leaves); e: 陈静's (who also has the fixture's 李娜)
  const follows: Record<string, string> = { a: 'sh1a', b: 'sh1a', c: 'sh1a', d: 'sh1a', e: 'sh1b' };
  for (const [k, userid] of Object.entries(follows)) {
    ext[k] = (await t.corp('POST', '/customers', { name: `客户${k.toUpperCase()}` })).external_userid;
    await t.corp('POST', '/scenarios/member-adds-customer', { userid, external_userid: ext[k], add_way: 1 });
    if (k === 'c')
      await t.corp('POST', '/scenarios/member-edits-contact', {
        userid,
        external_userid: ext[k],
        remark: 'C 老客',
      });
  }
  for (const k of Object.keys(follows)) {
    ids[k] = await waitFor(async () => {
      const c = await db()
        .selectFrom('customers as c')
        .innerJoin('follows as f', (j) =>
          j.onRef('f.corp_id', '=', 'c.corp_id').onRef('f.customer_id', '=', 'c.id'),
        )
        .select('c.id')
        .where('c.external_userid', '=', ext[k]!)
        .where('f.status', '=', 'active')
        .executeTakeFirst();
      return c?.id;
    }, `customer ${k}`);
  }
  await waitFor(async () => (await followsOf('c'))[0]?.remark === 'C 老客', 'the remark');
  await db()
    .insertInto('customer_tags')
    .values({ corp_id: 'acme', customer_id: ids.c!, tag_id: t.fx.tags.vip, staff_id: null, tagged_at: start })
    .execute();
  // 张丽 owns a customer group
  const group = await t.corp('POST', '/scenarios/member-creates-group', {
    owner: 'sh1a',
    name: '张丽的福利群',
    external_userids: [ext.a, ext.b],
  });
  chatId = group.group.chat_id;
  await waitFor(async () => {
    advance(1000); // group events wait 2 s for groupchat/get to catch up
    return db().selectFrom('groups').select('id').where('chat_id', '=', chatId).executeTakeFirst();
  }, 'the group');
  // 张丽 leaves: WeCom lists her customers in get_unassigned_list, her group waits for a new owner
  await t.corp('DELETE', '/members/sh1a');
  await db().updateTable('staff').set({ status: 'departed' }).where('userid', '=', 'sh1a').execute();
  for (const who of ['admin', 'sh1', 'sh2', 'sh1a'] as const) sessions[who] = await login(t.fx.logins[who]);
}, 60_000);
afterAll(() => t.close());

describe('离职继承: a departed member’s customers and groups', () => {
  it('lists what waits, from WeCom, to the store manager and not to another store’s', async () => {
    const mine = await api(sessions.sh1!, 'GET', '/transfers/unassigned');
    expect(mine.status, JSON.stringify(mine.json)).toBe(200);
    expect(mine.json.source).toBe('wecom');
    expect(mine.json.items).toHaveLength(1);
    expect(mine.json.items[0]).toMatchObject({
      staffId: t.fx.staff.sh1a,
      customerCount: 4,
      groupCount: 1,
      storeStaff: [
        { id: t.fx.staff.sh1b, customers: 2 }, // e and the fixture's 李娜
        { id: sh1c, customers: 0 },
      ],
    });
    const other = await api(sessions.sh2!, 'GET', '/transfers/unassigned');
    expect(other.json.items).toEqual([]);
  });

  it('refuses a manager outside the departed member’s store, as if the member did not exist', async () => {
    const res = await api(sessions.sh2!, 'POST', '/transfers/departure', {
      handoverStaffIds: [t.fx.staff.sh1a],
      rule: 'least_load',
    });
    expect(res.status).toBe(404);
    const unit = await api(sessions.sh2!, 'POST', '/transfers/departure', {
      unitId: t.fx.units.sh1,
      rule: 'least_load',
    });
    expect(unit.status).toBe(404);
    const staff = await api(sessions.sh1a!, 'POST', '/transfers/departure', {
      unitId: t.fx.units.sh1,
      rule: 'least_load',
    });
    expect(staff.status).toBe(403);
    expect(await db().selectFrom('transfers').select('id').execute()).toEqual([]);
  });

  it('plans by store and least load, then sends resigned/transfer_customer and groupchat/transfer', async () => {
    const dry = await api(sessions.sh1!, 'POST', '/transfers/departure', {
      unitId: t.fx.units.sh1,
      rule: 'least_load',
      dryRun: true,
    });
    expect(dry.status, JSON.stringify(dry.json)).toBe(200);
    expect(dry.json).toMatchObject({ batchId: null, customers: 4, groups: 1 });
    // 陈静 starts with 2, 李静 with 0: 李静, 李静, then a tie (the lower id: 陈静), 李静; the group to
    // whoever owns fewest groups (both none: 陈静)
    expect(dry.json.takeovers).toEqual(
      expect.arrayContaining([
        { staffId: t.fx.staff.sh1b, name: '陈静', customers: 1, groups: 1 },
        { staffId: sh1c, name: '李静', customers: 3, groups: 0 },
      ]),
    );
    expect(await db().selectFrom('transfers').select('id').execute()).toEqual([]);

    const res = await api(sessions.sh1!, 'POST', '/transfers/departure', {
      unitId: t.fx.units.sh1,
      rule: 'least_load',
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.batchId).toBeGreaterThan(0);
    await waitFor(async () => {
      const rows = await db().selectFrom('transfers').select('status').execute();
      return rows.length === 5 && rows.every((r) => r.status !== 'queued');
    }, 'WeCom’s answers');
    for (const k of ['a', 'b', 'c', 'd'])
      expect((await transfersOf(k))[0]).toMatchObject({ status: 'waiting', kind: 'resigned' });
    // the group moved at once, in WeCom and in Siyu
    const group = await db()
      .selectFrom('groups')
      .select(['owner_userid', 'owner_staff_id'])
      .where('chat_id', '=', chatId)
      .executeTakeFirstOrThrow();
    expect(['sh1b', 'sh1c']).toContain(group.owner_userid);
    const simGroup = (await t.corp('GET', `/groups/${chatId}`)) as {
      owner?: string;
      group?: { owner: string };
    };
    expect(simGroup.owner ?? simGroup.group?.owner).toBe(group.owner_userid);
    // WeCom no longer lists them as unassigned, and neither does Siyu
    const after = await api(sessions.sh1!, 'GET', '/transfers/unassigned');
    expect(after.json.items[0]?.customerCount ?? 0).toBe(0);
    expect(after.json.items[0]?.groupCount ?? 0).toBe(0);
    expect(await auditCount('transfers.departure')).toBe(1);
  });

  it('follows each customer to its end: refused, over the limit (transfer_fail), done and carried over', async () => {
    await t.corp('POST', '/scenarios/customer-refuses-transfer', { external_userid: ext.a });
    await t.corp('POST', '/scenarios/takeover-over-limit', { external_userid: ext.b });
    await waitFor(async () => (await transfersOf('a'))[0]?.status === 'refused', 'the refusal');
    await waitFor(async () => (await transfersOf('b'))[0]?.status === 'over_limit', 'over the limit');
    expect((await transfersOf('b'))[0]!.reason).toBe('customer_limit_exceed');

    // nothing is due before 24 h
    await t.app.runtime.runJob(FOLLOW_UP_JOB);
    expect((await transfersOf('c'))[0]!.status).toBe('waiting');
    advance(24 * 3_600_000 + 60_000);
    await t.app.runtime.runJob(FOLLOW_UP_JOB);
    await t.settle();
    for (const k of ['c', 'd']) expect((await transfersOf(k))[0]!.status).toBe('done');

    const [c] = await transfersOf('c');
    const follows = await followsOf('c');
    expect(follows).toEqual([
      { staff_id: t.fx.staff.sh1a, status: 'transferred', remark: 'C 老客', add_way: 1 },
      { staff_id: c!.takeover_staff_id, status: 'active', remark: 'C 老客', add_way: 202 },
    ]);
    const tags = await db()
      .selectFrom('customer_tags')
      .select('tag_id')
      .where('customer_id', '=', ids.c!)
      .execute();
    expect(tags.map((x) => x.tag_id)).toEqual([t.fx.tags.vip]);
    const timeline = await db()
      .selectFrom('customer_events')
      .select(['kind', 'summary', 'staff_id'])
      .where('customer_id', '=', ids.c!)
      .where('kind', '=', 'transferred')
      .execute();
    expect(timeline).toHaveLength(1);
    expect(timeline[0]!.summary).toMatch(/^离职继承：客户由 张丽 转给 (陈静|李静)$/);
    // the refused and the over-limit stay with the departed member, in WeCom's list again
    for (const k of ['a', 'b']) expect((await followsOf(k))[0]!.status).toBe('active');

    const list = await api(sessions.sh1!, 'GET', '/transfers?kind=resigned');
    // the group's transfer is done too
    expect(list.json.counts).toEqual({ done: 3, refused: 1, over_limit: 1 });
    expect(list.json.items.find((i: { customerId: number }) => i.customerId === ids.c)).toMatchObject({
      status: 'done',
      handover: { name: '张丽' },
    });
    const none = await api(sessions.sh2!, 'GET', '/transfers');
    expect(none.json.items).toEqual([]);
  });
});

describe('在职转接: reassignment within the 90-day protection', () => {
  it('sends transfer_customer with its message, and counts toward the 2 per 90 days', async () => {
    sessions.sh1 = await login(t.fx.logins.sh1);
    const [c] = await transfersOf('c');
    const owner = c!.takeover_staff_id;
    const other = owner === sh1c ? t.fx.staff.sh1b : sh1c;
    const res = await api(sessions.sh1!, 'POST', '/transfers/reassign', {
      handoverStaffId: owner,
      customerIds: [ids.c],
      rule: 'successor',
      successorStaffId: other,
      message: '您好，之后由同事为您服务',
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json).toMatchObject({ customers: 1, excluded: [] });
    await waitFor(async () => (await transfersOf('c'))[1]?.status === 'waiting', 'the on-job takeover');
    const sim = (await t.corp('GET', '/transfers')).transfers as {
      external_userid: string;
      kind: string;
      transfer_success_msg: string;
    }[];
    expect(sim.find((x) => x.external_userid === ext.c && x.kind === 'onjob')!.transfer_success_msg).toBe(
      '您好，之后由同事为您服务',
    );
    advance(24 * 3_600_000 + 60_000);
    await t.app.runtime.runJob(FOLLOW_UP_JOB);
    await t.settle();
    expect((await transfersOf('c')).map((x) => x.status)).toEqual(['done', 'done']);
    expect((await followsOf('c')).filter((f) => f.status === 'active').map((f) => f.staff_id)).toEqual([
      other,
    ]);

    // a third move within 90 days is excluded before sending, and listed
    const again = await api(sessions.sh1!, 'POST', '/transfers/reassign', {
      handoverStaffId: other,
      rule: 'successor',
      successorStaffId: owner,
      dryRun: true,
    });
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    expect(again.json.excluded).toEqual([
      expect.objectContaining({
        customerId: ids.c,
        reason: 'protected_90_days',
        transfers: expect.any(Array),
      }),
    ]);
    expect(again.json.excluded[0].transfers).toHaveLength(2);
    const sent = await api(sessions.sh1!, 'POST', '/transfers/reassign', {
      handoverStaffId: other,
      customerIds: [ids.c],
      rule: 'successor',
      successorStaffId: owner,
    });
    expect(sent.status).toBe(409); // nothing left to send
    // past 90 days it may move again
    advance(91 * 86_400_000);
    sessions.sh1 = await login(t.fx.logins.sh1); // the session did not last 91 days
    const later = await api(sessions.sh1!, 'POST', '/transfers/reassign', {
      handoverStaffId: other,
      customerIds: [ids.c],
      rule: 'successor',
      successorStaffId: owner,
      dryRun: true,
    });
    expect(later.json).toMatchObject({ customers: 1, excluded: [] });
    expect(await auditCount('transfers.reassign')).toBe(1);
  });

  it('moves an on-job member’s group with onjob_transfer', async () => {
    for (const who of ['admin', 'sh1', 'sh2'] as const) sessions[who] = await login(t.fx.logins[who]);
    const group = await db()
      .selectFrom('groups')
      .select(['owner_staff_id'])
      .where('chat_id', '=', chatId)
      .executeTakeFirstOrThrow();
    const to = group.owner_staff_id === sh1c ? t.fx.staff.sh1b : sh1c;
    const res = await api(sessions.admin!, 'POST', '/transfers/reassign', {
      handoverStaffId: group.owner_staff_id,
      customerIds: [ids.e],
      groups: true,
      rule: 'successor',
      successorStaffId: to,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.groups).toBe(1);
    await waitFor(
      async () =>
        (
          await db()
            .selectFrom('groups')
            .select('owner_staff_id')
            .where('chat_id', '=', chatId)
            .executeTakeFirstOrThrow()
        ).owner_staff_id === to,
      'the new owner',
    );
  });

  it('refuses a store manager outside the member’s store, and a successor outside scope', async () => {
    const outside = await api(sessions.sh2!, 'POST', '/transfers/reassign', {
      handoverStaffId: t.fx.staff.sh1b,
      rule: 'least_load',
    });
    expect(outside.status).toBe(404);
    const successor = await api(sessions.sh1!, 'POST', '/transfers/reassign', {
      handoverStaffId: t.fx.staff.sh1b,
      rule: 'successor',
      successorStaffId: t.fx.staff.gz1a,
    });
    expect(successor.status).toBe(404);
    const bad = await api(sessions.sh1!, 'POST', '/transfers/reassign', {
      handoverStaffId: t.fx.staff.sh1b,
      rule: 'successor',
    });
    expect(bad.status).toBe(400);
    const long = await api(sessions.sh1!, 'POST', '/transfers/reassign', {
      handoverStaffId: t.fx.staff.sh1b,
      rule: 'least_load',
      message: 'x'.repeat(201),
    });
    expect(long.status).toBe(400);
  });
});

describe('groups: 300 a day to one new owner, and 40128 told apart', () => {
  const groupsOf = (staffId: number) =>
    db()
      .selectFrom('groups')
      .select(['id', 'chat_id'])
      .where('corp_id', '=', 'acme')
      .where('owner_staff_id', '=', staffId)
      .where('status', '=', 'active')
      .orderBy('id')
      .execute();

  it('checks the daily limit before sending and lists the groups it leaves out', async () => {
    sessions.admin = await login(t.fx.logins.admin);
    for (const name of ['陈静的一群', '陈静的二群']) {
      const g = await t.corp('POST', '/scenarios/member-creates-group', {
        owner: 'sh1b',
        name,
        external_userids: [ext.e],
      });
      await waitFor(async () => {
        advance(1000);
        return db()
          .selectFrom('groups')
          .select('id')
          .where('chat_id', '=', g.group.chat_id)
          .executeTakeFirst();
      }, name);
    }
    const owned = await groupsOf(t.fx.staff.sh1b);
    expect(owned.length).toBeGreaterThanOrEqual(2);
    // 李静 has been sent groups within 24 hours elsewhere: one short of WeCom's 300
    const already = await db()
      .selectFrom('transfers')
      .select('id')
      .where('target', '=', 'group')
      .where('takeover_userid', '=', 'sh1c')
      .where('status', 'in', ['queued', 'waiting', 'done'])
      .where('requested_at', '>', new Date(clock.now().getTime() - 86_400_000))
      .execute();
    const batch = await db()
      .insertInto('transfer_batches')
      .values({ corp_id: 'acme', kind: 'onjob', rule: 'successor', requested_at: clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db()
      .insertInto('transfers')
      .values(
        Array.from({ length: 299 - already.length }, (_, i) => ({
          corp_id: 'acme',
          kind: 'onjob' as const,
          target: 'group' as const,
          chat_id: `wr-elsewhere-${i}`,
          handover_staff_id: t.fx.staff.sh1b,
          handover_userid: 'sh1b',
          takeover_staff_id: sh1c,
          takeover_userid: 'sh1c',
          status: 'done' as const,
          batch_id: batch.id,
          requested_at: clock.now(),
        })),
      )
      .execute();

    const res = await api(sessions.admin!, 'POST', '/transfers/reassign', {
      handoverStaffId: t.fx.staff.sh1b,
      groups: true,
      rule: 'successor',
      successorStaffId: sh1c,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.groups).toBe(1);
    expect(res.json.excluded.filter((e: { groupId: number | null }) => e.groupId !== null)).toEqual(
      owned.slice(1).map((g) => expect.objectContaining({ groupId: g.id, reason: 'owner_daily_limit' })),
    );
    await waitFor(
      async () => (await groupsOf(sh1c)).some((g) => g.id === owned[0]!.id),
      'the one group sent',
    );
    // the left-out groups were never sent: they stay with 陈静
    expect((await groupsOf(t.fx.staff.sh1b)).map((g) => g.id)).toEqual(owned.slice(1).map((g) => g.id));
  });

  it('reads WeCom’s 40128 on a departed owner’s group as the new owner’s daily limit, in words', async () => {
    const left = await groupsOf(t.fx.staff.sh1b);
    // 陈静 leaves; 黄敏 was given 300 groups today in WeCom's admin console, which Siyu never saw
    await t.corp('DELETE', '/members/sh1b');
    await db().updateTable('staff').set({ status: 'departed' }).where('userid', '=', 'sh1b').execute();
    const corp = t.simulator.sim.state.corps[SIM_CORP.corpid]!;
    const nowS = Math.floor(simClock.now().getTime() / 1000);
    corp.group_transfers ??= [];
    for (let i = 0; i < 300; i++)
      corp.group_transfers.push({ chat_id: `wr-console-${i}`, new_owner: 'gz1a', kind: 'onjob', time: nowS });

    const res = await api(sessions.admin!, 'POST', '/transfers/departure', {
      handoverStaffIds: [t.fx.staff.sh1b],
      groups: true,
      rule: 'successor',
      successorStaffId: t.fx.staff.gz1a,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.groups).toBe(left.length);
    const batchId = res.json.batchId as number;
    const rows = await waitFor(async () => {
      const r = await db()
        .selectFrom('transfers')
        .select(['status', 'errcode', 'reason'])
        .where('batch_id', '=', batchId)
        .where('target', '=', 'group')
        .execute();
      if (r.length > 0 && r.every((x) => x.status !== 'queued')) return r;
      advance(60_000); // the outbox may have backed off
      return null;
    }, 'WeCom’s answer for the groups');
    expect(rows).toEqual(left.map(() => ({ status: 'failed', errcode: 40128, reason: 'owner_daily_limit' })));
    const history = await api(sessions.admin!, 'GET', `/transfers?batchId=${batchId}&status=failed`);
    const groupItems = history.json.items.filter((i: { target: string }) => i.target === 'group');
    expect(groupItems).toHaveLength(left.length);
    for (const item of groupItems) {
      expect(item.reasonText.zh).toContain('300 个客户群');
      expect(item.reasonText.en).toMatch(/300 groups within 24 hours .*errcode 40128/);
    }
    // a row still under way says nothing yet; a done one neither
    const done = (await api(sessions.admin!, 'GET', '/transfers?status=done')).json.items;
    expect(done.length).toBeGreaterThan(0);
    for (const item of done) expect(item.reasonText).toBeNull();
  });
});
