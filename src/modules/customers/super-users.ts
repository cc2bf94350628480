import { type RawBuilder, sql } from 'kysely';
import { AppError } from '../../platform/http/errors.ts';
import type { Ctx } from '../context.ts';
import { brandDay } from './rfm.ts';
import { visibleTo } from './service.ts';

/**
 * Super users (超级用户) in the caller's scope with their key dates — birthday and membership anniversary —
 * for the "six interactions a year" of PLAYBOOK §4: those with a key date in the coming `days` come first,
 * soonest first, then the rest by LTV.
 */

/** The next occurrence of a yearly date on or after `today`, at least `minYears` on (rfm.ts's nextYearly). */
function nextYearlySql(d: RawBuilder<unknown>, today: RawBuilder<unknown>, minYears: number) {
  const years = sql`greatest(extract(year from ${today})::int, extract(year from ${d})::int + ${minYears}::int)`;
  const at = (plus: number) =>
    sql`(${d} + make_interval(years => ${years} + ${plus}::int - extract(year from ${d})::int))::date`;
  return sql<string | null>`case when ${at(0)} < ${today} then ${at(1)} else ${at(0)} end`;
}

const encode = (k: { rank: number; paid: number; id: number }) =>
  Buffer.from(`su:${k.rank}:${k.paid}:${k.id}`).toString('base64url');

function decode(cursor: string | undefined) {
  if (cursor === undefined) return undefined;
  const m = /^su:(\d{1,4}):(\d{1,15}):(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new AppError('bad_request', { zh: '分页游标无效', en: 'Invalid cursor' });
  return { rank: Number(m[1]), paid: Number(m[2]), id: Number(m[3]) };
}

interface Row {
  id: number;
  name: string;
  avatar: string | null;
  r_score: number;
  f_score: number;
  m_score: number;
  paid_fen: number;
  order_count: number;
  last_order_at: Date | null;
  top_unit_id: number | null;
  top_unit_name: string | null;
  member_level: string | null;
  member_since: string | null;
  birthday: string | null;
  birthday_next: string | null;
  anniversary_next: string | null;
  birthday_in: number | null;
  anniversary_in: number | null;
  rank: number;
}

export async function listSuperUsers(ctx: Ctx, input: { days: number; cursor?: string; limit: number }) {
  const { cdb } = ctx;
  const after = decode(input.cursor);
  const today = sql`${brandDay(ctx.clock.now())}::date`;
  const visible = cdb.db
    .selectFrom('customers as c')
    .select('c.id')
    .where('c.corp_id', '=', cdb.corpId)
    .where(visibleTo(ctx));
  const base = sql`
    select c.id, c.name, c.avatar, cf.r_score, cf.f_score, cf.m_score, cf.paid_fen, cf.order_count,
      cf.last_order_at, cf.top_unit_id, u.name as top_unit_name, cf.member_level, cf.member_since,
      cf.birthday,
      ${nextYearlySql(sql.ref('cf.birthday'), today, 0)} as birthday_next,
      ${nextYearlySql(sql.ref('cf.member_since'), today, 1)} as anniversary_next
    from customer_facts cf
    join customers c on c.corp_id = cf.corp_id and c.id = cf.customer_id
    left join org_units u on u.corp_id = cf.corp_id and u.id = cf.top_unit_id
    where cf.corp_id = ${cdb.corpId} and cf.stage = 'super' and c.id in ${visible}`;
  const ranked = sql`
    select k.*, case when least(k.birthday_in, k.anniversary_in) <= ${input.days}::int
      then least(k.birthday_in, k.anniversary_in) else ${input.days + 1}::int end as rank
    from (select b.*, b.birthday_next - ${today} as birthday_in, b.anniversary_next - ${today} as anniversary_in
          from (${base}) b) k`;
  const keyset = after
    ? sql`where (rank, -paid_fen, id) > (${after.rank}::int, ${-after.paid}::bigint, ${after.id}::bigint)`
    : sql``;
  const [{ rows }, { rows: counts }] = await Promise.all([
    sql<Row>`select * from (${ranked}) r ${keyset} order by rank, paid_fen desc, id
      limit ${input.limit + 1}`.execute(cdb.db),
    sql<{ total: number; upcoming: number }>`
      select count(*)::int as total, (count(*) filter (where rank <= ${input.days}::int))::int as upcoming
      from (${ranked}) r`.execute(cdb.db),
  ]);
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    total: counts[0]?.total ?? 0,
    upcoming: counts[0]?.upcoming ?? 0,
    items: page.map((r) => {
      const keyDates = [
        ...(r.birthday_next
          ? [{ kind: 'birthday' as const, date: r.birthday_next, inDays: r.birthday_in! }]
          : []),
        ...(r.anniversary_next
          ? [
              {
                kind: 'member_anniversary' as const,
                date: r.anniversary_next,
                inDays: r.anniversary_in!,
                years: Number(r.anniversary_next.slice(0, 4)) - Number(r.member_since!.slice(0, 4)),
              },
            ]
          : []),
      ].sort((a, b) => a.inDays - b.inDays);
      return {
        id: r.id,
        name: r.name,
        avatar: r.avatar,
        rfm: { r: r.r_score, f: r.f_score, m: r.m_score },
        paidFen: r.paid_fen,
        orderCount: r.order_count,
        lastOrderAt: r.last_order_at?.toISOString() ?? null,
        topUnit: r.top_unit_id ? { id: r.top_unit_id, name: r.top_unit_name ?? '' } : null,
        memberLevel: r.member_level,
        memberSince: r.member_since,
        birthday: r.birthday,
        keyDates,
        upcoming: r.rank <= input.days,
      };
    }),
    nextCursor:
      rows.length > input.limit && last
        ? encode({ rank: last.rank, paid: last.paid_fen, id: last.id })
        : null,
  };
}
