import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { CorpDb } from '../../platform/db/corp-db.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import {
  ADD_GROUP_WELCOME_TEMPLATE,
  ADD_JOIN_WAY,
  EDIT_GROUP_WELCOME_TEMPLATE,
  UPDATE_JOIN_WAY,
} from '../../wecom/paths.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import type { OutboxEffects } from '../manifest.ts';
import { assertUnitInScope } from '../org/index.ts';
import type { Tables } from '../tables.ts';
import { groupVisibleTo, QR_LIMIT } from './service.ts';

/**
 * Group codes (群活码): a WeCom join way over up to five groups. Siyu rotates the code before a group reaches
 * the 200 members a QR admits — the nearly full group is retired from the way's list (update_join_way
 * overwrites it) so the next customer lands in the next group — and when the last listed group fills,
 * WeCom creates the next room (room_base_name + number), which Siyu adds to the code when it appears.
 */

/** A group is retired from its codes when it has this many members (the QR admits 200). */
export const ROTATE_AT = QR_LIMIT - 10;
export const MAX_GROUPS_PER_CODE = 5;

/** Variables a group welcome may use; {客户昵称} becomes WeCom's %NICKNAME% (the joiner's nickname). */
export const GROUP_WELCOME_VARIABLES = ['客户昵称', '群名', '门店'] as const;

export function renderGroupWelcome(text: string, vars: { 群名: string; 门店: string }): string {
  return text.replace(/\{(客户昵称|群名|门店)\}/g, (_, k: string) =>
    k === '客户昵称' ? '%NICKNAME%' : vars[k as '群名' | '门店'],
  );
}

export interface GroupCodeInput {
  unitId: number;
  name: string;
  groupIds: number[];
  roomBaseName: string;
  roomBaseId: number;
  autoCreate: boolean;
  welcomeText: string;
}

function newState(): string {
  return `gc_${randomBytes(6).toString('hex')}`;
}

async function groupsInScope(ctx: Ctx, ids: number[]) {
  const rows = await ctx.cdb.db
    .selectFrom('groups as g')
    .leftJoin('staff as os', (j) =>
      j.onRef('os.corp_id', '=', 'g.corp_id').onRef('os.id', '=', 'g.owner_staff_id'),
    )
    .select(['g.id', 'g.chat_id', 'g.member_count', 'g.status'])
    .where('g.corp_id', '=', ctx.cdb.corpId)
    .where('g.id', 'in', ids)
    .where(groupVisibleTo(ctx.actor))
    .execute();
  for (const id of ids) {
    const g = rows.find((r) => r.id === id);
    if (g?.status !== 'active') {
      throw new AppError('bad_request', {
        zh: `客户群 ${id} 不存在或不在你的权限范围内`,
        en: `Group ${id} does not exist or is outside your scope`,
      });
    }
  }
  return rows;
}

/** A manager makes a group code for a unit (a store's own code): the join way is created through the outbox. */
export async function createGroupCode(ctx: Ctx, input: GroupCodeInput) {
  if (ctx.actor.role === 'staff') throw new AppError('forbidden');
  assertUnitInScope(ctx.actor, input.unitId);
  const ids = [...new Set(input.groupIds)];
  if (ids.length < 1 || ids.length > MAX_GROUPS_PER_CODE) {
    throw new AppError('bad_request', { zh: '每个群活码可选 1–5 个群', en: 'A group code takes 1–5 groups' });
  }
  const id = await ctx.cdb.transaction(async (tx) => {
    const groups = await groupsInScope({ ...ctx, cdb: tx }, ids);
    const now = ctx.clock.now();
    const { id } = await tx.db
      .insertInto('group_codes')
      .values({
        corp_id: tx.corpId,
        unit_id: input.unitId,
        name: input.name,
        state: newState(),
        auto_create: input.autoCreate,
        room_base_name: input.roomBaseName,
        room_base_id: input.roomBaseId,
        welcome_text: input.welcomeText,
        created_by: ctx.actor.accountId || null,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx.db
      .insertInto('group_code_groups')
      .values(
        ids.map((group_id, position) => ({
          corp_id: tx.corpId,
          code_id: id,
          group_id,
          position,
          // already near the QR limit: listed, but the code moves past it (or WeCom opens the next room)
          retired_at: (groups.find((g) => g.id === group_id)?.member_count ?? 0) >= ROTATE_AT ? now : null,
        })),
      )
      .execute();
    await enqueueOutbox(
      jobsDb(tx.db),
      tx.corpId,
      { idemKey: `gj:add:${id}`, lane: 'normal', kind: ADD_JOIN_WAY, request: { codeId: id } },
      now,
    );
    if (input.welcomeText.trim()) {
      await enqueueOutbox(
        jobsDb(tx.db),
        tx.corpId,
        {
          idemKey: `gw:add:${id}`,
          lane: 'normal',
          kind: ADD_GROUP_WELCOME_TEMPLATE,
          request: { codeId: id },
        },
        now,
      );
    }
    return id;
  });
  return getGroupCode(ctx, id);
}

/** The code's current list: its groups not retired, in order (what update_join_way sends). */
async function currentChats(cdb: CorpDb<Tables>, codeId: number) {
  return cdb.db
    .selectFrom('group_code_groups as cg')
    .innerJoin('groups as g', (j) =>
      j.onRef('g.corp_id', '=', 'cg.corp_id').onRef('g.id', '=', 'cg.group_id'),
    )
    .select(['g.id', 'g.chat_id', 'g.name', 'g.member_count', 'cg.retired_at', 'cg.position'])
    .where('cg.corp_id', '=', cdb.corpId)
    .where('cg.code_id', '=', codeId)
    .where('g.status', '=', 'active')
    .orderBy('cg.position')
    .execute();
}

async function joinWayRequest(cdb: CorpDb<Tables>, codeId: number) {
  const code = await cdb.db
    .selectFrom('group_codes')
    .selectAll()
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', codeId)
    .executeTakeFirstOrThrow();
  const chats = await currentChats(cdb, codeId);
  const open = chats.filter((c) => !c.retired_at);
  // Every group retired: keep the last, so WeCom's auto-created room follows it (or the code stays full).
  const list = (open.length ? open : chats.slice(-1)).slice(0, MAX_GROUPS_PER_CODE).map((c) => c.chat_id);
  return {
    code,
    request: {
      scene: 2 as const,
      remark: code.name.slice(0, 30),
      auto_create_room: code.auto_create ? (1 as const) : (0 as const),
      room_base_name: code.room_base_name,
      room_base_id: code.room_base_id,
      chat_id_list: list,
      state: code.state,
    },
  };
}

/**
 * After a group's membership changed (or a new group appeared): retire groups that near the QR limit from
 * their codes, adopt rooms WeCom auto-created for a code, and update each changed code's join way. In the
 * sync's transaction.
 */
export async function rotateCodesFor(ctx: SyncCtx, groupId: number): Promise<number[]> {
  const { cdb, clock } = ctx;
  const group = await cdb.db
    .selectFrom('groups')
    .select(['id', 'name', 'owner_userid', 'member_count', 'status'])
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', groupId)
    .executeTakeFirst();
  if (!group) return [];
  const now = clock.now();
  const changed = new Set<number>();
  // A room WeCom auto-created for a code: named room_base_name + a number, same owner as the code's groups.
  const listed = await cdb.db
    .selectFrom('group_code_groups')
    .select('code_id')
    .where('corp_id', '=', cdb.corpId)
    .where('group_id', '=', groupId)
    .execute();
  if (listed.length === 0 && group.status === 'active') {
    const codes = await cdb.db
      .selectFrom('group_codes as k')
      .select(['k.id', 'k.room_base_name'])
      .where('k.corp_id', '=', cdb.corpId)
      .where('k.status', '=', 'active')
      .where('k.auto_create', '=', true)
      .where('k.room_base_name', '<>', '')
      .where(sql<boolean>`${group.name} like k.room_base_name || '%'`)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('group_code_groups as cg')
            .innerJoin('groups as og', (j) =>
              j.onRef('og.corp_id', '=', 'cg.corp_id').onRef('og.id', '=', 'cg.group_id'),
            )
            .select(eb.lit(1).as('one'))
            .whereRef('cg.corp_id', '=', 'k.corp_id')
            .whereRef('cg.code_id', '=', 'k.id')
            .where('og.owner_userid', '=', group.owner_userid ?? ''),
        ),
      )
      .execute();
    for (const code of codes) {
      if (!/^\d+$/.test(group.name.slice(code.room_base_name.length))) continue;
      const { max } = await cdb.db
        .selectFrom('group_code_groups')
        .select((eb) => eb.fn.max('position').as('max'))
        .where('corp_id', '=', cdb.corpId)
        .where('code_id', '=', code.id)
        .executeTakeFirstOrThrow();
      await cdb.db
        .insertInto('group_code_groups')
        .values({ corp_id: cdb.corpId, code_id: code.id, group_id: groupId, position: Number(max ?? 0) + 1 })
        .onConflict((oc) => oc.doNothing())
        .execute();
      // The new room is of the kind its code's groups are (a welfare group's next room is a welfare group).
      await sql`update groups set type = (
          select g2.type from group_code_groups cg join groups g2 on g2.corp_id = cg.corp_id and g2.id = cg.group_id
          where cg.corp_id = ${cdb.corpId} and cg.code_id = ${code.id} and g2.type is not null
          order by cg.position limit 1)
        where corp_id = ${cdb.corpId} and id = ${groupId} and type is null`.execute(cdb.db);
      changed.add(code.id);
    }
  }
  if (group.member_count >= ROTATE_AT || group.status !== 'active') {
    const retired = await cdb.db
      .updateTable('group_code_groups')
      .set({ retired_at: now })
      .where('corp_id', '=', cdb.corpId)
      .where('group_id', '=', groupId)
      .where('retired_at', 'is', null)
      .returning('code_id')
      .execute();
    for (const r of retired) changed.add(r.code_id);
  }
  for (const codeId of changed) {
    const code = await cdb.db
      .selectFrom('group_codes')
      .select(['config_id', 'status'])
      .where('corp_id', '=', cdb.corpId)
      .where('id', '=', codeId)
      .executeTakeFirstOrThrow();
    // Not created in WeCom yet: the add sends the current list when it goes.
    if (!code.config_id || code.status !== 'active') continue;
    await enqueueOutbox(
      jobsDb(cdb.db),
      cdb.corpId,
      {
        idemKey: `gj:update:${codeId}:${groupId}:${now.getTime()}`,
        lane: 'normal',
        kind: UPDATE_JOIN_WAY,
        request: { codeId },
      },
      now,
    );
  }
  return [...changed];
}

const codeIdOf = (row: { request: Record<string, unknown> }) => Number(row.request.codeId);

/** The group module's outbox calls: each sends the code's current state, not the one at enqueue time. */
export const groupOutboxEffects: OutboxEffects = {
  [ADD_JOIN_WAY]: {
    async send(ctx, client, row) {
      const { request } = await joinWayRequest(ctx.cdb, codeIdOf(row));
      const { config_id } = await client.addJoinWay(request);
      const { join_way } = await client.getJoinWay(config_id);
      return { config_id, qr_code: join_way.qr_code ?? null };
    },
    async onDone(ctx, row, result) {
      if (typeof result.config_id !== 'string') return;
      await ctx.cdb.db
        .updateTable('group_codes')
        .set({
          config_id: result.config_id,
          qr_code: typeof result.qr_code === 'string' ? result.qr_code : null,
        })
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', codeIdOf(row))
        .execute();
    },
  },
  [UPDATE_JOIN_WAY]: {
    async send(ctx, client, row) {
      const { code, request } = await joinWayRequest(ctx.cdb, codeIdOf(row));
      if (!code.config_id) return { skipped: true };
      await client.updateJoinWay({ config_id: code.config_id, ...request });
      return { chat_id_list: request.chat_id_list };
    },
  },
  [ADD_GROUP_WELCOME_TEMPLATE]: {
    async send(ctx, client, row) {
      const body = await welcomeBody(ctx, codeIdOf(row));
      return client.post<Record<string, unknown>>(ADD_GROUP_WELCOME_TEMPLATE, body);
    },
    async onDone(ctx, row, result) {
      if (typeof result.template_id !== 'string') return;
      await ctx.cdb.db
        .updateTable('group_codes')
        .set({ welcome_template_id: result.template_id })
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', codeIdOf(row))
        .execute();
    },
  },
  [EDIT_GROUP_WELCOME_TEMPLATE]: {
    async send(ctx, client, row) {
      const code = await ctx.cdb.db
        .selectFrom('group_codes')
        .select('welcome_template_id')
        .where('corp_id', '=', ctx.cdb.corpId)
        .where('id', '=', codeIdOf(row))
        .executeTakeFirstOrThrow();
      if (!code.welcome_template_id) return { skipped: true };
      const body = await welcomeBody(ctx, codeIdOf(row));
      return client.post<Record<string, unknown>>(EDIT_GROUP_WELCOME_TEMPLATE, {
        template_id: code.welcome_template_id,
        ...body,
      });
    },
  },
};

async function welcomeBody(ctx: SyncCtx, codeId: number) {
  const code = await ctx.cdb.db
    .selectFrom('group_codes as k')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'k.corp_id').onRef('u.id', '=', 'k.unit_id'),
    )
    .select(['k.welcome_text', 'k.room_base_name', 'k.name', 'u.name as unit_name'])
    .where('k.corp_id', '=', ctx.cdb.corpId)
    .where('k.id', '=', codeId)
    .executeTakeFirstOrThrow();
  const content = renderGroupWelcome(code.welcome_text, {
    群名: code.room_base_name || code.name,
    门店: code.unit_name,
  });
  return { text: { content }, notify: 0 };
}

function codeScope(ctx: Ctx) {
  let q = ctx.cdb.db
    .selectFrom('group_codes as k')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'k.corp_id').onRef('u.id', '=', 'k.unit_id'),
    )
    .where('k.corp_id', '=', ctx.cdb.corpId);
  if (!ctx.actor.seesWholeCorp) q = q.where('k.unit_id', 'in', [...ctx.actor.unitIds]);
  return q;
}

const codeColumns = [
  'k.id',
  'k.unit_id',
  'u.name as unit_name',
  'k.name',
  'k.state',
  'k.auto_create',
  'k.room_base_name',
  'k.room_base_id',
  'k.welcome_text',
  'k.welcome_template_id',
  'k.config_id',
  'k.qr_code',
  'k.status',
  'k.created_at',
] as const;

async function codeViews(ctx: Ctx, rows: Awaited<ReturnType<typeof codeRows>>) {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const groups = await ctx.cdb.db
    .selectFrom('group_code_groups as cg')
    .innerJoin('groups as g', (j) =>
      j.onRef('g.corp_id', '=', 'cg.corp_id').onRef('g.id', '=', 'cg.group_id'),
    )
    .select(['cg.code_id', 'g.id', 'g.name', 'g.member_count', 'g.status', 'cg.retired_at', 'cg.position'])
    .where('cg.corp_id', '=', ctx.cdb.corpId)
    .where('cg.code_id', 'in', ids)
    .orderBy('cg.position')
    .execute();
  // Joins through the code: members who joined by its QR carry its state (groupchat/get's member.state).
  const joins = await ctx.cdb.db
    .selectFrom('group_members as m')
    .innerJoin('group_codes as k', (j) =>
      j.onRef('k.corp_id', '=', 'm.corp_id').onRef('k.state', '=', 'm.state'),
    )
    .select(['k.id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('m.corp_id', '=', ctx.cdb.corpId)
    .where('k.id', 'in', ids)
    .groupBy('k.id')
    .execute();
  const routed = await ctx.cdb.db
    .selectFrom('group_routing_decisions')
    .select(['code_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('code_id', 'in', ids)
    .groupBy('code_id')
    .execute();
  const joinsOf = new Map(joins.map((j) => [j.id, Number(j.n)]));
  const routedOf = new Map(routed.map((j) => [j.code_id, Number(j.n)]));
  return rows.map((r) => {
    const list = groups.filter((g) => g.code_id === r.id);
    const current = list.find((g) => !g.retired_at && g.status === 'active') ?? null;
    return {
      id: r.id,
      unitId: r.unit_id,
      unitName: r.unit_name,
      name: r.name,
      state: r.state,
      autoCreate: r.auto_create,
      roomBaseName: r.room_base_name,
      roomBaseId: r.room_base_id,
      welcomeText: r.welcome_text,
      welcomeSynced: r.welcome_template_id !== null,
      configId: r.config_id,
      qrCode: r.qr_code,
      sync: r.config_id ? ('ready' as const) : ('pending' as const),
      status: r.status,
      createdAt: r.created_at.toISOString(),
      currentGroupId: current?.id ?? null,
      groups: list.map((g) => ({
        id: g.id,
        name: g.name,
        memberCount: g.member_count,
        retired: g.retired_at !== null || g.status !== 'active',
      })),
      joins: joinsOf.get(r.id) ?? 0,
      routed: routedOf.get(r.id) ?? 0,
      editable: ctx.actor.role !== 'staff',
    };
  });
}

function codeRows(ctx: Ctx) {
  return codeScope(ctx)
    .select([...codeColumns])
    .orderBy('k.id')
    .execute();
}

export async function listGroupCodes(ctx: Ctx, input: { unitId?: number }) {
  let q = codeScope(ctx).select([...codeColumns]);
  if (input.unitId !== undefined) {
    assertUnitInScope(ctx.actor, input.unitId);
    q = q.where('k.unit_id', '=', input.unitId);
  }
  return codeViews(ctx, await q.where('k.status', '=', 'active').orderBy('k.id').execute());
}

export async function getGroupCode(ctx: Ctx, id: number) {
  const row = await codeScope(ctx)
    .select([...codeColumns])
    .where('k.id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound({ zh: '群活码', en: 'Group code' });
  return (await codeViews(ctx, [row]))[0]!;
}

/** A manager edits the welcome (the template is edited in WeCom) or archives the code. */
export async function updateGroupCode(
  ctx: Ctx,
  id: number,
  input: { welcomeText?: string; status?: 'active' | 'archived' },
) {
  if (ctx.actor.role === 'staff') throw new AppError('forbidden');
  await getGroupCode(ctx, id);
  await ctx.cdb.transaction(async (tx) => {
    const now = ctx.clock.now();
    await tx.db
      .updateTable('group_codes')
      .set({
        ...(input.welcomeText !== undefined ? { welcome_text: input.welcomeText } : {}),
        ...(input.status ? { status: input.status } : {}),
      })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    if (input.welcomeText !== undefined) {
      const code = await tx.db
        .selectFrom('group_codes')
        .select('welcome_template_id')
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      await enqueueOutbox(
        jobsDb(tx.db),
        tx.corpId,
        code.welcome_template_id
          ? {
              idemKey: `gw:edit:${id}:${now.getTime()}`,
              lane: 'normal',
              kind: EDIT_GROUP_WELCOME_TEMPLATE,
              request: { codeId: id },
            }
          : {
              idemKey: `gw:add:${id}`,
              lane: 'normal',
              kind: ADD_GROUP_WELCOME_TEMPLATE,
              request: { codeId: id },
            },
        now,
      );
    }
  });
  return getGroupCode(ctx, id);
}
