import type { SyncCtx } from '../context.ts';
import { addTimeline, type TimelineEntry } from './timeline.ts';

/** A customer WeCom moved from one member to another (离职继承 or 在职转接), once WeCom says it is done. */
export interface FollowTransfer {
  customerId: number;
  fromStaffId: number;
  toStaffId: number;
  kind: 'resigned' | 'onjob';
  at: Date;
  /** The account that asked for the transfer, named on the timeline. */
  accountId?: number | null;
}

/**
 * Carries a done transfer over in Siyu: the previous member's follow ends `transferred` (kept, so the
 * previous owner stays in the history and the customer stays visible to that store's managers), the new
 * member's follow starts with the same remark and description (WeCom's add_way 202, assigned by the admin),
 * and the timeline says who it went from and to. The customer's tags are the customer's, so they stay.
 * Idempotent: a transfer carried over twice changes nothing the second time.
 */
export async function carryOverTransfers(ctx: SyncCtx, items: readonly FollowTransfer[]): Promise<number> {
  if (items.length === 0) return 0;
  return ctx.cdb.transaction(async (tx) => {
    const staffIds = [...new Set(items.flatMap((i) => [i.fromStaffId, i.toStaffId]))];
    const staff = await tx.db
      .selectFrom('staff')
      .select(['id', 'name', 'journey_role'])
      .where('corp_id', '=', tx.corpId)
      .where('id', 'in', staffIds)
      .execute();
    const staffBy = new Map(staff.map((s) => [s.id, s]));
    const timeline: TimelineEntry[] = [];
    for (const item of items) {
      const to = staffBy.get(item.toStaffId);
      const from = staffBy.get(item.fromStaffId);
      if (!to || !from) continue;
      const old = await tx.db
        .selectFrom('follows')
        .select(['id', 'status', 'remark', 'description', 'state'])
        .where('corp_id', '=', tx.corpId)
        .where('customer_id', '=', item.customerId)
        .where('staff_id', '=', item.fromStaffId)
        .executeTakeFirst();
      const current = await tx.db
        .selectFrom('follows')
        .select(['id', 'status'])
        .where('corp_id', '=', tx.corpId)
        .where('customer_id', '=', item.customerId)
        .where('staff_id', '=', item.toStaffId)
        .executeTakeFirst();
      if (old?.status === 'transferred' && current?.status === 'active') continue; // carried over already
      // an on-job transfer's DELETE_BY_TRANSFER callback may have ended the old follow first
      if (old && old.status !== 'deleted_by_customer') {
        await tx.db
          .updateTable('follows')
          .set({ status: 'transferred', ended_at: item.at })
          .where('corp_id', '=', tx.corpId)
          .where('id', '=', old.id)
          .execute();
      }
      if (current) {
        if (current.status !== 'active') {
          await tx.db
            .updateTable('follows')
            .set({ status: 'active', ended_at: null, added_at: item.at, add_way: 202 })
            .where('corp_id', '=', tx.corpId)
            .where('id', '=', current.id)
            .execute();
        }
      } else {
        await tx.db
          .insertInto('follows')
          .values({
            corp_id: tx.corpId,
            customer_id: item.customerId,
            staff_id: item.toStaffId,
            journey_role: to.journey_role,
            remark: old?.remark ?? null,
            description: old?.description ?? null,
            state: old?.state ?? null,
            add_way: 202,
            status: 'active',
            added_at: item.at,
          })
          .execute();
      }
      timeline.push({
        customerId: item.customerId,
        kind: 'transferred',
        at: item.at,
        staffId: item.toStaffId,
        accountId: item.accountId ?? null,
        summary: `${item.kind === 'resigned' ? '离职继承' : '在职转接'}：客户由 ${from.name} 转给 ${to.name}`,
        data: {
          kind: item.kind,
          fromStaffId: from.id,
          fromName: from.name,
          toStaffId: to.id,
          toName: to.name,
        },
      });
    }
    await addTimeline(tx, timeline);
    return timeline.length;
  });
}
