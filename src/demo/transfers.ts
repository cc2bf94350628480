import { type Ctx, syncCtxOf } from '../modules/context.ts';
import { isRootUnit, subtreeUnitIds } from '../modules/org/index.ts';
import { FOLLOW_UP_JOB, followUp, startDeparture, startReassign } from '../modules/transfers/index.ts';
import type { Actor } from '../platform/actor.ts';
import type { Clock } from '../platform/clock.ts';
import type { Runtime } from '../runtime.ts';
import type { ShiftableClock } from './shift-clock.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const BRAND_OFFSET = 8 * HOUR;

/** `daysAgo` days before today (brand time, UTC+8) at hh:00 brand time. */
function brandTime(now: Date, daysAgo: number, hh: number): Date {
  const local = now.getTime() + BRAND_OFFSET;
  const dayStart = local - (local % DAY) - BRAND_OFFSET;
  return new Date(dayStart - daysAgo * DAY + hh * HOUR);
}

export interface DemoTransfersOptions {
  runtime: Runtime;
  corpId: string;
  wecomCorpId: string;
  /** A control-API call to the simulator. */
  sim: (method: string, path: string, body?: unknown) => Promise<unknown>;
  simClock: ShiftableClock;
  now: Date;
}

async function actorCtx(o: DemoTransfersOptions, username: string, at: Date, address: string): Promise<Ctx> {
  const base = syncCtxOf(o.runtime.deps, o.corpId);
  const a = await base.cdb.db
    .selectFrom('accounts')
    .select(['id', 'role', 'unit_id', 'staff_id'])
    .where('corp_id', '=', o.corpId)
    .where('username', '=', username)
    .executeTakeFirstOrThrow();
  const actor: Actor = {
    corpId: o.corpId,
    accountId: a.id,
    role: a.role,
    unitId: a.unit_id,
    unitIds: await subtreeUnitIds(base.cdb, a.unit_id),
    seesWholeCorp: a.role === 'hq_admin' && (await isRootUnit(base.cdb, a.unit_id)),
    staffId: a.role === 'staff' ? a.staff_id : null,
  };
  const clock: Clock = { now: () => at };
  return { ...base, clock, actor, address };
}

/** A store's front-line members with no console login, most customers first (managers and login holders stay). */
async function frontLine(o: DemoTransfersOptions, unitCode: string | null) {
  const { db } = o.runtime.deps;
  return db
    .selectFrom('staff as s')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
    )
    .select((eb) => [
      's.id',
      's.userid',
      's.unit_id',
      eb
        .selectFrom('follows as f')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('f.corp_id', '=', 's.corp_id')
        .whereRef('f.staff_id', '=', 's.id')
        .where('f.status', '=', 'active')
        .as('customers'),
    ])
    .where('s.corp_id', '=', o.corpId)
    .where('u.kind', '=', 'store')
    .$if(unitCode !== null, (q) => q.where('u.code', '=', unitCode!))
    .where('s.status', '=', 'active')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('accounts as a')
            .select('a.id')
            .whereRef('a.corp_id', '=', 's.corp_id')
            .whereRef('a.staff_id', '=', 's.id'),
        ),
      ),
    )
    .orderBy('customers', 'desc')
    .orderBy('s.id')
    .execute();
}

/**
 * 在职转接 two days ago, done by now: 华东大区's manager moves three customers of a 上海徐汇店 member to a
 * colleague with a message; WeCom completes it 24 h later and Siyu carries the follows over. Runs before
 * the people's audited work, so the audit log stays in time order. Returns the transfers made.
 */
export async function createDemoReassignment(o: DemoTransfersOptions): Promise<number> {
  const people = await frontLine(o, 'sh-xuhui');
  const [from, to] = people.filter((p) => Number(p.customers) > 0);
  if (!from || !to) return 0;
  // between the demo's last 群发 (three days ago, 16:00 brand time) and the people's audited work (from 50 h
  // ago), so the audit log stays in time order; WeCom has long completed it by now
  const lastSend = brandTime(o.now, 3, 16).getTime();
  const at = new Date(Math.round((lastSend + o.now.getTime() - 50 * HOUR) / 2));
  const customers = await o.runtime.deps.db
    .selectFrom('follows')
    .select('customer_id')
    .where('corp_id', '=', o.corpId)
    .where('staff_id', '=', from.id)
    .where('status', '=', 'active')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('follows as g')
            .select('g.id')
            .whereRef('g.corp_id', '=', 'follows.corp_id')
            .whereRef('g.customer_id', '=', 'follows.customer_id')
            .where('g.staff_id', '=', to.id),
        ),
      ),
    )
    .orderBy('customer_id')
    .limit(3)
    .execute();
  if (customers.length === 0) return 0;
  o.simClock.shiftTo(at);
  try {
    await startReassign(await actorCtx(o, 'east', at, '198.51.100.23'), {
      handoverStaffId: from.id,
      customerIds: customers.map((c) => c.customer_id),
      rule: 'successor',
      successorStaffId: to.id,
      groups: false,
      message: '您好，门店调整后由我的同事继续为您服务，有任何需要随时找她～',
      dryRun: false,
    });
    o.runtime.deps.wake.outbox();
    await o.runtime.drain();
  } finally {
    o.simClock.reset();
  }
  // a day later WeCom has completed it; Siyu reads the results back and carries the follows over
  const link = await o.runtime.deps.links.require(o.corpId);
  await followUp(syncCtxOf(o.runtime.deps, o.corpId), link.client);
  return customers.length;
}

/**
 * 离职继承 today: a 上海静安店 member left this morning (WeCom lists her customers as unassigned and her
 * groups wait for a new owner); an hour ago the store's manager handed six of them to her colleagues by
 * least load (up to six). One customer refused, one colleague was over WeCom's limit, the rest are waiting for their 24 h;
 * the others still wait on 客户继承's departures tab. Returns the transfers made.
 */
export async function createDemoDeparture(o: DemoTransfersOptions): Promise<number> {
  // she keeps at least one customer waiting; three moving show a refusal, one over the limit and a wait
  const enough = (p: { customers: string | number | null } | undefined) => Number(p?.customers ?? 0) >= 4;
  let leaver = (await frontLine(o, 'sh-jingan'))[0];
  // a small demo brand: whichever store's member has the most customers
  if (!enough(leaver)) leaver = (await frontLine(o, null))[0];
  if (!leaver || !enough(leaver)) return 0;
  const store = await o.runtime.deps.db
    .selectFrom('staff as s')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
    )
    .innerJoin('accounts as a', (j) => j.onRef('a.corp_id', '=', 'u.corp_id').onRef('a.unit_id', '=', 'u.id'))
    .select('a.username')
    .where('s.corp_id', '=', o.corpId)
    .where('s.id', '=', leaver.id)
    .where('a.role', '=', 'store_manager')
    .executeTakeFirst();
  const colleagues = await o.runtime.deps.db
    .selectFrom('staff')
    .select('id')
    .where('corp_id', '=', o.corpId)
    .where('unit_id', '=', leaver.unit_id)
    .where('status', '=', 'active')
    .where('id', '!=', leaver.id)
    .execute();
  if (!store || colleagues.length === 0) return 0;
  const { db } = o.runtime.deps;
  // she leaves: WeCom deletes the member; Siyu's directory says so (as its next full sync would)
  await o.sim('DELETE', `/sim/corps/${o.wecomCorpId}/members/${encodeURIComponent(leaver.userid)}`);
  await db
    .updateTable('staff')
    .set({ status: 'departed' })
    .where('corp_id', '=', o.corpId)
    .where('id', '=', leaver.id)
    .execute();
  const customers = await db
    .selectFrom('follows')
    .select('customer_id')
    .where('corp_id', '=', o.corpId)
    .where('staff_id', '=', leaver.id)
    .where('status', '=', 'active')
    .orderBy('customer_id')
    .limit(Math.min(6, Number(leaver.customers) - 1))
    .execute();
  const at = new Date(o.now.getTime() - HOUR);
  o.simClock.shiftTo(at);
  try {
    const link = await o.runtime.deps.links.require(o.corpId);
    await startDeparture(await actorCtx(o, store.username, at, '203.0.113.24'), link.client, {
      handoverStaffIds: [leaver.id],
      customerIds: customers.map((c) => c.customer_id),
      rule: 'least_load',
      groups: false,
      dryRun: false,
    });
    o.runtime.deps.wake.outbox();
    await o.runtime.drain();
  } finally {
    o.simClock.reset();
  }
  const waiting = await db
    .selectFrom('transfers')
    .select('external_userid')
    .where('corp_id', '=', o.corpId)
    .where('kind', '=', 'resigned')
    .where('status', '=', 'waiting')
    .orderBy('id')
    .execute();
  const [refuses, overLimit] = waiting;
  if (refuses?.external_userid)
    await o.sim('POST', `/sim/corps/${o.wecomCorpId}/scenarios/customer-refuses-transfer`, {
      external_userid: refuses.external_userid,
    });
  if (overLimit?.external_userid)
    await o.sim('POST', `/sim/corps/${o.wecomCorpId}/scenarios/takeover-over-limit`, {
      external_userid: overLimit.external_userid,
    });
  // their transfer_fail callbacks reach Siyu over HTTP: wait (bounded) until Siyu has handled them
  const expected = (refuses ? 1 : 0) + (overLimit ? 1 : 0);
  for (let i = 0; i < 200; i++) {
    await o.runtime.drain();
    const ended = await db
      .selectFrom('transfers')
      .select('id')
      .where('corp_id', '=', o.corpId)
      .where('status', 'in', ['refused', 'over_limit'])
      .execute();
    if (ended.length >= expected) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await o.runtime.runJob(FOLLOW_UP_JOB);
  return customers.length;
}
