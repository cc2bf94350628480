import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../demo/shift-clock.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { nextOccurrence } from './group-sends.ts';
import { MASS_SEND_JOB } from './mass-sends.ts';

/**
 * Group sends (客户群群发) end to end through the real simulator: planning by type and store, each group
 * sent by its owner (add_msg_template chat_type=group with chat_id_list), the owner's confirmation and the
 * per-group results, a store manager held to their store's groups, WeCom's per-group monthly cap, and a
 * recurring send every Wednesday at 10:00 brand time whose occurrences are ordinary group sends.
 */
let t: Linked;
const clock = new ShiftableClock();
let admin: { cookie: string; csrf: string };
let sh1: { cookie: string; csrf: string };
const groups: Record<string, { id: number; chatId: string }> = {};

async function login(name: string) {
  const res = await fetch(`${t.siyuUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: name, password: 'correct horse' }),
  });
  const session = /siyu_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1];
  return { cookie: `siyu_session=${session}`, csrf: (await res.json()).csrfToken as string };
}
async function api(method: string, path: string, body?: unknown, as = admin) {
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

/** Moves the clock to every pending inbox/outbox row until nothing is pending (group reads lag 2 s). */
async function settle() {
  await t.settle();
  for (let round = 0; round < 10; round++) {
    const { rows } = await sql<{ at: Date | null }>`
      select min(next_attempt_at) as at from (
        select next_attempt_at from wecom_inbox where status = 'pending'
        union all select next_attempt_at from domain_event_deliveries where status = 'pending'
        union all select next_attempt_at from wecom_outbox where status = 'pending') p`.execute(
      t.database.db,
    );
    const at = rows[0]?.at;
    if (!at) return;
    clock.shiftBy(Math.max(0, new Date(at).getTime() - clock.now().getTime()) + 1);
    await t.settle();
  }
}
async function runJob() {
  await t.app.runtime.runJob(MASS_SEND_JOB);
  await settle();
}
type SimMass = {
  msgid: string;
  chat_type: string;
  tasks: { userid: string; targets: { chat_id?: string }[] }[];
};
const simSends = async () =>
  ((await t.corp('GET', '/mass-sends')).mass_sends as { msgid: string; chat_type: string }[]).filter(
    (m) => m.chat_type === 'group',
  );
const simSend = async (msgid: string) => (await t.corp('GET', `/mass-sends/${msgid}`)) as SimMass;

async function wecomGroup(key: string, owner: string, name: string, type: string) {
  const made = (await t.corp('POST', '/scenarios/member-creates-group', { owner, name })) as {
    group: { chat_id: string };
  };
  await settle();
  const row = await t.database.db
    .updateTable('groups')
    .set({ type: type as never })
    .where('chat_id', '=', made.group.chat_id)
    .returning('id')
    .executeTakeFirstOrThrow();
  groups[key] = { id: row.id, chatId: made.group.chat_id };
}

// Monday 2026-07-06 09:00 brand time
const monday = new Date('2026-07-06T01:00:00Z');

beforeAll(async () => {
  clock.shiftTo(monday);
  t = await openLinked({ clock });
  admin = await login(t.fx.logins.admin);
  sh1 = await login(t.fx.logins.sh1);
  await wecomGroup('sh1vip', 'sh1a', '静安会员群', 'vip');
  await wecomGroup('sh1welfare', 'sh1a', '静安福利群', 'welfare');
  await wecomGroup('sh1bvip', 'sh1b', '静安会员二群', 'vip');
  await wecomGroup('gzvip', 'gz1a', '天河会员群', 'vip');
}, 180_000);
afterAll(() => t.close());

describe('group sends through the simulator', () => {
  it('plans by type: each owner sends their groups; coupons go to welfare groups only', async () => {
    const plan = await api('POST', '/outreach/group-plans', { groups: { types: ['vip'] } });
    expect(plan.status, JSON.stringify(plan.json)).toBe(200);
    expect(plan.json).toMatchObject({ total: 3, receiving: 3 });
    expect(
      Object.fromEntries(plan.json.owners.map((o: { name: string; groups: number }) => [o.name, o.groups])),
    ).toEqual({ 张丽: 1, 陈静: 1, 黄敏: 1 });
    const coupon = await api('POST', '/outreach/group-plans', {
      groups: { types: ['vip', 'welfare'] },
      contentKind: 'coupon',
      guard: 'price_sensitive_only',
    });
    expect(coupon.json).toMatchObject({ total: 4, receiving: 1, excluded: { coupon_guard: 3 } });
    const blocked = await api('POST', '/outreach/mass-sends', {
      name: '券',
      contentKind: 'coupon',
      text: '满 30 减 5',
      target: 'groups',
      groups: { types: ['vip', 'welfare'] },
    });
    expect(blocked.status).toBe(409);
  });

  it('a store manager sends only to their store’s groups: another store is 403, another store’s group 404', async () => {
    const other = await api(
      'POST',
      '/outreach/mass-sends',
      { name: 'x', contentKind: 'event', text: 'x', target: 'groups', groups: { unitIds: [t.fx.units.gz1] } },
      sh1,
    );
    expect(other.status).toBe(403);
    const foreign = await api(
      'POST',
      '/outreach/mass-sends',
      {
        name: 'x',
        contentKind: 'event',
        text: 'x',
        target: 'groups',
        groups: { groupIds: [groups.gzvip!.id] },
      },
      sh1,
    );
    expect(foreign.status).toBe(404);
    const plan = await api('POST', '/outreach/group-plans', { groups: { types: ['vip'] } }, sh1);
    expect(plan.json.groups.map((g: { groupId: number }) => g.groupId).sort()).toEqual(
      [groups.sh1vip!.id, groups.sh1bvip!.id].sort(),
    );
  });

  it('sends through add_msg_template chat_type=group per owner and follows confirmation and results per group', async () => {
    const created = await api(
      'POST',
      '/outreach/mass-sends',
      {
        name: '会员群新品预告',
        contentKind: 'product',
        text: '本周六会员专享：新品杨枝甘露第二杯半价',
        target: 'groups',
        groups: { types: ['vip'] },
      },
      sh1,
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({
      target: 'groups',
      audience: null,
      groups: { total: 2 },
    });
    expect(created.json.groups.byStatus.planned + created.json.groups.byStatus.queued).toBe(2);
    const id = created.json.id as number;
    // the gz group is another store's: not in a store manager's send
    const other = await api('GET', `/outreach/mass-sends/${id}`, undefined, await login(t.fx.logins.gz1));
    expect(other.status).toBe(404);

    await runJob();
    const sent = await simSends();
    expect(sent).toHaveLength(2);
    const byOwner: Record<string, SimMass> = {};
    for (const m of sent) {
      const full = await simSend(m.msgid);
      byOwner[full.tasks[0]!.userid] = full;
    }
    expect(Object.keys(byOwner).sort()).toEqual(['sh1a', 'sh1b']);
    expect(byOwner.sh1a!.tasks[0]!.targets.map((x) => x.chat_id)).toEqual([groups.sh1vip!.chatId]);
    let view = (await api('GET', `/outreach/mass-sends/${id}`, undefined, sh1)).json;
    expect(view).toMatchObject({ status: 'sending', groups: { byStatus: { queued: 2 } } });

    await t.corp('POST', '/scenarios/member-confirms-mass-send', {
      msgid: byOwner.sh1a!.msgid,
      userid: 'sh1a',
    });
    await runJob();
    view = (await api('GET', `/outreach/mass-sends/${id}`, undefined, sh1)).json;
    expect(view.groups.byStatus).toMatchObject({ sent: 1, queued: 1 });
    expect(view.outcome).toMatchObject({ staff: 2, confirmedStaff: 1 });
    const perGroup = (await api('GET', `/outreach/mass-sends/${id}/groups?limit=10`, undefined, sh1)).json
      .items;
    expect(
      Object.fromEntries(perGroup.map((g: { name: string; status: string }) => [g.name, g.status])),
    ).toEqual({ 静安会员群: 'sent', 静安会员二群: 'queued' });
    // the owner's confirmation per group: 张丽 confirmed, 陈静 not yet
    expect(
      Object.fromEntries(
        perGroup.map((g: { name: string; ownerConfirmedAt: string | null }) => [
          g.name,
          Boolean(g.ownerConfirmedAt),
        ]),
      ),
    ).toEqual({ 静安会员群: true, 静安会员二群: false });
    // the message is in the group
    const { messages } = (await t.corp('GET', '/messages?userid=sh1a')) as {
      messages: { chat_id?: string; content: string }[];
    };
    expect(messages.find((m) => m.chat_id === groups.sh1vip!.chatId)?.content).toContain('杨枝甘露');

    await t.corp('POST', '/scenarios/member-confirms-mass-send', {
      msgid: byOwner.sh1b!.msgid,
      userid: 'sh1b',
    });
    await runJob();
    view = (await api('GET', `/outreach/mass-sends/${id}`, undefined, sh1)).json;
    expect(view).toMatchObject({ status: 'done', groups: { byStatus: { sent: 2 } } });
    // no customer's touch budget was used
    const touches = await t.database.db.selectFrom('touches').select('id').execute();
    expect(touches).toHaveLength(0);
  });

  it('respects the per-group monthly receive cap', async () => {
    await t.database.db
      .insertInto('outreach_settings')
      .values({ corp_id: 'acme', monthly_cap: 1, updated_by: null, updated_at: clock.now() })
      .onConflict((oc) => oc.column('corp_id').doUpdateSet({ monthly_cap: 1 }))
      .execute();
    const plan = await api('POST', '/outreach/group-plans', { groups: { types: ['vip'] } });
    expect(plan.json).toMatchObject({ monthlyCap: 1, receiving: 1, excluded: { over_cap: 2 } });
    await t.database.db.updateTable('outreach_settings').set({ monthly_cap: null }).execute();
  });

  it('recurs every Wednesday at 10:00 brand time: each occurrence is a group send with its results', async () => {
    expect(nextOccurrence({ weekdays: [3], time: '10:00' }, monday)?.toISOString()).toBe(
      '2026-07-08T02:00:00.000Z',
    );
    const created = await api('POST', '/outreach/mass-sends', {
      name: '周三会员日',
      contentKind: 'event',
      text: '今天是会员日：全场饮品 8 折，会员积分双倍',
      target: 'groups',
      groups: { types: ['welfare'] },
      recurrence: { weekdays: [3], time: '10:00' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id as number;
    expect(created.json).toMatchObject({
      status: 'scheduled',
      sendAt: '2026-07-08T02:00:00.000Z',
      recurrence: { weekdays: [3], time: '10:00' },
      groups: { total: 0, occurrences: [] },
    });
    const before = (await simSends()).length;
    await runJob(); // Monday: nothing due
    expect(await simSends()).toHaveLength(before);

    clock.shiftTo(new Date('2026-07-08T02:00:30Z'));
    admin = await login(t.fx.logins.admin);
    await runJob();
    let series = (await api('GET', `/outreach/mass-sends/${id}`)).json;
    expect(series.sendAt).toBe('2026-07-15T02:00:00.000Z');
    expect(series.groups.occurrences).toHaveLength(1);
    const occurrence = series.groups.occurrences[0];
    expect(occurrence).toMatchObject({ sendAt: '2026-07-08T02:00:00.000Z', status: 'sending', groups: 1 });
    const mine = (await simSends()).slice(before);
    expect(mine).toHaveLength(1);
    await t.corp('POST', '/scenarios/member-confirms-mass-send', { msgid: mine[0]!.msgid, userid: 'sh1a' });
    await runJob();
    const occ = (await api('GET', `/outreach/mass-sends/${occurrence.id}`)).json;
    expect(occ).toMatchObject({ seriesId: id, status: 'done', groups: { byStatus: { sent: 1 } } });
    // a second run the same day sends nothing more; occurrences are not listed on their own
    await runJob();
    expect(await simSends()).toHaveLength(before + 1);
    const list = (await api('GET', '/outreach/mass-sends?limit=50')).json.items;
    expect(list.find((m: { id: number }) => m.id === occurrence.id)).toBeUndefined();
    expect(list.find((m: { id: number }) => m.id === id)).toMatchObject({
      recurring: true,
      target: 'groups',
    });

    // cancelling the series stops what is to come
    await api('POST', `/outreach/mass-sends/${id}/cancel`);
    clock.shiftTo(new Date('2026-07-15T02:01:00Z'));
    admin = await login(t.fx.logins.admin);
    await runJob();
    series = (await api('GET', `/outreach/mass-sends/${id}`)).json;
    expect(series).toMatchObject({ status: 'cancelled' });
    expect(series.groups.occurrences).toHaveLength(1);
  });

  it('fills each group’s variables: the owner gets one task per group whose text differs', async () => {
    sh1 = await login(t.fx.logins.sh1);
    const before = (await simSends()).length;
    const created = await api(
      'POST',
      '/outreach/mass-sends',
      {
        name: '群名变量',
        contentKind: 'event',
        text: '{{group_name}}的朋友们：{{store_name}}周三会员日，{{staff_name}}在店里等你',
        target: 'groups',
        groups: { types: ['vip', 'welfare'] },
      },
      sh1,
    );
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    await runJob();
    const mine = (await simSends()).slice(before);
    const tasks = await Promise.all(mine.map((m) => simSend(m.msgid)));
    // sh1a owns two of these groups, sh1b one: three tasks, one chat each
    expect(tasks.map((x) => x.tasks[0]!.userid).sort()).toEqual(['sh1a', 'sh1a', 'sh1b']);
    expect(tasks.every((x) => x.tasks[0]!.targets.length === 1)).toBe(true);
    for (const m of mine)
      await t.corp('POST', '/scenarios/member-confirms-mass-send', {
        msgid: m.msgid,
        userid: (await simSend(m.msgid)).tasks[0]!.userid,
      });
    await runJob();
    const { messages } = (await t.corp('GET', '/messages?userid=sh1a')) as {
      messages: { chat_id?: string; content: string }[];
    };
    const inGroup = (key: string) =>
      messages.filter((m) => m.chat_id === groups[key]!.chatId).map((m) => m.content);
    expect(inGroup('sh1vip')).toContain('静安会员群的朋友们：上海一店周三会员日，张丽在店里等你');
    expect(inGroup('sh1welfare')).toContain('静安福利群的朋友们：上海一店周三会员日，张丽在店里等你');
  });

  it('ends an occurrence an owner never confirms: after the confirmation window it is partly done, the owner unconfirmed and the task withdrawn', async () => {
    await wecomGroup('sh1bwelfare', 'sh1b', '静安福利二群', 'welfare');
    const created = await api('POST', '/outreach/mass-sends', {
      name: '周三会员日（二）',
      contentKind: 'event',
      text: '今天是会员日：第二杯半价',
      target: 'groups',
      groups: { groupIds: [groups.sh1welfare!.id, groups.sh1bwelfare!.id] },
      recurrence: { weekdays: [3], time: '10:00' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id as number;
    const before = (await simSends()).length;
    clock.shiftTo(new Date('2026-07-22T02:00:30Z'));
    admin = await login(t.fx.logins.admin);
    await runJob();
    const mine = (await simSends()).slice(before);
    expect(mine).toHaveLength(2);
    const owners = Object.fromEntries(
      await Promise.all(mine.map(async (m) => [(await simSend(m.msgid)).tasks[0]!.userid, m.msgid] as const)),
    );
    // 张丽 confirms, 陈静 never does
    await t.corp('POST', '/scenarios/member-confirms-mass-send', { msgid: owners.sh1a, userid: 'sh1a' });
    await runJob();
    const occurrenceId = (await api('GET', `/outreach/mass-sends/${id}`)).json.groups.occurrences[0].id;
    // within the window the occurrence is still sending
    clock.shiftTo(new Date('2026-07-23T01:30:00Z'));
    admin = await login(t.fx.logins.admin);
    await runJob();
    expect((await api('GET', `/outreach/mass-sends/${occurrenceId}`)).json.status).toBe('sending');
    // past it: done with what was sent; 陈静's group unconfirmed, their task withdrawn in WeCom
    clock.shiftTo(new Date('2026-07-23T02:01:00Z'));
    admin = await login(t.fx.logins.admin);
    await runJob();
    const occ = (await api('GET', `/outreach/mass-sends/${occurrenceId}`)).json;
    expect(occ).toMatchObject({
      status: 'done',
      groups: { byStatus: { sent: 1, unconfirmed: 1, queued: 0 } },
    });
    expect(
      Object.fromEntries(
        occ.staff.map((s: { name: string; confirmed: number; expired: number }) => [
          s.name,
          [s.confirmed, s.expired],
        ]),
      ),
    ).toEqual({ 张丽: [1, 0], 陈静: [0, 1] });
    const rows = (await api('GET', `/outreach/mass-sends/${occurrenceId}/groups?status=unconfirmed`)).json
      .items;
    expect(rows.map((r: { name: string }) => r.name)).toEqual(['静安福利二群']);
    expect((await t.corp('GET', `/mass-sends/${owners.sh1b}`)).cancelled_at).toBeDefined();
    const late = await t
      .corp('POST', '/scenarios/member-confirms-mass-send', { msgid: owners.sh1b, userid: 'sh1b' })
      .catch((e) => e);
    expect(String(late)).toContain('cancelled');
    const series = (await api('GET', `/outreach/mass-sends/${id}`)).json;
    expect(series.groups.occurrences[0]).toMatchObject({
      status: 'done',
      groups: 2,
      sent: 1,
      unconfirmed: 1,
    });
    await api('POST', `/outreach/mass-sends/${id}/cancel`);
  });

  it('refuses variables the target cannot fill', async () => {
    const group = await api('POST', '/outreach/mass-sends', {
      name: 'x',
      contentKind: 'event',
      text: '{{customer_name}}你好',
      target: 'groups',
      groups: { types: ['vip'] },
    });
    expect(group.status).toBe(400);
    expect(JSON.stringify(group.json)).toContain('customer_name');
    const customers = await api('POST', '/outreach/mass-sends', {
      name: 'x',
      contentKind: 'event',
      text: '欢迎来{{group_name}}',
      senderRule: { prefer: 'store_staff' },
      audience: { tagIds: [1] },
    });
    expect(customers.status).toBe(400);
  });

  it('answers bad input with 400', async () => {
    const bad = [
      { name: 'x', contentKind: 'event', text: 'x', target: 'groups' },
      {
        name: 'x',
        contentKind: 'event',
        text: 'x',
        target: 'groups',
        groups: {},
        recurrence: { weekdays: [8], time: '10:00' },
      },
      { name: 'x', contentKind: 'event', text: 'x', groups: { types: ['vip'] } },
      {
        name: 'x',
        contentKind: 'event',
        text: 'x',
        senderRule: { prefer: 'store_staff' },
        audience: { tagIds: [1] },
        recurrence: { weekdays: [3], time: '10:00' },
      },
    ];
    for (const body of bad) expect((await api('POST', '/outreach/mass-sends', body)).status).toBe(400);
  });
});
