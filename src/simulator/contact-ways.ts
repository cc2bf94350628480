import { z } from 'zod';
import { chars, int, page, parseApi } from './api-input.ts';
import { addFollow, customerOr404, findFollow } from './contacts.ts';
import { activeMember, membersOfParties, requireMember } from './directory.ts';
import { conflict, notFound, WecomError } from './errors.ts';
import type { ContactWay, CorpState } from './model.ts';
import type { Simulator } from './state.ts';

/** «联系我»: add_contact_way and friends (API-FACTS §3), and a customer scanning one. */

const MAX_MEMBERS_PER_WAY = 100;
const FOURTEEN_DAYS_S = 14 * 86_400;

const wayFields = {
  style: int.optional(),
  remark: chars('remark', 30).optional(),
  skip_verify: z.boolean().optional(),
  state: chars('state', 30).optional(),
  user: z.array(z.string()).optional(),
  party: z.array(int).optional(),
  is_temp: z.boolean().optional(),
  expires_in: int.min(1).max(FOURTEEN_DAYS_S).optional(),
  chat_expires_in: int.min(1).max(FOURTEEN_DAYS_S).optional(),
  unionid: z.string().optional(),
  is_exclusive: z.boolean().optional(),
  conclusions: z.unknown().optional(),
  mark_source: z.boolean().optional(),
};

const addBody = z.object({
  type: int.pipe(z.union([z.literal(1), z.literal(2)])),
  scene: int.pipe(z.union([z.literal(1), z.literal(2)])),
  ...wayFields,
});
const updateBody = z.object({ config_id: z.string(), ...wayFields });
const configBody = z.object({ config_id: z.string() });
const listBody = z.object({
  start_time: int.optional(),
  end_time: int.optional(),
  cursor: z.string().optional(),
  limit: int.min(1).max(1000).optional(),
});

function checkUsers(corp: CorpState, type: 1 | 2, user: string[], party: number[]): void {
  for (const userid of user) requireMember(corp, userid);
  for (const id of party) if (!corp.departments.some((d) => d.id === id)) throw new WecomError(60123);
  if (type === 1 && (user.length !== 1 || party.length > 0)) {
    throw new WecomError(40058, 'user must hold exactly one userid for type 1');
  }
  if (type === 2 && user.length === 0 && party.length === 0)
    throw new WecomError(40058, 'missing user or party');
  const count = new Set([...user, ...membersOfParties(corp, party).map((m) => m.userid)]).size;
  if (count > MAX_MEMBERS_PER_WAY) {
    throw new WecomError(40058, `user count exceed max ${MAX_MEMBERS_PER_WAY}`);
  }
}

function requireWay(corp: CorpState, configId: string): ContactWay {
  const way = Object.hasOwn(corp.contact_ways, configId) ? corp.contact_ways[configId] : undefined;
  if (!way) throw new WecomError(40058, 'invalid config_id');
  return way;
}

export function apiAddContactWay(sim: Simulator, corp: CorpState, body: unknown) {
  const raw = (body ?? {}) as Record<string, unknown>;
  if (raw.type === undefined || raw.type === null || raw.type === '') throw new WecomError(41037);
  const input = parseApi(addBody, body);
  const user = input.user ?? [];
  const party = input.party ?? [];
  checkUsers(corp, input.type, user, party);
  const way: ContactWay = {
    config_id: sim.ids.configId(),
    type: input.type,
    scene: input.scene,
    style: input.style ?? null,
    remark: input.remark ?? '',
    skip_verify: input.skip_verify ?? true,
    state: input.state ?? '',
    user,
    party,
    is_temp: input.is_temp ?? false,
    expires_in: input.is_temp ? (input.expires_in ?? 7 * 86_400) : null,
    chat_expires_in: input.is_temp ? (input.chat_expires_in ?? 86_400) : null,
    unionid: input.unionid ?? '',
    conclusions: input.conclusions ?? null,
    qr_code: input.scene === 2 ? sim.ids.qrCode() : '',
    create_time: sim.nowS(),
    next_index: 0,
  };
  corp.contact_ways[way.config_id] = way;
  return { config_id: way.config_id, ...(way.qr_code ? { qr_code: way.qr_code } : {}) };
}

export function contactWayOut(way: ContactWay) {
  return {
    config_id: way.config_id,
    type: way.type,
    scene: way.scene,
    ...(way.style !== null ? { style: way.style } : {}),
    remark: way.remark,
    skip_verify: way.skip_verify,
    state: way.state,
    ...(way.qr_code ? { qr_code: way.qr_code } : {}),
    user: way.user,
    party: way.party,
    is_temp: way.is_temp,
    ...(way.is_temp ? { expires_in: way.expires_in, chat_expires_in: way.chat_expires_in } : {}),
    ...(way.unionid ? { unionid: way.unionid } : {}),
    ...(way.conclusions ? { conclusions: way.conclusions } : {}),
  };
}

export function apiGetContactWay(corp: CorpState, body: unknown) {
  const input = parseApi(configBody, body);
  return { contact_way: contactWayOut(requireWay(corp, input.config_id)) };
}

export function apiListContactWay(sim: Simulator, corp: CorpState, body: unknown) {
  const input = parseApi(listBody, body);
  const end = input.end_time ?? sim.nowS();
  const start = input.start_time ?? end - 90 * 86_400;
  if (start > end) throw new WecomError(40058, 'start_time is after end_time');
  const ways = Object.values(corp.contact_ways)
    .filter((w) => w.create_time >= start && w.create_time <= end)
    .sort((a, b) => a.create_time - b.create_time);
  const { items, next_cursor } = page(ways, input.cursor, input.limit ?? 100);
  return { contact_way: items.map((w) => ({ config_id: w.config_id })), next_cursor };
}

/** Overwrites the fields given; `user` and `party` are replaced as a whole. */
export function apiUpdateContactWay(corp: CorpState, body: unknown) {
  const input = parseApi(updateBody, body);
  const way = requireWay(corp, input.config_id);
  const user = input.user ?? way.user;
  const party = input.party ?? way.party;
  if (input.user !== undefined || input.party !== undefined) checkUsers(corp, way.type, user, party);
  way.user = user;
  way.party = party;
  if (input.style !== undefined) way.style = input.style;
  if (input.remark !== undefined) way.remark = input.remark;
  if (input.skip_verify !== undefined) way.skip_verify = input.skip_verify;
  if (input.state !== undefined) way.state = input.state;
  if (input.expires_in !== undefined && way.is_temp) way.expires_in = input.expires_in;
  if (input.chat_expires_in !== undefined && way.is_temp) way.chat_expires_in = input.chat_expires_in;
  if (input.unionid !== undefined) way.unionid = input.unionid;
  if (input.conclusions !== undefined) way.conclusions = input.conclusions;
  return {};
}

export function apiDelContactWay(corp: CorpState, body: unknown) {
  const input = parseApi(configBody, body);
  requireWay(corp, input.config_id);
  delete corp.contact_ways[input.config_id];
  return {};
}

/** The members a scan can reach: type 1 its single user, type 2 users and department members, in order. */
export function wayMembers(corp: CorpState, way: ContactWay): string[] {
  const ids = [...way.user, ...membersOfParties(corp, way.party).map((m) => m.userid)];
  return [...new Set(ids)].filter((id) => activeMember(corp, id));
}

/**
 * A customer scans a «联系我» code: the follow (add_way 1, the way's state), a WelcomeCode and
 * add_external_contact. Type 2 rotates among its members; a customer who already follows one of them
 * simply opens that chat (no event).
 */
export function scanContactWay(
  sim: Simulator,
  corp: CorpState,
  input: { config_id: string; external_userid: string },
) {
  const way = Object.hasOwn(corp.contact_ways, input.config_id)
    ? corp.contact_ways[input.config_id]
    : undefined;
  if (!way) throw notFound('contact way', input.config_id);
  customerOr404(corp, input.external_userid);
  const members = wayMembers(corp, way);
  if (members.length === 0) throw conflict('no_member', `contact way ${way.config_id} has no active member`);
  const existing = members.find((userid) => findFollow(corp, userid, input.external_userid));
  if (existing)
    return { userid: existing, added: false, state: way.state, welcome_code: null, delivery_id: null };
  const userid = members[way.next_index % members.length]!;
  way.next_index = (way.next_index + 1) % members.length;
  const added = addFollow(sim, corp, {
    userid,
    external_userid: input.external_userid,
    add_way: 1,
    state: way.state,
    oper_userid: input.external_userid,
  });
  return {
    userid,
    added: true,
    state: way.state,
    welcome_code: added.welcome_code,
    delivery_id: added.delivery_id,
  };
}
