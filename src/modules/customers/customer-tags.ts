import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import { AppError } from '../../platform/http/errors.ts';
import { enqueueOutbox, enqueueOutboxMany, type OutboxItem } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import { MARK_TAG } from '../../wecom/paths.ts';
import { type Ctx, publish, type SyncCtx } from '../context.ts';
import type { TagCause, TagsChanged, TagsDeleted, TagsReachedWecom } from '../events.ts';
import type { Tables } from '../tables.ts';
import { assertTagsVisible } from '../tags/index.ts';
import { assertCustomerVisible } from './service.ts';
import { addTimeline, type TimelineEntry } from './timeline.ts';

type Tx = CorpDb<Tables>;

export interface TagChange {
  customerId: number;
  add: number[];
  remove: number[];
  /**
   * Whose follow marks an added tag in WeCom: this staff member's, else one in this unit, else the earliest
   * active follow. A removed tag comes off every active follow (WeCom keeps tags per follow).
   */
  via?: { staffId?: number | null; userid?: string; unitId?: number | null };
  at: Date;
  cause: TagCause;
  /** The outbox key of this change's mark_tag calls (one per follow is derived from it). */
  key: string;
}

/**
 * Puts tags on and takes tags off customers, here and in WeCom (mark_tag through the outbox, for tags WeCom
 * knows), each change on the customer's timeline with its cause, and published (TagsChanged). A tag already
 * on (or already off) changes nothing. Returns, per change, the tag ids actually added and removed.
 */
export async function changeCustomerTags(
  ctx: SyncCtx,
  changes: TagChange[],
  now: Date,
): Promise<{ added: number[]; removed: number[] }[]> {
  const out = changes.map(() => ({ added: [] as number[], removed: [] as number[] }));
  const tagIds = [...new Set(changes.flatMap((c) => [...c.add, ...c.remove]))];
  if (tagIds.length === 0) return out;
  return ctx.cdb.transaction(async (tx) => {
    await applyTagChanges({ ...ctx, cdb: tx }, changes, tagIds, out, now);
    return out;
  });
}

async function applyTagChanges(
  ctx: SyncCtx,
  changes: TagChange[],
  tagIds: number[],
  out: { added: number[]; removed: number[] }[],
  now: Date,
): Promise<void> {
  const tx = ctx.cdb;
  const corp_id = tx.corpId;
  const tags = new Map(
    (
      await tx.db
        .selectFrom('tags')
        .select(['id', 'name', 'wecom_tag_id'])
        .where('corp_id', '=', corp_id)
        .where('id', 'in', tagIds)
        .execute()
    ).map((t) => [t.id, t]),
  );
  const customerIds = [...new Set(changes.map((c) => c.customerId))];
  const follows = await tx.db
    .selectFrom('follows as f')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
    )
    .select(['f.customer_id', 's.id as staff_id', 's.userid', 's.unit_id', 'c.external_userid'])
    .where('f.corp_id', '=', corp_id)
    .where('f.customer_id', 'in', customerIds)
    .where('f.status', '=', 'active')
    .orderBy('f.added_at')
    .orderBy('f.id')
    .execute();

  const timeline: TimelineEntry[] = [];
  const events: TagsChanged[] = [];
  const outbox: OutboxItem[] = [];
  const followsOf = new Map<number, typeof follows>();
  for (const f of follows) {
    const mine = followsOf.get(f.customer_id);
    if (mine) mine.push(f);
    else followsOf.set(f.customer_id, [f]);
  }
  // Set-based, in rounds: each round takes at most one change per customer (a customer's changes in their
  // order), so its inserts and deletes are one statement each however many customers change.
  const effects: ({ events: TagsChanged[]; timeline: TimelineEntry[]; outbox: OutboxItem[] } | undefined)[] =
    [];
  // a change's round: how many changes of its customer come before it
  const seenOf = new Map<number, number>();
  const rounds: { change: TagChange; i: number }[][] = [];
  for (const [i, change] of changes.entries()) {
    const r = seenOf.get(change.customerId) ?? 0;
    seenOf.set(change.customerId, r + 1);
    const round = rounds[r] ?? [];
    rounds[r] = round;
    round.push({ change, i });
  }
  for (const inRound of rounds) {
    const round = inRound.map(({ change, i }) => {
      const mine = followsOf.get(change.customerId) ?? [];
      const via =
        mine.find((f) => change.via?.staffId != null && f.staff_id === change.via.staffId) ??
        mine.find((f) => change.via?.userid !== undefined && f.userid === change.via.userid) ??
        mine.find((f) => change.via?.unitId != null && f.unit_id === change.via.unitId) ??
        mine[0];
      return { change, i, via };
    });
    const adds = round.flatMap(({ change, via }) =>
      [...new Set(change.add)]
        .filter((id) => tags.has(id))
        .map((tag_id) => ({
          corp_id,
          customer_id: change.customerId,
          tag_id,
          staff_id: via?.staff_id ?? null,
          tagged_at: change.at,
        })),
    );
    const addedRows: { customer_id: number; tag_id: number }[] = [];
    for (let k = 0; k < adds.length; k += 2_000) {
      addedRows.push(
        ...(await tx.db
          .insertInto('customer_tags')
          .values(adds.slice(k, k + 2_000))
          .onConflict((oc) => oc.columns(['corp_id', 'customer_id', 'tag_id']).doNothing())
          .returning(['customer_id', 'tag_id'])
          .execute()),
      );
    }
    const removes = round.flatMap(({ change }) =>
      change.remove
        .filter((id) => tags.has(id) && !change.add.includes(id))
        .map((tagId) => [change.customerId, tagId] as const),
    );
    const removedRows = removes.length
      ? (
          await sql<{ customer_id: number | string; tag_id: number }>`
            delete from customer_tags t using unnest(${removes.map((r) => r[0])}::bigint[],
              ${removes.map((r) => r[1])}::bigint[]) as x(customer_id, tag_id)
            where t.corp_id = ${corp_id} and t.customer_id = x.customer_id and t.tag_id = x.tag_id
            returning t.customer_id, t.tag_id`.execute(tx.db)
        ).rows
      : [];
    const byCustomer = (rows: { customer_id: number | string; tag_id: number }[]) => {
      const m = new Map<number, Set<number>>();
      for (const r of rows) {
        const id = Number(r.customer_id);
        m.set(id, (m.get(id) ?? new Set()).add(Number(r.tag_id)));
      }
      return m;
    };
    const addedOf = byCustomer(addedRows);
    const removedOf = byCustomer(removedRows);
    for (const { change, i } of round) {
      // in the order the change names them
      const added = [...new Set(change.add)].filter(
        (id) => tags.has(id) && addedOf.get(change.customerId)?.has(id),
      );
      const removed = [...new Set(change.remove)].filter(
        (id) => tags.has(id) && !change.add.includes(id) && removedOf.get(change.customerId)?.has(id),
      );
      out[i] = { added, removed };
    }
    // what follows from each change, kept in the order of the changes
    for (const { change, i, via } of round) {
      const { added, removed } = out[i]!;
      const mine = followsOf.get(change.customerId) ?? [];
      const ev: TagsChanged[] = [];
      const tl: TimelineEntry[] = [];
      const ob: OutboxItem[] = [];
      if (added.length + removed.length > 0) {
        const named = (ids: number[]) => ids.map((id) => ({ id, name: tags.get(id)!.name }));
        ev.push({
          type: 'TagsChanged',
          customerId: change.customerId,
          added: named(added),
          removed: named(removed),
          cause: change.cause,
          staffId: via?.staff_id ?? null,
          at: change.at.toISOString(),
        });
      }
      const cause = describe(change.cause);
      for (const [kind, ids] of [
        ['tag_added', added],
        ['tag_removed', removed],
      ] as const) {
        for (const id of ids) {
          const name = tags.get(id)!.name;
          tl.push({
            customerId: change.customerId,
            kind,
            at: change.at,
            // Who acted: the account for a change made in Siyu; a rule or a channel is no person (the member
            // whose follow carries the tag in WeCom did nothing). Only a member's own tagging in WeCom names them.
            staffId: change.cause.source === 'wecom' && kind === 'tag_added' ? (via?.staff_id ?? null) : null,
            accountId: change.cause.source === 'siyu' ? change.cause.accountId : null,
            summary: `${kind === 'tag_added' ? '打上' : '移除'}标签「${name}」（${cause.text}）`,
            data: { tagId: id, tagName: name, ...cause.data },
          });
        }
      }
      const wecomIds = (ids: number[]) =>
        ids.map((id) => tags.get(id)!.wecom_tag_id).filter((w): w is string => w !== null);
      const addIds = wecomIds(added);
      if (via && addIds.length) {
        ob.push({
          idemKey: `${change.key}:add:${via.userid}`,
          lane: 'normal',
          kind: MARK_TAG,
          request: { userid: via.userid, external_userid: via.external_userid, add_tag: addIds },
        });
      }
      const removeIds = wecomIds(removed);
      if (removeIds.length) {
        for (const f of mine) {
          ob.push({
            idemKey: `${change.key}:remove:${f.userid}`,
            lane: 'normal',
            kind: MARK_TAG,
            request: { userid: f.userid, external_userid: f.external_userid, remove_tag: removeIds },
          });
        }
      }
      effects[i] = { events: ev, timeline: tl, outbox: ob };
    }
  }
  for (const e of effects) {
    if (!e) continue;
    events.push(...e.events);
    timeline.push(...e.timeline);
    outbox.push(...e.outbox);
  }
  await enqueueOutboxMany(jobsDb(tx.db), corp_id, outbox, now);
  await addTimeline(tx, timeline);
  await publish(ctx, events);
}

function describe(cause: TagCause): { text: string; data: Record<string, unknown> } {
  switch (cause.source) {
    case 'siyu':
      return cause.jobId === undefined
        ? { text: `${cause.by}，私域后台`, data: { source: 'siyu', accountId: cause.accountId } }
        : {
            text: `${cause.by}，私域后台批量打标签`,
            data: { source: 'siyu', accountId: cause.accountId, jobId: cause.jobId },
          };
    case 'rule':
      return {
        text: `规则「${cause.ruleName}」：${cause.why.zh}`,
        data: {
          source: 'rule',
          ruleId: cause.ruleId,
          ruleName: cause.ruleName,
          trigger: cause.trigger,
          why: cause.why,
        },
      };
    case 'channel':
      return {
        text: `渠道「${cause.channelName}」`,
        data: { source: 'channel', channelId: cause.channelId, channelName: cause.channelName },
      };
    case 'journey':
      return {
        text: `客户旅程「${cause.journeyName}」`,
        data: {
          source: 'journey',
          journeyId: cause.journeyId,
          journeyName: cause.journeyName,
          nodeId: cause.nodeId,
        },
      };
    case 'wecom':
      return { text: '企业微信', data: { source: 'wecom' } };
    case 'tag_deleted':
      return {
        text: `标签已${cause.where === 'wecom' ? '在企业微信' : '在私域后台'}删除`,
        data: { source: cause.where },
      };
  }
}

/**
 * mark_tag calls still waiting for WeCom, per customer: a callback re-reading the customer meanwhile must
 * neither drop a tag Siyu is adding nor bring back one it is removing.
 */
export async function pendingTagMarks(
  tx: Tx,
  externalUserids: string[],
): Promise<Map<string, { add: Set<string>; remove: Set<string> }>> {
  const out = new Map<string, { add: Set<string>; remove: Set<string> }>();
  if (externalUserids.length === 0) return out;
  const rows = await sql<{ request: { external_userid: string; add_tag?: string[]; remove_tag?: string[] } }>`
    select request from wecom_outbox
    where corp_id = ${tx.corpId} and status = 'pending' and kind = ${MARK_TAG}
      and request ->> 'external_userid' in (${sql.join(externalUserids)})`.execute(tx.db);
  for (const { request } of rows.rows) {
    const m = out.get(request.external_userid) ?? { add: new Set<string>(), remove: new Set<string>() };
    for (const id of request.add_tag ?? []) m.add.add(id);
    for (const id of request.remove_tag ?? []) m.remove.add(id);
    out.set(request.external_userid, m);
  }
  return out;
}

/**
 * Tags that just got their WeCom id (TagsReachedWecom): customers who carry them in Siyu (tagged before the
 * tag reached WeCom) get them marked there, on the follow of the staff who tagged them, else their earliest
 * active follow.
 */
export async function markTagsInWecom(ctx: SyncCtx, events: TagsReachedWecom[]): Promise<void> {
  const tagIds = events.flatMap((e) => e.tagIds);
  if (tagIds.length === 0) return;
  const tx = ctx.cdb;
  const now = ctx.clock.now();
  const rows = await tx.db
    .selectFrom('customer_tags as ct')
    .innerJoin('tags as t', (j) => j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'))
    .innerJoin('follows as f', (j) =>
      j.onRef('f.corp_id', '=', 'ct.corp_id').onRef('f.customer_id', '=', 'ct.customer_id'),
    )
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'ct.corp_id').onRef('c.id', '=', 'ct.customer_id'),
    )
    .select([
      'ct.customer_id',
      'ct.staff_id as tagged_by',
      't.wecom_tag_id',
      's.id as staff_id',
      's.userid',
      'c.external_userid',
    ])
    .where('ct.corp_id', '=', tx.corpId)
    .where('ct.tag_id', 'in', tagIds)
    .where('t.wecom_tag_id', 'is not', null)
    .where('f.status', '=', 'active')
    .orderBy('ct.customer_id')
    .orderBy('f.added_at')
    .orderBy('f.id')
    .execute();
  // customer:userid → the tags to mark on that follow
  const marks = new Map<string, { external: string; userid: string; tags: Set<string> }>();
  const pairs = new Map<string, typeof rows>();
  for (const r of rows) {
    const pair = `${r.customer_id}:${r.wecom_tag_id}`;
    pairs.set(pair, [...(pairs.get(pair) ?? []), r]);
  }
  for (const forTag of pairs.values()) {
    const via = forTag.find((r) => r.staff_id === r.tagged_by) ?? forTag[0]!;
    const key = `${via.customer_id}:${via.userid}`;
    const m = marks.get(key) ?? {
      external: via.external_userid,
      userid: via.userid,
      tags: new Set<string>(),
    };
    m.tags.add(via.wecom_tag_id!);
    marks.set(key, m);
  }
  for (const m of marks.values()) {
    await enqueueOutbox(
      jobsDb(tx.db),
      tx.corpId,
      {
        idemKey: `tag:mark:late:${m.external}:${m.userid}:${[...m.tags].sort().join(',')}`,
        lane: 'normal',
        kind: MARK_TAG,
        request: { userid: m.userid, external_userid: m.external, add_tag: [...m.tags] },
      },
      now,
    );
  }
}

/**
 * A staff member or manager adds or removes tags on a customer in their scope, within their tag view; WeCom
 * gets mark_tag on the follow of `staffId` (default: the caller's own follow, else the earliest).
 */
export async function editCustomerTags(
  ctx: Ctx,
  customerId: number,
  input: { add: number[]; remove: number[]; staffId?: number },
) {
  const { cdb, actor } = ctx;
  await assertCustomerVisible(ctx, customerId);
  await assertTagsVisible(ctx, [...input.add, ...input.remove]);
  const exist = await cdb.db
    .selectFrom('tags')
    .select('id')
    .where('corp_id', '=', cdb.corpId)
    .where('id', 'in', [...input.add, ...input.remove, -1])
    .execute();
  if (exist.length !== new Set([...input.add, ...input.remove]).size) {
    throw new AppError('bad_request', { zh: '有标签不存在', en: 'A tag does not exist' });
  }
  if (input.staffId !== undefined) {
    const follow = await cdb.db
      .selectFrom('follows as f')
      .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
      .select('f.id')
      .where('f.corp_id', '=', cdb.corpId)
      .where('f.customer_id', '=', customerId)
      .where('f.staff_id', '=', input.staffId)
      .where('f.status', '=', 'active')
      .where('s.unit_id', 'in', [...actor.unitIds])
      .executeTakeFirst();
    if (!follow) {
      throw new AppError('bad_request', {
        zh: '该员工与客户没有你范围内的有效好友关系',
        en: 'That staff member has no active follow with this customer in your scope',
      });
    }
  }
  const account = await cdb.db
    .selectFrom('accounts')
    .select('display_name')
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', actor.accountId)
    .executeTakeFirst();
  const now = ctx.clock.now();
  const [changed] = await changeCustomerTags(
    ctx,
    [
      {
        customerId,
        add: input.add,
        remove: input.remove,
        via: { staffId: input.staffId ?? actor.staffId },
        at: now,
        cause: { source: 'siyu', by: account?.display_name ?? '', accountId: actor.accountId },
        key: `tag:mark:${customerId}:${randomUUID()}`,
      },
    ],
    now,
  );
  return changed!;
}

/**
 * Corp tags are being deleted (TagsDeleted, in the deleting transaction): they come off every customer, each
 * with a timeline entry saying where the tag was deleted.
 */
export async function dropDeletedTags(ctx: SyncCtx, events: TagsDeleted[]): Promise<void> {
  const tx = ctx.cdb;
  for (const e of events) {
    const ids = e.tags.map((t) => t.id);
    const removed = await tx.db
      .deleteFrom('customer_tags')
      .where('corp_id', '=', tx.corpId)
      .where('tag_id', 'in', ids)
      .returning(['customer_id', 'tag_id'])
      .execute();
    const names = new Map(e.tags.map((t) => [t.id, t.name]));
    const where = e.where === 'wecom' ? '在企业微信' : '在私域后台';
    await addTimeline(
      tx,
      removed.map((r) => ({
        customerId: r.customer_id,
        kind: 'tag_removed' as const,
        at: new Date(e.at),
        summary: `标签「${names.get(r.tag_id)}」已${where}删除`,
        data: { tagId: r.tag_id, tagName: names.get(r.tag_id), source: e.where, reason: 'tag_deleted' },
      })),
    );
  }
}
