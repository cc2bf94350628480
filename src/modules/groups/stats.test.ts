import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShiftableClock } from '../../demo/shift-clock.ts';
import type { Actor, Role } from '../../platform/actor.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { type Ctx, ctxFor, syncCtxOf } from '../context.ts';
import { chinaDay, groupStatsByStore, pullDay, pullGroupStats, STATS_BACKFILL_DAYS } from './stats.ts';

/**
 * Group statistics through the simulator: Siyu's daily pull of groupchat/statistic lands in the rollup, the
 * per-store figures equal the simulator's own counts (statistic_group_by_day of the store's owners), a
 * second pull changes nothing, and a store manager sees only their store.
 */

let t: Linked;
const clock = new ShiftableClock();
const EC = '/cgi-bin/externalcontact';
const DAY_MS = 86_400_000;

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
beforeAll(async () => {
  t = await openLinked({ clock });
});
afterAll(() => t.close());

function ctxAs(role: Role, unitId: number, unitIds: number[]): Ctx {
  const actor: Actor = {
    corpId: 'acme',
    accountId: 0,
    role,
    unitId,
    seesWholeCorp: role === 'hq_admin',
    unitIds,
    staffId: null,
  };
  return ctxFor(t.app.runtime.deps, actor);
}
const hq = () => ctxAs('hq_admin', t.fx.units.hq, Object.values(t.fx.units));
const sh1Manager = () => ctxAs('store_manager', t.fx.units.sh1, [t.fx.units.sh1]);

async function client() {
  const link = await t.app.runtime.deps.links.get('acme');
  return link!.client;
}
const customer = async (name: string) =>
  (await t.corp('POST', '/customers', { name })).external_userid as string;

describe('group statistics', () => {
  it('pulls per owner and day; store figures equal the simulator’s counts; idempotent; scoped', async () => {
    const day1 = chinaDay(clock.now().getTime());
    const groups: Record<string, string> = {};
    for (const owner of ['sh1a', 'sh1b', 'gz1a']) {
      const made = await t.corp('POST', '/scenarios/member-creates-group', { owner, name: `${owner}的群` });
      groups[owner] = made.group.chat_id;
    }
    const people = [await customer('甲'), await customer('乙'), await customer('丙')];
    for (const ext of people) {
      await t.corp('POST', '/scenarios/join-group', { chat_id: groups.sh1a, external_userid: ext });
    }
    await t.corp('POST', '/scenarios/join-group', { chat_id: groups.gz1a, external_userid: people[0] });
    for (const ext of [people[0], people[0], people[1]]) {
      await t.corp('POST', '/scenarios/group-message', {
        chat_id: groups.sh1a,
        external_userid: ext,
        content: '好',
      });
    }
    await settle();
    clock.shiftBy(DAY_MS);
    const day2 = chinaDay(clock.now().getTime());
    await t.corp('POST', '/scenarios/leave-group', { chat_id: groups.sh1a, external_userid: people[2] });
    await t.corp('POST', '/scenarios/group-message', {
      chat_id: groups.sh1b,
      userid: 'sh1b',
      content: '周三会员日',
    });
    await settle();
    clock.shiftBy(DAY_MS);

    const ctx = syncCtxOf(t.app.runtime.deps, 'acme');
    expect(await pullGroupStats(ctx, await client())).toBe(STATS_BACKFILL_DAYS);
    const rows = async () =>
      t.database.db
        .selectFrom('group_stats_daily')
        .selectAll()
        .where('corp_id', '=', 'acme')
        .orderBy('day')
        .orderBy('owner_userid')
        .execute();
    const first = await rows();

    const stats = await groupStatsByStore(hq(), { days: 30 });
    const sh1 = (day: string) => stats.items.find((i) => i.unitId === t.fx.units.sh1 && i.day === day)!;
    // the simulator's own counts for the store's owners
    const dayStart = (day: string) => (Date.parse(`${day}T00:00:00Z`) - 8 * 3_600_000) / 1000;
    const simDays = (await (
      await client()
    ).post(`${EC}/groupchat/statistic_group_by_day`, {
      owner_filter: { userid_list: ['sh1a', 'sh1b'] },
      day_begin_time: dayStart(day1),
      day_end_time: dayStart(day2),
    })) as unknown as { items: { data: Record<string, number> }[] };
    for (const [i, day] of [day1, day2].entries()) {
      const s = simDays.items[i]!.data;
      expect(sh1(day)).toMatchObject({
        newGroups: s.new_chat_cnt,
        groups: s.chat_total,
        groupsWithMessages: s.chat_has_msg,
        membersAdded: s.new_member_cnt,
        members: s.member_total,
        activeMembers: s.member_has_msg,
        messages: s.msg_total,
      });
    }
    expect(sh1(day1)).toMatchObject({
      newGroups: 2,
      membersAdded: 3,
      members: 5,
      messages: 3,
      activeMembers: 2,
    });
    expect(sh1(day2)).toMatchObject({ membersAdded: 0, membersLost: 1, members: 4, messages: 1 });

    // a second pass pulls nothing; pulling a day again rewrites the same figures
    expect(await pullGroupStats(ctx, await client())).toBe(0);
    await pullDay(ctx, await client(), day1, ['gz1a', 'sh1a', 'sh1b']);
    expect((await rows()).map(({ pulled_at: _, ...r }) => r)).toEqual(
      first.map(({ pulled_at: _, ...r }) => r),
    );

    // a store manager sees their store only, and may not ask for another
    const mine = await groupStatsByStore(sh1Manager(), { days: 30 });
    expect(new Set(mine.items.map((i) => i.unitId))).toEqual(new Set([t.fx.units.sh1]));
    expect(stats.items.some((i) => i.unitId === t.fx.units.gz1)).toBe(true);
    await expect(groupStatsByStore(sh1Manager(), { days: 30, unitId: t.fx.units.gz1 })).rejects.toThrow();
  });

  it('a day WeCom has not closed yet ends the pass without failing it; the next pass pulls it', async () => {
    const ctx = syncCtxOf(t.app.runtime.deps, 'acme');
    // Siyu's clock two days ahead of WeCom's: today and tomorrow on WeCom's side are not over there
    const ahead = { ...ctx, clock: { now: () => new Date(clock.now().getTime() + 2 * DAY_MS) } };
    expect(await pullGroupStats(ahead, await client())).toBe(0);
    clock.shiftBy(2 * DAY_MS);
    expect(await pullGroupStats(ctx, await client())).toBe(2);
    const { last } = (await t.database.db
      .selectFrom('group_stats_pulls')
      .select((eb) => eb.fn.max('day').as('last'))
      .where('corp_id', '=', 'acme')
      .executeTakeFirstOrThrow()) as { last: string };
    expect(String(last)).toBe(chinaDay(clock.now().getTime() - DAY_MS));
    // repull: all 30 days again
    expect(await pullGroupStats(ctx, await client(), { repull: true })).toBe(STATS_BACKFILL_DAYS);
  });
});
