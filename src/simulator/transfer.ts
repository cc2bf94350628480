import { z } from 'zod';
import {
  GROUP_TRANSFERS_PER_OWNER_PER_DAY,
  TRANSFER_PROTECTION_DAYS,
  TRANSFERS_PER_CUSTOMER,
} from '../wecom/limits.ts';
import { chars, int, page, parseApi } from './api-input.ts';
import { customerOr404, findCustomer, findFollow, insertFollow, removeFollow } from './contacts.ts';
import { activeMember, requireMember } from './directory.ts';
import { baseMessage, notFound, WecomError } from './errors.ts';
import { findGroupChat } from './groups.ts';
import type { CorpState, Member, Transfer } from './model.ts';
import type { Simulator } from './state.ts';

/** How many customers a member may have before takeovers to them end over the limit (status 4). */
export const MEMBER_CUSTOMER_CAP = 20_000;
const PROTECTION_S = TRANSFER_PROTECTION_DAYS * 86_400;

/** 在职继承 / 离职继承: customers move after 24 h unless they refuse; groups move at once. */

export const TRANSFER_DELAY_S = 24 * 3600;

const transferBody = z.object({
  handover_userid: z.string(),
  takeover_userid: z.string(),
  external_userid: z.array(z.string()).min(1).max(100, 'external_userid exceed max count 100'),
  transfer_success_msg: chars('transfer_success_msg', 200).optional(),
});

function resignedMember(corp: CorpState, userid: string): Member | undefined {
  const member = Object.hasOwn(corp.members, userid) ? corp.members[userid] : undefined;
  return member && member.resigned_at !== null ? member : undefined;
}

export function apiTransferCustomer(
  sim: Simulator,
  corp: CorpState,
  body: unknown,
  kind: 'onjob' | 'resigned',
) {
  const input = parseApi(transferBody, body);
  if (kind === 'onjob') requireMember(corp, input.handover_userid);
  else if (!resignedMember(corp, input.handover_userid)) {
    throw new WecomError(40058, `handover_userid ${input.handover_userid} has not resigned`);
  }
  requireMember(corp, input.takeover_userid);
  if (input.handover_userid === input.takeover_userid)
    throw new WecomError(40058, 'handover and takeover are the same');
  const now = sim.nowS();
  const customer = [...new Set(input.external_userid)].map((id) => {
    if (!findCustomer(corp, id)) return { external_userid: id, errcode: 40096 };
    if (!findFollow(corp, input.handover_userid, id)) return { external_userid: id, errcode: 84061 };
    if (corp.transfers.some((t) => t.external_userid === id && t.status === 2))
      return { external_userid: id, errcode: 40129 };
    // at most twice per customer within the 90-day protection (started or done transfers count)
    const recent = corp.transfers.filter(
      (t) => t.external_userid === id && t.status === 1 && t.start_time > now - PROTECTION_S,
    );
    if (recent.length >= TRANSFERS_PER_CUSTOMER) return { external_userid: id, errcode: 40128 };
    if (findFollow(corp, input.takeover_userid, id)) return { external_userid: id, errcode: 40130 };
    corp.transfers.push({
      kind,
      handover_userid: input.handover_userid,
      takeover_userid: input.takeover_userid,
      external_userid: id,
      status: 2,
      start_time: now,
      takeover_time: now + TRANSFER_DELAY_S,
      transfer_success_msg: input.transfer_success_msg ?? '',
    });
    return { external_userid: id, errcode: 0 };
  });
  return { customer };
}

const resultBody = z.object({
  handover_userid: z.string(),
  takeover_userid: z.string(),
  cursor: z.string().optional(),
});

export function apiTransferResult(
  sim: Simulator,
  corp: CorpState,
  body: unknown,
  kind: 'onjob' | 'resigned',
) {
  const input = parseApi(resultBody, body);
  settleTransfers(sim, corp);
  const rows = corp.transfers.filter(
    (t) =>
      t.kind === kind &&
      t.handover_userid === input.handover_userid &&
      t.takeover_userid === input.takeover_userid,
  );
  const { items, next_cursor } = page(rows, input.cursor, 1000);
  return {
    customer: items.map((t) => ({
      external_userid: t.external_userid,
      status: t.status,
      takeover_time: t.status === 3 ? 0 : t.takeover_time,
    })),
    next_cursor,
  };
}

const unassignedBody = z.object({
  page_id: int.optional(),
  page_size: int.min(1).max(1000).optional(),
  cursor: z.string().optional(),
});

export function apiGetUnassignedList(corp: CorpState, body: unknown) {
  const input = parseApi(unassignedBody, body);
  const pending = new Set(
    corp.transfers.filter((t) => t.status === 2).map((t) => `${t.handover_userid}|${t.external_userid}`),
  );
  const rows = Object.values(corp.follows)
    .flat()
    .filter((f) => resignedMember(corp, f.userid) && !pending.has(`${f.userid}|${f.external_userid}`))
    .map((f) => ({
      handover_userid: f.userid,
      external_userid: f.external_userid,
      dimission_time: corp.members[f.userid]!.resigned_at!,
    }));
  const { items, next_cursor } = page(rows, input.cursor, input.page_size ?? 1000);
  return { info: items, is_last: next_cursor === '', next_cursor };
}

export const SETTLE_OP = 'settle-transfers';

/** Settles the corp's due transfers, if any, as an operation of their own (inside one, as part of it). */
export function settleDueTransfers(sim: Simulator, corp: CorpState): void {
  const now = sim.nowS();
  if (corp.transfers.some((t) => t.status === 2 && t.takeover_time <= now))
    sim.run(SETTLE_OP, { corpid: corp.corpid });
}

/** Completes due transfers: the takeover member gets the follow (with remark and tags), the handover loses it. */
export function settleTransfers(sim: Simulator, corp: CorpState): boolean {
  const now = sim.nowS();
  let changed = false;
  for (const t of corp.transfers) {
    if (t.status !== 2 || t.takeover_time > now) continue;
    changed = true;
    const old = findFollow(corp, t.handover_userid, t.external_userid);
    if (!old || !activeMember(corp, t.takeover_userid)) {
      t.status = 4;
      continue;
    }
    if (followCount(corp, t.takeover_userid) >= MEMBER_CUSTOMER_CAP) {
      failTransfer(sim, corp, t, 'customer_limit_exceed');
      continue;
    }
    t.status = 1;
    removeFollow(corp, t.handover_userid, t.external_userid);
    if (!findFollow(corp, t.takeover_userid, t.external_userid)) {
      insertFollow(corp, {
        ...old,
        userid: t.takeover_userid,
        createtime: t.takeover_time,
        add_way: 202,
        oper_userid: t.handover_userid,
      });
    }
    if (t.kind === 'onjob') {
      sim.emit(corp, `customer:${t.external_userid}`, {
        Event: 'change_external_contact',
        ChangeType: 'del_external_contact',
        UserID: t.handover_userid,
        ExternalUserID: t.external_userid,
        Source: 'DELETE_BY_TRANSFER',
      });
    }
  }
  return changed;
}

function followCount(corp: CorpState, userid: string): number {
  let n = 0;
  for (const list of Object.values(corp.follows)) if (list.some((f) => f.userid === userid)) n++;
  return n;
}

function failTransfer(
  sim: Simulator,
  corp: CorpState,
  t: Transfer,
  reason: 'customer_refused' | 'customer_limit_exceed',
) {
  t.status = reason === 'customer_refused' ? 3 : 4;
  return sim.emit(corp, `customer:${t.external_userid}`, {
    Event: 'change_external_contact',
    ChangeType: 'transfer_fail',
    FailReason: reason,
    UserID: t.takeover_userid,
    ExternalUserID: t.external_userid,
  });
}

function pendingTransfer(corp: CorpState, externalUserid: string): Transfer {
  customerOr404(corp, externalUserid);
  const t = corp.transfers.find((x) => x.external_userid === externalUserid && x.status === 2);
  if (!t) throw notFound('pending transfer of customer', externalUserid);
  return t;
}

/** The customer refuses a pending transfer: status 3 and a transfer_fail event. */
export function customerRefusesTransfer(sim: Simulator, corp: CorpState, input: { external_userid: string }) {
  const t = pendingTransfer(corp, input.external_userid);
  const delivery = failTransfer(sim, corp, t, 'customer_refused');
  return { transfer: t, delivery_id: delivery.id };
}

/**
 * The takeover member reached WeCom's customer limit before a pending transfer completed: status 4 (over
 * the limit) and a transfer_fail event with customer_limit_exceed (settling does the same at MEMBER_CUSTOMER_CAP).
 */
export function takeoverOverLimit(sim: Simulator, corp: CorpState, input: { external_userid: string }) {
  const t = pendingTransfer(corp, input.external_userid);
  const delivery = failTransfer(sim, corp, t, 'customer_limit_exceed');
  return { transfer: t, delivery_id: delivery.id };
}

const groupTransferBody = z.object({
  chat_id_list: z.array(z.string()).min(1).max(100, 'chat_id_list exceed max count 100'),
  new_owner: z.string(),
});

export function apiGroupchatTransfer(
  sim: Simulator,
  corp: CorpState,
  body: unknown,
  kind: 'onjob' | 'resigned',
) {
  const input = parseApi(groupTransferBody, body);
  requireMember(corp, input.new_owner);
  const now = sim.nowS();
  corp.group_transfers ??= [];
  const log = corp.group_transfers;
  const failed: { chat_id: string; errcode: number; errmsg: string }[] = [];
  const fail = (chatId: string, errcode: number) =>
    failed.push({ chat_id: chatId, errcode, errmsg: baseMessage(errcode) });
  for (const chatId of [...new Set(input.chat_id_list)]) {
    const group = findGroupChat(corp, chatId);
    if (!group) {
      fail(chatId, 90501);
      continue;
    }
    const ownerResigned = !activeMember(corp, group.owner);
    if (kind === 'resigned' && !ownerResigned) {
      fail(chatId, 90500);
      continue;
    }
    // at most 300 groups a day to one new owner; an on-job group at most twice per 90 days
    if (
      log.filter((x) => x.new_owner === input.new_owner && x.time > now - 86_400).length >=
      GROUP_TRANSFERS_PER_OWNER_PER_DAY
    ) {
      fail(chatId, 40128);
      continue;
    }
    if (
      kind === 'onjob' &&
      log.filter((x) => x.chat_id === chatId && x.kind === 'onjob' && x.time > now - PROTECTION_S).length >=
        TRANSFERS_PER_CUSTOMER
    ) {
      fail(chatId, 40128);
      continue;
    }
    log.push({ chat_id: chatId, new_owner: input.new_owner, kind, time: now });
    group.owner = input.new_owner;
    group.status = kind === 'resigned' ? 3 : group.status;
    if (!group.members.some((m) => m.userid === input.new_owner)) {
      group.members.push({
        userid: input.new_owner,
        type: 1,
        join_time: sim.nowS(),
        join_scene: 1,
        invitor: null,
        group_nickname: '',
        state: '',
      });
      group.member_version = sim.ids.memberVersion();
    }
  }
  return { failed_chat_list: failed };
}

export function transferList(corp: CorpState) {
  return corp.transfers;
}
