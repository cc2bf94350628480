import { sql } from 'kysely';
import { AppError } from '../../platform/http/errors.ts';
import { WecomApiError } from '../../wecom/errors.ts';
import type { Ctx, SyncCtx } from '../context.ts';

/**
 * Group statistics (API-FACTS-2 §9): each day Siyu asks groupchat/statistic for yesterday, one call per 100
 * owners (one day per call gives figures per owner and day), and upserts them into group_stats_daily; a day
 * is marked pulled so the next pass skips it. The first pass reaches back 30 days. Pulling a day twice
 * rewrites the same rows: the pull is idempotent. The console reads the rollup per store (the owner's unit).
 */

export const STATS_JOB = 'groups.stats';
const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;
/** How far the first pull reaches back (WeCom keeps 180 days; 30 is what the charts show). */
export const STATS_BACKFILL_DAYS = 30;
const OWNERS_PER_CALL = 100;

/** The China day (YYYY-MM-DD) of an instant. */
export function chinaDay(ms: number): string {
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}
/** 00:00 UTC+8 of a China day, in unix seconds. */
const dayStartS = (day: string) => (Date.parse(`${day}T00:00:00Z`) - CHINA_OFFSET_MS) / 1000;

/** What the pull needs of the WeCom client (WecomClient.post; the simulator's and WeCom's). */
export interface StatsClient {
  post(path: string, body: unknown): Promise<unknown>;
}

interface StatItem {
  owner: string;
  data: {
    new_chat_cnt: number;
    chat_total: number;
    chat_has_msg: number;
    new_member_cnt: number;
    member_total: number;
    member_has_msg: number;
    msg_total: number;
  };
}

/**
 * Pulls the days not pulled yet, from 30 days back (or the last pulled day) to yesterday; `repull` pulls all
 * 30 again (what a pass made earlier may have read before WeCom had the whole day). A day WeCom refuses as
 * not over yet (40058: its clock is behind Siyu's) ends the pass without failing it: that day and the ones
 * after it stay unpulled, for the next pass. Returns days pulled.
 */
export async function pullGroupStats(
  ctx: SyncCtx,
  client: StatsClient,
  opts: { repull?: boolean } = {},
): Promise<number> {
  const corpId = ctx.cdb.corpId;
  const today = chinaDay(ctx.clock.now().getTime());
  const todayMs = Date.parse(`${today}T00:00:00Z`);
  const pulled = new Set(
    opts.repull
      ? []
      : (
          await ctx.cdb.db
            .selectFrom('group_stats_pulls')
            .select('day')
            .where('corp_id', '=', corpId)
            .where('day', '>=', new Date(todayMs - STATS_BACKFILL_DAYS * DAY_MS).toISOString().slice(0, 10))
            .execute()
        ).map((r) => String(r.day)),
  );
  const owners = (
    await ctx.cdb.db
      .selectFrom('groups')
      .select('owner_userid')
      .distinct()
      .where('corp_id', '=', corpId)
      .where('owner_userid', 'is not', null)
      .orderBy('owner_userid')
      .execute()
  ).map((r) => r.owner_userid!);
  let days = 0;
  for (let back = STATS_BACKFILL_DAYS; back >= 1; back--) {
    const day = new Date(todayMs - back * DAY_MS).toISOString().slice(0, 10);
    if (pulled.has(day)) continue;
    try {
      await pullDay(ctx, client, day, owners);
    } catch (err) {
      if (err instanceof WecomApiError && err.errcode === DAY_NOT_OVER) break;
      throw err;
    }
    days++;
  }
  return days;
}

/** groupchat/statistic's errcode for a range WeCom does not have yet (or no longer has). */
const DAY_NOT_OVER = 40058;

/** One day for every owner: rows replaced, the day marked pulled, in one transaction. */
export async function pullDay(ctx: SyncCtx, client: StatsClient, day: string, owners: string[]) {
  const items: StatItem[] = [];
  for (let i = 0; i < owners.length; i += OWNERS_PER_CALL) {
    let offset = 0;
    for (;;) {
      const page = (await client.post('/cgi-bin/externalcontact/groupchat/statistic', {
        day_begin_time: dayStartS(day),
        owner_filter: { userid_list: owners.slice(i, i + OWNERS_PER_CALL) },
        offset,
        limit: 1000,
      })) as { total: number; next_offset: number; items: StatItem[] };
      items.push(...page.items);
      if (page.next_offset >= page.total || page.items.length === 0) break;
      offset = page.next_offset;
    }
  }
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    await tx.db
      .deleteFrom('group_stats_daily')
      .where('corp_id', '=', tx.corpId)
      .where('day', '=', day)
      .execute();
    if (items.length) {
      await tx.db
        .insertInto('group_stats_daily')
        .values(
          items.map((it) => ({
            corp_id: tx.corpId,
            day,
            owner_userid: it.owner,
            ...it.data,
            pulled_at: now,
          })),
        )
        .execute();
    }
    await tx.db
      .insertInto('group_stats_pulls')
      .values({ corp_id: tx.corpId, day, owners: owners.length, pulled_at: now })
      .onConflict((oc) =>
        oc.columns(['corp_id', 'day']).doUpdateSet({ owners: owners.length, pulled_at: now }),
      )
      .execute();
  });
}

export interface StoreDay {
  unitId: number;
  unitName: string;
  day: string;
  newGroups: number;
  groups: number;
  groupsWithMessages: number;
  membersAdded: number;
  membersLost: number;
  members: number;
  activeMembers: number;
  messages: number;
}

/**
 * Per store (the owner's unit) and day, within the caller's scope: the owners' rows summed; members lost is
 * new members minus the day's change of the member total (0 for an owner's first day in the range).
 */
export async function groupStatsByStore(ctx: Ctx, input: { days: number; unitId?: number }) {
  if (input.unitId !== undefined && !ctx.actor.seesWholeCorp && !ctx.actor.unitIds.includes(input.unitId)) {
    throw new AppError('forbidden', { zh: '该门店不在你的范围内', en: 'The unit is outside your scope' });
  }
  const corpId = ctx.cdb.corpId;
  const today = Date.parse(`${chinaDay(ctx.clock.now().getTime())}T00:00:00Z`);
  const from = new Date(today - input.days * DAY_MS).toISOString().slice(0, 10);
  const scope =
    ctx.actor.role === 'staff'
      ? sql`s.id = ${ctx.actor.staffId ?? -1}`
      : ctx.actor.seesWholeCorp
        ? sql`true`
        : sql`s.unit_id = any(${[...ctx.actor.unitIds]}::bigint[])`;
  const unit = input.unitId === undefined ? sql`true` : sql`s.unit_id = ${input.unitId}`;
  const { rows } = await sql<{
    unit_id: number;
    unit_name: string;
    day: string;
    new_chat: number;
    chats: number;
    chats_msg: number;
    added: number;
    lost: number;
    members: number;
    active: number;
    msgs: number;
  }>`
    with d as (
      select d.*, d.member_total - lag(d.member_total) over (partition by d.owner_userid order by d.day) as delta
      from group_stats_daily d
      where d.corp_id = ${corpId} and d.day >= (${from}::date - 1)
    )
    select s.unit_id, u.name as unit_name, d.day::text as day,
      sum(d.new_chat_cnt)::int as new_chat, sum(d.chat_total)::int as chats, sum(d.chat_has_msg)::int as chats_msg,
      sum(d.new_member_cnt)::int as added, sum(greatest(d.new_member_cnt - coalesce(d.delta, d.new_member_cnt), 0))::int as lost,
      sum(d.member_total)::int as members, sum(d.member_has_msg)::int as active, sum(d.msg_total)::int as msgs
    from d
    join staff s on s.corp_id = ${corpId} and s.userid = d.owner_userid
    join org_units u on u.corp_id = s.corp_id and u.id = s.unit_id
    where d.day >= ${from}::date and ${scope} and ${unit}
    group by s.unit_id, u.name, d.day
    order by s.unit_id, d.day`.execute(ctx.cdb.db);
  const pulled = await ctx.cdb.db
    .selectFrom('group_stats_pulls')
    .select((eb) => eb.fn.max('day').as('last'))
    .where('corp_id', '=', corpId)
    .executeTakeFirst();
  return {
    lastDay: (pulled?.last as string | null) ?? null,
    items: rows.map(
      (r): StoreDay => ({
        unitId: Number(r.unit_id),
        unitName: r.unit_name,
        day: r.day,
        newGroups: r.new_chat,
        groups: r.chats,
        groupsWithMessages: r.chats_msg,
        membersAdded: r.added,
        membersLost: r.lost,
        members: r.members,
        activeMembers: r.active,
        messages: r.msgs,
      }),
    ),
  };
}
