import type { Kysely } from 'kysely';
import { hashPassword } from '../modules/accounts/passwords.ts';
import { namePinyin, searchText } from '../modules/customers/rules.ts';
import type { Tables } from '../modules/tables.ts';
import type { Actor } from '../platform/actor.ts';
import { createPii, maskPhone } from '../platform/pii.ts';

export const TEST_KEY = 'ab'.repeat(32);
export const PASSWORD = 'correct horse';
export const pii = createPii(TEST_KEY);

/**
 * A small brand with known answers: HQ → east (store sh1, store sh2) and south (store gz1); one staff per
 * store plus an HQ online-ops member; customers that belong to one store, to two stores, and to HQ only.
 * A second brand `other` exists to prove isolation.
 */
export interface Fixture {
  units: Record<'hq' | 'east' | 'south' | 'sh1' | 'sh2' | 'gz1', number>;
  staff: Record<'ops' | 'sh1a' | 'sh1b' | 'sh2a' | 'gz1a', number>;
  customers: Record<'wang' | 'li' | 'zhao' | 'both' | 'hqonly', number>;
  tags: Record<'vip' | 'fruit', number>;
  otherCustomer: number;
  logins: Record<'admin' | 'east' | 'sh1' | 'sh2' | 'gz1' | 'sh1a', string>;
}

/** A caller of the fixture's brand 'acme' in a role, seeing these units (the first is their own). */
export function actorOf(role: Actor['role'], unitIds: number[], staffId: number | null = null): Actor {
  return {
    corpId: 'acme',
    accountId: 1,
    role,
    unitId: unitIds[0]!,
    seesWholeCorp: role === 'hq_admin',
    unitIds,
    staffId,
  };
}

export async function seedFixture(db: Kysely<Tables>): Promise<Fixture> {
  const hash = await hashPassword(PASSWORD);
  const now = new Date('2026-06-01T08:00:00Z');

  async function corp(corpId: string, name: string) {
    await db
      .insertInto('corps')
      .values({ corp_id: corpId, name, wecom_corp_id: null, business_type: null })
      .execute();
  }
  async function unit(
    corpId: string,
    kind: 'hq' | 'region' | 'store',
    name: string,
    code: string,
    parent?: number,
  ) {
    const parentPath = parent
      ? (
          await db
            .selectFrom('org_units')
            .select('path')
            .where('corp_id', '=', corpId)
            .where('id', '=', parent)
            .executeTakeFirstOrThrow()
        ).path
      : '/';
    const { id } = await db
      .insertInto('org_units')
      .values({ corp_id: corpId, kind, name, code, parent_id: parent ?? null, path: '' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .updateTable('org_units')
      .set({ path: `${parentPath}${id}/` })
      .where('corp_id', '=', corpId)
      .where('id', '=', id)
      .execute();
    return id;
  }
  async function staff(
    corpId: string,
    userid: string,
    name: string,
    unitId: number,
    role: 'online_ops' | 'store_staff',
  ) {
    const { id } = await db
      .insertInto('staff')
      .values({
        corp_id: corpId,
        userid,
        name,
        unit_id: unitId,
        persona: role === 'online_ops' ? 'brand' : 'sales',
        persona_name: role === 'online_ops' ? '小禾' : null,
        journey_role: role,
        title: role === 'online_ops' ? '线上运营' : '导购',
        mobile_masked: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return id;
  }
  async function account(
    corpId: string,
    username: string,
    role: Tables['accounts']['role'],
    unitId: number,
    staffId?: number,
  ) {
    await db
      .insertInto('accounts')
      .values({
        corp_id: corpId,
        username,
        display_name: username,
        password_hash: hash,
        role,
        unit_id: unitId,
        staff_id: staffId ?? null,
      })
      .execute();
    return `${username}@${corpId}`;
  }
  async function customer(
    corpId: string,
    externalUserid: string,
    name: string,
    phone: string | null,
    follows: { staffId: number; remark?: string; role: string }[],
  ) {
    const phoneMasked = phone ? maskPhone(phone) : null;
    const pinyin = namePinyin(name);
    const { id } = await db
      .insertInto('customers')
      .values({
        corp_id: corpId,
        external_userid: externalUserid,
        unionid: null,
        name,
        name_pinyin: pinyin,
        avatar: null,
        phone_cipher: phone ? pii.encrypt(phone) : null,
        phone_hash: phone ? pii.hash(phone) : null,
        phone_masked: phoneMasked,
        search_text: searchText({
          name,
          namePinyin: pinyin,
          remarks: follows.map((f) => f.remark ?? null),
          phoneMasked,
        }),
        first_added_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (const f of follows) {
      await db
        .insertInto('follows')
        .values({
          corp_id: corpId,
          customer_id: id,
          staff_id: f.staffId,
          remark: f.remark ?? null,
          description: null,
          state: 'ch_test',
          journey_role: f.role,
          added_at: now,
          ended_at: null,
        })
        .execute();
      await db
        .insertInto('customer_events')
        .values({
          corp_id: corpId,
          customer_id: id,
          at: now,
          kind: 'follow_added',
          staff_id: f.staffId,
          summary: '添加好友',
        })
        .execute();
    }
    return id;
  }

  await corp('acme', '测试品牌');
  const hq = await unit('acme', 'hq', '总部', 'hq');
  const east = await unit('acme', 'region', '华东大区', 'east', hq);
  const south = await unit('acme', 'region', '华南大区', 'south', hq);
  const sh1 = await unit('acme', 'store', '上海一店', 'sh1', east);
  const sh2 = await unit('acme', 'store', '上海二店', 'sh2', east);
  const gz1 = await unit('acme', 'store', '广州一店', 'gz1', south);

  const ops = await staff('acme', 'ops1', '运营小禾', hq, 'online_ops');
  const sh1a = await staff('acme', 'sh1a', '张丽', sh1, 'store_staff');
  const sh1b = await staff('acme', 'sh1b', '陈静', sh1, 'store_staff');
  const sh2a = await staff('acme', 'sh2a', '刘洋', sh2, 'store_staff');
  const gz1a = await staff('acme', 'gz1a', '黄敏', gz1, 'store_staff');

  const wang = await customer('acme', 'wm_wang', '王芳', '13812345678', [
    { staffId: sh1a, remark: '王女士 爱喝果茶', role: 'store_staff' },
  ]);
  const li = await customer('acme', 'wm_li', '李娜', null, [{ staffId: sh1b, role: 'store_staff' }]);
  const zhao = await customer('acme', 'wm_zhao', '赵磊', '13900001111', [
    { staffId: gz1a, remark: '老客户', role: 'store_staff' },
  ]);
  const both = await customer('acme', 'wm_both', '孙悦', null, [
    { staffId: sh2a, role: 'store_staff' },
    { staffId: ops, remark: '线上咨询', role: 'online_ops' },
  ]);
  const hqonly = await customer('acme', 'wm_hq', '周杰', null, [{ staffId: ops, role: 'online_ops' }]);

  const { id: group } = await db
    .insertInto('tag_groups')
    .values({ corp_id: 'acme', name: '会员', wecom_group_id: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: opsGroup } = await db
    .insertInto('tag_groups')
    .values({ corp_id: 'acme', name: '客户来源', wecom_group_id: null, audience: 'ops' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: vip } = await db
    .insertInto('tags')
    .values({ corp_id: 'acme', group_id: group, name: 'VIP', wecom_tag_id: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  const { id: fruit } = await db
    .insertInto('tags')
    .values({ corp_id: 'acme', group_id: opsGroup, name: '包裹卡', wecom_tag_id: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('customer_tags')
    .values([
      { corp_id: 'acme', customer_id: wang, tag_id: vip, staff_id: sh1a, tagged_at: now },
      { corp_id: 'acme', customer_id: zhao, tag_id: vip, staff_id: gz1a, tagged_at: now },
      { corp_id: 'acme', customer_id: both, tag_id: fruit, staff_id: ops, tagged_at: now },
    ])
    .execute();

  const logins = {
    admin: await account('acme', 'admin', 'hq_admin', hq),
    east: await account('acme', 'east', 'region_manager', east),
    sh1: await account('acme', 'sh1', 'store_manager', sh1),
    sh2: await account('acme', 'sh2', 'store_manager', sh2),
    gz1: await account('acme', 'gz1', 'store_manager', gz1),
    sh1a: await account('acme', 'sh1a', 'staff', sh1, sh1a),
  };

  await corp('other', '另一个品牌');
  const otherHq = await unit('other', 'hq', '总部', 'hq');
  const otherStaff = await staff('other', 'sh1a', '王芳的导购', otherHq, 'store_staff');
  const otherCustomer = await customer('other', 'wm_wang', '王芳', '13812345678', [
    { staffId: otherStaff, role: 'store_staff' },
  ]);
  await account('other', 'admin', 'hq_admin', otherHq);

  return {
    units: { hq, east, south, sh1, sh2, gz1 },
    staff: { ops, sh1a, sh1b, sh2a, gz1a },
    customers: { wang, li, zhao, both, hqonly },
    tags: { vip, fruit },
    otherCustomer,
    logins,
  };
}
