import { sql } from 'kysely';
import { setLinkage } from '../modules/channels/index.ts';
import { type Ctx, syncCtxOf } from '../modules/context.ts';
import { createGroupCode, setRoutingRules } from '../modules/groups/index.ts';
import { subtreeUnitIds } from '../modules/org/index.ts';
import type { Runtime } from '../runtime.ts';

/** Each store's group welcome: the joiner's nickname is filled in by WeCom. */
const WELCOME = '欢迎{客户昵称}加入{群名}！{门店}每周三会员日第二杯半价，群里每周五下午 3 点发限量券～';

/**
 * The demo brand's groups as its operators set them up: types (福利群 → welfare, 新客群 → new customers),
 * a group code per group that rotates when it fills (auto-created rooms named like the group), the brand's
 * routing rules with 杭州西湖店's own, and the east region's stores on friend-then-group so that today's
 * adds there are welcomed with the right group's QR. Runs before today's customers arrive; a few dozen
 * statements and one WeCom call per code.
 */
export async function createDemoGroups(
  runtime: Runtime,
  corpId: string,
): Promise<{ codes: number; typed: number }> {
  const base = syncCtxOf(runtime.deps, corpId);
  const { cdb } = base;
  const root = await cdb.db
    .selectFrom('org_units')
    .select('id')
    .where('corp_id', '=', corpId)
    .where('parent_id', 'is', null)
    .executeTakeFirstOrThrow();
  const admin = await cdb.db
    .selectFrom('accounts')
    .select('id')
    .where('corp_id', '=', corpId)
    .where('role', '=', 'hq_admin')
    .orderBy('id')
    .executeTakeFirstOrThrow();
  const ctx: Ctx = {
    ...base,
    actor: {
      corpId,
      accountId: admin.id,
      role: 'hq_admin',
      unitId: root.id,
      unitIds: await subtreeUnitIds(cdb, root.id),
      seesWholeCorp: true,
      staffId: null,
    },
  };
  const typed = await sql`
    update groups set type = case when name like '%福利群%' then 'welfare' when name like '%新客群%' then 'new_customer' end
    where corp_id = ${corpId} and status = 'active' and (name like '%福利群%' or name like '%新客群%')`.execute(
    cdb.db,
  );

  const groups = await cdb.db
    .selectFrom('groups as g')
    .innerJoin('staff as s', (j) =>
      j.onRef('s.corp_id', '=', 'g.corp_id').onRef('s.id', '=', 'g.owner_staff_id'),
    )
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
    )
    .select(['g.id', 'g.name', 'u.id as unit_id', 'u.code as unit_code', 'u.kind'])
    .where('g.corp_id', '=', corpId)
    .where('g.status', '=', 'active')
    .where('u.kind', '=', 'store')
    .orderBy('g.id')
    .execute();
  for (const g of groups) {
    await createGroupCode(ctx, {
      unitId: g.unit_id,
      name: `${g.name}活码`.slice(0, 30),
      groupIds: [g.id],
      roomBaseName: g.name,
      roomBaseId: 2,
      autoCreate: true,
      welcomeText: WELCOME,
    });
  }

  // The brand's order; 杭州西湖店 (many tourists) puts first visits before the store they buy from most.
  await setRoutingRules(ctx, root.id, [
    { kind: 'top_store' },
    { kind: 'coupon_heavy', groupType: 'welfare' },
    { kind: 'first_visit', groupType: 'new_customer' },
    { kind: 'default', groupType: 'welfare' },
  ]);
  const stores = await cdb.db
    .selectFrom('org_units as u')
    .innerJoin('org_units as r', (j) =>
      j.onRef('r.corp_id', '=', 'u.corp_id').onRef('r.id', '=', 'u.parent_id'),
    )
    .select(['u.id', 'u.code', 'r.code as region'])
    .where('u.corp_id', '=', corpId)
    .where('u.kind', '=', 'store')
    .execute();
  const hz = stores.find((s) => s.code === 'hz-xihu');
  if (hz) {
    await setRoutingRules(ctx, hz.id, [
      { kind: 'first_visit', groupType: 'new_customer' },
      { kind: 'top_store' },
      { kind: 'default', groupType: 'welfare' },
    ]);
  }
  for (const s of stores.filter((x) => x.region === 'east')) {
    await setLinkage(ctx, s.id, { linkage: 'friend_then_group', addsModel: 'journey' });
  }
  runtime.deps.wake.outbox();
  await runtime.sender.drain();
  return { codes: groups.length, typed: Number(typed.numAffectedRows ?? 0) };
}
