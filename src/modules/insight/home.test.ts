import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/connect.ts';
import { openTestDatabase } from '../../testing/db.ts';
import { actorOf, type Fixture, seedFixture } from '../../testing/fixture.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { ctxFor } from '../context.ts';
import type { Tables } from '../tables.ts';
import { home } from './home.ts';
import { scopeOf } from './service.ts';

/**
 * The home page's alerts, read from the daily rollups (here written directly, per store and channel and per
 * channel over the brand): a channel whose deletions of
 * the last 7 days are at least 5 and more than twice its weekly average of the 4 weeks before, and a store
 * without an add in the last 7 days; each within the caller's scope. syncCtx's clock: brand day 2026-07-01.
 */
let database: Database<Tables>;
let fx: Fixture;
const channel: Record<'a' | 'b', number> = { a: 0, b: 0 };

beforeAll(async () => {
  database = await openTestDatabase();
  fx = await seedFixture(database.db);
  for (const [key, name] of [
    ['a', '包裹卡'],
    ['b', '门店台卡'],
  ] as const) {
    const ch = await database.db
      .insertInto('channels')
      .values({
        corp_id: 'acme',
        name,
        scene: 'test',
        method: 'table_card',
        unit_id: fx.units.hq,
        assign_mode: 'single',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    channel[key] = ch.id;
  }
  const u = fx.units;
  const counts = {
    adds: 0,
    deletions: 0,
    staff_deletions: 0,
    welcomed: 0,
    new_customers: 0,
    lost_customers: 0,
    first_buyers: 0,
  };
  const day = (d: string, unit: number, ch: number, deletions: number, adds = 0) => ({
    ...counts,
    corp_id: 'acme',
    day: d,
    unit_id: unit,
    channel_id: ch,
    method: 'table_card',
    deletions,
    adds,
  });
  const rows = [
    // channel a: 7 deletions this week in sh1 and 5 in gz1, against 2 in the four weeks before (0.5 a week)
    day('2026-06-26', u.sh1, channel.a, 3),
    day('2026-06-30', u.sh1, channel.a, 4),
    day('2026-06-28', u.gz1, channel.a, 5),
    day('2026-05-30', u.sh1, channel.a, 2),
    // channel b: 6 this week against 16 before (4 a week): not twice the usual
    day('2026-06-29', u.sh2, channel.b, 6),
    day('2026-06-01', u.sh2, channel.b, 8),
    day('2026-06-15', u.sh2, channel.b, 8),
    // outside the 5 weeks: never counted
    day('2026-05-20', u.sh1, channel.a, 40),
  ];
  // most days of a channel have adds and no deletion
  for (let d = 1; d <= 30; d++) {
    const date = `2026-06-${String(d).padStart(2, '0')}`;
    for (const unit of [u.sh1, u.sh2, u.gz1]) {
      for (const ch of [channel.a, channel.b]) {
        if (!rows.some((r) => r.day === date && r.unit_id === unit && r.channel_id === ch))
          rows.push(day(date, unit, ch, 0, 2));
      }
    }
  }
  await database.db.insertInto('insight_channel_daily').values(rows).execute();
  // and summed over the stores, as the refresh keeps them for HQ's reads
  await sql`insert into insight_brand_channel_daily (corp_id, day, channel_id, method, adds, deletions)
    select corp_id, day, channel_id, method, sum(adds), sum(deletions) from insight_channel_daily
    group by corp_id, day, channel_id, method`.execute(database.db);
  // sh1 had adds this week; sh2 and gz1 none since 06-20
  await database.db
    .insertInto('insight_unit_daily')
    .values([
      { ...counts, corp_id: 'acme', day: '2026-06-29', unit_id: u.sh1, adds: 3 },
      { ...counts, corp_id: 'acme', day: '2026-06-20', unit_id: u.sh2, adds: 4 },
      { ...counts, corp_id: 'acme', day: '2026-06-24', unit_id: u.gz1, adds: 1 },
    ])
    .execute();
});
afterAll(() => database.close());

async function alertsFor(role: 'hq_admin' | 'region_manager', units: number[]) {
  const s = syncCtx(database);
  const ctx = ctxFor({ db: database.db, clock: s.clock, pii: s.pii, events: s.events }, actorOf(role, units));
  return (await home(ctx, await scopeOf(ctx, {}))).alerts;
}

describe('the home page alerts', () => {
  it('names the channel whose deletions spiked and the stores without an add, brand-wide for HQ', async () => {
    const alerts = await alertsFor('hq_admin', Object.values(fx.units));
    expect(alerts).toEqual([
      { kind: 'deletions_spike', channelId: channel.a, channelName: '包裹卡', deletions: 12, baseline: 0.5 },
      { kind: 'no_adds', unitId: fx.units.sh2, unitName: expect.any(String) },
      { kind: 'no_adds', unitId: fx.units.gz1, unitName: expect.any(String) },
    ]);
  });

  it('counts only the stores of a region manager’s scope', async () => {
    const u = fx.units;
    const alerts = await alertsFor('region_manager', [u.east, u.sh1, u.sh2]);
    expect(alerts).toEqual([
      { kind: 'deletions_spike', channelId: channel.a, channelName: '包裹卡', deletions: 7, baseline: 0.5 },
      { kind: 'no_adds', unitId: u.sh2, unitName: expect.any(String) },
    ]);
  });
});
