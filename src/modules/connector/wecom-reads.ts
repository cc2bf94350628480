import type { FollowUser, WecomClient } from '../../wecom/client.ts';
import type {
  AddExternalContactEvent,
  AddHalfExternalContactEvent,
  EditExternalContactEvent,
} from '../../wecom/events.ts';
import type { SyncCtx } from '../context.ts';
import type { StaffRef, WecomFollow } from '../customers/index.ts';
import { unitsByDepartment, upsertStaffFromWecom } from '../staff/index.ts';
import { syncCorpTags } from '../tags/index.ts';

/**
 * Reads the customer with every follow (externalcontact/get) and makes sure Siyu can mirror it: the
 * member of the event is created first when Siyu does not know them yet; unknown corp tags trigger a tag
 * refresh. WeCom is called here, before the mirror's transaction opens. Null when WeCom has no customer.
 */
export async function readCustomer(
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
