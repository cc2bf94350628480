import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import { DEL_CONTACT_WAY } from '../../wecom/paths.ts';
import type { Ctx, SyncCtx } from '../context.ts';
import type { TagsDeleted } from '../events.ts';
import { assertUnitInScope } from '../org/index.ts';
import type { Tables } from '../tables.ts';
import { routeCode } from './routing.ts';
import type { ChannelMethod, Linkage, WelcomeTemplate, WorkingHours } from './schema.ts';
import { effectiveLinkage, effectiveSettings, recommendLinkage } from './settings.ts';

export const CHANNEL_METHODS: ChannelMethod[] = [
  'package_card',
  'sms',
  'ai_call',
  'rollup_banner',
  'table_card',
  'poster',
  'wangwang',
  'livestream',
  'mini_program',
  'other',
];
/** Taobao Wangwang invitations work, but one by one by hand: flagged as not scalable (PLAYBOOK §2). */
export const UNSCALABLE_METHODS: ChannelMethod[] = ['wangwang'];

export interface ChannelInput {
  name: string;
  scene: string;
  method: ChannelMethod;
  bait: string;
  unitId: number;
  assignMode: 'single' | 'pool' | 'store';
  poolStrategy: 'round_robin' | 'least_loaded';
  dailyCap: number | null;
  workingHours: WorkingHours | null;
  skipVerify: boolean;
  remarkTemplate: string;
  welcome: WelcomeTemplate;
  staff: { staffId: number; backup: boolean }[];
  tagIds: number[];
}

const canEdit = (ctx: Ctx) => ctx.actor.role !== 'staff';

/**
 * A new code's `state`: what WeCom hands back with each add through it, and the path of its landing page.
 * Random (80 bits), so that nobody can walk other codes' landing pages or forge their scans; 22 characters,
 * within WeCom's 30. Codes made before had `sy<channel>-<unit>` and keep it: printed material carries it, and
 * attribution and the landing page look a code up by its state whatever its form.
 */
export const newCodeState = () => `sy${randomBytes(10).toString('hex')}`;

/**
 * Whether the caller may change (edit, archive) a channel of this unit: a manager's own subtree's. The one
 * rule: the services enforce it and the replies carry it per channel (`editable`) for the console.
 */
export const mayEditChannel = (ctx: Ctx, unitId: number) =>
  canEdit(ctx) && ctx.actor.unitIds.includes(unitId);

/** Channels the caller may see: owned by a unit in their subtree, or with a store code in it. */
export function visibleChannels(ctx: Ctx) {
  const units = [...ctx.actor.unitIds];
  return ctx.cdb.db
    .selectFrom('channels as c')
    .where('c.corp_id', '=', ctx.cdb.corpId)
    .where((eb) =>
      ctx.actor.seesWholeCorp
        ? eb.val(true)
        : eb.or([
            eb('c.unit_id', 'in', units),
            eb.exists(
              eb
                .selectFrom('channel_codes as k')
                .select('k.id')
                .whereRef('k.corp_id', '=', 'c.corp_id')
                .whereRef('k.channel_id', '=', 'c.id')
                .where('k.unit_id', 'in', units),
            ),
          ]),
    );
}

async function validate(ctx: Ctx, input: ChannelInput): Promise<void> {
  assertUnitInScope(ctx.actor, input.unitId);
  const staffIds = input.staff.map((s) => s.staffId);
  if (new Set(staffIds).size !== staffIds.length) {
    throw new AppError('bad_request', { zh: '员工重复', en: 'A staff member is listed twice' });
  }
  if (input.assignMode !== 'store' && !input.staff.some((s) => !s.backup)) {
    throw new AppError('bad_request', {
      zh: '请至少选择一名接待员工',
      en: 'Choose at least one staff member to receive the customers',
    });
  }
  if (input.assignMode === 'single' && input.staff.filter((s) => !s.backup).length > 1) {
    throw new AppError('bad_request', {
      zh: '单人活码只能有一名接待员工',
      en: 'A single code has one receiving staff',
    });
  }
  if (staffIds.length) {
    const found = await ctx.cdb.db
      .selectFrom('staff')
      .select('id')
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', 'in', staffIds)
      .where('unit_id', 'in', [...ctx.actor.unitIds])
      .where('status', '=', 'active')
      .execute();
    const missing = staffIds.filter((id) => !found.some((f) => f.id === id));
    if (missing.length) {
      throw new AppError('bad_request', {
        zh: `员工 ${missing.join(', ')} 不存在、已离职或不在你的范围内`,
        en: `Staff ${missing.join(', ')} not found, departed or outside your scope`,
      });
    }
  }
  if (input.tagIds.length) {
    const found = await ctx.cdb.db
      .selectFrom('tags')
      .select('id')
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', 'in', input.tagIds)
      .execute();
    if (found.length !== new Set(input.tagIds).size) {
      throw new AppError('bad_request', { zh: '有标签不存在', en: 'A tag does not exist' });
    }
  }
}

/** Deleted tags (TagsDeleted, in the deleting transaction) leave the channels that applied them. */
export async function detachDeletedTags(ctx: SyncCtx, events: TagsDeleted[]): Promise<void> {
  const tagIds = events.flatMap((e) => e.tags.map((t) => t.id));
  if (tagIds.length === 0) return;
  await ctx.cdb.db
    .deleteFrom('channel_tags')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('tag_id', 'in', tagIds)
    .execute();
}

/** The units that get their own code: every store under the channel's unit (store mode), else the unit. */
async function codeUnits(ctx: Ctx, input: ChannelInput): Promise<number[]> {
  if (input.assignMode !== 'store') return [input.unitId];
  const rows = await ctx.cdb.db
    .selectFrom('org_units as u')
    .innerJoin('org_units as root', (j) => j.onRef('root.corp_id', '=', 'u.corp_id'))
    .select('u.id')
    .where('root.corp_id', '=', ctx.cdb.corpId)
    .where('root.id', '=', input.unitId)
    .where('u.kind', '=', 'store')
    .where('u.path', 'like', sql<string>`root.path || '%'`)
    .orderBy('u.id')
    .execute();
  if (rows.length === 0) {
    throw new AppError('bad_request', {
      zh: '门店活码需要所选组织下至少有一家门店',
      en: 'A store channel needs at least one store under its unit',
    });
  }
  return rows.map((r) => r.id);
}

export async function createChannel(ctx: Ctx, input: ChannelInput) {
  if (!canEdit(ctx)) throw new AppError('forbidden');
  await validate(ctx, input);
  const units = await codeUnits(ctx, input);
  const now = ctx.clock.now();
  const { id, codeIds } = await ctx.cdb.transaction(async (tx) => {
    const { id } = await tx.db
      .insertInto('channels')
      .values({ corp_id: tx.corpId, ...columns(input), created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await writeLists(tx.db, tx.corpId, id, input);
    const codes = await tx.db
      .insertInto('channel_codes')
      .values(
        units.map((unitId) => ({
          corp_id: tx.corpId,
          channel_id: id,
          unit_id: unitId,
          state: newCodeState(),
        })),
      )
      .returning('id')
      .execute();
    return { id, codeIds: codes.map((c) => c.id) };
  });
  for (const codeId of codeIds) await routeCode(ctx, codeId, { force: true });
  return getChannel(ctx, id);
}

export async function updateChannel(ctx: Ctx, id: number, input: ChannelInput) {
  const existing = await editable(ctx, id);
  // They decide the kind of «联系我» made in WeCom (one member, or several taking turns), fixed at creation.
  if (
    input.assignMode !== existing.assign_mode ||
    input.unitId !== existing.unit_id ||
    input.poolStrategy !== existing.pool_strategy
  ) {
    throw new AppError('bad_request', {
      zh: '渠道的归属组织、分配方式和轮流/最少负载策略创建后不能修改，请新建渠道',
      en: "A channel's unit, assignment mode and pool strategy cannot change; create a new channel",
    });
  }
  await validate(ctx, input);
  await ctx.cdb.transaction(async (tx) => {
    await tx.db
      .updateTable('channels')
      .set({ ...columns(input), updated_at: ctx.clock.now() })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    await tx.db
      .deleteFrom('channel_staff')
      .where('corp_id', '=', tx.corpId)
      .where('channel_id', '=', id)
      .execute();
    await tx.db
      .deleteFrom('channel_tags')
      .where('corp_id', '=', tx.corpId)
      .where('channel_id', '=', id)
      .execute();
    await writeLists(tx.db, tx.corpId, id, input);
  });
  for (const code of await codesOf(ctx, id)) await routeCode(ctx, code.id, { force: true });
  return getChannel(ctx, id);
}

/** Archiving deletes the «联系我» in WeCom (its QR stops working) and keeps the history. */
export async function archiveChannel(ctx: Ctx, id: number) {
  await editable(ctx, id);
  const now = ctx.clock.now();
  await ctx.cdb.transaction(async (tx) => {
    await tx.db
      .updateTable('channels')
      .set({ status: 'archived', updated_at: now })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', id)
      .execute();
    for (const code of await codesOf({ ...ctx, cdb: tx }, id)) {
      if (!code.config_id) continue;
      await enqueueOutbox(
        jobsDb(tx.db),
        tx.corpId,
        {
          idemKey: `cw:del:${code.id}`,
          lane: 'normal',
          kind: DEL_CONTACT_WAY,
          request: { config_id: code.config_id },
        },
        now,
      );
    }
  });
  return getChannel(ctx, id);
}

function columns(input: ChannelInput) {
  return {
    name: input.name,
    scene: input.scene,
    method: input.method,
    bait: input.bait,
    unit_id: input.unitId,
    assign_mode: input.assignMode,
    pool_strategy: input.poolStrategy,
    daily_cap: input.dailyCap,
    working_hours: input.workingHours ? JSON.stringify(input.workingHours) : null,
    skip_verify: input.skipVerify,
    remark_template: input.remarkTemplate,
    welcome: JSON.stringify(input.welcome),
  };
}

async function writeLists(db: Ctx['cdb']['db'], corpId: string, channelId: number, input: ChannelInput) {
  if (input.staff.length) {
    await db
      .insertInto('channel_staff')
      .values(
        input.staff.map((s, i) => ({
          corp_id: corpId,
          channel_id: channelId,
          staff_id: s.staffId,
          backup: s.backup,
          position: i,
        })),
      )
      .execute();
  }
  const tagIds = [...new Set(input.tagIds)];
  if (tagIds.length) {
    await db
      .insertInto('channel_tags')
      .values(tagIds.map((tagId) => ({ corp_id: corpId, channel_id: channelId, tag_id: tagId })))
      .execute();
  }
}

async function editable(ctx: Ctx, id: number) {
  const row = await visibleChannels(ctx).selectAll('c').where('c.id', '=', id).executeTakeFirst();
  if (!row) throw notFound({ zh: '渠道', en: 'Channel' });
  if (!mayEditChannel(ctx, row.unit_id)) throw new AppError('forbidden');
  return row;
}

function codesOf(ctx: Pick<Ctx, 'cdb'>, channelId: number) {
  return ctx.cdb.db
    .selectFrom('channel_codes')
    .selectAll()
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('channel_id', '=', channelId)
    .orderBy('id')
    .execute();
}

export async function getChannel(ctx: Ctx, id: number) {
  const c = await visibleChannels(ctx)
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'c.corp_id').onRef('u.id', '=', 'c.unit_id'),
    )
    .selectAll('c')
    .select('u.name as unit_name')
    .where('c.id', '=', id)
    .executeTakeFirst();
  if (!c) throw notFound({ zh: '渠道', en: 'Channel' });
  const seeAll = ctx.actor.seesWholeCorp || ctx.actor.unitIds.includes(c.unit_id);
  const codes = await ctx.cdb.db
    .selectFrom('channel_codes as k')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'k.corp_id').onRef('u.id', '=', 'k.unit_id'),
    )
    .leftJoin('wecom_outbox as o', (j) =>
      j.onRef('o.corp_id', '=', 'k.corp_id').on('o.idem_key', '=', sql<string>`'cw:add:' || k.id`),
    )
    .select([
      'k.id',
      'k.unit_id',
      'u.name as unit_name',
      'k.state',
      'k.config_id',
      'k.qr_code',
      'k.current_users',
      'k.scans',
      'o.status as sync_status',
      'o.last_error as sync_error',
    ])
    .where('k.corp_id', '=', ctx.cdb.corpId)
    .where('k.channel_id', '=', id)
    .$if(!seeAll, (q) => q.where('k.unit_id', 'in', [...ctx.actor.unitIds]))
    .orderBy('k.id')
    .execute();
  const staff = await ctx.cdb.db
    .selectFrom('channel_staff as cs')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'cs.corp_id').onRef('s.id', '=', 'cs.staff_id'))
    .select(['s.id', 's.name', 's.userid', 'cs.backup'])
    .where('cs.corp_id', '=', ctx.cdb.corpId)
    .where('cs.channel_id', '=', id)
    .orderBy('cs.position')
    .execute();
  const tags = await ctx.cdb.db
    .selectFrom('channel_tags as ct')
    .innerJoin('tags as t', (j) => j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'))
    .select(['t.id', 't.name'])
    .where('ct.corp_id', '=', ctx.cdb.corpId)
    .where('ct.channel_id', '=', id)
    .orderBy('t.id')
    .execute();
  const routedTo = [...new Set(codes.flatMap((k) => k.current_users))];
  const names = new Map(
    routedTo.length
      ? (
          await ctx.cdb.db
            .selectFrom('staff')
            .select(['userid', 'name'])
            .where('corp_id', '=', ctx.cdb.corpId)
            .where('userid', 'in', routedTo)
            .execute()
        ).map((s) => [s.userid, s.name])
      : [],
  );
  return {
    id: c.id,
    name: c.name,
    scene: c.scene,
    method: c.method,
    scalable: !UNSCALABLE_METHODS.includes(c.method),
    bait: c.bait,
    unitId: c.unit_id,
    unitName: c.unit_name,
    assignMode: c.assign_mode,
    poolStrategy: c.pool_strategy,
    dailyCap: c.daily_cap,
    workingHours: c.working_hours,
    skipVerify: c.skip_verify,
    remarkTemplate: c.remark_template,
    welcome: c.welcome,
    status: c.status,
    editable: mayEditChannel(ctx, c.unit_id),
    linkage: await effectiveLinkage(ctx.cdb, c.unit_id),
    staff: staff.map((s) => ({ staffId: s.id, name: s.name, userid: s.userid, backup: s.backup })),
    tags: tags.map((t) => ({ id: t.id, name: t.name })),
    codes: codes.map((k) => ({
      id: k.id,
      unitId: k.unit_id,
      unitName: k.unit_name,
      state: k.state,
      configId: k.config_id,
      qrCode: k.qr_code,
      currentUserids: k.current_users,
      /** Who the code routes to now, by name (the same order as currentUserids). */
      currentStaffNames: k.current_users.map((u) => names.get(u) ?? u),
      scans: k.scans,
      sync: (k.config_id ? 'ready' : k.sync_status === 'failed' ? 'failed' : 'pending') as
        | 'ready'
        | 'failed'
        | 'pending',
      syncError: k.config_id ? null : k.sync_error,
    })),
  };
}

/**
 * Channels with their funnel over a period: scans of the code's landing page (one a visitor a day) → adds →
 * still friends 7 days after the add (among adds at least 7 days old) → follows ended since. A scoped caller's
 * funnel is their codes' (a code counts for its unit): their scans over their adds, never the brand's.
 */
export async function listChannels(ctx: Ctx, input: { from: Date; to: Date }) {
  const units = [...ctx.actor.unitIds];
  const codesInScope = sql`select id from channel_codes where corp_id = ${ctx.cdb.corpId} and unit_id in (${sql.join(units)})`;
  const inScope = ctx.actor.seesWholeCorp ? sql`true` : sql`a.code_id in (${codesInScope})`;
  const scanInScope = ctx.actor.seesWholeCorp ? sql`true` : sql`s.code_id in (${codesInScope})`;
  const weekAgo = new Date(ctx.clock.now().getTime() - 7 * 86_400_000);
  const rows = await visibleChannels(ctx)
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'c.corp_id').onRef('u.id', '=', 'c.unit_id'),
    )
    .select([
      'c.id',
      'c.name',
      'c.scene',
      'c.method',
      'c.bait',
      'c.unit_id',
      'u.name as unit_name',
      'c.assign_mode',
      'c.status',
      sql<number>`(select count(*) from channel_scans s join channel_codes k on k.corp_id = s.corp_id and k.id = s.code_id where s.corp_id = c.corp_id and k.channel_id = c.id and s.scanned_at >= ${input.from} and s.scanned_at < ${input.to} and ${scanInScope})`.as(
        'scans',
      ),
      sql<number>`(select count(*) from channel_adds a where a.corp_id = c.corp_id and a.channel_id = c.id and a.added_at >= ${input.from} and a.added_at < ${input.to} and ${inScope})`.as(
        'adds',
      ),
      sql<number>`(select count(*) from channel_adds a where a.corp_id = c.corp_id and a.channel_id = c.id and a.added_at >= ${input.from} and a.added_at < ${input.to} and a.added_at <= ${weekAgo} and ${inScope})`.as(
        'adds_7d_old',
      ),
      sql<number>`(select count(*) from channel_adds a where a.corp_id = c.corp_id and a.channel_id = c.id and a.added_at >= ${input.from} and a.added_at < ${input.to} and a.welcome_missed and ${inScope})`.as(
        'welcome_missed',
      ),
      sql<number>`(select count(*) from channel_adds a join follows f on f.corp_id = a.corp_id and f.customer_id = a.customer_id and f.staff_id = a.staff_id where a.corp_id = c.corp_id and a.channel_id = c.id and a.added_at >= ${input.from} and a.added_at < ${input.to} and a.added_at <= ${weekAgo} and ${inScope} and (f.status = 'active' or f.ended_at > a.added_at + interval '7 days'))`.as(
        'retained_7d',
      ),
      sql<number>`(select count(*) from channel_adds a join follows f on f.corp_id = a.corp_id and f.customer_id = a.customer_id and f.staff_id = a.staff_id where a.corp_id = c.corp_id and a.channel_id = c.id and a.added_at >= ${input.from} and a.added_at < ${input.to} and ${inScope} and f.status <> 'active')`.as(
        'deleted',
      ),
    ])
    .orderBy('c.id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scene: r.scene,
    method: r.method,
    scalable: !UNSCALABLE_METHODS.includes(r.method),
    bait: r.bait,
    unitId: r.unit_id,
    unitName: r.unit_name,
    assignMode: r.assign_mode,
    status: r.status,
    editable: mayEditChannel(ctx, r.unit_id),
    scans: Number(r.scans),
    adds: Number(r.adds),
    /** Adds a full sync recovered after their callback was missed: no welcome was sent. */
    welcomeMissed: Number(r.welcome_missed),
    adds7dOld: Number(r.adds_7d_old),
    retained7d: Number(r.retained_7d),
    deleted: Number(r.deleted),
  }));
}

/** The same funnel summed per method, to compare methods across channels. */
export async function compareMethods(ctx: Ctx, input: { from: Date; to: Date }) {
  const channels = await listChannels(ctx, input);
  const byMethod = new Map<
    ChannelMethod,
    {
      method: ChannelMethod;
      channels: number;
      scans: number;
      adds: number;
      welcomeMissed: number;
      adds7dOld: number;
      retained7d: number;
      deleted: number;
    }
  >();
  for (const c of channels) {
    const m = byMethod.get(c.method) ?? {
      method: c.method,
      channels: 0,
      scans: 0,
      adds: 0,
      welcomeMissed: 0,
      adds7dOld: 0,
      retained7d: 0,
      deleted: 0,
    };
    m.channels++;
    m.scans += c.scans;
    m.adds += c.adds;
    m.welcomeMissed += c.welcomeMissed;
    m.adds7dOld += c.adds7dOld;
    m.retained7d += c.retained7d;
    m.deleted += c.deleted;
    byMethod.set(c.method, m);
  }
  return [...byMethod.values()].map((m) => ({
    ...m,
    scalable: !UNSCALABLE_METHODS.includes(m.method),
    retention7d: m.adds7dOld ? m.retained7d / m.adds7dOld : null,
  }));
}

/** How a customer was acquired: each channel add with its channel, bait and staff. */
export async function acquisitionOf(ctx: Pick<Ctx, 'cdb'>, customerId: number) {
  return ctx.cdb.db
    .selectFrom('channel_adds as a')
    .innerJoin('channels as c', (j) =>
      j.onRef('c.corp_id', '=', 'a.corp_id').onRef('c.id', '=', 'a.channel_id'),
    )
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'a.corp_id').onRef('s.id', '=', 'a.staff_id'))
    .select([
      'c.id as channelId',
      'c.name as channelName',
      'c.method',
      'c.scene',
      'c.bait',
      's.name as staffName',
      'a.added_at as addedAt',
      'a.welcome_missed as welcomeMissed',
    ])
    .where('a.corp_id', '=', ctx.cdb.corpId)
    .where('a.customer_id', '=', customerId)
    .orderBy('a.added_at')
    .execute();
}

/** A unit named in the path: outside the caller's subtree it does not exist for them. */
function requireUnit(ctx: Ctx, unitId: number): void {
  if (!ctx.actor.unitIds.includes(unitId)) throw notFound({ zh: '组织', en: 'Unit' });
}

export async function getLinkage(ctx: Ctx, unitId: number) {
  requireUnit(ctx, unitId);
  const own = await ctx.cdb.db
    .selectFrom('acquisition_settings')
    .selectAll()
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('unit_id', '=', unitId)
    .executeTakeFirst();
  const corp = await ctx.cdb.db
    .selectFrom('corps')
    .select('business_type')
    .where('corp_id', '=', ctx.cdb.corpId)
    .executeTakeFirstOrThrow();
  const effective = await effectiveSettings(ctx.cdb, unitId);
  return {
    unitId,
    own: own ? { linkage: own.linkage, addsModel: own.adds_model } : null,
    effective: effective.linkage,
    effectiveAddsModel: effective.addsModel,
    recommended: recommendLinkage(corp.business_type),
    businessType: corp.business_type,
  };
}

export async function setLinkage(
  ctx: Ctx,
  unitId: number,
  input: { linkage: Linkage; addsModel: 'central' | 'journey' },
) {
  requireUnit(ctx, unitId);
  if (!canEdit(ctx)) throw new AppError('forbidden');
  const unit = await ctx.cdb.db
    .selectFrom('org_units')
    .select(['kind', 'parent_id'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', unitId)
    .executeTakeFirstOrThrow();
  if (unit.parent_id !== null && unit.kind !== 'store') {
    throw new AppError('bad_request', {
      zh: '四种链接方式按品牌（总部）或门店设置',
      en: 'The linkage is set for the brand (its root) or for a store',
    });
  }
  await ctx.cdb.db
    .insertInto('acquisition_settings')
    .values({
      corp_id: ctx.cdb.corpId,
      unit_id: unitId,
      linkage: input.linkage,
      adds_model: input.addsModel,
      updated_at: ctx.clock.now(),
    })
    .onConflict((oc) =>
      oc
        .columns(['corp_id', 'unit_id'])
        .doUpdateSet({ linkage: input.linkage, adds_model: input.addsModel, updated_at: ctx.clock.now() }),
    )
    .execute();
  return getLinkage(ctx, unitId);
}

export type ChannelTables = Pick<Tables, 'channels' | 'channel_codes'>;
