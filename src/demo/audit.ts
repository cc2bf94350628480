import { type Ctx, type Deps, syncCtxOf } from '../modules/context.ts';
import { exportCustomers, listCustomers, startTagJob } from '../modules/customers/index.ts';
import { isRootUnit, subtreeUnitIds } from '../modules/org/index.ts';
import { exportSegmentMembers } from '../modules/segments/index.ts';
import type { Actor } from '../platform/actor.ts';
import type { Clock } from '../platform/clock.ts';

const HOUR = 3_600_000;

/**
 * What the demo brand's people did with its customers over the last two days, each through the service
 * that the console's button calls, so that 审计日志 opens on entries the audit log made itself: 王芳 finds
 * a customer at the counter by the phone number they give, 上海静安店's manager exports her dormant
 * customers for a win-back campaign, 王芳 marks three of her customers 少糖 at once, and HQ exports a
 * segment. Each acts at its own time (the clock of its context) from an address of its own. Returns the
 * number of actions done.
 */
export async function doDemoAuditedWork(deps: Deps, corpId: string, now: Date): Promise<number> {
  const base = syncCtxOf(deps, corpId);
  const { cdb, pii } = base;
  const as = async (username: string, hoursAgo: number, address: string): Promise<Ctx> => {
    const a = await cdb.db
      .selectFrom('accounts')
      .select(['id', 'role', 'unit_id', 'staff_id'])
      .where('corp_id', '=', corpId)
      .where('username', '=', username)
      .executeTakeFirstOrThrow();
    const actor: Actor = {
      corpId,
      accountId: a.id,
      role: a.role,
      unitId: a.unit_id,
      unitIds: await subtreeUnitIds(cdb, a.unit_id),
      seesWholeCorp: a.role === 'hq_admin' && (await isRootUnit(cdb, a.unit_id)),
      staffId: a.role === 'staff' ? a.staff_id : null,
    };
    const at = new Date(now.getTime() - hoursAgo * HOUR);
    const clock: Clock = { now: () => at };
    return { ...base, clock, actor, address };
  };
  let done = 0;

  // 王芳 at the counter: a customer she follows gives their number
  const wangfang = await as('wangfang', 50, '203.0.113.24');
  const atCounter = await cdb.db
    .selectFrom('customers as c')
    .innerJoin('follows as f', (j) =>
      j.onRef('f.corp_id', '=', 'c.corp_id').onRef('f.customer_id', '=', 'c.id'),
    )
    .select(['c.id', 'c.phone_cipher'])
    .where('c.corp_id', '=', corpId)
    .where('f.staff_id', '=', wangfang.actor.staffId)
    .where('f.status', '=', 'active')
    .where('c.phone_cipher', 'is not', null)
    .orderBy('c.id')
    .limit(1)
    .executeTakeFirst();
  if (atCounter?.phone_cipher) {
    await listCustomers(wangfang, { q: pii.decrypt(atCounter.phone_cipher), limit: 20 });
    done++;
  }

  // her manager exports the store's dormant customers for a win-back campaign
  await exportCustomers(await as('sh-jingan', 27, '203.0.113.24'), { stage: 'dormant' }, 'xlsx');
  done++;

  // 王芳 marks three of her customers 少糖 at once
  const tagged = await as('wangfang', 26, '203.0.113.24');
  const lessSugar = await cdb.db
    .selectFrom('tags as t')
    .innerJoin('tag_groups as g', (j) =>
      j.onRef('g.corp_id', '=', 't.corp_id').onRef('g.id', '=', 't.group_id'),
    )
    .select('t.id')
    .where('t.corp_id', '=', corpId)
    .where('g.name', '=', '口味偏好')
    .where('t.name', '=', '少糖')
    .executeTakeFirst();
  const hers = await cdb.db
    .selectFrom('follows')
    .select('customer_id')
    .distinct()
    .where('corp_id', '=', corpId)
    .where('staff_id', '=', tagged.actor.staffId)
    .where('status', '=', 'active')
    .where('added_at', '<', new Date(tagged.clock.now().getTime() - 7 * 24 * HOUR))
    .orderBy('customer_id', 'desc')
    .limit(3)
    .execute();
  if (lessSugar && hers.length) {
    await startTagJob(tagged, deps, {
      customerIds: hers.map((f) => f.customer_id),
      add: [lessSugar.id],
      remove: [],
    });
    done++;
  }

  // HQ takes a segment to the CRM team
  const admin = await as('admin', 3, '198.51.100.7');
  const segment = await cdb.db
    .selectFrom('segments')
    .select('id')
    .where('corp_id', '=', corpId)
    .where('name', '=', '沉睡高价值')
    .executeTakeFirst();
  if (segment) {
    await exportSegmentMembers(admin, segment.id, 'csv');
    done++;
  }
  return done;
}
