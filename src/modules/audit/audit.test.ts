import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../platform/actor.ts';
import { ManualClock } from '../../platform/clock.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import { openTestApp, type TestApp } from '../../testing/app.ts';
import { pii } from '../../testing/fixture.ts';
import type { Ctx } from '../context.ts';
import { recordAudit, recordWithinBudget } from './index.ts';

let t: TestApp;
let clock: ManualClock;
let actor: Actor;
let ctx: Ctx;

beforeAll(async () => {
  t = await openTestApp();
  clock = new ManualClock(new Date('2026-07-01T10:00:00Z'));
  const account = await t.database.db
    .selectFrom('accounts')
    .select(['id', 'unit_id'])
    .where('corp_id', '=', 'acme')
    .where('username', '=', 'sh1a')
    .executeTakeFirstOrThrow();
  actor = {
    corpId: 'acme',
    accountId: account.id,
    role: 'staff',
    unitId: account.unit_id,
    seesWholeCorp: false,
    unitIds: [account.unit_id],
    staffId: t.fx.staff.sh1a,
  };
  ctx = {
    cdb: corpDb(t.database.db, 'acme'),
    clock,
    pii,
    events: undefined as never,
    actor,
    address: '192.0.2.7',
  };
});
afterAll(() => t.close());

const entries = (action: string) =>
  t.database.db
    .selectFrom('audit_log')
    .selectAll()
    .where('corp_id', '=', 'acme')
    .where('action', '=', action)
    .orderBy('id')
    .execute();

describe('the audit log', () => {
  it('records who acted, in what role and scope, from where, on what', async () => {
    await recordAudit(ctx, { action: 'test.record', subject: 'segment:1', details: { rows: 3 } });
    const [e] = await entries('test.record');
    expect(e).toMatchObject({
      account_id: actor.accountId,
      role: 'staff',
      unit_id: actor.unitId,
      address: '192.0.2.7',
      subject: 'segment:1',
      details: { rows: 3 },
    });
    expect(e!.at.toISOString()).toBe('2026-07-01T10:00:00.000Z');
  });

  it('is append-only: an entry is never changed nor deleted, and the table never emptied', async () => {
    const db = t.database.db;
    await expect(sql`update audit_log set subject = 'x' where corp_id = 'acme'`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from audit_log where corp_id = 'acme'`.execute(db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only/);
    expect((await entries('test.record')).length).toBe(1);
  });

  it('lets a brand being erased whole take its entries along, and only that brand’s', async () => {
    await recordAudit({ ...ctx, cdb: corpDb(t.database.db, 'other') }, { action: 'test.erase' });
    await recordAudit(ctx, { action: 'test.erase' });
    const erase = (corp: string) =>
      t.database.db.transaction().execute(async (tx) => {
        await sql`select set_config('siyu.erase_corp', ${corp}, true)`.execute(tx);
        await sql`delete from audit_log where action = 'test.erase'`.execute(tx);
      });
    await expect(erase('other')).rejects.toThrow(/append-only/); // acme's entry is in the same delete
    await t.database.db.transaction().execute(async (tx) => {
      await sql`select set_config('siyu.erase_corp', 'other', true)`.execute(tx);
      await sql`delete from audit_log where corp_id = 'other' and action = 'test.erase'`.execute(tx);
    });
    expect((await entries('test.erase')).length).toBe(1);
  });

  it('keeps a budget per account and action over the rolling hour and day, refusals audited apart', async () => {
    const budget = { perHour: 2, perDay: 3 };
    const spend = () => recordWithinBudget(ctx, { action: 'test.budget' }, budget);
    expect(await spend()).toEqual({ ok: true });
    expect(await spend()).toEqual({ ok: true });
    expect(await spend()).toEqual({ ok: false, window: 'hour', max: 2 });
    clock.advance(61 * 60_000);
    expect(await spend()).toEqual({ ok: true });
    expect(await spend()).toEqual({ ok: false, window: 'day', max: 3 });
    // another account has its own budget
    const other = { ...ctx, actor: { ...actor, accountId: actor.accountId + 1000 } };
    expect(await recordWithinBudget(other, { action: 'test.budget' }, budget)).toEqual({ ok: true });
    clock.advance(24 * 3_600_000);
    expect(await spend()).toEqual({ ok: true });
    expect((await entries('test.budget')).length).toBe(5);
    const refused = await entries('test.budget.refused');
    expect(refused.map((e) => e.details)).toEqual([
      { limit: { ok: false, window: 'hour', max: 2 } },
      { limit: { ok: false, window: 'day', max: 3 } },
    ]);
  });

  it('gives concurrent requests no more than the budget', async () => {
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        recordWithinBudget(ctx, { action: 'test.race' }, { perHour: 3, perDay: 9 }),
      ),
    );
    expect(answers.filter((a) => a.ok).length).toBe(3);
    expect((await entries('test.race')).length).toBe(3);
  });
});

describe('GET /api/v1/audit', () => {
  it('lists the brand’s entries newest first, filtered by action, prefix, account and time', async () => {
    const admin = await t.login(t.fx.logins.admin);
    const get = async (query: string) => {
      const res = await t.app.inject({
        method: 'GET',
        url: `/api/v1/audit?${query}`,
        headers: { cookie: admin.cookie },
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json() as { items: { action: string; username: string | null; id: number }[] };
    };
    const all = await get('limit=100');
    expect(all.items.length).toBeGreaterThanOrEqual(9);
    expect(all.items.map((e) => e.id)).toEqual([...all.items.map((e) => e.id)].sort((a, b) => b - a));
    // besides the sign-ins (auth.*), only what this file recorded
    expect(
      all.items.filter((e) => !e.action.startsWith('auth.')).every((e) => e.action.startsWith('test.')),
    ).toBe(true);
    expect((await get('action=test.budget')).items.map((e) => e.action)).toEqual(
      Array(5).fill('test.budget'),
    );
    const prefix = await get('action=test.budget.');
    expect(prefix.items.map((e) => e.action)).toEqual(['test.budget.refused', 'test.budget.refused']);
    expect((await get(`accountId=${actor.accountId}&action=test.record`)).items[0]!.username).toBe('sh1a');
    expect((await get('to=2026-07-01T10:00:00Z')).items).toEqual([]);
    expect((await get('from=2026-07-02T11:00:00%2B00:00&action=test.budget')).items.length).toBe(1);
  });

  it('has only reading routes: the list and its export', () => {
    const routes = t.app.apiRoutes.filter((r) => r.url.startsWith('/api/v1/audit'));
    expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'GET /api/v1/audit',
      'GET /api/v1/audit/export',
    ]);
  });
});
