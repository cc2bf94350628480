import { type Insertable, type Selectable, sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import type {
  GetUnassignedListResponse,
  TransferCustomerRequest,
  TransferGroupChatsResponse,
  TransferResultResponse,
} from '../../wecom/client.ts';
import {
  GROUP_TRANSFER_MAX_CHATS,
  GROUP_TRANSFERS_PER_OWNER_PER_DAY,
  TRANSFER_MAX_CUSTOMERS,
  TRANSFER_PROTECTION_DAYS,
  TRANSFER_TAKEOVER_HOURS,
  TRANSFERS_PER_CUSTOMER,
} from '../../wecom/limits.ts';
import {
  GROUPCHAT_ONJOB_TRANSFER,
  GROUPCHAT_TRANSFER,
  RESIGNED_TRANSFER_CUSTOMER,
  TRANSFER_CUSTOMER,
} from '../../wecom/paths.ts';
import { recordAudit } from '../audit/index.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import { carryOverTransfers, type FollowTransfer } from '../customers/index.ts';
import type { EventOf } from '../events.ts';
import { changeGroupOwners } from '../groups/index.ts';
import type { StaffTable } from '../staff/index.ts';
import type { TransferKind, TransferRule, TransferStatus, TransfersTable } from './schema.ts';

export const FOLLOW_UP_JOB = 'transfers.follow-up';
const OUTBOX_PREFIX = 'transfers:';
const DAY_MS = 86_400_000;
const PROTECTION_MS = TRANSFER_PROTECTION_DAYS * DAY_MS;
/** The statuses that count against a customer's (or an on-job group's) transfers within 90 days. */
const COUNTED: TransferStatus[] = ['queued', 'waiting', 'done'];
const OPEN: TransferStatus[] = ['queued', 'waiting'];

/** What the module needs of the WeCom client (the real one, or a fake in a test). */
export interface TransferClient {
  getUnassignedList(req: { cursor?: string; page_size?: number }): Promise<GetUnassignedListResponse>;
  transferResult(req: {
    handover_userid: string;
    takeover_userid: string;
    cursor?: string;
  }): Promise<TransferResultResponse>;
  resignedTransferResult(req: {
    handover_userid: string;
    takeover_userid: string;
    cursor?: string;
  }): Promise<TransferResultResponse>;
}

type StaffRow = Pick<Selectable<StaffTable>, 'id' | 'userid' | 'name' | 'unit_id' | 'status'>;

async function staffRows(ctx: SyncCtx, ids: readonly number[]): Promise<Map<number, StaffRow>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.cdb.db
    .selectFrom('staff')
    .select(['id', 'userid', 'name', 'unit_id', 'status'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** A member named in a request: in the caller's subtree, else 404 like a missing one. */
async function staffInScope(ctx: Ctx, id: number): Promise<StaffRow> {
  const s = (await staffRows(ctx, [id])).get(id);
  if (!s || !ctx.actor.unitIds.includes(s.unit_id)) throw notFound({ zh: `成员 ${id}`, en: `Staff ${id}` });
  return s;
}

// ── the unassigned list ─────────────────────────────────────────────────────

interface UnassignedPair {
  handoverUserid: string;
  externalUserid: string;
  dimissionTime: number | null;
}

/**
 * WeCom's list of departed members' customers waiting for a new owner (get_unassigned_list, every page), or,
 * when the brand is not linked to WeCom, Siyu's mirror of it (departed staff's active follows).
 */
async function unassignedPairs(ctx: SyncCtx, client: TransferClient | null): Promise<UnassignedPair[]> {
  if (client) {
    const out: UnassignedPair[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const res = await client.getUnassignedList({ page_size: 1000, ...(cursor ? { cursor } : {}) });
      for (const i of res.info ?? [])
        out.push({
          handoverUserid: i.handover_userid,
          externalUserid: i.external_userid,
          dimissionTime: i.dimission_time,
        });
      if (res.is_last || !res.next_cursor) break;
      cursor = res.next_cursor;
    }
    return out;
  }
  const rows = await ctx.cdb.db
    .selectFrom('follows as f')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
    )
    .select(['s.userid', 'c.external_userid'])
    .where('f.corp_id', '=', ctx.cdb.corpId)
    .where('f.status', '=', 'active')
    .where('s.status', '=', 'departed')
    .execute();
  return rows.map((r) => ({
    handoverUserid: r.userid,
    externalUserid: r.external_userid,
    dimissionTime: null,
  }));
}

interface UnassignedCustomer {
  customerId: number;
  externalUserid: string;
  name: string;
}
interface UnassignedOwner {
  staff: StaffRow & { unitName: string };
  departedAt: string | null;
  customers: UnassignedCustomer[];
  groups: { groupId: number; chatId: string; name: string }[];
}

/** The departed members in the caller's scope with the customers and groups still waiting for a new owner. */
async function unassignedInScope(
  ctx: Ctx,
  client: TransferClient | null,
  onlyStaff?: readonly number[],
): Promise<UnassignedOwner[]> {
  const { cdb, actor } = ctx;
  const pairs = await unassignedPairs(ctx, client);
  const departed = await cdb.db
    .selectFrom('staff as s')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 's.corp_id').onRef('u.id', '=', 's.unit_id'),
    )
    .select(['s.id', 's.userid', 's.name', 's.unit_id', 's.status', 'u.name as unitName'])
    .where('s.corp_id', '=', cdb.corpId)
    .where('s.unit_id', 'in', [...actor.unitIds])
    .where((eb) =>
      eb.or([
        eb('s.status', '=', 'departed'),
        ...(pairs.length ? [eb('s.userid', 'in', [...new Set(pairs.map((p) => p.handoverUserid))])] : []),
      ]),
    )
    .$if(onlyStaff !== undefined, (q) => q.where('s.id', 'in', onlyStaff!.length ? [...onlyStaff!] : [-1]))
    .orderBy('s.id')
    .execute();
  if (departed.length === 0) return [];
  const byUserid = new Map(departed.map((s) => [s.userid, s]));
  const mine = pairs.filter((p) => byUserid.has(p.handoverUserid));
  const customers = mine.length
    ? await cdb.db
        .selectFrom('customers')
        .select(['id', 'external_userid', 'name'])
        .where('corp_id', '=', cdb.corpId)
        .where('external_userid', 'in', [...new Set(mine.map((p) => p.externalUserid))])
        .execute()
    : [];
  const customerBy = new Map(customers.map((c) => [c.external_userid, c]));
  // customers Siyu has already asked WeCom to move (WeCom drops them from its list once started)
  const open = new Set(
    (
      await cdb.db
        .selectFrom('transfers')
        .select(['handover_staff_id', 'customer_id'])
        .where('corp_id', '=', cdb.corpId)
        .where('status', 'in', OPEN)
        .where('target', '=', 'customer')
        .where(
          'handover_staff_id',
          'in',
          departed.map((s) => s.id),
        )
        .execute()
    ).map((r) => `${r.handover_staff_id}:${r.customer_id}`),
  );
  const groups = await cdb.db
    .selectFrom('groups')
    .select(['id', 'chat_id', 'name', 'owner_staff_id'])
    .where('corp_id', '=', cdb.corpId)
    .where('status', '=', 'active')
    .where(
      'owner_staff_id',
      'in',
      departed.map((s) => s.id),
    )
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('transfers as t')
            .select('t.id')
            .whereRef('t.corp_id', '=', 'groups.corp_id')
            .whereRef('t.chat_id', '=', 'groups.chat_id')
            .where('t.status', 'in', OPEN),
        ),
      ),
    )
    .orderBy('id')
    .execute();
  return departed
    .map((s) => {
      const own = mine.filter((p) => p.handoverUserid === s.userid);
      const times = own.flatMap((p) => (p.dimissionTime ? [p.dimissionTime] : []));
      return {
        staff: s,
        departedAt: times.length ? new Date(Math.max(...times) * 1000).toISOString() : null,
        customers: own.flatMap((p) => {
          const c = customerBy.get(p.externalUserid);
          return c && !open.has(`${s.id}:${c.id}`)
            ? [{ customerId: c.id, externalUserid: c.external_userid, name: c.name }]
            : [];
        }),
        groups: groups
          .filter((g) => g.owner_staff_id === s.id)
          .map((g) => ({ groupId: g.id, chatId: g.chat_id, name: g.name })),
      };
    })
    .filter((o) => o.customers.length > 0 || o.groups.length > 0 || o.staff.status === 'departed');
}

export async function listUnassigned(ctx: Ctx, client: TransferClient | null) {
  const owners = await unassignedInScope(ctx, client);
  const candidates = await activeStaffByUnit(
    ctx,
    owners.map((o) => o.staff.unit_id),
  );
  return {
    source: client ? ('wecom' as const) : ('mirror' as const),
    items: owners.map((o) => ({
      staffId: o.staff.id,
      userid: o.staff.userid,
      name: o.staff.name,
      unitId: o.staff.unit_id,
      unitName: o.staff.unitName,
      departedAt: o.departedAt,
      customerCount: o.customers.length,
      customers: o.customers.slice(0, 50).map((c) => ({ id: c.customerId, name: c.name })),
      groupCount: o.groups.length,
      groups: o.groups.slice(0, 50).map((g) => ({ id: g.groupId, name: g.name })),
      storeStaff: (candidates.get(o.staff.unit_id) ?? [])
        .filter((c) => c.id !== o.staff.id)
        .map((c) => ({ id: c.id, name: c.name, customers: c.load })),
    })),
  };
}

// ── choosing the takeover ───────────────────────────────────────────────────

interface Candidate {
  id: number;
  userid: string;
  name: string;
  unit_id: number;
  load: number;
  groups: number;
}

/** Active staff of the units, with their current customers (active follows) and groups owned. */
async function activeStaffByUnit(
  ctx: SyncCtx,
  unitIds: readonly number[],
): Promise<Map<number, Candidate[]>> {
  const out = new Map<number, Candidate[]>();
  if (unitIds.length === 0) return out;
  const rows = await ctx.cdb.db
    .selectFrom('staff as s')
    .select((eb) => [
      's.id',
      's.userid',
      's.name',
      's.unit_id',
      eb
        .selectFrom('follows as f')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('f.corp_id', '=', 's.corp_id')
        .whereRef('f.staff_id', '=', 's.id')
        .where('f.status', '=', 'active')
        .as('load'),
      eb
        .selectFrom('groups as g')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('g.corp_id', '=', 's.corp_id')
        .whereRef('g.owner_staff_id', '=', 's.id')
        .where('g.status', '=', 'active')
        .as('groups'),
    ])
    .where('s.corp_id', '=', ctx.cdb.corpId)
    .where('s.status', '=', 'active')
    .where('s.unit_id', 'in', [...new Set(unitIds)])
    .orderBy('s.id')
    .execute();
  for (const r of rows) {
    const list = out.get(r.unit_id) ?? [];
    list.push({ ...r, load: Number(r.load ?? 0), groups: Number(r.groups ?? 0) });
    out.set(r.unit_id, list);
  }
  return out;
}

/** The candidate with the least load (ties: the lower id), whose load then grows by one. */
function leastLoaded(list: Candidate[], key: 'load' | 'groups'): Candidate {
  let best = list[0]!;
  for (const c of list) if (c[key] < best[key] || (c[key] === best[key] && c.id < best.id)) best = c;
  best[key]++;
  return best;
}

export interface RuleInput {
  rule: TransferRule;
  /** For `successor`: the member who takes everything over. */
  successorStaffId?: number;
}

async function takeoverPicker(ctx: Ctx, input: RuleInput, stores: readonly number[]) {
  if (input.rule === 'successor') {
    if (input.successorStaffId === undefined)
      throw new AppError('bad_request', {
        zh: '请选择接替成员',
        en: 'Name the successor (successorStaffId)',
      });
    const s = await staffInScope(ctx, input.successorStaffId);
    if (s.status !== 'active')
      throw new AppError('conflict', {
        zh: `${s.name} 不是在职成员`,
        en: `${s.name} is not an active member`,
      });
    const c: Candidate = { ...s, load: 0, groups: 0 };
    return (_unitId: number, _exclude: number, _key: 'load' | 'groups', accepts: Accepts = () => true) =>
      accepts(c) ? c : null;
  }
  const byUnit = await activeStaffByUnit(ctx, stores);
  return (unitId: number, exclude: number, key: 'load' | 'groups', accepts: Accepts = () => true) => {
    const list = (byUnit.get(unitId) ?? []).filter((c) => c.id !== exclude);
    if (list.length === 0)
      throw new AppError('conflict', {
        zh: '该门店没有其他在职成员可以接替，请指定接替成员',
        en: 'The store has no other active member to take over: name a successor',
      });
    const open = list.filter(accepts);
    return open.length ? leastLoaded(open, key) : null;
  };
}

/** Whether a candidate may take one more item; the picker answers null when no candidate may. */
type Accepts = (c: Candidate) => boolean;

/**
 * WeCom takes at most 300 groups a day to one new owner (40128 beyond): how many each member has been sent
 * in the last 24 hours (queued, waiting or done), checked before sending and counted up as the plan grows.
 */
async function groupRoomToday(ctx: SyncCtx) {
  const since = new Date(ctx.clock.now().getTime() - DAY_MS);
  const rows = await ctx.cdb.db
    .selectFrom('transfers')
    .select(['takeover_userid', sql<string>`count(*)`.as('n')])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('target', '=', 'group')
    .where('status', 'in', COUNTED)
    .where('requested_at', '>', since)
    .groupBy('takeover_userid')
    .execute();
  const used = new Map(rows.map((r) => [r.takeover_userid, Number(r.n)]));
  return {
    accepts: (c: { userid: string }) => (used.get(c.userid) ?? 0) < GROUP_TRANSFERS_PER_OWNER_PER_DAY,
    take: (c: { userid: string }) => used.set(c.userid, (used.get(c.userid) ?? 0) + 1),
  };
}

/** A group left out because every possible new owner has had 300 groups today. */
const overDailyLimit = (g: { groupId: number; name: string }): Excluded => ({
  customerId: null,
  groupId: g.groupId,
  name: g.name,
  reason: 'owner_daily_limit',
  transfers: [],
});

// ── starting transfers ──────────────────────────────────────────────────────

interface PlannedCustomer {
  customerId: number;
  externalUserid: string;
  name: string;
  handover: { id: number; userid: string; name: string };
  takeover: { id: number; userid: string; name: string };
}
interface PlannedGroup {
  groupId: number;
  chatId: string;
  name: string;
  handover: { id: number; userid: string; name: string };
  takeover: { id: number; userid: string; name: string };
}
export interface Excluded {
  customerId: number | null;
  groupId: number | null;
  name: string;
  reason: 'protected_90_days' | 'in_progress' | 'already_followed' | 'not_followed' | 'owner_daily_limit';
  /** For protected_90_days: when the counted transfers were asked. */
  transfers: string[];
}

export interface Plan {
  kind: TransferKind;
  customers: PlannedCustomer[];
  groups: PlannedGroup[];
  excluded: Excluded[];
}

function summary(plan: Plan, batchId: number | null) {
  const by = new Map<number, { staffId: number; name: string; customers: number; groups: number }>();
  const add = (t: { id: number; name: string }, k: 'customers' | 'groups') => {
    const e = by.get(t.id) ?? { staffId: t.id, name: t.name, customers: 0, groups: 0 };
    e[k]++;
    by.set(t.id, e);
  };
  for (const c of plan.customers) add(c.takeover, 'customers');
  for (const g of plan.groups) add(g.takeover, 'groups');
  return {
    batchId,
    kind: plan.kind,
    customers: plan.customers.length,
    groups: plan.groups.length,
    takeovers: [...by.values()],
    excluded: plan.excluded,
  };
}

const pick = (s: { id: number; userid: string; name: string }) => ({
  id: s.id,
  userid: s.userid,
  name: s.name,
});

export interface DepartureInput extends RuleInput {
  /** The departed members whose customers move; or every departed member of `unitId` (a store). */
  handoverStaffIds?: number[];
  unitId?: number;
  /** Only these of their customers (default: all waiting); groups: true also moves the groups they owned. */
  customerIds?: number[];
  groups: boolean;
  dryRun: boolean;
}

/** 离职继承: departed members' waiting customers (and groups) to the store's other staff or a successor. */
export async function startDeparture(ctx: Ctx, client: TransferClient | null, input: DepartureInput) {
  if (input.unitId !== undefined && !ctx.actor.unitIds.includes(input.unitId))
    throw notFound({ zh: `组织 ${input.unitId}`, en: `Unit ${input.unitId}` });
  for (const id of input.handoverStaffIds ?? []) await staffInScope(ctx, id);
  let owners = await unassignedInScope(ctx, client, input.handoverStaffIds);
  if (input.unitId !== undefined) owners = owners.filter((o) => o.staff.unit_id === input.unitId);
  if (owners.length === 0)
    throw new AppError('conflict', {
      zh: '没有待分配的离职成员客户',
      en: 'No departed member’s customers wait here',
    });
  const only = input.customerIds ? new Set(input.customerIds) : null;
  const choose = await takeoverPicker(
    ctx,
    input,
    owners.map((o) => o.staff.unit_id),
  );
  const room = await groupRoomToday(ctx);
  const plan: Plan = { kind: 'resigned', customers: [], groups: [], excluded: [] };
  for (const o of owners) {
    for (const c of o.customers) {
      if (only && !only.has(c.customerId)) continue;
      const t = choose(o.staff.unit_id, o.staff.id, 'load')!;
      plan.customers.push({ ...c, handover: pick(o.staff), takeover: pick(t) });
    }
    if (input.groups)
      for (const g of o.groups) {
        const t = choose(o.staff.unit_id, o.staff.id, 'groups', room.accepts);
        if (!t) {
          plan.excluded.push(overDailyLimit(g));
          continue;
        }
        room.take(t);
        plan.groups.push({ ...g, handover: pick(o.staff), takeover: pick(t) });
      }
  }
  if (only) {
    const planned = new Set(plan.customers.map((c) => c.customerId));
    const missing = [...only].filter((id) => !planned.has(id));
    if (missing.length)
      throw new AppError('bad_request', {
        zh: `客户 ${missing.join(', ')} 不在待分配列表中`,
        en: `Customers ${missing.join(', ')} are not waiting for a new owner`,
      });
  }
  if (input.dryRun) return summary(plan, null);
  const batchId = await send(ctx, plan, input.rule, null);
  return summary(plan, batchId);
}

export interface ReassignInput extends RuleInput {
  handoverStaffId: number;
  /** Only these of the member's customers (default: all they follow). */
  customerIds?: number[];
  groups: boolean;
  /** transfer_success_msg: what WeCom sends the customer (≤200 characters; WeCom's default when absent). */
  message?: string;
  dryRun: boolean;
}

/**
 * 在职转接: an active member's customers (and groups) to a colleague, when they change store or role. The
 * 2-transfers-per-90-days protection is checked before sending: customers it would refuse are left out and
 * listed (excluded), as are those already moving or already followed by the takeover member.
 */
export async function startReassign(ctx: Ctx, input: ReassignInput) {
  const { cdb } = ctx;
  const handover = await staffInScope(ctx, input.handoverStaffId);
  if (handover.status !== 'active')
    throw new AppError('conflict', {
      zh: `${handover.name} 已离职，请使用离职继承`,
      en: `${handover.name} has left: use the departure transfer`,
    });
  const choose = await takeoverPicker(ctx, input, [handover.unit_id]);
  const follows = await cdb.db
    .selectFrom('follows as f')
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
    )
    .select(['c.id', 'c.external_userid', 'c.name'])
    .where('f.corp_id', '=', cdb.corpId)
    .where('f.staff_id', '=', handover.id)
    .where('f.status', '=', 'active')
    .$if(input.customerIds !== undefined, (q) =>
      q.where('c.id', 'in', input.customerIds!.length ? input.customerIds! : [-1]),
    )
    .orderBy('c.id')
    .execute();
  const plan: Plan = { kind: 'onjob', customers: [], groups: [], excluded: [] };
  if (input.customerIds) {
    const found = new Set(follows.map((f) => f.id));
    for (const id of input.customerIds)
      if (!found.has(id))
        plan.excluded.push({
          customerId: id,
          groupId: null,
          name: '',
          reason: 'not_followed',
          transfers: [],
        });
  }
  const since = new Date(ctx.clock.now().getTime() - PROTECTION_MS);
  const history = follows.length
    ? await cdb.db
        .selectFrom('transfers')
        .select(['customer_id', 'status', 'requested_at'])
        .where('corp_id', '=', cdb.corpId)
        .where(
          'customer_id',
          'in',
          follows.map((f) => f.id),
        )
        .where('status', 'in', COUNTED)
        .where('requested_at', '>', since)
        .execute()
    : [];
  for (const f of follows) {
    const mine = history.filter((h) => h.customer_id === f.id);
    const base = { customerId: f.id, groupId: null, name: f.name };
    if (mine.some((h) => OPEN.includes(h.status))) {
      plan.excluded.push({ ...base, reason: 'in_progress', transfers: [] });
      continue;
    }
    if (mine.length >= TRANSFERS_PER_CUSTOMER) {
      plan.excluded.push({
        ...base,
        reason: 'protected_90_days',
        transfers: mine.map((h) => h.requested_at.toISOString()).sort(),
      });
      continue;
    }
    const t = choose(handover.unit_id, handover.id, 'load')!;
    plan.customers.push({
      customerId: f.id,
      externalUserid: f.external_userid,
      name: f.name,
      handover: pick(handover),
      takeover: pick(t),
    });
  }
  // WeCom refuses a customer the takeover member already follows (40130)
  const takeoverIds = [...new Set(plan.customers.map((c) => c.takeover.id))];
  if (takeoverIds.length) {
    const already = await cdb.db
      .selectFrom('follows')
      .select(['customer_id', 'staff_id'])
      .where('corp_id', '=', cdb.corpId)
      .where('status', '=', 'active')
      .where('staff_id', 'in', takeoverIds)
      .where(
        'customer_id',
        'in',
        plan.customers.map((c) => c.customerId),
      )
      .execute();
    const key = new Set(already.map((a) => `${a.customer_id}:${a.staff_id}`));
    plan.customers = plan.customers.filter((c) => {
      if (!key.has(`${c.customerId}:${c.takeover.id}`)) return true;
      plan.excluded.push({
        customerId: c.customerId,
        groupId: null,
        name: c.name,
        reason: 'already_followed',
        transfers: [],
      });
      return false;
    });
  }
  if (input.groups) {
    const groups = await cdb.db
      .selectFrom('groups')
      .select(['id', 'chat_id', 'name'])
      .where('corp_id', '=', cdb.corpId)
      .where('owner_staff_id', '=', handover.id)
      .where('status', '=', 'active')
      .orderBy('id')
      .execute();
    const groupHistory = groups.length
      ? await cdb.db
          .selectFrom('transfers')
          .select(['chat_id', 'status', 'requested_at'])
          .where('corp_id', '=', cdb.corpId)
          .where('kind', '=', 'onjob')
          .where(
            'chat_id',
            'in',
            groups.map((g) => g.chat_id),
          )
          .where('status', 'in', COUNTED)
          .where('requested_at', '>', since)
          .execute()
      : [];
    const room = await groupRoomToday(ctx);
    for (const g of groups) {
      const mine = groupHistory.filter((h) => h.chat_id === g.chat_id);
      if (mine.length >= TRANSFERS_PER_CUSTOMER) {
        plan.excluded.push({
          customerId: null,
          groupId: g.id,
          name: g.name,
          reason: 'protected_90_days',
          transfers: mine.map((h) => h.requested_at.toISOString()).sort(),
        });
        continue;
      }
      const t = choose(handover.unit_id, handover.id, 'groups', room.accepts);
      if (!t) {
        plan.excluded.push(overDailyLimit({ groupId: g.id, name: g.name }));
        continue;
      }
      room.take(t);
      plan.groups.push({
        groupId: g.id,
        chatId: g.chat_id,
        name: g.name,
        handover: pick(handover),
        takeover: pick(t),
      });
    }
  }
  if (plan.customers.length === 0 && plan.groups.length === 0 && !input.dryRun)
    throw new AppError('conflict', {
      zh: '没有可以转接的客户或客户群',
      en: 'Nothing can be reassigned',
    });
  if (input.dryRun) return summary(plan, null);
  const batchId = await send(ctx, plan, input.rule, input.message ?? null);
  return summary(plan, batchId);
}

/**
 * Records the batch, a row per customer and group sent (the excluded are in the answer and the audit entry), one outbox call per
 * (handover, takeover) and 100 customers or groups, and one audit entry; all in one transaction.
 */
async function send(ctx: Ctx, plan: Plan, rule: TransferRule, message: string | null): Promise<number> {
  const now = ctx.clock.now();
  const batchId = await ctx.cdb.transaction(async (tx) => {
    const batch = await tx.db
      .insertInto('transfer_batches')
      .values({
        corp_id: tx.corpId,
        kind: plan.kind,
        rule,
        message,
        requested_by: ctx.actor.accountId,
        requested_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const base = {
      corp_id: tx.corpId,
      kind: plan.kind,
      batch_id: batch.id,
      requested_by: ctx.actor.accountId,
      requested_at: now,
      message,
    };
    const rows: Insertable<TransfersTable>[] = [];
    const calls: { key: string; kind: string; request: Record<string, unknown> }[] = [];
    const chunked = <T extends { handover: { userid: string }; takeover: { userid: string } }>(
      items: T[],
      size: number,
    ) => {
      const by = new Map<string, T[]>();
      for (const i of items) {
        const k = `${i.handover.userid}>${i.takeover.userid}`;
        by.set(k, [...(by.get(k) ?? []), i]);
      }
      return [...by.values()].flatMap((list) =>
        Array.from({ length: Math.ceil(list.length / size) }, (_, n) => list.slice(n * size, (n + 1) * size)),
      );
    };
    let n = 0;
    for (const part of chunked(plan.customers, TRANSFER_MAX_CUSTOMERS)) {
      const key = `${OUTBOX_PREFIX}${batch.id}:${n++}`;
      const first = part[0]!;
      const request: TransferCustomerRequest = {
        handover_userid: first.handover.userid,
        takeover_userid: first.takeover.userid,
        external_userid: part.map((c) => c.externalUserid),
        ...(plan.kind === 'onjob' && message ? { transfer_success_msg: message } : {}),
      };
      calls.push({
        key,
        kind: plan.kind === 'onjob' ? TRANSFER_CUSTOMER : RESIGNED_TRANSFER_CUSTOMER,
        request: { ...request },
      });
      for (const c of part)
        rows.push({
          ...base,
          target: 'customer',
          customer_id: c.customerId,
          external_userid: c.externalUserid,
          handover_staff_id: c.handover.id,
          handover_userid: c.handover.userid,
          takeover_staff_id: c.takeover.id,
          takeover_userid: c.takeover.userid,
          status: 'queued',
          outbox_key: key,
          // WeCom completes a takeover 24 h after the call: when transfer_result is worth asking
          takeover_at: new Date(now.getTime() + TRANSFER_TAKEOVER_HOURS * 3_600_000),
        });
    }
    for (const part of chunked(plan.groups, GROUP_TRANSFER_MAX_CHATS)) {
      const key = `${OUTBOX_PREFIX}${batch.id}:${n++}`;
      calls.push({
        key,
        kind: plan.kind === 'onjob' ? GROUPCHAT_ONJOB_TRANSFER : GROUPCHAT_TRANSFER,
        request: { chat_id_list: part.map((g) => g.chatId), new_owner: part[0]!.takeover.userid },
      });
      for (const g of part)
        rows.push({
          ...base,
          target: 'group',
          group_id: g.groupId,
          chat_id: g.chatId,
          handover_staff_id: g.handover.id,
          handover_userid: g.handover.userid,
          takeover_staff_id: g.takeover.id,
          takeover_userid: g.takeover.userid,
          status: 'queued',
          outbox_key: key,
        });
    }
    for (let i = 0; i < rows.length; i += 1000)
      await tx.db
        .insertInto('transfers')
        .values(rows.slice(i, i + 1000))
        .execute();
    for (const call of calls)
      await enqueueOutbox(
        jobsDb(tx.db),
        tx.corpId,
        { idemKey: call.key, lane: 'bulk', kind: call.kind, request: call.request },
        now,
      );
    await recordAudit(
      { ...ctx, cdb: tx },
      {
        action: plan.kind === 'onjob' ? 'transfers.reassign' : 'transfers.departure',
        subject: `transfer_batch:${batch.id}`,
        details: {
          rule,
          customers: plan.customers.length,
          groups: plan.groups.length,
          excluded: plan.excluded.map((e) => ({
            customerId: e.customerId,
            groupId: e.groupId,
            reason: e.reason,
          })),
          handovers: [...new Set([...plan.customers, ...plan.groups].map((c) => c.handover.id))],
          takeovers: [...new Set([...plan.customers, ...plan.groups].map((c) => c.takeover.id))],
        },
      },
    );
    return batch.id;
  });
  return batchId;
}

// ── WeCom's answers ─────────────────────────────────────────────────────────

/** Why WeCom refused one customer of a transfer_customer call, in Siyu's words. */
const ERRCODE_REASON: Record<number, string> = {
  40096: 'unknown_customer',
  84061: 'not_followed',
  40129: 'in_progress',
  40130: 'already_followed',
  40128: 'protected_90_days',
  90500: 'owner_not_resigned',
  90501: 'not_a_customer_group',
};

/** A transfer's reason (history rows, items left out of a plan) in words, Chinese and English. */
const REASON_TEXT: Record<string, { zh: string; en: string }> = {
  protected_90_days: {
    zh: '90 天内已转接 2 次，处于企业微信保护期',
    en: 'Moved twice within 90 days: WeCom’s protection period',
  },
  owner_daily_limit: {
    zh: '接替人 24 小时内已接收 300 个客户群（企业微信每日上限）',
    en: 'The new owner received 300 groups within 24 hours (WeCom’s daily limit)',
  },
  group_transfer_limit: {
    zh: '企业微信转移次数限制（40128）：接替人今日已满 300 个群，或该群 90 天内已在职转接 2 次（可能在企业微信后台操作）',
    en: 'WeCom’s transfer limit (40128): the new owner has 300 groups today, or the group was moved on the job twice within 90 days (perhaps in WeCom’s admin console)',
  },
  in_progress: { zh: '该客户正在转接中', en: 'Already being transferred' },
  already_followed: { zh: '接替人已是该客户的好友', en: 'The new owner already follows this customer' },
  not_followed: {
    zh: '原跟进人与该客户已不是好友',
    en: 'The previous owner no longer follows this customer',
  },
  unknown_customer: { zh: '企业微信找不到该客户', en: 'WeCom does not know this customer' },
  owner_not_resigned: {
    zh: '原群主尚未离职，请使用在职转接',
    en: 'The owner has not left: use a reassignment',
  },
  not_a_customer_group: { zh: '群不存在或不是客户群', en: 'No such customer group' },
  customer_refused: { zh: '客户拒绝了转接', en: 'The customer refused the transfer' },
  customer_limit_exceed: {
    zh: '接替人的客户数已达企业微信上限',
    en: 'The new owner has reached WeCom’s customer limit',
  },
  no_record: { zh: '企业微信没有这次转接的记录', en: 'WeCom has no record of this transfer' },
  outbox_failed: { zh: '企业微信拒绝了这次请求', en: 'WeCom refused the request' },
  outbox_expired: { zh: '请求过期，未发送到企业微信', en: 'The request expired before reaching WeCom' },
  outbox_unknown: {
    zh: '请求结果未知（企业微信未应答）',
    en: 'The request’s outcome is unknown (WeCom did not answer)',
  },
};

/** What a history row says about how it ended: its reason in words, else its errcode; null while all is well. */
export function reasonText(
  status: TransferStatus,
  reason: string | null,
  errcode: number | null,
): { zh: string; en: string } | null {
  const known = reason ? REASON_TEXT[reason] : undefined;
  const code = errcode ? `（errcode ${errcode}）` : '';
  if (known) return errcode ? { zh: `${known.zh}${code}`, en: `${known.en} (errcode ${errcode})` } : known;
  if (status === 'queued' || status === 'waiting' || status === 'done') return null;
  if (errcode) return { zh: `企业微信拒绝${code}`, en: `WeCom refused (errcode ${errcode})` };
  return { zh: '原因未知', en: 'Reason unknown' };
}

/**
 * groupchat transfers answer 40128 for two limits WeCom does not tell apart: 300 groups a day to one new
 * owner, and an on-job group moved twice within 90 days. Siyu's own history decides which when it can: a
 * departed owner's group has no 90-day protection, so it is the daily limit; an on-job group Siyu moved twice
 * within 90 days is protected; a new owner Siyu sent 300 groups today is full. Else (moves made outside
 * Siyu) it stays "either".
 */
async function groupLimitReason(
  tx: SyncCtx['cdb'],
  row: { id: number; kind: TransferKind; chat_id: string; takeover_userid: string },
  landed: { idemKey: string; failedChats: readonly string[] },
  now: Date,
): Promise<string> {
  if (row.kind === 'resigned') return 'owner_daily_limit';
  const moves = await tx.db
    .selectFrom('transfers')
    .select(sql<string>`count(*)`.as('n'))
    .where('corp_id', '=', tx.corpId)
    .where('kind', '=', 'onjob')
    .where('chat_id', '=', row.chat_id)
    .where('id', '<>', row.id)
    .where('status', 'in', ['waiting', 'done'])
    .where('requested_at', '>', new Date(now.getTime() - PROTECTION_MS))
    .executeTakeFirstOrThrow();
  if (Number(moves.n) >= TRANSFERS_PER_CUSTOMER) return 'protected_90_days';
  const received = await tx.db
    .selectFrom('transfers')
    .select(sql<string>`count(*)`.as('n'))
    .where('corp_id', '=', tx.corpId)
    .where('target', '=', 'group')
    .where('takeover_userid', '=', row.takeover_userid)
    .where('requested_at', '>', new Date(now.getTime() - DAY_MS))
    .where((eb) =>
      eb.or([
        eb('status', '=', 'done'),
        // this call's groups WeCom took: they are about to be done
        eb.and([
          eb('outbox_key', '=', landed.idemKey),
          eb('status', '=', 'queued'),
          ...(landed.failedChats.length ? [eb('chat_id', 'not in', [...landed.failedChats])] : []),
        ]),
      ]),
    )
    .executeTakeFirstOrThrow();
  if (Number(received.n) >= GROUP_TRANSFERS_PER_OWNER_PER_DAY) return 'owner_daily_limit';
  return 'group_transfer_limit';
}

/** transfer_customer (either kind) is done: each customer's takeover started (waiting) or was refused. */
export async function onCustomersSent(ctx: SyncCtx, idemKey: string, result: Record<string, unknown>) {
  if (!idemKey.startsWith(OUTBOX_PREFIX)) return;
  const answers = (result as { customer?: { external_userid: string; errcode: number }[] }).customer ?? [];
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    for (const ok of [true, false]) {
      const ids = answers.filter((a) => (a.errcode === 0) === ok).map((a) => a.external_userid);
      if (ids.length === 0) continue;
      if (ok) {
        await tx.db
          .updateTable('transfers')
          .set({ status: 'waiting' })
          .where('corp_id', '=', tx.corpId)
          .where('outbox_key', '=', idemKey)
          .where('status', '=', 'queued')
          .where('external_userid', 'in', ids)
          .execute();
      } else {
        for (const a of answers.filter((x) => x.errcode !== 0))
          await tx.db
            .updateTable('transfers')
            .set({
              status: 'failed',
              errcode: a.errcode,
              reason: ERRCODE_REASON[a.errcode] ?? null,
              settled_at: now,
            })
            .where('corp_id', '=', tx.corpId)
            .where('outbox_key', '=', idemKey)
            .where('status', '=', 'queued')
            .where('external_userid', '=', a.external_userid)
            .execute();
      }
    }
  });
}

/** groupchat/transfer or onjob_transfer is done: the groups not in failed_chat_list have their new owner. */
export async function onGroupsSent(ctx: SyncCtx, idemKey: string, result: Record<string, unknown>) {
  if (!idemKey.startsWith(OUTBOX_PREFIX)) return;
  const failed = (result as TransferGroupChatsResponse).failed_chat_list ?? [];
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    const txCtx = { ...ctx, cdb: tx };
    const failedChats = failed.map((f) => f.chat_id);
    for (const f of failed) {
      let reason = ERRCODE_REASON[f.errcode] ?? null;
      if (f.errcode === 40128) {
        const row = await tx.db
          .selectFrom('transfers')
          .select(['id', 'kind', 'chat_id', 'takeover_userid'])
          .where('corp_id', '=', tx.corpId)
          .where('outbox_key', '=', idemKey)
          .where('status', '=', 'queued')
          .where('chat_id', '=', f.chat_id)
          .executeTakeFirst();
        if (row)
          reason = await groupLimitReason(
            tx,
            { ...row, chat_id: row.chat_id! },
            { idemKey, failedChats },
            now,
          );
      }
      await tx.db
        .updateTable('transfers')
        .set({
          status: 'failed',
          errcode: f.errcode,
          reason,
          settled_at: now,
        })
        .where('corp_id', '=', tx.corpId)
        .where('outbox_key', '=', idemKey)
        .where('status', '=', 'queued')
        .where('chat_id', '=', f.chat_id)
        .execute();
    }
    const done = await tx.db
      .updateTable('transfers')
      .set({ status: 'done', takeover_at: now, settled_at: now })
      .where('corp_id', '=', tx.corpId)
      .where('outbox_key', '=', idemKey)
      .where('status', '=', 'queued')
      .returning(['chat_id', 'takeover_userid', 'takeover_staff_id'])
      .execute();
    if (done.length)
      await changeGroupOwners(
        txCtx,
        done.map((d) => d.chat_id!),
        { userid: done[0]!.takeover_userid, staffId: done[0]!.takeover_staff_id },
        now,
      );
  });
}

const RESULT_STATUS: Record<number, TransferStatus> = {
  1: 'done',
  2: 'waiting',
  3: 'refused',
  4: 'over_limit',
  5: 'failed',
};

/**
 * Follows the brand's open transfers: calls WeCom refused for good fail their rows; each (kind, handover,
 * takeover) pair with a takeover due is read back with transfer_result until every customer is done,
 * refused, over the limit or unknown to WeCom; the done are carried over (follow, tags, timeline).
 */
export async function followUp(ctx: SyncCtx, client: TransferClient | null): Promise<void> {
  const { cdb } = ctx;
  const now = ctx.clock.now();
  // calls WeCom refused as a whole (the member has not resigned…) or that never got an answer
  const dead = await cdb.db
    .selectFrom('wecom_outbox as o')
    .select(['o.idem_key', 'o.status', 'o.errcode'])
    .where('o.corp_id', '=', cdb.corpId)
    .where('o.idem_key', 'like', `${OUTBOX_PREFIX}%`)
    .where('o.status', 'in', ['failed', 'expired', 'unknown'])
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('transfers as t')
          .select('t.id')
          .whereRef('t.corp_id', '=', 'o.corp_id')
          .whereRef('t.outbox_key', '=', 'o.idem_key')
          .where('t.status', '=', 'queued'),
      ),
    )
    .execute();
  for (const d of dead)
    await cdb.db
      .updateTable('transfers')
      .set({ status: 'failed', errcode: d.errcode, reason: `outbox_${d.status}`, settled_at: now })
      .where('corp_id', '=', cdb.corpId)
      .where('outbox_key', '=', d.idem_key)
      .where('status', '=', 'queued')
      .execute();
  if (!client) return;
  const pairs = await cdb.db
    .selectFrom('transfers')
    .select(['kind', 'handover_userid', 'takeover_userid'])
    .where('corp_id', '=', cdb.corpId)
    .where('status', '=', 'waiting')
    .where('target', '=', 'customer')
    .where('takeover_at', '<=', now)
    .groupBy(['kind', 'handover_userid', 'takeover_userid'])
    .execute();
  for (const p of pairs) {
    const results: TransferResultResponse['customer'] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const req = {
        handover_userid: p.handover_userid,
        takeover_userid: p.takeover_userid,
        ...(cursor ? { cursor } : {}),
      };
      const res =
        p.kind === 'onjob' ? await client.transferResult(req) : await client.resignedTransferResult(req);
      results.push(...(res.customer ?? []));
      if (!res.next_cursor) break;
      cursor = res.next_cursor;
    }
    await settle(ctx, p, results);
  }
}

async function settle(
  ctx: SyncCtx,
  pair: { kind: TransferKind; handover_userid: string; takeover_userid: string },
  results: TransferResultResponse['customer'],
) {
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    const open = await tx.db
      .selectFrom('transfers')
      .select([
        'id',
        'customer_id',
        'external_userid',
        'handover_staff_id',
        'takeover_staff_id',
        'requested_by',
      ])
      .where('corp_id', '=', tx.corpId)
      .where('status', '=', 'waiting')
      .where('kind', '=', pair.kind)
      .where('handover_userid', '=', pair.handover_userid)
      .where('takeover_userid', '=', pair.takeover_userid)
      .execute();
    const latest = new Map(results.map((r) => [r.external_userid, r]));
    const carried: FollowTransfer[] = [];
    for (const t of open) {
      const r = latest.get(t.external_userid!);
      const status: TransferStatus = r ? (RESULT_STATUS[r.status] ?? 'failed') : 'failed';
      if (status === 'waiting') continue;
      const at = r && r.takeover_time > 0 ? new Date(r.takeover_time * 1000) : now;
      await tx.db
        .updateTable('transfers')
        .set({
          status,
          settled_at: now,
          ...(status === 'done' ? { takeover_at: at } : {}),
          ...(status === 'failed' ? { reason: 'no_record' } : {}),
          ...(status === 'refused' ? { reason: 'customer_refused' } : {}),
          ...(status === 'over_limit' ? { reason: 'customer_limit_exceed' } : {}),
        })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', t.id)
        .execute();
      if (status === 'done')
        carried.push({
          customerId: t.customer_id!,
          fromStaffId: t.handover_staff_id,
          toStaffId: t.takeover_staff_id,
          kind: pair.kind,
          at,
          accountId: t.requested_by,
        });
    }
    await carryOverTransfers({ ...ctx, cdb: tx }, carried);
  });
}

/** The transfer_fail callback: the customer's open transfer to that member ends refused or over the limit. */
export async function onTransferFailed(ctx: SyncCtx, events: EventOf<'TransferFailed'>[]) {
  for (const e of events) {
    await ctx.cdb.db
      .updateTable('transfers')
      .set({
        status: e.reason === 'customer_limit_exceed' ? 'over_limit' : 'refused',
        reason: e.reason,
        settled_at: new Date(e.at),
      })
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('customer_id', '=', e.customerId)
      .where('takeover_userid', '=', e.takeoverUserid)
      .where('status', 'in', OPEN)
      .execute();
  }
}

// ── reading ─────────────────────────────────────────────────────────────────

export interface ListInput {
  status?: TransferStatus;
  kind?: TransferKind;
  batchId?: number;
  staffId?: number;
  cursor?: string;
  limit: number;
}

/** The transfers whose handover or takeover member is in the caller's subtree, newest first, with counts. */
export async function listTransfers(ctx: Ctx, input: ListInput) {
  const { cdb, actor } = ctx;
  const units = [...actor.unitIds];
  const after = decodeCursor(input.cursor);
  let q = cdb.db
    .selectFrom('transfers as t')
    .innerJoin('staff as h', (j) =>
      j.onRef('h.corp_id', '=', 't.corp_id').onRef('h.id', '=', 't.handover_staff_id'),
    )
    .innerJoin('staff as k', (j) =>
      j.onRef('k.corp_id', '=', 't.corp_id').onRef('k.id', '=', 't.takeover_staff_id'),
    )
    .leftJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 't.corp_id').onRef('c.id', '=', 't.customer_id'),
    )
    .leftJoin('groups as g', (j) => j.onRef('g.corp_id', '=', 't.corp_id').onRef('g.id', '=', 't.group_id'))
    .leftJoin('accounts as a', (j) =>
      j.onRef('a.corp_id', '=', 't.corp_id').onRef('a.id', '=', 't.requested_by'),
    )
    .where('t.corp_id', '=', cdb.corpId)
    .where((eb) => eb.or([eb('h.unit_id', 'in', units), eb('k.unit_id', 'in', units)]));
  if (input.kind) q = q.where('t.kind', '=', input.kind);
  if (input.batchId) q = q.where('t.batch_id', '=', input.batchId);
  if (input.staffId)
    q = q.where((eb) =>
      eb.or([eb('t.handover_staff_id', '=', input.staffId!), eb('t.takeover_staff_id', '=', input.staffId!)]),
    );
  const counts = await q
    .select(['t.status', sql<string>`count(*)`.as('n')])
    .groupBy('t.status')
    .execute();
  if (input.status) q = q.where('t.status', '=', input.status);
  if (after !== undefined) q = q.where('t.id', '<', after);
  const rows = await q
    .select([
      't.id',
      't.batch_id',
      't.kind',
      't.target',
      't.customer_id',
      'c.name as customer_name',
      't.group_id',
      'g.name as group_name',
      't.handover_staff_id',
      'h.name as handover_name',
      't.takeover_staff_id',
      'k.name as takeover_name',
      't.status',
      't.errcode',
      't.reason',
      't.requested_at',
      't.takeover_at',
      't.settled_at',
      'a.display_name as requested_by_name',
    ])
    .orderBy('t.id', 'desc')
    .limit(input.limit + 1)
    .execute();
  const { items, nextCursor } = toPage(rows, input.limit);
  return {
    counts: Object.fromEntries(counts.map((c) => [c.status, Number(c.n)])) as Partial<
      Record<TransferStatus, number>
    >,
    nextCursor,
    items: items.map((r) => ({
      id: r.id,
      batchId: r.batch_id,
      kind: r.kind,
      target: r.target,
      customerId: r.customer_id,
      customerName: r.customer_name,
      groupId: r.group_id,
      groupName: r.group_name,
      handover: { id: r.handover_staff_id, name: r.handover_name },
      takeover: { id: r.takeover_staff_id, name: r.takeover_name },
      status: r.status,
      errcode: r.errcode,
      reason: r.reason,
      reasonText: reasonText(r.status, r.reason, r.errcode),
      requestedBy: r.requested_by_name,
      requestedAt: r.requested_at.toISOString(),
      takeoverAt: r.takeover_at?.toISOString() ?? null,
      settledAt: r.settled_at?.toISOString() ?? null,
    })),
  };
}
