import type { Kysely } from 'kysely';
import type { Clock } from '../../platform/clock.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import type { InboxEvent } from '../../platform/jobs/inbox.ts';
import type { Pii } from '../../platform/pii.ts';
import type { FollowUser, WecomClient } from '../../wecom/client.ts';
import { WecomApiError } from '../../wecom/errors.ts';
import type {
  AddExternalContactEvent,
  AddHalfExternalContactEvent,
  EditExternalContactEvent,
  WecomEvent,
} from '../../wecom/events.ts';
import type { SyncCtx } from '../context.ts';
import {
  customerIdByExternalUserid,
  endFollowFromWecom,
  type StaffRef,
  upsertCustomerFromWecom,
  type WecomFollow,
} from '../customers/sync.ts';
import { addTimeline, type TimelineEntry } from '../customers/timeline.ts';
import { dismissGroupFromWecom, upsertGroupFromWecom } from '../groups/sync.ts';
import { linkWecomIdentities } from '../orders/oneid.ts';
import { unitsByDepartment, upsertStaffFromWecom } from '../staff/sync.ts';
import type { Tables } from '../tables.ts';
import { removeGroups, removeTags, syncCorpTags } from '../tags/sync.ts';
import type { ConnectionRegistry } from './service.ts';

/** WeCom answers these when the customer or group is already gone: nothing left to mirror. */
const GONE = new Set([40096, 84061, 90500, 90501, 40050, 49008]);

export interface ContactAdded {
  ctx: SyncCtx;
  client: WecomClient;
  event: AddExternalContactEvent | AddHalfExternalContactEvent;
  customerId: number;
  /** True when this member's follow is new (or came back): a first add, not a re-delivery. */
  newFollow: boolean;
  /** The add's timeline entries: a subscriber pushes its own, and all are written in one insert at the end. */
  timeline: TimelineEntry[];
}

export interface EventHandlerDeps {
  db: Kysely<Tables>;
  clock: Clock;
  pii: Pii;
  links: ConnectionRegistry;
  /** Capabilities that react to a new follow (channel attribution, welcome message, …) subscribe here. */
  onContactAdded?: ((added: ContactAdded) => Promise<void>)[];
}

/** Turns one inbox row into its effects on Siyu's tables. Idempotent: a retried row changes nothing more. */
export function createEventHandler(deps: EventHandlerDeps) {
  return async (row: InboxEvent): Promise<void> => {
    const link = await deps.links.require(row.corpId);
    const ctx: SyncCtx = { cdb: corpDb(deps.db, row.corpId), clock: deps.clock, pii: deps.pii };
    const event = row.event as unknown as WecomEvent;
    const at = new Date(event.createTime * 1000);
    try {
      await handle(ctx, link.client, event, at, deps);
    } catch (err) {
      if (err instanceof WecomApiError && GONE.has(err.errcode)) return;
      throw err;
    }
  };
}

async function handle(
  ctx: SyncCtx,
  client: WecomClient,
  event: WecomEvent,
  at: Date,
  deps: EventHandlerDeps,
) {
  switch (event.type) {
    case 'add_external_contact':
    case 'add_half_external_contact':
    case 'edit_external_contact': {
      const wecom = await readCustomer(ctx, client, event);
      if (!wecom) return;
      // Everything the event changes in Siyu commits together (the mirror, what reacts to the add, OneID):
      // nothing is half-done if one part fails and the event is retried, and it costs one transaction.
      await ctx.cdb.transaction(async (tx) => {
        const txCtx = { ...ctx, cdb: tx };
        const timeline: TimelineEntry[] = [];
        const result = await upsertCustomerFromWecom(txCtx, wecom.contact, wecom.follows.map(toWecomFollow), {
          // the event's member is known now: readCustomer fetched them if they were new
          complete: wecom.follows.every((f) => wecom.known.has(f.userid) || f.userid === event.userId),
          at,
          staff: wecom.known,
          timeline,
        });
        if (event.type !== 'edit_external_contact') {
          for (const sub of deps.onContactAdded ?? []) {
            await sub({
              ctx: txCtx,
              client,
              event,
              customerId: result.customerId,
              newFollow: result.addedFollows.includes(event.userId),
              timeline,
            });
          }
        }
        await addTimeline(tx, timeline);
        // the orders and members that were waiting for this customer's identities (unionid, phone) link now
        await linkWecomIdentities(txCtx, [result.customerId]);
      });
      return;
    }
    case 'del_external_contact':
      await endFollowFromWecom(ctx, {
        externalUserid: event.externalUserId,
        userid: event.userId,
        by: 'staff',
        at,
        source: event.source,
      });
      return;
    case 'del_follow_user':
      await endFollowFromWecom(ctx, {
        externalUserid: event.externalUserId,
        userid: event.userId,
        by: 'customer',
        at,
      });
      return;
    case 'transfer_fail': {
      const customerId = await customerIdByExternalUserid(ctx, event.externalUserId);
      if (customerId === null) return;
      const reason =
        event.failReason === 'customer_refused'
          ? '客户拒绝'
          : event.failReason === 'customer_limit_exceed'
            ? '接替成员客户数已满'
            : event.failReason;
      await addTimeline(ctx.cdb, [
        {
          customerId,
          kind: 'transfer_failed',
          at,
          summary: `转接给 ${event.userId} 失败：${reason}`,
          data: { userid: event.userId, reason: event.failReason },
        },
      ]);
      return;
    }
    case 'external_chat_create':
    case 'external_chat_update': {
      const { group_chat } = await client.getGroupChat(event.chatId, true);
      await upsertGroupFromWecom(ctx, group_chat, ctx.clock.now());
      return;
    }
    case 'external_chat_dismiss':
      await dismissGroupFromWecom(ctx, event.chatId, at);
      return;
    case 'external_tag_create':
    case 'external_tag_update':
    case 'external_tag_shuffle': {
      const filter =
        event.type === 'external_tag_shuffle' || !event.id
          ? {}
          : event.tagType === 'tag_group'
            ? { group_id: [event.id] }
            : { tag_id: [event.id] };
      const { tag_group } = await client.getCorpTagList(filter);
      await syncCorpTags(ctx, tag_group, { complete: false });
      return;
    }
    case 'external_tag_delete':
      await ctx.cdb.transaction((tx) =>
        event.tagType === 'tag_group'
          ? removeGroups(tx, { wecomGroupIds: [event.id] }, at)
          : removeTags(tx, { wecomTagIds: [event.id] }, at),
      );
      return;
    case 'message':
    case 'unknown':
      return;
  }
}

/**
 * Reads the customer with every follow (externalcontact/get) and makes sure Siyu can mirror it: the
 * member of the event is created first when Siyu does not know them yet; unknown corp tags trigger a tag
 * refresh. WeCom is called here, before the mirror's transaction opens. Null when WeCom has no customer.
 */
async function readCustomer(
  ctx: SyncCtx,
  client: WecomClient,
  event: AddExternalContactEvent | AddHalfExternalContactEvent | EditExternalContactEvent,
) {
  const follows: FollowUser[] = [];
  let contact: Awaited<ReturnType<WecomClient['getExternalContact']>>['external_contact'] | undefined;
  let cursor: string | undefined;
  do {
    const page = await client.getExternalContact(event.externalUserId, cursor);
    contact = page.external_contact;
    follows.push(...page.follow_user);
    cursor = page.next_cursor || undefined;
  } while (cursor);
  if (!contact) return null;
  // One lookup for every follower; only the event's member is fetched from WeCom when new to Siyu.
  const known = await ensureStaff(
    ctx,
    client,
    [...new Set([event.userId, ...follows.map((f) => f.userid)])],
    { fetchMissing: [event.userId] },
  );
  await ensureTags(ctx, client, follows);
  return { contact, follows, known };
}

export function toWecomFollow(f: FollowUser): WecomFollow {
  return {
    userid: f.userid,
    remark: f.remark,
    description: f.description,
    createtime: f.createtime,
    add_way: f.add_way,
    state: f.state,
    remark_mobiles: f.remark_mobiles,
    tagIds: (f.tags ?? []).filter((t) => t.type === 1 && t.tag_id).map((t) => t.tag_id!),
  };
}

/**
 * Makes sure the members exist as staff (fetching user/get for the new ones in `fetchMissing`); returns
 * the members Siyu knew already, by userid (a member just fetched is looked up again by the mirror).
 */
async function ensureStaff(
  ctx: SyncCtx,
  client: WecomClient,
  userids: string[],
  opts: { fetchMissing: string[] },
): Promise<Map<string, StaffRef>> {
  const rows = userids.length
    ? await ctx.cdb.db
        .selectFrom('staff')
        .select(['id', 'userid', 'name', 'journey_role'])
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('userid', 'in', userids)
        .execute()
    : [];
  const known = new Map(rows.map((r) => [r.userid, r]));
  const missing = opts.fetchMissing.filter((u) => !known.has(u));
  if (missing.length) {
    const units = await unitsByDepartment(ctx);
    for (const userid of missing) await upsertStaffFromWecom(ctx, await client.getUser(userid), units);
  }
  return known;
}

async function ensureTags(ctx: SyncCtx, client: WecomClient, follows: FollowUser[]): Promise<void> {
  const ids = [
    ...new Set(
      follows.flatMap((f) => (f.tags ?? []).filter((t) => t.type === 1 && t.tag_id).map((t) => t.tag_id!)),
    ),
  ];
  if (ids.length === 0) return;
  const have = await ctx.cdb.db
    .selectFrom('tags')
    .select('wecom_tag_id')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('wecom_tag_id', 'in', ids)
    .execute();
  if (have.length === ids.length) return;
  const { tag_group } = await client.getCorpTagList({});
  await syncCorpTags(ctx, tag_group, { complete: false });
}
