import { z } from 'zod';
import { int, page, parseApi } from './api-input.ts';
import { chinaMonth } from './clock.ts';
import { activeFollows, findFollow, followsByUser } from './contacts.ts';
import { memberOr404, requireMember } from './directory.ts';
import { conflict, notFound, WecomError } from './errors.ts';
import { findGroupChat } from './groups.ts';
import { attachmentMedia } from './media.ts';
import { recordMessage } from './messages.ts';
import type { CorpState, Follow, MassSend, MassTarget, MassTask } from './model.ts';
import type { Simulator } from './state.ts';
import { attachmentsSchema, textSchema } from './welcome.ts';

/** 群发 through add_msg_template: a task per sender, confirmed by the member, capped per customer per month. */

const addBody = z.object({
  chat_type: z.enum(['single', 'group']).optional(),
  external_userid: z.array(z.string()).max(10_000, 'external_userid exceed max count 10000').optional(),
  chat_id_list: z.array(z.string()).max(2000, 'chat_id_list exceed max count 2000').optional(),
  tag_filter: z
    .object({ group_list: z.array(z.object({ tag_list: z.array(z.string()).max(100) })).optional() })
    .optional(),
  sender: z.string().optional(),
  allow_select: z.boolean().optional(),
  text: textSchema.optional(),
  attachments: attachmentsSchema.optional(),
});

/** The member who last interacted with the customer: the latest chat, else the latest follow. */
function lastInteracted(corp: CorpState, follows: Follow[]): Follow {
  for (let i = corp.messages.length - 1; i >= 0; i--) {
    const m = corp.messages[i]!;
    const match =
      m.kind === 'chat' &&
      follows.find((f) => f.userid === m.userid && f.external_userid === m.external_userid);
    if (match) return match;
  }
  return follows.reduce((a, b) => (b.createtime > a.createtime ? b : a));
}

function matchesTags(follow: Follow, groups: { tag_list: string[] }[]): boolean {
  return groups.every((g) => g.tag_list.length === 0 || g.tag_list.some((id) => follow.tag_ids.includes(id)));
}

export function apiAddMsgTemplate(sim: Simulator, corp: CorpState, body: unknown) {
  const input = parseApi(addBody, body);
  if (!input.text?.content && !input.attachments?.length)
    throw new WecomError(40058, 'text or attachments required');
  const chatType = input.chat_type ?? 'single';
  if (input.sender) requireMember(corp, input.sender);
  // media ids must be the corp's temporary media, within their 3 days (40007 otherwise)
  attachmentMedia(sim, corp, input.attachments ?? [], true);
  const failList: string[] = [];
  const byUser = new Map<string, MassTarget[]>();
  const target = (userid: string, t: MassTarget) => {
    const list = byUser.get(userid);
    if (list) list.push(t);
    else byUser.set(userid, [t]);
  };

  if (chatType === 'single') {
    if (!input.external_userid?.length && !input.sender) {
      throw new WecomError(40058, 'external_userid and sender cannot both be empty');
    }
    const tagGroups = input.tag_filter?.group_list ?? [];
    let follows: Follow[];
    if (input.external_userid?.length) {
      follows = [];
      for (const id of [...new Set(input.external_userid)]) {
        const candidates = input.sender
          ? activeFollows(corp, id).filter((f) => f.userid === input.sender)
          : activeFollows(corp, id);
        if (candidates.length === 0) failList.push(id);
        else follows.push(input.sender ? candidates[0]! : lastInteracted(corp, candidates));
      }
    } else {
      follows = [...(followsByUser(corp).get(input.sender!) ?? [])];
    }
    for (const f of follows) {
      if (matchesTags(f, tagGroups))
        target(f.userid, { external_userid: f.external_userid, status: 0, send_time: 0 });
    }
  } else {
    if (!input.sender) throw new WecomError(40058, 'missing sender');
    const chats = input.chat_id_list?.length
      ? input.chat_id_list
      : Object.values(corp.groups)
          .filter((g) => !g.dismissed && g.owner === input.sender)
          .map((g) => g.chat_id);
    for (const chatId of [...new Set(chats)]) {
      const group = findGroupChat(corp, chatId);
      if (!group || group.owner !== input.sender) failList.push(chatId);
      else target(input.sender, { chat_id: chatId, status: 0, send_time: 0 });
    }
  }

  const mass: MassSend = {
    msgid: sim.ids.msgId(),
    chat_type: chatType,
    creator: input.sender ?? '',
    create_type: 0,
    create_time: sim.nowS(),
    allow_select: input.allow_select ?? false,
    text: input.text ?? null,
    attachments: input.attachments ?? [],
    tasks: [...byUser].map(([userid, targets]) => ({ userid, status: 0, send_time: 0, targets })),
  };
  corp.mass_sends[mass.msgid] = mass;
  return { fail_list: failList, msgid: mass.msgid };
}

const listBody = z.object({
  chat_type: z.enum(['single', 'group']),
  start_time: int,
  end_time: int,
  creator: z.string().optional(),
  filter_type: int.min(0).max(2).optional(),
  limit: int.min(1).max(100).optional(),
  cursor: z.string().optional(),
});

export function apiGetGroupmsgListV2(corp: CorpState, body: unknown) {
  const input = parseApi(listBody, body);
  if (input.start_time > input.end_time) throw new WecomError(40058, 'start_time is after end_time');
  const filterType = input.filter_type ?? 2;
  const list = Object.values(corp.mass_sends).filter(
    (m) =>
      m.chat_type === input.chat_type &&
      m.create_time >= input.start_time &&
      m.create_time <= input.end_time &&
      (!input.creator || m.creator === input.creator) &&
      (filterType === 2 || m.create_type === filterType),
  );
  const { items, next_cursor } = page(list, input.cursor, input.limit ?? 50);
  return {
    next_cursor,
    group_msg_list: items.map((m) => ({
      msgid: m.msgid,
      creator: m.creator,
      create_time: String(m.create_time),
      create_type: m.create_type,
      ...(m.text ? { text: m.text } : {}),
      ...(m.attachments.length ? { attachments: m.attachments } : {}),
    })),
  };
}

function requireMass(corp: CorpState, msgid: string): MassSend {
  const mass = Object.hasOwn(corp.mass_sends, msgid) ? corp.mass_sends[msgid] : undefined;
  if (!mass) throw new WecomError(40058, 'invalid msgid');
  return mass;
}

const taskBody = z.object({
  msgid: z.string(),
  limit: int.min(1).max(1000).optional(),
  cursor: z.string().optional(),
});

export function apiGetGroupmsgTask(corp: CorpState, body: unknown) {
  const input = parseApi(taskBody, body);
  const mass = requireMass(corp, input.msgid);
  const { items, next_cursor } = page(mass.tasks, input.cursor, input.limit ?? 500);
  return {
    next_cursor,
    task_list: items.map((t) => ({
      userid: t.userid,
      status: t.status,
      ...(t.send_time ? { send_time: t.send_time } : {}),
    })),
  };
}

const resultBody = z.object({
  msgid: z.string(),
  userid: z.string(),
  limit: int.min(1).max(1000).optional(),
  cursor: z.string().optional(),
});

export function apiGetGroupmsgSendResult(corp: CorpState, body: unknown) {
  const input = parseApi(resultBody, body);
  const mass = requireMass(corp, input.msgid);
  const task = mass.tasks.find((t) => t.userid === input.userid);
  const { items, next_cursor } = page(task?.targets ?? [], input.cursor, input.limit ?? 500);
  return { next_cursor, send_list: items.map((t) => sendResultOut(input.userid, t)) };
}

function sendResultOut(userid: string, t: MassTarget) {
  return {
    ...(t.external_userid ? { external_userid: t.external_userid } : { chat_id: t.chat_id }),
    userid,
    status: t.status,
    ...(t.send_time ? { send_time: t.send_time } : {}),
  };
}

const msgidBody = z.object({ msgid: z.string() });

/** WeCom allows 3 reminders of one mass send per 24 hours (off:97610). */
export const REMINDS_PER_DAY = 3;

/**
 * remind_groupmsg_send: notifies the members with unsent tasks again. WeCom allows 3 reminders per 24 h
 * (off:97610) but documents no errcode for a 4th, so the simulator answers ok and records it as over the
 * limit (the members are not notified again); the view lists those under `reminds_over_limit`.
 */
export function apiRemindGroupmsgSend(sim: Simulator, corp: CorpState, body: unknown) {
  const mass = requireMass(corp, parseApi(msgidBody, body).msgid);
  const now = sim.nowS();
  const recent = (mass.reminds ?? []).filter((at) => at > now - 86_400);
  if (recent.length >= REMINDS_PER_DAY) mass.reminds_over_limit = [...(mass.reminds_over_limit ?? []), now];
  else mass.reminds = [...(mass.reminds ?? []), now];
  return {};
}

/** cancel_groupmsg_send: stops the unsent tasks; what was already sent stays sent. */
export function apiCancelGroupmsgSend(sim: Simulator, corp: CorpState, body: unknown) {
  const mass = requireMass(corp, parseApi(msgidBody, body).msgid);
  mass.cancelled_at ??= sim.nowS();
  return {};
}

/** The per-customer (per-group) monthly cap: configured, or the number of days in the month. */
export function receiveCap(corp: CorpState, nowMs: number): { cap: number; month: string } {
  const { key, days } = chinaMonth(nowMs);
  return { cap: corp.limits.receive_cap_per_month ?? days, month: key };
}

function openTask(
  corp: CorpState,
  input: { msgid: string; userid: string },
): { mass: MassSend; task: MassTask } {
  const mass = Object.hasOwn(corp.mass_sends, input.msgid) ? corp.mass_sends[input.msgid] : undefined;
  if (!mass) throw notFound('mass send', input.msgid);
  memberOr404(corp, input.userid);
  const task: MassTask | undefined = mass.tasks.find((t) => t.userid === input.userid);
  if (!task) throw notFound('mass-send task of member', input.userid);
  if (task.status === 2) throw conflict('already_sent', `member ${input.userid} already sent ${input.msgid}`);
  if (mass.cancelled_at !== undefined) throw conflict('cancelled', `mass send ${input.msgid} was cancelled`);
  return { mass, task };
}

/**
 * The member confirms the task in the WeCom client: each target gets it (1), isn't a friend (2) or is capped
 * (3). With allow_select the member may send to some of the targets only (`external_userids`): the others
 * stay unsent (0).
 */
export function memberConfirmsMassSend(
  sim: Simulator,
  corp: CorpState,
  input: { msgid: string; userid: string; external_userids?: string[] },
) {
  const { mass, task } = openTask(corp, input);
  if (input.external_userids && !mass.allow_select) {
    throw conflict('allow_select_off', `mass send ${input.msgid} does not let the member pick recipients`);
  }
  const picked = input.external_userids ? new Set(input.external_userids) : null;
  task.ignored = false;
  const now = sim.nowS();
  const { cap, month } = receiveCap(corp, sim.nowMs());
  const delivered = attachmentMedia(sim, corp, mass.attachments as Record<string, unknown>[], false);
  for (const t of task.targets) {
    if (picked && !(t.external_userid && picked.has(t.external_userid))) continue;
    const reachable = t.external_userid
      ? !!findFollow(corp, input.userid, t.external_userid)
      : !!findGroupChat(corp, t.chat_id!)?.members.some((m) => m.userid === input.userid);
    if (!reachable) {
      t.status = 2;
      continue;
    }
    const key = `${t.external_userid ?? t.chat_id}|${month}`;
    const received = corp.mass_received[key] ?? 0;
    if (received >= cap) {
      t.status = 3;
      continue;
    }
    corp.mass_received[key] = received + 1;
    t.status = 1;
    t.send_time = now;
    if (t.external_userid) {
      recordMessage(corp, {
        direction: 'out',
        kind: 'mass',
        external_userid: t.external_userid,
        userid: input.userid,
        msgtype: mass.text ? 'text' : 'attachments',
        content: mass.text?.content ?? JSON.stringify(mass.attachments),
        ...(delivered.length ? { attachments: delivered } : {}),
        at: now,
      });
    } else {
      recordMessage(corp, {
        direction: 'out',
        kind: 'mass',
        external_userid: '',
        chat_id: t.chat_id!,
        speaker: input.userid,
        userid: input.userid,
        msgtype: mass.text ? 'text' : 'attachments',
        content: mass.text?.content ?? JSON.stringify(mass.attachments),
        ...(delivered.length ? { attachments: delivered } : {}),
        at: now,
      });
    }
  }
  task.status = 2;
  task.send_time = now;
  return {
    msgid: mass.msgid,
    userid: input.userid,
    send_list: task.targets.map((t) => sendResultOut(input.userid, t)),
  };
}

/** The member sees the task and does not send it: it stays unsent (the population runner leaves it too). */
export function memberIgnoresMassSend(
  _sim: Simulator,
  corp: CorpState,
  input: { msgid: string; userid: string },
) {
  const { task } = openTask(corp, input);
  task.ignored = true;
  return { msgid: input.msgid, userid: input.userid, ignored: true };
}

/**
 * A member's own 群发 from the 群发助手 (create_type 1): sent at once to those of their customers given, and
 * counted in the same monthly receive cap as the corp's (API-FACTS-2 §11): over it, a customer gets status 3.
 */
export function memberSendsPersonalMassSend(
  sim: Simulator,
  corp: CorpState,
  input: { userid: string; external_userids: string[]; content: string },
) {
  requireMember(corp, input.userid);
  const now = sim.nowS();
  const { cap, month } = receiveCap(corp, sim.nowMs());
  const targets: MassTarget[] = [];
  for (const id of [...new Set(input.external_userids)]) {
    if (!findFollow(corp, input.userid, id)) {
      targets.push({ external_userid: id, status: 2, send_time: 0 });
      continue;
    }
    const key = `${id}|${month}`;
    const received = corp.mass_received[key] ?? 0;
    if (received >= cap) {
      targets.push({ external_userid: id, status: 3, send_time: 0 });
      continue;
    }
    corp.mass_received[key] = received + 1;
    targets.push({ external_userid: id, status: 1, send_time: now });
    recordMessage(corp, {
      direction: 'out',
      kind: 'mass',
      external_userid: id,
      userid: input.userid,
      msgtype: 'text',
      content: input.content,
      at: now,
    });
  }
  const mass: MassSend = {
    msgid: sim.ids.msgId(),
    chat_type: 'single',
    creator: input.userid,
    create_type: 1,
    create_time: now,
    allow_select: false,
    text: { content: input.content },
    attachments: [],
    tasks: [{ userid: input.userid, status: 2, send_time: now, targets }],
  };
  corp.mass_sends[mass.msgid] = mass;
  return { msgid: mass.msgid, send_list: targets.map((t) => sendResultOut(input.userid, t)) };
}

/**
 * What the population runner does with open 群发 tasks: each task unsent for at least `delayS` (and not
 * cancelled or ignored) is confirmed with probability `confirmRate`, else ignored for good.
 */
export function settleMassTasks(
  sim: Simulator,
  corp: CorpState,
  opts: { confirmRate: number; delayS: number; chance: (p: number) => boolean },
): { confirmed: number; ignored: number } {
  const out = { confirmed: 0, ignored: 0 };
  const now = sim.nowS();
  for (const mass of Object.values(corp.mass_sends)) {
    if (mass.cancelled_at !== undefined || mass.create_time > now - opts.delayS) continue;
    for (const task of mass.tasks) {
      if (task.status === 2 || task.ignored || !corp.members[task.userid]) continue;
      if (opts.chance(opts.confirmRate)) {
        memberConfirmsMassSend(sim, corp, { msgid: mass.msgid, userid: task.userid });
        out.confirmed++;
      } else {
        task.ignored = true;
        out.ignored++;
      }
    }
  }
  return out;
}

export function massSendView(corp: CorpState, msgid: string) {
  const mass = Object.hasOwn(corp.mass_sends, msgid) ? corp.mass_sends[msgid] : undefined;
  if (!mass) throw notFound('mass send', msgid);
  return mass;
}

export function massSendList(corp: CorpState) {
  return Object.values(corp.mass_sends).map((m) => ({
    msgid: m.msgid,
    chat_type: m.chat_type,
    creator: m.creator,
    create_time: m.create_time,
    text: m.text,
    create_type: m.create_type,
    cancelled: m.cancelled_at !== undefined,
    reminds: m.reminds?.length ?? 0,
    tasks: m.tasks.map((t) => ({
      userid: t.userid,
      status: t.status,
      ignored: t.ignored ?? false,
      send_time: t.send_time,
      targets: t.targets.length,
      counts: {
        unsent: t.targets.filter((x) => x.status === 0).length,
        sent: t.targets.filter((x) => x.status === 1).length,
        not_friend: t.targets.filter((x) => x.status === 2).length,
        over_cap: t.targets.filter((x) => x.status === 3).length,
      },
    })),
  }));
}
