import type { SyncCtx } from '../context.ts';
import { addTimeline, type TimelineEntry } from '../customers/index.ts';
import { rotateCodesFor } from './codes.ts';

/** groupchat/get's group_chat (the fields Siyu keeps). Member type 1 is a corp member, 2 a customer. */
export interface WecomGroupChat {
  chat_id: string;
  name?: string;
  owner?: string;
  create_time?: number;
  notice?: string;
  member_version?: string;
  member_list?: {
    userid: string;
    type: number;
    unionid?: string;
    join_time?: number;
    join_scene?: number;
    invitor?: { userid?: string };
    group_nickname?: string;
    name?: string;
    state?: string;
  }[];
}

const JOIN_SCENES: Record<number, string> = { 1: '直接邀请', 2: '邀请链接', 3: '扫描群二维码' };

/**
 * Brings one group and its membership in line with groupchat/get: members who appeared join, members who
 * are gone leave (kept with left_at), and each customer's timeline says so. Idempotent.
 */
export async function upsertGroupFromWecom(
  ctx: SyncCtx,
  chat: WecomGroupChat,
  at: Date,
): Promise<{ groupId: number }> {
  return ctx.cdb.transaction(async (tx) => {
    const db = tx.db;
    const corp_id = tx.corpId;
    const members = chat.member_list ?? [];
    const owner = chat.owner
      ? await db
          .selectFrom('staff')
          .select('id')
          .where('corp_id', '=', corp_id)
          .where('userid', '=', chat.owner)
          .executeTakeFirst()
      : undefined;
    const values = {
      name: chat.name ?? '',
      owner_userid: chat.owner ?? null,
      owner_staff_id: owner?.id ?? null,
      notice: chat.notice ?? null,
      member_version: chat.member_version ?? null,
      member_count: members.length,
      customer_count: members.filter((m) => m.type === 2).length,
      status: 'active' as const,
      dismissed_at: null,
      created_at_wecom: chat.create_time ? new Date(chat.create_time * 1000) : null,
      synced_at: at,
    };
    const { id: groupId } = await db
      .insertInto('groups')
      .values({ corp_id, chat_id: chat.chat_id, ...values })
      .onConflict((oc) => oc.columns(['corp_id', 'chat_id']).doUpdateSet(values))
      .returning('id')
      .executeTakeFirstOrThrow();

    const current = await db
      .selectFrom('group_members')
      .select(['member_key', 'left_at', 'customer_id'])
      .where('corp_id', '=', corp_id)
      .where('group_id', '=', groupId)
      .execute();
    const currentBy = new Map(current.map((m) => [m.member_key, m]));
    const externalIds = members.filter((m) => m.type === 2).map((m) => m.userid);
    const userids = members.filter((m) => m.type === 1).map((m) => m.userid);
    const customers = externalIds.length
      ? await db
          .selectFrom('customers')
          .select(['id', 'external_userid'])
          .where('corp_id', '=', corp_id)
          .where('external_userid', 'in', externalIds)
          .execute()
      : [];
    const staff = userids.length
      ? await db
          .selectFrom('staff')
          .select(['id', 'userid'])
          .where('corp_id', '=', corp_id)
          .where('userid', 'in', userids)
          .execute()
      : [];
    const customerOf = new Map(customers.map((c) => [c.external_userid, c.id]));
    const staffOf = new Map(staff.map((s) => [s.userid, s.id]));
    const timeline: TimelineEntry[] = [];
    const groupName = chat.name || chat.chat_id;

    for (const m of members) {
      const had = currentBy.get(m.userid);
      const row = {
        member_type: m.type === 1 ? 1 : 2,
        customer_id: m.type === 2 ? (customerOf.get(m.userid) ?? null) : null,
        staff_id: m.type === 1 ? (staffOf.get(m.userid) ?? null) : null,
        unionid: m.unionid || null,
        display_name: m.group_nickname || m.name || null,
        join_time: m.join_time ? new Date(m.join_time * 1000) : null,
        join_scene: m.join_scene ?? null,
        invitor_userid: m.invitor?.userid ?? null,
        state: m.state || null,
        left_at: null,
      };
      await db
        .insertInto('group_members')
        .values({ corp_id, group_id: groupId, member_key: m.userid, ...row })
        .onConflict((oc) => oc.columns(['corp_id', 'group_id', 'member_key']).doUpdateSet(row))
        .execute();
      if ((!had || had.left_at) && row.customer_id) {
        timeline.push({
          customerId: row.customer_id,
          kind: 'group_joined',
          at: row.join_time ?? at,
          summary: `加入客户群「${groupName}」${m.join_scene ? `（${JOIN_SCENES[m.join_scene] ?? '其他方式'}）` : ''}`,
          data: { chatId: chat.chat_id, groupName, joinScene: m.join_scene ?? null },
        });
      }
    }
    const present = new Set(members.map((m) => m.userid));
    const gone = current.filter((m) => !m.left_at && !present.has(m.member_key));
    if (gone.length) {
      await db
        .updateTable('group_members')
        .set({ left_at: at })
        .where('corp_id', '=', corp_id)
        .where('group_id', '=', groupId)
        .where(
          'member_key',
          'in',
          gone.map((m) => m.member_key),
        )
        .execute();
      for (const m of gone) {
        if (m.customer_id) {
          timeline.push({
            customerId: m.customer_id,
            kind: 'group_left',
            at,
            summary: `离开客户群「${groupName}」`,
            data: { chatId: chat.chat_id, groupName },
          });
        }
      }
    }
    await addTimeline(tx, timeline);
    await rotateCodesFor({ ...ctx, cdb: tx }, groupId);
    return { groupId };
  });
}

/** The owner dismissed the group: it is kept, marked dismissed, and its members have left. */
export async function dismissGroupFromWecom(ctx: SyncCtx, chatId: string, at: Date): Promise<boolean> {
  return ctx.cdb.transaction(async (tx) => {
    const group = await tx.db
      .updateTable('groups')
      .set({ status: 'dismissed', dismissed_at: at, synced_at: at })
      .where('corp_id', '=', tx.corpId)
      .where('chat_id', '=', chatId)
      .where('status', '=', 'active')
      .returning(['id', 'name'])
      .executeTakeFirst();
    if (!group) return false;
    await rotateCodesFor({ ...ctx, cdb: tx }, group.id);
    const left = await tx.db
      .updateTable('group_members')
      .set({ left_at: at })
      .where('corp_id', '=', tx.corpId)
      .where('group_id', '=', group.id)
      .where('left_at', 'is', null)
      .returning('customer_id')
      .execute();
    await addTimeline(
      tx,
      left
        .filter((m) => m.customer_id !== null)
        .map((m) => ({
          customerId: m.customer_id!,
          kind: 'group_left' as const,
          at,
          summary: `客户群「${group.name || chatId}」已解散`,
          data: { chatId, groupName: group.name || chatId, dismissed: true },
        })),
    );
    return true;
  });
}
