import { z } from 'zod';
import { chars, int, page, parseApi } from './api-input.ts';
import { activeMember, memberOr404, requireMember } from './directory.ts';
import { badRequest, conflict, notFound, WecomError } from './errors.ts';
import { recordMessage } from './messages.ts';
import type { CorpState, Customer, Follow } from './model.ts';
import type { Simulator } from './state.ts';
import { findTag } from './tags.ts';
import { issueWelcomeCode } from './welcome.ts';

/* ---------- lookups ---------- */

export function findCustomer(corp: CorpState, externalUserid: string): Customer | undefined {
  return Object.hasOwn(corp.customers, externalUserid) ? corp.customers[externalUserid] : undefined;
}

export function requireCustomer(corp: CorpState, externalUserid: string): Customer {
  const customer = findCustomer(corp, externalUserid);
  if (!customer) throw new WecomError(40096);
  return customer;
}

export function customerOr404(corp: CorpState, externalUserid: string): Customer {
  const customer = findCustomer(corp, externalUserid);
  if (!customer) throw notFound('customer', externalUserid);
  return customer;
}

/** Every follow of the customer, including those of resigned members waiting for a transfer. */
export function followsOf(corp: CorpState, externalUserid: string): Follow[] {
  return Object.hasOwn(corp.follows, externalUserid) ? corp.follows[externalUserid]! : [];
}

export function findFollow(corp: CorpState, userid: string, externalUserid: string): Follow | undefined {
  return followsOf(corp, externalUserid).find((f) => f.userid === userid);
}

/** Follows with members still in the corp (what the API shows). */
export function activeFollows(corp: CorpState, externalUserid: string): Follow[] {
  return followsOf(corp, externalUserid).filter((f) => activeMember(corp, f.userid));
}

const byUserCache = new WeakMap<CorpState, Map<string, Follow[]>>();

/** Follows per member, oldest first (cached; dropped by every follow change). */
export function followsByUser(corp: CorpState): Map<string, Follow[]> {
  let index = byUserCache.get(corp);
  if (!index) {
    index = new Map();
    for (const follows of Object.values(corp.follows)) {
      for (const f of follows) {
        const list = index.get(f.userid);
        if (list) list.push(f);
        else index.set(f.userid, [f]);
      }
    }
    for (const list of index.values()) list.sort((a, b) => a.createtime - b.createtime);
    byUserCache.set(corp, index);
  }
  return index;
}

export function followsChanged(corp: CorpState): void {
  byUserCache.delete(corp);
}

export function insertFollow(corp: CorpState, follow: Follow): void {
  const follows = corp.follows[follow.external_userid];
  if (follows) follows.push(follow);
  else corp.follows[follow.external_userid] = [follow];
  followsChanged(corp);
}

/* ---------- core changes ---------- */

const idCache = new WeakMap<CorpState, string[]>();

/** Every external_userid of the corp in creation order (cached; customers are never deleted). */
export function customerIds(corp: CorpState): readonly string[] {
  let ids = idCache.get(corp);
  if (!ids) {
    ids = Object.keys(corp.customers);
    idCache.set(corp, ids);
  }
  return ids;
}

export interface CustomerInput {
  name: string;
  gender?: 0 | 1 | 2;
  unionid?: string;
  avatar?: string;
  type?: 1 | 2;
  corp_name?: string;
  position?: string;
}

export function createCustomer(sim: Simulator, corp: CorpState, input: CustomerInput): Customer {
  const customer: Customer = {
    external_userid: sim.ids.externalUserId(),
    name: input.name,
    gender: input.gender ?? 0,
    unionid: input.unionid ?? '',
    avatar: input.avatar ?? sim.ids.avatar(input.name),
    type: input.type ?? 1,
    corp_name: input.corp_name ?? '',
    position: input.position ?? '',
    created_at: sim.nowS(),
  };
  if (customer.type === 2) customer.external_userid = `wo${customer.external_userid.slice(2)}`;
  corp.customers[customer.external_userid] = customer;
  idCache.get(corp)?.push(customer.external_userid);
  return customer;
}

export interface AddFollowInput {
  userid: string;
  external_userid: string;
  add_way: number;
  state: string;
  oper_userid: string;
}

/** A new friendship: the follow, a WelcomeCode, and the add_external_contact event. */
export function addFollow(sim: Simulator, corp: CorpState, input: AddFollowInput) {
  if (findFollow(corp, input.userid, input.external_userid)) {
    throw conflict('already_friends', `${input.external_userid} already follows ${input.userid}`);
  }
  const follow: Follow = {
    userid: input.userid,
    external_userid: input.external_userid,
    remark: '',
    description: '',
    createtime: sim.nowS(),
    tag_ids: [],
    remark_corp_name: '',
    remark_mobiles: [],
    oper_userid: input.oper_userid,
    add_way: input.add_way,
    state: input.state,
  };
  insertFollow(corp, follow);
  const welcomeCode = issueWelcomeCode(sim, corp, input.userid, input.external_userid);
  const delivery = sim.emit(corp, `customer:${input.external_userid}`, {
    Event: 'change_external_contact',
    ChangeType: 'add_external_contact',
    UserID: input.userid,
    ExternalUserID: input.external_userid,
    State: input.state || undefined,
    WelcomeCode: welcomeCode,
  });
  return { follow, welcome_code: welcomeCode ?? null, delivery_id: delivery.id };
}

export function removeFollow(corp: CorpState, userid: string, externalUserid: string): Follow {
  const follows = followsOf(corp, externalUserid);
  const index = follows.findIndex((f) => f.userid === userid);
  if (index < 0) throw conflict('not_friends', `${externalUserid} does not follow ${userid}`);
  const [removed] = follows.splice(index, 1);
  if (follows.length === 0) delete corp.follows[externalUserid];
  followsChanged(corp);
  return removed!;
}

/* ---------- scenarios (user-side actions: they push events) ---------- */

export function memberAddsCustomer(
  sim: Simulator,
  corp: CorpState,
  input: { userid: string; external_userid: string; add_way?: number; state?: string },
) {
  memberOr404(corp, input.userid);
  customerOr404(corp, input.external_userid);
  return addFollow(sim, corp, {
    userid: input.userid,
    external_userid: input.external_userid,
    add_way: input.add_way ?? 0,
    state: input.state ?? '',
    oper_userid: input.userid,
  });
}

/** The customer deletes the member from WeChat: del_follow_user. */
export function customerDeletesMember(
  sim: Simulator,
  corp: CorpState,
  input: { external_userid: string; userid: string },
) {
  customerOr404(corp, input.external_userid);
  removeFollow(corp, input.userid, input.external_userid);
  const delivery = sim.emit(corp, `customer:${input.external_userid}`, {
    Event: 'change_external_contact',
    ChangeType: 'del_follow_user',
    UserID: input.userid,
    ExternalUserID: input.external_userid,
  });
  return { delivery_id: delivery.id };
}

/** The member deletes the customer in the WeCom client: del_external_contact. */
export function memberDeletesCustomer(
  sim: Simulator,
  corp: CorpState,
  input: { userid: string; external_userid: string },
) {
  customerOr404(corp, input.external_userid);
  removeFollow(corp, input.userid, input.external_userid);
  const delivery = sim.emit(corp, `customer:${input.external_userid}`, {
    Event: 'change_external_contact',
    ChangeType: 'del_external_contact',
    UserID: input.userid,
    ExternalUserID: input.external_userid,
  });
  return { delivery_id: delivery.id };
}

export interface ContactEdit {
  userid: string;
  external_userid: string;
  remark?: string;
  description?: string;
  remark_mobiles?: string[];
  add_tag?: string[];
  remove_tag?: string[];
}

/** The member edits remark / tags in the WeCom client: edit_external_contact (not for remark_mobiles only). */
export function memberEditsContact(sim: Simulator, corp: CorpState, input: ContactEdit) {
  memberOr404(corp, input.userid);
  customerOr404(corp, input.external_userid);
  const follow = findFollow(corp, input.userid, input.external_userid);
  if (!follow) throw conflict('not_friends', `${input.external_userid} does not follow ${input.userid}`);
  for (const id of [...(input.add_tag ?? []), ...(input.remove_tag ?? [])]) {
    if (!findTag(corp, id)) throw badRequest('invalid_tag', `tag ${id} not found`);
  }
  const before = JSON.stringify([follow.remark, follow.description, [...follow.tag_ids].sort()]);
  if (input.remark !== undefined) follow.remark = input.remark;
  if (input.description !== undefined) follow.description = input.description;
  if (input.remark_mobiles !== undefined) follow.remark_mobiles = input.remark_mobiles;
  applyTags(follow, input.add_tag ?? [], input.remove_tag ?? []);
  const after = JSON.stringify([follow.remark, follow.description, [...follow.tag_ids].sort()]);
  if (before === after) return { delivery_id: null };
  const delivery = sim.emit(corp, `customer:${input.external_userid}`, {
    Event: 'change_external_contact',
    ChangeType: 'edit_external_contact',
    UserID: input.userid,
    ExternalUserID: input.external_userid,
  });
  return { delivery_id: delivery.id };
}

function applyTags(follow: Follow, add: string[], remove: string[]): void {
  const removeSet = new Set(remove);
  const tags = follow.tag_ids.filter((id) => !removeSet.has(id));
  for (const id of add) if (!tags.includes(id) && !removeSet.has(id)) tags.push(id);
  follow.tag_ids = tags;
}

/** A customer writes to a member: recorded for the session archive, no callback. */
export function customerSendsMessage(
  sim: Simulator,
  corp: CorpState,
  input: { external_userid: string; userid: string; content: string; msgtype?: string },
) {
  customerOr404(corp, input.external_userid);
  memberOr404(corp, input.userid);
  if (!findFollow(corp, input.userid, input.external_userid)) {
    throw conflict('not_friends', `${input.external_userid} does not follow ${input.userid}`);
  }
  const message = {
    direction: 'in' as const,
    kind: 'chat' as const,
    external_userid: input.external_userid,
    userid: input.userid,
    msgtype: input.msgtype ?? 'text',
    content: input.content,
    at: sim.nowS(),
  };
  recordMessage(corp, message);
  return message;
}

/* ---------- WeCom API ---------- */

function externalContactOut(c: Customer) {
  return {
    external_userid: c.external_userid,
    name: c.name,
    ...(c.position ? { position: c.position } : {}),
    avatar: c.avatar,
    ...(c.type === 2 ? { corp_name: c.corp_name, corp_full_name: c.corp_name } : {}),
    type: c.type,
    gender: c.gender,
    ...(c.unionid ? { unionid: c.unionid } : {}),
  };
}

function tagsOut(corp: CorpState, follow: Follow) {
  return follow.tag_ids.flatMap((id) => {
    const found = findTag(corp, id);
    return found
      ? [{ group_name: found.group.group_name, tag_name: found.tag.name, type: 1, tag_id: id }]
      : [];
  });
}

function followCommon(f: Follow) {
  return {
    userid: f.userid,
    remark: f.remark,
    description: f.description,
    createtime: f.createtime,
  };
}

function followExtra(f: Follow) {
  return {
    ...(f.remark_corp_name ? { remark_corp_name: f.remark_corp_name } : {}),
    remark_mobiles: f.remark_mobiles,
    oper_userid: f.oper_userid,
    add_way: f.add_way,
    ...(f.state ? { state: f.state } : {}),
  };
}

export function apiGetFollowUserList(corp: CorpState) {
  return {
    follow_user: Object.values(corp.members)
      .filter((m) => m.resigned_at === null && m.status === 1)
      .map((m) => m.userid),
  };
}

export function apiList(corp: CorpState, userid: string | undefined) {
  if (!userid) throw new WecomError(40058, 'missing userid');
  requireMember(corp, userid);
  const follows = followsByUser(corp).get(userid) ?? [];
  if (follows.length === 0) throw new WecomError(84061, undefined, { external_userid: [] });
  return { external_userid: follows.map((f) => f.external_userid) };
}

const FOLLOWERS_PER_PAGE = 500;

export function apiGet(corp: CorpState, externalUserid: string | undefined, cursor: string | undefined) {
  if (!externalUserid) throw new WecomError(40058, 'missing external_userid');
  const customer = findCustomer(corp, externalUserid);
  if (!customer) throw new WecomError(40096, undefined, { follow_user: [] });
  const follows = activeFollows(corp, externalUserid);
  if (follows.length === 0) throw new WecomError(84061, undefined, { follow_user: [] });
  const { items, next_cursor } = page(follows, cursor, FOLLOWERS_PER_PAGE);
  return {
    external_contact: externalContactOut(customer),
    follow_user: items.map((f) => ({ ...followCommon(f), tags: tagsOut(corp, f), ...followExtra(f) })),
    next_cursor,
  };
}

const batchBody = z.object({
  userid_list: z.array(z.string()).min(1).max(100),
  cursor: z.string().optional(),
  limit: int.min(1).max(100).optional(),
});

export function apiBatchGetByUser(corp: CorpState, body: unknown) {
  const input = parseApi(batchBody, body);
  const byUser = followsByUser(corp);
  const rows: Follow[] = [];
  for (const userid of input.userid_list) {
    requireMember(corp, userid);
    rows.push(...(byUser.get(userid) ?? []));
  }
  const { items, next_cursor } = page(rows, input.cursor, input.limit ?? 50);
  return {
    external_contact_list: items.map((f) => ({
      external_contact: externalContactOut(corp.customers[f.external_userid]!),
      follow_info: { ...followCommon(f), tag_id: [...f.tag_ids], ...followExtra(f) },
    })),
    next_cursor,
  };
}

const remarkBody = z.object({
  userid: z.string(),
  external_userid: z.string(),
  remark: chars('remark', 20).optional(),
  description: chars('description', 150).optional(),
  remark_company: chars('remark_company', 20).optional(),
  remark_mobiles: z.array(z.string()).optional(),
  remark_pic_mediaid: z.string().optional(),
});

/** Through the API: no callback. */
export function apiRemark(corp: CorpState, body: unknown) {
  const input = parseApi(remarkBody, body);
  requireMember(corp, input.userid);
  requireCustomer(corp, input.external_userid);
  const follow = findFollow(corp, input.userid, input.external_userid);
  if (!follow) throw new WecomError(84061);
  if (input.remark !== undefined) follow.remark = input.remark;
  if (input.description !== undefined) follow.description = input.description;
  if (input.remark_company !== undefined) follow.remark_corp_name = input.remark_company;
  if (input.remark_mobiles !== undefined) follow.remark_mobiles = input.remark_mobiles;
  return {};
}

const markTagBody = z.object({
  userid: z.string(),
  external_userid: z.string(),
  add_tag: z.array(z.string()).optional(),
  remove_tag: z.array(z.string()).optional(),
});

/** Through the API: no callback. */
export function apiMarkTag(corp: CorpState, body: unknown) {
  const input = parseApi(markTagBody, body);
  if (!input.add_tag?.length && !input.remove_tag?.length)
    throw new WecomError(40058, 'missing add_tag or remove_tag');
  requireMember(corp, input.userid);
  requireCustomer(corp, input.external_userid);
  const follow = findFollow(corp, input.userid, input.external_userid);
  if (!follow) throw new WecomError(84061);
  for (const id of [...(input.add_tag ?? []), ...(input.remove_tag ?? [])]) {
    if (!findTag(corp, id)) throw new WecomError(40068, `invalid tag_id ${id}`);
  }
  applyTags(follow, input.add_tag ?? [], input.remove_tag ?? []);
  return {};
}

/* ---------- inspection ---------- */

export function customerView(corp: CorpState, externalUserid: string) {
  const customer = customerOr404(corp, externalUserid);
  const follows = followsOf(corp, externalUserid).map((f) => ({
    ...f,
    member_name: corp.members[f.userid]?.name ?? '',
    member_resigned: corp.members[f.userid]?.resigned_at != null,
    tags: f.tag_ids.map((id) => {
      const found = findTag(corp, id);
      return { tag_id: id, tag_name: found?.tag.name ?? '', group_name: found?.group.group_name ?? '' };
    }),
  }));
  const groups = Object.values(corp.groups)
    .filter((g) => !g.dismissed)
    .flatMap((g) => {
      const m = g.members.find((x) => x.userid === externalUserid);
      return m
        ? [
            {
              chat_id: g.chat_id,
              name: g.name,
              join_time: m.join_time,
              join_scene: m.join_scene,
              state: m.state,
            },
          ]
        : [];
    });
  return {
    customer,
    follows,
    groups,
    welcomes: corp.welcomes.filter((w) => w.external_userid === externalUserid),
  };
}

export function customerList(corp: CorpState, offset: number, limit: number) {
  const all = Object.values(corp.customers);
  return {
    total: all.length,
    customers: all.slice(offset, offset + limit).map((c) => ({
      ...c,
      follow_userids: followsOf(corp, c.external_userid).map((f) => f.userid),
    })),
  };
}
