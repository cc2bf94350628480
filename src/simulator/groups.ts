import { z } from 'zod';
import { chars, int, page, parseApi } from './api-input.ts';
import { customerOr404, findCustomer } from './contacts.ts';
import { activeMember, memberOr404 } from './directory.ts';
import { badRequest, conflict, notFound, WecomError } from './errors.ts';
import type { CorpState, Group, GroupMember, JoinWay } from './model.ts';
import type { Simulator } from './state.ts';

/** Customer groups (客户群) and «加入群聊» join ways. */

/** A group stops accepting QR joins at 200 members; direct invites work up to 500. */
export const QR_JOIN_CAP = 200;
export const GROUP_CAP = 500;

export function findGroupChat(corp: CorpState, chatId: string): Group | undefined {
  const group = Object.hasOwn(corp.groups, chatId) ? corp.groups[chatId] : undefined;
  return group && !group.dismissed ? group : undefined;
}

function groupOr404(corp: CorpState, chatId: string): Group {
  const group = findGroupChat(corp, chatId);
  if (!group) throw notFound('group', chatId);
  return group;
}

function memberName(corp: CorpState, m: GroupMember): string {
  return m.type === 1 ? (corp.members[m.userid]?.name ?? '') : (corp.customers[m.userid]?.name ?? '');
}

function emitUpdate(
  sim: Simulator,
  corp: CorpState,
  group: Group,
  fields: Record<string, string | number | string[]>,
) {
  return sim.emit(corp, `chat:${group.chat_id}`, {
    Event: 'change_external_chat',
    ChangeType: 'update',
    ChatId: group.chat_id,
    ...fields,
  });
}

/* ---------- scenarios ---------- */

export interface CreateGroupInput {
  owner: string;
  name?: string;
  notice?: string;
  member_userids?: string[];
  external_userids?: string[];
  admin_userids?: string[];
}

/** A member creates a customer group with members: change_external_chat/create. */
export function memberCreatesGroup(sim: Simulator, corp: CorpState, input: CreateGroupInput) {
  memberOr404(corp, input.owner);
  for (const userid of input.member_userids ?? []) memberOr404(corp, userid);
  for (const id of input.external_userids ?? []) customerOr404(corp, id);
  const group = newGroup(sim, corp, input.owner, input.name ?? '', input.notice ?? '');
  const now = sim.nowS();
  const others = [...new Set([...(input.member_userids ?? []), ...(input.external_userids ?? [])])].filter(
    (id) => id !== input.owner,
  );
  if (others.length + 1 > GROUP_CAP)
    throw conflict('group_full', `a group holds at most ${GROUP_CAP} members`);
  for (const id of others) {
    group.members.push({
      userid: id,
      type: activeMember(corp, id) ? 1 : 2,
      join_time: now,
      join_scene: 1,
      invitor: input.owner,
      group_nickname: '',
      state: '',
    });
  }
  for (const admin of input.admin_userids ?? []) {
    if (!group.members.some((m) => m.userid === admin && m.type === 1)) {
      throw badRequest('invalid_admin', `admin ${admin} must be a member of the group`);
    }
  }
  group.admin_list = input.admin_userids ?? [];
  const delivery = sim.emit(corp, `chat:${group.chat_id}`, {
    Event: 'change_external_chat',
    ChangeType: 'create',
    ChatId: group.chat_id,
  });
  return { group: groupView(corp, group), delivery_id: delivery.id };
}

function newGroup(sim: Simulator, corp: CorpState, owner: string, name: string, notice: string): Group {
  const now = sim.nowS();
  const group: Group = {
    chat_id: sim.ids.chatId(),
    name,
    owner,
    create_time: now,
    notice,
    members: [
      { userid: owner, type: 1, join_time: now, join_scene: 1, invitor: null, group_nickname: '', state: '' },
    ],
    admin_list: [],
    member_version: sim.ids.memberVersion(),
    status: 0,
    dismissed: false,
  };
  corp.groups[group.chat_id] = group;
  return group;
}

export interface JoinInput {
  chat_id?: string;
  config_id?: string;
  external_userid?: string;
  userid?: string;
  /** qr (default): JoinScene 3; invite: direct invite, JoinScene 0; link: invite link, JoinScene 0. */
  via?: 'qr' | 'invite' | 'link';
  invitor?: string;
}

/** Someone joins a group: change_external_chat/update add_member (JoinScene 3 for QR, 0 for invites). */
export function joinGroup(sim: Simulator, corp: CorpState, input: JoinInput) {
  if (!input.chat_id === !input.config_id) throw badRequest('invalid_request', 'give chat_id or config_id');
  if (!input.external_userid === !input.userid)
    throw badRequest('invalid_request', 'give external_userid or userid');
  const via = input.via ?? 'qr';
  const joiner = input.external_userid ?? input.userid!;
  if (input.external_userid) customerOr404(corp, input.external_userid);
  else memberOr404(corp, input.userid!);

  let group: Group;
  let state = '';
  let created: string | null = null;
  if (input.config_id) {
    if (via !== 'qr') throw badRequest('invalid_request', 'a join way is a QR code: via must be qr');
    const way = Object.hasOwn(corp.join_ways, input.config_id) ? corp.join_ways[input.config_id] : undefined;
    if (!way) throw notFound('join way', input.config_id);
    state = way.state;
    const picked = pickJoinWayGroup(sim, corp, way, joiner);
    group = picked.group;
    created = picked.created;
  } else {
    group = groupOr404(corp, input.chat_id!);
  }
  if (group.members.some((m) => m.userid === joiner))
    throw conflict('already_member', `${joiner} is already in the group`);
  if (via === 'qr' && group.members.length >= QR_JOIN_CAP) {
    throw conflict(
      'group_qr_full',
      `the group has ${group.members.length} members: QR joins stop at ${QR_JOIN_CAP} (invite the customer instead)`,
    );
  }
  if (group.members.length >= GROUP_CAP)
    throw conflict('group_full', `the group is full (${GROUP_CAP} members)`);
  const invitor = via === 'qr' ? null : (input.invitor ?? group.owner);
  if (invitor) memberOr404(corp, invitor);
  group.members.push({
    userid: joiner,
    type: input.userid ? 1 : 2,
    join_time: sim.nowS(),
    join_scene: via === 'qr' ? 3 : via === 'link' ? 2 : 1,
    invitor,
    group_nickname: '',
    state,
  });
  const last = group.member_version;
  group.member_version = sim.ids.memberVersion();
  const delivery = emitUpdate(sim, corp, group, {
    UpdateDetail: 'add_member',
    JoinScene: via === 'qr' ? 3 : 0,
    MemChangeCnt: 1,
    MemChangeList: [joiner],
    LastMemVer: last,
    CurMemVer: group.member_version,
  });
  return {
    chat_id: group.chat_id,
    member_count: group.members.length,
    created_chat_id: created,
    delivery_id: delivery.id,
  };
}

/** The first group of the way that still takes QR joins; a new room when all are full and auto_create_room=1. */
function pickJoinWayGroup(sim: Simulator, corp: CorpState, way: JoinWay, joiner: string) {
  const groups = way.chat_id_list.map((id) => findGroupChat(corp, id)).filter((g): g is Group => !!g);
  const already = groups.find((g) => g.members.some((m) => m.userid === joiner));
  if (already) return { group: already, created: null };
  const open = groups.find((g) => g.members.length < QR_JOIN_CAP);
  if (open) return { group: open, created: null };
  const template = groups[0];
  if (!way.auto_create_room || !template) {
    throw conflict('group_qr_full', `every group of join way ${way.config_id} has ${QR_JOIN_CAP} members`);
  }
  const name = `${way.room_base_name}${way.room_base_id + way.rooms_created}`;
  way.rooms_created++;
  const group = newGroup(sim, corp, template.owner, name, '');
  way.chat_id_list.push(group.chat_id);
  sim.emit(corp, `chat:${group.chat_id}`, {
    Event: 'change_external_chat',
    ChangeType: 'create',
    ChatId: group.chat_id,
  });
  return { group, created: group.chat_id };
}

/** Someone leaves (QuitScene 0) or is removed by the owner or an admin (QuitScene 1): update del_member. */
export function leaveGroup(
  sim: Simulator,
  corp: CorpState,
  input: { chat_id: string; external_userid?: string; userid?: string; removed_by?: string },
) {
  if (!input.external_userid === !input.userid)
    throw badRequest('invalid_request', 'give external_userid or userid');
  const group = groupOr404(corp, input.chat_id);
  const leaver = input.external_userid ?? input.userid!;
  const index = group.members.findIndex((m) => m.userid === leaver);
  if (index < 0) throw conflict('not_member', `${leaver} is not in the group`);
  if (leaver === group.owner)
    throw conflict('owner_cannot_leave', 'the owner cannot leave: change the owner or dismiss');
  if (input.removed_by && input.removed_by !== group.owner && !group.admin_list.includes(input.removed_by)) {
    throw badRequest('not_admin', `${input.removed_by} is neither the owner nor an admin`);
  }
  const [left] = group.members.splice(index, 1);
  corp.group_leaves ??= [];
  corp.group_leaves.push({
    chat_id: group.chat_id,
    userid: leaver,
    join_time: left!.join_time,
    time: sim.nowS(),
  });
  group.admin_list = group.admin_list.filter((id) => id !== leaver);
  const last = group.member_version;
  group.member_version = sim.ids.memberVersion();
  const delivery = emitUpdate(sim, corp, group, {
    UpdateDetail: 'del_member',
    QuitScene: input.removed_by ? 1 : 0,
    MemChangeCnt: 1,
    MemChangeList: [leaver],
    LastMemVer: last,
    CurMemVer: group.member_version,
  });
  return { chat_id: group.chat_id, member_count: group.members.length, delivery_id: delivery.id };
}

export function renameGroup(sim: Simulator, corp: CorpState, input: { chat_id: string; name: string }) {
  const group = groupOr404(corp, input.chat_id);
  group.name = input.name;
  return { delivery_id: emitUpdate(sim, corp, group, { UpdateDetail: 'change_name' }).id };
}

export function changeGroupNotice(
  sim: Simulator,
  corp: CorpState,
  input: { chat_id: string; notice: string },
) {
  const group = groupOr404(corp, input.chat_id);
  group.notice = input.notice;
  return { delivery_id: emitUpdate(sim, corp, group, { UpdateDetail: 'change_notice' }).id };
}

export function changeGroupOwner(
  sim: Simulator,
  corp: CorpState,
  input: { chat_id: string; new_owner: string },
) {
  const group = groupOr404(corp, input.chat_id);
  memberOr404(corp, input.new_owner);
  if (!group.members.some((m) => m.userid === input.new_owner)) {
    throw conflict('not_member', `${input.new_owner} is not in the group`);
  }
  group.owner = input.new_owner;
  group.admin_list = group.admin_list.filter((id) => id !== input.new_owner);
  return { delivery_id: emitUpdate(sim, corp, group, { UpdateDetail: 'change_owner' }).id };
}

export function dismissGroup(sim: Simulator, corp: CorpState, input: { chat_id: string }) {
  const group = groupOr404(corp, input.chat_id);
  group.dismissed = true;
  group.dismissed_at = sim.nowS();
  const delivery = sim.emit(corp, `chat:${group.chat_id}`, {
    Event: 'change_external_chat',
    ChangeType: 'dismiss',
    ChatId: group.chat_id,
  });
  return { delivery_id: delivery.id };
}

/* ---------- WeCom API ---------- */

const listBody = z.object({
  status_filter: int.min(0).max(3).optional(),
  owner_filter: z.object({ userid_list: z.array(z.string()).max(100).optional() }).optional(),
  cursor: z.string().optional(),
  limit: int.min(1).max(1000),
});

export function apiGroupchatList(corp: CorpState, body: unknown) {
  const input = parseApi(listBody, body);
  const owners = input.owner_filter?.userid_list?.length ? new Set(input.owner_filter.userid_list) : null;
  const status = input.status_filter ?? 0;
  const groups = Object.values(corp.groups).filter(
    (g) => !g.dismissed && (status === 0 || g.status === status) && (!owners || owners.has(g.owner)),
  );
  const { items, next_cursor } = page(groups, input.cursor, input.limit);
  return { group_chat_list: items.map((g) => ({ chat_id: g.chat_id, status: g.status })), next_cursor };
}

const getBody = z.object({ chat_id: z.string(), need_name: int.optional() });

export function apiGroupchatGet(corp: CorpState, body: unknown) {
  const input = parseApi(getBody, body);
  const group = findGroupChat(corp, input.chat_id);
  if (!group) throw new WecomError(40050);
  const needName = input.need_name === 1;
  return {
    group_chat: {
      chat_id: group.chat_id,
      name: group.name,
      owner: group.owner,
      create_time: group.create_time,
      notice: group.notice,
      member_list: group.members.map((m) => {
        const unionid = m.type === 2 ? findCustomer(corp, m.userid)?.unionid : '';
        return {
          userid: m.userid,
          type: m.type,
          ...(unionid ? { unionid } : {}),
          join_time: m.join_time,
          join_scene: m.join_scene,
          ...(m.invitor ? { invitor: { userid: m.invitor } } : {}),
          group_nickname: m.group_nickname,
          ...(needName ? { name: memberName(corp, m) } : {}),
          ...(m.state ? { state: m.state } : {}),
        };
      }),
      admin_list: group.admin_list.map((userid) => ({ userid })),
      member_version: group.member_version,
    },
  };
}

const joinWayFields = {
  scene: int.pipe(z.union([z.literal(1), z.literal(2)])),
  remark: z.string().optional(),
  auto_create_room: int.pipe(z.union([z.literal(0), z.literal(1)])).optional(),
  room_base_name: chars('room_base_name', 40).optional(),
  room_base_id: int.min(0).optional(),
  chat_id_list: z.array(z.string()).min(1).max(5, 'chat_id_list exceed max count 5'),
  state: chars('state', 30).optional(),
  mark_source: z.boolean().optional(),
};
const addJoinWayBody = z.object(joinWayFields);
const updateJoinWayBody = z.object({ config_id: z.string(), ...joinWayFields });
const configBody = z.object({ config_id: z.string() });

function checkJoinWay(corp: CorpState, input: z.infer<typeof addJoinWayBody>) {
  for (const id of input.chat_id_list)
    if (!findGroupChat(corp, id)) throw new WecomError(90501, `invalid chat_id ${id}`);
  const auto = input.auto_create_room ?? 1;
  if (auto === 1 && (!input.room_base_name || input.room_base_id === undefined)) {
    throw new WecomError(40058, 'room_base_name and room_base_id are required when auto_create_room=1');
  }
  return {
    scene: input.scene,
    remark: [...(input.remark ?? '')].slice(0, 30).join(''),
    auto_create_room: auto as 0 | 1,
    room_base_name: input.room_base_name ?? '',
    room_base_id: input.room_base_id ?? 0,
    chat_id_list: input.chat_id_list,
    state: input.state ?? '',
    mark_source: input.mark_source ?? false,
  };
}

function requireJoinWay(corp: CorpState, configId: string): JoinWay {
  const way = Object.hasOwn(corp.join_ways, configId) ? corp.join_ways[configId] : undefined;
  if (!way) throw new WecomError(40058, 'invalid config_id');
  return way;
}

export function apiAddJoinWay(sim: Simulator, corp: CorpState, body: unknown) {
  const fields = checkJoinWay(corp, parseApi(addJoinWayBody, body));
  const way: JoinWay = {
    config_id: sim.ids.configId(),
    ...fields,
    rooms_created: 0,
    qr_code: fields.scene === 2 ? sim.ids.qrCode() : '',
    create_time: sim.nowS(),
  };
  corp.join_ways[way.config_id] = way;
  return { config_id: way.config_id };
}

export function apiGetJoinWay(corp: CorpState, body: unknown) {
  const way = requireJoinWay(corp, parseApi(configBody, body).config_id);
  return {
    join_way: {
      config_id: way.config_id,
      scene: way.scene,
      remark: way.remark,
      auto_create_room: way.auto_create_room,
      room_base_name: way.room_base_name,
      room_base_id: way.room_base_id,
      chat_id_list: way.chat_id_list,
      ...(way.qr_code ? { qr_code: way.qr_code } : {}),
      state: way.state,
    },
  };
}

/** Overwrites the whole configuration. */
export function apiUpdateJoinWay(corp: CorpState, body: unknown) {
  const input = parseApi(updateJoinWayBody, body);
  const way = requireJoinWay(corp, input.config_id);
  Object.assign(way, checkJoinWay(corp, input));
  return {};
}

export function apiDelJoinWay(corp: CorpState, body: unknown) {
  const input = parseApi(configBody, body);
  requireJoinWay(corp, input.config_id);
  delete corp.join_ways[input.config_id];
  return {};
}

/* ---------- inspection ---------- */

export function groupView(corp: CorpState, group: Group) {
  return {
    chat_id: group.chat_id,
    name: group.name,
    owner: group.owner,
    create_time: group.create_time,
    notice: group.notice,
    status: group.status,
    dismissed: group.dismissed,
    member_version: group.member_version,
    member_count: group.members.length,
    admin_list: group.admin_list,
    members: group.members.map((m) => ({ ...m, name: memberName(corp, m) })),
  };
}

export function groupList(corp: CorpState, includeDismissed: boolean) {
  return Object.values(corp.groups)
    .filter((g) => includeDismissed || !g.dismissed)
    .map((g) => {
      const { members: _members, ...rest } = groupView(corp, g);
      return rest;
    });
}

export function groupOr404View(corp: CorpState, chatId: string) {
  const group = Object.hasOwn(corp.groups, chatId) ? corp.groups[chatId] : undefined;
  if (!group) throw notFound('group', chatId);
  return groupView(corp, group);
}
