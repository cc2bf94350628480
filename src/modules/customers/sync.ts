import { maskPhone, normalizePhone } from '../../platform/pii.ts';
import type { SyncCtx } from '../context.ts';
import { namePinyin, searchText } from './rules.ts';
import { addTimeline, type TimelineEntry } from './timeline.ts';

/** A customer as WeCom's externalcontact/get describes them (the fields Siyu keeps). */
export interface WecomContact {
  external_userid: string;
  name: string;
  avatar?: string;
  gender?: number;
  unionid?: string;
  type?: number;
}

/** One follow_user / follow_info entry: a member's relationship with the customer. */
export interface WecomFollow {
  userid: string;
  remark?: string;
  description?: string;
  createtime?: number;
  add_way?: number;
  state?: string;
  remark_mobiles?: string[];
  /** Corp tag ids on this follow (personal tags have none and are not kept). */
  tagIds: string[];
}

export interface UpsertResult {
  customerId: number;
  created: boolean;
  /** userids whose follow was new or came back (a customer re-adding a member). */
  addedFollows: string[];
}

/**
 * Brings one customer in line with what WeCom says: the customer row, every listed follow, and the corp
 * tags across those follows. Staff must exist already (unknown userids are skipped and reported by the
 * caller's staff sync). With `complete`, follows is every follow the customer has: one missing from the
 * list is ended and tags not on any listed follow are removed. Idempotent: the same input twice changes nothing
 * the second time.
 */
export async function upsertCustomerFromWecom(
  ctx: SyncCtx,
  contact: WecomContact,
  follows: WecomFollow[],
  opts: { complete: boolean; at: Date },
): Promise<UpsertResult> {
  const { cdb, clock, pii } = ctx;
  return cdb.transaction(async (tx) => {
    const db = tx.db;
    const now = clock.now();
    const existing = await db
      .selectFrom('customers')
      .select(['id', 'phone_hash', 'phone_masked'])
      .where('corp_id', '=', tx.corpId)
      .where('external_userid', '=', contact.external_userid)
      .executeTakeFirst();
    const phone = follows
      .flatMap((f) => f.remark_mobiles ?? [])
      .map(normalizePhone)
      .find((p) => /^1\d{10}$/.test(p));
    const phoneCols =
      phone && (!existing || existing.phone_hash !== pii.hash(phone))
        ? { phone_cipher: pii.encrypt(phone), phone_hash: pii.hash(phone), phone_masked: maskPhone(phone) }
        : {};
    const base = {
      name: contact.name,
      name_pinyin: namePinyin(contact.name),
      avatar: contact.avatar || null,
      gender: contact.gender ?? 0,
      unionid: contact.unionid || null,
      customer_type: contact.type ?? 1,
      updated_at: now,
      ...phoneCols,
    };
    const customerId = existing
      ? (
          await db
            .updateTable('customers')
            .set(base)
            .where('corp_id', '=', tx.corpId)
            .where('id', '=', existing.id)
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id
      : (
          await db
            .insertInto('customers')
            .values({
              corp_id: tx.corpId,
              external_userid: contact.external_userid,
              phone_cipher: null,
              phone_hash: null,
              phone_masked: null,
              first_added_at: null,
              ...base,
            })
            .returning('id')
            .executeTakeFirstOrThrow()
        ).id;

    const userids = follows.map((f) => f.userid);
    const staff = userids.length
      ? await db
          .selectFrom('staff')
          .select(['id', 'userid', 'name', 'journey_role'])
          .where('corp_id', '=', tx.corpId)
          .where('userid', 'in', userids)
          .execute()
      : [];
    const staffBy = new Map(staff.map((s) => [s.userid, s]));
    const current = await db
      .selectFrom('follows')
      .select(['id', 'staff_id', 'status', 'remark', 'description'])
      .where('corp_id', '=', tx.corpId)
      .where('customer_id', '=', customerId)
      .execute();
    const currentBy = new Map(current.map((f) => [f.staff_id, f]));
    const timeline: TimelineEntry[] = [];
    const addedFollows: string[] = [];

    for (const f of follows) {
      const s = staffBy.get(f.userid);
      if (!s) continue;
      const addedAt = f.createtime ? new Date(f.createtime * 1000) : opts.at;
      const values = {
        remark: f.remark || null,
        description: f.description || null,
        add_way: f.add_way ?? 0,
        state: f.state || null,
        added_at: addedAt,
        status: 'active' as const,
        ended_at: null,
      };
      const had = currentBy.get(s.id);
      if (!had) {
        await db
          .insertInto('follows')
          .values({
            corp_id: tx.corpId,
            customer_id: customerId,
            staff_id: s.id,
            journey_role: s.journey_role,
            ...values,
          })
          .execute();
      } else {
        await db
          .updateTable('follows')
          .set(values)
          .where('corp_id', '=', tx.corpId)
          .where('id', '=', had.id)
          .execute();
      }
      if (had?.status !== 'active') {
        addedFollows.push(f.userid);
        timeline.push({
          customerId,
          kind: 'follow_added',
          at: addedAt,
          staffId: s.id,
          summary: `添加了 ${s.name}${f.state ? `（渠道 ${f.state}）` : ''}`,
          data: { userid: f.userid, add_way: f.add_way ?? 0, state: f.state ?? null },
        });
      } else if ((had.remark ?? null) !== values.remark || (had.description ?? null) !== values.description) {
        timeline.push({
          customerId,
          kind: 'follow_edited',
          at: opts.at,
          staffId: s.id,
          summary: `${s.name} 修改了备注：${values.remark ?? '（无）'}`,
          data: { remark: values.remark, description: values.description },
        });
      }
    }
    if (opts.complete) {
      const listed = new Set(follows.map((f) => staffBy.get(f.userid)?.id).filter((id) => id !== undefined));
      for (const f of current) {
        if (f.status === 'active' && !listed.has(f.staff_id)) {
          await db
            .updateTable('follows')
            .set({ status: 'deleted_by_staff', ended_at: opts.at })
            .where('corp_id', '=', tx.corpId)
            .where('id', '=', f.id)
            .execute();
        }
      }
    }

    timeline.push(...(await reconcileWecomTags(tx, customerId, follows, staffBy, opts)));
    await refreshDerived(tx, customerId);
    await addTimeline(tx, timeline);
    return { customerId, created: !existing, addedFollows };
  });
}

/**
 * The customer's WeCom corp tags become the union over the given follows (with `complete`), or gain the
 * follows' tags (without: other follows may hold the rest); Siyu-only tags stay either way.
 */
async function reconcileWecomTags(
  tx: SyncCtx['cdb'],
  customerId: number,
  follows: WecomFollow[],
  staffBy: Map<string, { id: number; name: string }>,
  { complete, at }: { complete: boolean; at: Date },
): Promise<TimelineEntry[]> {
  const db = tx.db;
  const wanted = new Map<string, number | null>();
  for (const f of follows)
    for (const t of f.tagIds) if (!wanted.has(t)) wanted.set(t, staffBy.get(f.userid)?.id ?? null);
  const have = await db
    .selectFrom('customer_tags as ct')
    .innerJoin('tags as t', (j) => j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'))
    .select(['t.id', 't.name', 't.wecom_tag_id'])
    .where('ct.corp_id', '=', tx.corpId)
    .where('ct.customer_id', '=', customerId)
    .where('t.wecom_tag_id', 'is not', null)
    .execute();
  const known = wanted.size
    ? await db
        .selectFrom('tags')
        .select(['id', 'name', 'wecom_tag_id'])
        .where('corp_id', '=', tx.corpId)
        .where('wecom_tag_id', 'in', [...wanted.keys()])
        .execute()
    : [];
  const out: TimelineEntry[] = [];
  const haveIds = new Set(have.map((h) => h.wecom_tag_id));
  const toAdd = known.filter((k) => !haveIds.has(k.wecom_tag_id));
  if (toAdd.length) {
    await db
      .insertInto('customer_tags')
      .values(
        toAdd.map((k) => ({
          corp_id: tx.corpId,
          customer_id: customerId,
          tag_id: k.id,
          staff_id: wanted.get(k.wecom_tag_id!) ?? null,
          tagged_at: at,
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
    for (const k of toAdd) {
      out.push({
        customerId,
        kind: 'tag_added',
        at,
        staffId: wanted.get(k.wecom_tag_id!) ?? null,
        summary: `打上标签「${k.name}」（企业微信）`,
        data: { tagId: k.id, source: 'wecom' },
      });
    }
  }
  const toRemove = complete ? have.filter((h) => !wanted.has(h.wecom_tag_id!)) : [];
  if (toRemove.length) {
    await db
      .deleteFrom('customer_tags')
      .where('corp_id', '=', tx.corpId)
      .where('customer_id', '=', customerId)
      .where(
        'tag_id',
        'in',
        toRemove.map((h) => h.id),
      )
      .execute();
    for (const h of toRemove) {
      out.push({
        customerId,
        kind: 'tag_removed',
        at,
        summary: `移除标签「${h.name}」（企业微信）`,
        data: { tagId: h.id, source: 'wecom' },
      });
    }
  }
  return out;
}

/** search_text and first_added_at follow from the customer's name, follows and phone. */
export async function refreshDerived(tx: SyncCtx['cdb'], customerId: number): Promise<void> {
  const db = tx.db;
  const c = await db
    .selectFrom('customers')
    .select(['name', 'phone_masked'])
    .where('corp_id', '=', tx.corpId)
    .where('id', '=', customerId)
    .executeTakeFirstOrThrow();
  const follows = await db
    .selectFrom('follows')
    .select(['remark', 'added_at'])
    .where('corp_id', '=', tx.corpId)
    .where('customer_id', '=', customerId)
    .execute();
  const first = follows.reduce<Date | null>((m, f) => (!m || f.added_at < m ? f.added_at : m), null);
  await db
    .updateTable('customers')
    .set({
      search_text: searchText({
        name: c.name,
        remarks: follows.map((f) => f.remark),
        phoneMasked: c.phone_masked,
      }),
      first_added_at: first,
    })
    .where('corp_id', '=', tx.corpId)
    .where('id', '=', customerId)
    .execute();
}

/** A follow ended: the customer deleted the member, or the member deleted the customer. */
export async function endFollowFromWecom(
  ctx: SyncCtx,
  input: { externalUserid: string; userid: string; by: 'customer' | 'staff'; at: Date; source?: string },
): Promise<boolean> {
  const { cdb } = ctx;
  return cdb.transaction(async (tx) => {
    const row = await tx.db
      .selectFrom('follows as f')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
      )
      .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
      .select(['f.id', 'f.status', 'f.customer_id', 's.id as staff_id', 's.name as staff_name'])
      .where('f.corp_id', '=', tx.corpId)
      .where('c.external_userid', '=', input.externalUserid)
      .where('s.userid', '=', input.userid)
      .executeTakeFirst();
    if (row?.status !== 'active') return false;
    const status = input.by === 'customer' ? 'deleted_by_customer' : 'deleted_by_staff';
    await tx.db
      .updateTable('follows')
      .set({ status, ended_at: input.at })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', row.id)
      .execute();
    await addTimeline(tx, [
      {
        customerId: row.customer_id,
        kind: input.by === 'customer' ? 'follow_deleted_by_customer' : 'follow_deleted_by_staff',
        at: input.at,
        staffId: row.staff_id,
        summary:
          input.by === 'customer'
            ? `客户删除了 ${row.staff_name}`
            : `${row.staff_name} 删除了客户${input.source === 'DELETE_BY_TRANSFER' ? '（在职转接）' : ''}`,
        data: { userid: input.userid, source: input.source ?? null },
      },
    ]);
    return true;
  });
}

export async function customerIdByExternalUserid(
  ctx: SyncCtx,
  externalUserid: string,
): Promise<number | null> {
  const row = await ctx.cdb.db
    .selectFrom('customers')
    .select('id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('external_userid', '=', externalUserid)
    .executeTakeFirst();
  return row?.id ?? null;
}
