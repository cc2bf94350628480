import { type Insertable, sql } from 'kysely';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import { maskPhone, normalizePhone } from '../../platform/pii.ts';
import { REMARK } from '../../wecom/paths.ts';
import { publish, type SyncCtx } from '../context.ts';
import type { ContactAdded, CustomerMirrored, FollowEnded } from '../events.ts';
import type { Tables } from '../tables.ts';
import { pendingTagMarks } from './customer-tags.ts';
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

/** A member as the mirror needs them; a caller that has looked them up already passes them in `staff`. */
export interface StaffRef {
  id: number;
  userid: string;
  name: string;
  journey_role: Tables['staff']['journey_role'];
}

export interface UpsertResult {
  customerId: number;
  created: boolean;
  /** userids whose follow was new or came back (a customer re-adding a member). */
  addedFollows: string[];
  /** Of those, the adds a full sync recovered (see UpsertOptions.recover). */
  recovered: string[];
}

export interface UpsertOptions {
  complete: boolean;
  at: Date;
  staff?: Map<string, StaffRef>;
  /** The full sync run listing these follows: stamped on them (see endFollowsMissingFromSync). */
  syncRun?: number;
  /**
   * The WeCom add (add_external_contact) that made this mirror: when it made the member's follow new, the add
   * is published (ContactAdded) in the mirror's transaction, with the code's state and the welcome code.
   */
  add?: { userid: string; state: string | null; welcomeCode: string | null; eventAt: Date };
  /**
   * A full sync run: a follow new to Siyu (or back) that began in [since, before) is an add whose callback
   * Siyu missed while it listened (`since`: the brand's first completed sync began) and whose welcome window
   * has passed (`before`: now − 20 s; a younger one is left to its callback, which may be on its way). Each
   * is published as ContactAdded via `full_sync`, in the mirror's transaction, and marked on the timeline.
   */
  recover?: { run: number; since: Date; before: Date };
}

/**
 * Brings one customer in line with what WeCom says: the customer row, every listed follow, and the corp
 * tags across those follows. Staff must exist already (unknown userids are skipped and reported by the
 * caller's staff sync). With `complete`, follows is every follow the customer has: one missing from the
 * list is ended and tags not on any listed follow are removed. Idempotent: the same input twice changes
 * nothing the second time. Publishes CustomerMirrored (and ContactAdded, see `add`) in its transaction.
 */
export async function upsertCustomerFromWecom(
  ctx: SyncCtx,
  contact: WecomContact,
  follows: WecomFollow[],
  opts: UpsertOptions,
): Promise<UpsertResult> {
  const [result] = await upsertCustomersFromWecom(ctx, [{ contact, follows }], opts);
  return result!;
}

/**
 * The same for many customers in one transaction and a fixed number of statements (a full-sync page of
 * 100 follows is ~12 queries, not ~1,400). Entries for the same external_userid are merged.
 */
export async function upsertCustomersFromWecom(
  ctx: SyncCtx,
  entries: { contact: WecomContact; follows: WecomFollow[] }[],
  opts: UpsertOptions,
): Promise<UpsertResult[]> {
  const merged = new Map<string, { contact: WecomContact; follows: WecomFollow[] }>();
  for (const e of entries) {
    const had = merged.get(e.contact.external_userid);
    if (had) had.follows.push(...e.follows);
    else merged.set(e.contact.external_userid, { contact: e.contact, follows: [...e.follows] });
  }
  const items = [...merged.values()];
  if (items.length === 0) return [];
  const { cdb, clock, pii } = ctx;
  return cdb.transaction(async (tx) => {
    const db = tx.db;
    const corp_id = tx.corpId;
    const now = clock.now();
    const userids = [...new Set(items.flatMap((i) => i.follows.map((f) => f.userid)))];
    const staffBy = new Map(opts.staff);
    const unknown = userids.filter((u) => !staffBy.has(u));
    if (unknown.length) {
      const staff = await db
        .selectFrom('staff')
        .select(['id', 'userid', 'name', 'journey_role'])
        .where('corp_id', '=', corp_id)
        .where('userid', 'in', unknown)
        .execute();
      for (const s of staff) staffBy.set(s.userid, s);
    }
    const addedAtOf = (f: WecomFollow) => (f.createtime ? new Date(f.createtime * 1000) : opts.at);
    const rows = items.map(({ contact, follows }) => {
      const phone = follows
        .flatMap((f) => f.remark_mobiles ?? [])
        .map(normalizePhone)
        .find((p) => /^1\d{10}$/.test(p));
      const phoneMasked = phone ? maskPhone(phone) : null;
      // A new customer's follows are exactly these, so its derived columns are written with it; a known
      // customer's are refreshed after the follows (refreshDerived).
      const kept = follows.filter((f) => staffBy.has(f.userid));
      const pinyin = namePinyin(contact.name);
      const firstAdded = kept.map(addedAtOf).reduce<Date | null>((m, d) => (!m || d < m ? d : m), null);
      return {
        corp_id,
        external_userid: contact.external_userid,
        name: contact.name,
        name_pinyin: pinyin,
        avatar: contact.avatar || null,
        gender: contact.gender ?? 0,
        unionid: contact.unionid || null,
        customer_type: contact.type ?? 1,
        updated_at: now,
        phone_cipher: phone ? pii.encrypt(phone) : null,
        phone_hash: phone ? pii.hash(phone) : null,
        phone_masked: phoneMasked,
        search_text: searchText({
          name: contact.name,
          namePinyin: pinyin,
          remarks: kept.map((f) => f.remark || null),
          phoneMasked,
        }),
        first_added_at: firstAdded,
      };
    });
    const upserted = await db
      .insertInto('customers')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['corp_id', 'external_userid']).doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          name_pinyin: eb.ref('excluded.name_pinyin'),
          avatar: eb.ref('excluded.avatar'),
          gender: eb.ref('excluded.gender'),
          unionid: eb.ref('excluded.unionid'),
          customer_type: eb.ref('excluded.customer_type'),
          updated_at: eb.ref('excluded.updated_at'),
          // a phone is only replaced by a new one, never cleared by an entry that carries none; the same
          // number keeps its cipher (each encryption differs)
          phone_cipher: sql<string>`case when excluded.phone_hash is null
            or excluded.phone_hash = customers.phone_hash then customers.phone_cipher
            else excluded.phone_cipher end`,
          phone_hash: sql<string>`coalesce(excluded.phone_hash, customers.phone_hash)`,
          phone_masked: sql<string>`coalesce(excluded.phone_masked, customers.phone_masked)`,
        })),
      )
      // xmax is 0 on a row this statement inserted, set on one it updated
      .returning([
        'id',
        'external_userid',
        'unionid',
        'phone_hash',
        'name',
        'name_pinyin',
        'phone_masked',
        sql<boolean>`xmax = 0`.as('inserted'),
      ])
      .execute();
    const idOf = new Map(upserted.map((r) => [r.external_userid, r.id]));
    const insertedBy = new Map(upserted.map((r) => [r.id, r.inserted]));
    // Customers this statement inserted have no follows, tags or derived columns to read back.
    const known = upserted.filter((r) => !r.inserted);
    const knownIds = known.map((r) => r.id);
    const current = knownIds.length
      ? await db
          .selectFrom('follows')
          .select(['id', 'customer_id', 'staff_id', 'status', 'remark', 'description', 'added_at'])
          .where('corp_id', '=', corp_id)
          .where('customer_id', 'in', knownIds)
          .execute()
      : [];
    const currentBy = new Map(current.map((f) => [`${f.customer_id}:${f.staff_id}`, f]));

    const timeline: TimelineEntry[] = [];
    const results: UpsertResult[] = [];
    const followRows: Insertable<Tables['follows']>[] = [];
    for (const { contact, follows } of items) {
      const customerId = idOf.get(contact.external_userid)!;
      const addedFollows: string[] = [];
      const recovered: string[] = [];
      for (const f of follows) {
        const s = staffBy.get(f.userid);
        if (!s) continue;
        const addedAt = addedAtOf(f);
        const row = {
          corp_id,
          customer_id: customerId,
          staff_id: s.id,
          journey_role: s.journey_role,
          remark: f.remark || null,
          description: f.description || null,
          add_way: f.add_way ?? 0,
          state: f.state || null,
          added_at: addedAt,
          status: 'active' as const,
          ended_at: null,
          ...(opts.syncRun === undefined ? {} : { synced_run: opts.syncRun }),
        };
        const key = `${customerId}:${s.id}`;
        if (followRows.some((r) => `${r.customer_id}:${r.staff_id}` === key)) continue; // listed twice
        followRows.push(row);
        const had = currentBy.get(key);
        if (had?.status !== 'active') {
          addedFollows.push(f.userid);
          const { recover } = opts;
          const missed = recover !== undefined && addedAt >= recover.since && addedAt < recover.before;
          if (missed) recovered.push(f.userid);
          timeline.push({
            customerId,
            kind: 'follow_added',
            at: addedAt,
            staffId: s.id,
            summary: `添加了 ${s.name}${f.state ? `（渠道 ${f.state}）` : ''}${missed ? '（回调错过，全量同步补回）' : ''}`,
            data: {
              userid: f.userid,
              add_way: f.add_way ?? 0,
              state: f.state ?? null,
              ...(missed ? { recoveredBySync: recover.run } : {}),
            },
          });
        } else if ((had.remark ?? null) !== row.remark || (had.description ?? null) !== row.description) {
          timeline.push({
            customerId,
            kind: 'follow_edited',
            at: opts.at,
            staffId: s.id,
            summary: `${s.name} 修改了备注：${row.remark ?? '（无）'}`,
            data: { remark: row.remark, description: row.description },
          });
        }
      }
      results.push({ customerId, created: insertedBy.get(customerId) === true, addedFollows, recovered });
    }
    if (followRows.length) {
      await db
        .insertInto('follows')
        .values(followRows)
        .onConflict((oc) =>
          oc.columns(['corp_id', 'customer_id', 'staff_id']).doUpdateSet((eb) => ({
            remark: eb.ref('excluded.remark'),
            description: eb.ref('excluded.description'),
            add_way: eb.ref('excluded.add_way'),
            state: eb.ref('excluded.state'),
            added_at: eb.ref('excluded.added_at'),
            status: eb.ref('excluded.status'),
            ended_at: eb.ref('excluded.ended_at'),
            ...(opts.syncRun === undefined ? {} : { synced_run: eb.ref('excluded.synced_run') }),
          })),
        )
        .execute();
    }
    if (opts.complete) {
      const listed = new Set(followRows.map((r) => `${r.customer_id}:${r.staff_id}`));
      const ended = current.filter(
        (f) => f.status === 'active' && !listed.has(`${f.customer_id}:${f.staff_id}`),
      );
      if (ended.length) {
        await db
          .updateTable('follows')
          .set({ status: 'deleted_by_staff', ended_at: opts.at })
          .where('corp_id', '=', corp_id)
          .where(
            'id',
            'in',
            ended.map((f) => f.id),
          )
          .execute();
      }
    }

    timeline.push(...(await reconcileWecomTags(tx, items, idOf, new Set(knownIds), staffBy, opts)));
    // Every follow of these customers as it stands now: the ones just written, and the others as they were.
    const written = new Set(followRows.map((r) => `${r.customer_id}:${r.staff_id}`));
    await refreshDerived(tx, known, [
      ...followRows,
      ...current.filter((f) => !written.has(`${f.customer_id}:${f.staff_id}`)),
    ]);
    await addTimeline(tx, timeline);
    await publish({ ...ctx, cdb: tx }, [
      ...upserted.map(
        (r): CustomerMirrored => ({
          type: 'CustomerMirrored',
          customerId: r.id,
          externalUserid: r.external_userid,
          unionid: r.unionid,
          phoneHash: r.phone_hash,
          created: r.inserted,
        }),
      ),
      ...contactAdded(results, items, staffBy, opts),
    ]);
    return results;
  });
}

/**
 * The WeCom adds, as the event their subscribers (attribution, the welcome) react to: the callback's add,
 * or the adds a full sync recovered.
 */
function contactAdded(
  results: UpsertResult[],
  items: { contact: WecomContact; follows: WecomFollow[] }[],
  staffBy: Map<string, StaffRef>,
  opts: UpsertOptions,
): ContactAdded[] {
  const { add, recover } = opts;
  const addedAtOf = (f: WecomFollow) =>
    (f.createtime ? new Date(f.createtime * 1000) : opts.at).toISOString();
  return results.flatMap((r, i): ContactAdded[] => {
    const { contact, follows } = items[i]!;
    const out: ContactAdded[] = [];
    if (add) {
      const follow = follows.find((f) => f.userid === add.userid);
      const staff = staffBy.get(add.userid);
      if (follow && staff) {
        out.push({
          type: 'ContactAdded',
          via: 'callback',
          syncRun: null,
          customerId: r.customerId,
          externalUserid: contact.external_userid,
          userid: add.userid,
          staffId: staff.id,
          state: add.state,
          welcomeCode: add.welcomeCode,
          newFollow: r.addedFollows.includes(add.userid),
          addedAt: addedAtOf(follow),
          eventAt: add.eventAt.toISOString(),
        });
      }
    }
    if (recover) {
      for (const userid of r.recovered) {
        const follow = follows.find((f) => f.userid === userid)!;
        const addedAt = addedAtOf(follow);
        out.push({
          type: 'ContactAdded',
          via: 'full_sync',
          syncRun: recover.run,
          customerId: r.customerId,
          externalUserid: contact.external_userid,
          userid,
          staffId: staffBy.get(userid)!.id,
          state: follow.state || null,
          welcomeCode: null,
          newFollow: true,
          addedAt,
          eventAt: addedAt,
        });
      }
    }
    return out;
  });
}

/**
 * Each customer's WeCom corp tags become the union over the given follows (with `complete`), or gain the
 * follows' tags (without: other follows may hold the rest); Siyu-only tags stay either way.
 */
async function reconcileWecomTags(
  tx: SyncCtx['cdb'],
  items: { contact: WecomContact; follows: WecomFollow[] }[],
  idOf: Map<string, number>,
  /** Customers that existed before this upsert; the others have no tags yet. */
  existing: Set<number>,
  staffBy: Map<string, { id: number; name: string }>,
  { complete, at }: { complete: boolean; at: Date },
): Promise<TimelineEntry[]> {
  const db = tx.db;
  const corp_id = tx.corpId;
  const wanted = new Map<number, Map<string, number | null>>();
  const externalOf = new Map<number, string>();
  for (const { contact, follows } of items) {
    const customerId = idOf.get(contact.external_userid)!;
    externalOf.set(customerId, contact.external_userid);
    const w = new Map<string, number | null>();
    for (const f of follows)
      for (const t of f.tagIds) if (!w.has(t)) w.set(t, staffBy.get(f.userid)?.id ?? null);
    wanted.set(customerId, w);
  }
  const allWanted = [...new Set([...wanted.values()].flatMap((w) => [...w.keys()]))];
  if (allWanted.length === 0 && !complete) return []; // nothing to add, and nothing may be removed
  const customerIds = [...wanted.keys()].filter((id) => existing.has(id));
  const have = customerIds.length
    ? await db
        .selectFrom('customer_tags as ct')
        .innerJoin('tags as t', (j) =>
          j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'),
        )
        .select(['ct.customer_id', 't.id', 't.name', 't.wecom_tag_id'])
        .where('ct.corp_id', '=', corp_id)
        .where('ct.customer_id', 'in', customerIds)
        .where('t.wecom_tag_id', 'is not', null)
        .execute()
    : [];
  const known = allWanted.length
    ? await db
        .selectFrom('tags')
        .select(['id', 'name', 'wecom_tag_id'])
        .where('corp_id', '=', corp_id)
        .where('wecom_tag_id', 'in', allWanted)
        .execute()
    : [];
  const knownBy = new Map(known.map((k) => [k.wecom_tag_id!, k]));
  const out: TimelineEntry[] = [];
  const toAdd: Insertable<Tables['customer_tags']>[] = [];
  const toRemove: { customerId: number; tagId: number; name: string }[] = [];
  // Siyu's own mark_tag calls still on their way: WeCom does not show them yet, and they win. Read only
  // when WeCom's list differs from Siyu's.
  const differs = [...wanted].some(([customerId, w]) => {
    const mine = have.filter((h) => h.customer_id === customerId);
    return (
      [...w.keys()].some((id) => knownBy.has(id) && !mine.some((h) => h.wecom_tag_id === id)) ||
      (complete && mine.some((h) => !w.has(h.wecom_tag_id!)))
    );
  });
  const pending = differs
    ? await pendingTagMarks(tx, [...externalOf.values()])
    : new Map<string, { add: Set<string>; remove: Set<string> }>();
  for (const [customerId, w] of wanted) {
    const mine = have.filter((h) => h.customer_id === customerId);
    const mineIds = new Set(mine.map((h) => h.wecom_tag_id));
    const siyu = pending.get(externalOf.get(customerId)!);
    for (const [wecomId, staffId] of w) {
      const k = knownBy.get(wecomId);
      if (!k || mineIds.has(wecomId) || siyu?.remove.has(wecomId)) continue;
      toAdd.push({ corp_id, customer_id: customerId, tag_id: k.id, staff_id: staffId, tagged_at: at });
      out.push({
        customerId,
        kind: 'tag_added',
        at,
        staffId,
        summary: `打上标签「${k.name}」（企业微信）`,
        data: { tagId: k.id, tagName: k.name, source: 'wecom' },
      });
    }
    if (complete) {
      for (const h of mine)
        if (!w.has(h.wecom_tag_id!) && !siyu?.add.has(h.wecom_tag_id!))
          toRemove.push({ customerId, tagId: h.id, name: h.name });
    }
  }
  if (toAdd.length)
    await db
      .insertInto('customer_tags')
      .values(toAdd)
      .onConflict((oc) => oc.doNothing())
      .execute();
  for (const r of toRemove) {
    await db
      .deleteFrom('customer_tags')
      .where('corp_id', '=', corp_id)
      .where('customer_id', '=', r.customerId)
      .where('tag_id', '=', r.tagId)
      .execute();
    out.push({
      customerId: r.customerId,
      kind: 'tag_removed',
      at,
      summary: `移除标签「${r.name}」（企业微信）`,
      data: { tagId: r.tagId, tagName: r.name, source: 'wecom' },
    });
  }
  return out;
}

/**
 * search_text and first_added_at follow from the customers' names, follows and phones. Given the
 * customers and every follow they have (any status), one statement writes both.
 */
async function refreshDerived(
  tx: SyncCtx['cdb'],
  customers: { id: number; name: string; name_pinyin: string; phone_masked: string | null }[],
  follows: { customer_id: number; remark?: string | null; added_at: Date | string }[],
): Promise<void> {
  if (customers.length === 0) return;
  const values = customers.map((c) => {
    const mine = follows.filter((f) => f.customer_id === c.id);
    const first = mine.reduce<Date | null>((m, f) => {
      const at = new Date(f.added_at);
      return !m || at < m ? at : m;
    }, null);
    return sql`(${c.id}::bigint, ${searchText({ name: c.name, namePinyin: c.name_pinyin, remarks: mine.map((f) => f.remark ?? null), phoneMasked: c.phone_masked })}::text, ${first}::timestamptz)`;
  });
  await sql`
    update customers as c set search_text = v.search_text, first_added_at = v.first_added_at
    from (values ${sql.join(values)}) as v(id, search_text, first_added_at)
    where c.corp_id = ${tx.corpId} and c.id = v.id`.execute(tx.db);
}

/** A follow ended: the customer deleted the member, or the member deleted the customer. */
export async function endFollowFromWecom(
  ctx: SyncCtx,
  input: { externalUserid: string; userid: string; by: 'customer' | 'staff'; at: Date; source?: string },
): Promise<boolean> {
  const { cdb } = ctx;
  const ended = await cdb.transaction(async (tx) => {
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
    if (row?.status !== 'active') return null;
    const status = input.by === 'customer' ? 'deleted_by_customer' : 'deleted_by_staff';
    await tx.db
      .updateTable('follows')
      .set({ status, ended_at: input.at })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', row.id)
      .execute();
    await publish({ ...ctx, cdb: tx }, [
      await followEnded(tx, {
        customerId: row.customer_id,
        staffId: row.staff_id,
        userid: input.userid,
        by: input.by,
        at: input.at,
        source: input.source ?? null,
      }),
    ]);
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
    return row.customer_id;
  });
  return ended !== null;
}

/** The event of a follow that just ended, saying whether the customer still has another one. */
async function followEnded(
  tx: SyncCtx['cdb'],
  f: Omit<FollowEnded, 'type' | 'at' | 'stillFollowed'> & { at: Date },
): Promise<FollowEnded> {
  const other = await tx.db
    .selectFrom('follows')
    .select('id')
    .where('corp_id', '=', tx.corpId)
    .where('customer_id', '=', f.customerId)
    .where('status', '=', 'active')
    .executeTakeFirst();
  return { type: 'FollowEnded', ...f, at: f.at.toISOString(), stillFollowed: other !== undefined };
}

/**
 * A full sync has listed every follow of these members (batch/get_by_user, stamping each with its run):
 * their active follows it did not list are gone from WeCom, deletions whose callbacks Siyu missed (it was
 * down, or WeCom gave up retrying). They end as deleted by staff, as the complete mirror ends a missing
 * follow (WeCom no longer says who deleted), each with a timeline entry, and the customers' facts follow.
 * A follow added since the run started is left alone: the run may have listed its member before it came.
 */
export async function endFollowsMissingFromSync(
  ctx: SyncCtx,
  run: { id: number; startedAt: Date; userids: string[] },
): Promise<number> {
  if (run.userids.length === 0) return 0;
  const at = ctx.clock.now();
  const ended = await ctx.cdb.transaction(async (tx) => {
    const rows = await tx.db
      .updateTable('follows as f')
      .from('staff as s')
      .set({ status: 'deleted_by_staff', ended_at: at })
      .whereRef('s.corp_id', '=', 'f.corp_id')
      .whereRef('s.id', '=', 'f.staff_id')
      .where('f.corp_id', '=', tx.corpId)
      .where('s.userid', 'in', run.userids)
      .where('f.status', '=', 'active')
      .where('f.added_at', '<', run.startedAt)
      .where((eb) => eb.or([eb('f.synced_run', 'is', null), eb('f.synced_run', '!=', run.id)]))
      .returning(['f.customer_id', 'f.staff_id', 's.name', 's.userid'])
      .execute();
    await addTimeline(
      tx,
      rows.map((r) => ({
        customerId: r.customer_id,
        kind: 'follow_deleted_by_staff' as const,
        at,
        staffId: r.staff_id,
        summary: `全量同步：企业微信里 ${r.name} 与客户已不是好友`,
        data: { userid: r.userid, source: 'full_sync' },
      })),
    );
    const stillFollowed = new Set(
      rows.length
        ? (
            await tx.db
              .selectFrom('follows')
              .select('customer_id')
              .distinct()
              .where('corp_id', '=', tx.corpId)
              .where(
                'customer_id',
                'in',
                rows.map((r) => r.customer_id),
              )
              .where('status', '=', 'active')
              .execute()
          ).map((r) => r.customer_id)
        : [],
    );
    await publish(
      { ...ctx, cdb: tx },
      rows.map((r) => ({
        type: 'FollowEnded',
        customerId: r.customer_id,
        staffId: r.staff_id,
        userid: r.userid,
        by: 'full_sync',
        at: at.toISOString(),
        source: 'full_sync',
        stillFollowed: stillFollowed.has(r.customer_id),
      })),
    );
    return rows;
  });
  return ended.length;
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

/**
 * Siyu sets a follow's remark (a channel's remark template, on the add): here, and in WeCom through the
 * outbox under `key`. A follow that has a remark keeps it.
 */
export async function setFollowRemark(
  ctx: SyncCtx,
  f: {
    customerId: number;
    staffId: number;
    userid: string;
    externalUserid: string;
    remark: string;
    key: string;
  },
): Promise<void> {
  const tx = ctx.cdb;
  const set = await tx.db
    .updateTable('follows')
    .set({ remark: f.remark })
    .where('corp_id', '=', tx.corpId)
    .where('customer_id', '=', f.customerId)
    .where('staff_id', '=', f.staffId)
    .where((eb) => eb.or([eb('remark', 'is', null), eb('remark', '=', '')]))
    .returning('id')
    .executeTakeFirst();
  if (!set) return;
  await enqueueOutbox(
    jobsDb(tx.db),
    tx.corpId,
    {
      idemKey: f.key,
      lane: 'normal',
      kind: REMARK,
      request: { userid: f.userid, external_userid: f.externalUserid, remark: f.remark },
    },
    ctx.clock.now(),
  );
}
