import { sql } from 'kysely';
import { enqueueOutbox } from '../../platform/jobs/outbox.ts';
import { jobsDb } from '../../platform/jobs/tables.ts';
import { ADD_CONTACT_WAY, UPDATE_CONTACT_WAY } from '../../wecom/paths.ts';
import type { SyncCtx } from '../context.ts';
import type { OutboxEffects } from '../manifest.ts';
import { brandDayStart, type Candidate, routeTargets, takesTurnsInWecom } from './assignment.ts';
import { effectiveSettings } from './settings.ts';

/**
 * Keeps each channel code's «联系我» pointed at the member who should get the next customer. Every change is
 * an outbox effect: add_contact_way the first time, update_contact_way when the member changes.
 */

/** The people a code may route to: the channel's list (for a store code, those in the store), else the store. */
async function candidatesOf(
  ctx: SyncCtx,
  codeId: number,
  needs: { load: boolean; addsToday: boolean },
): Promise<Candidate[]> {
  const { cdb, clock } = ctx;
  const code = await cdb.db
    .selectFrom('channel_codes as k')
    .innerJoin('channels as c', (j) =>
      j.onRef('c.corp_id', '=', 'k.corp_id').onRef('c.id', '=', 'k.channel_id'),
    )
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'k.corp_id').onRef('u.id', '=', 'k.unit_id'),
    )
    .select(['k.channel_id', 'k.unit_id', 'c.assign_mode', 'u.path'])
    .where('k.corp_id', '=', cdb.corpId)
    .where('k.id', '=', codeId)
    .executeTakeFirstOrThrow();
  const dayStart = brandDayStart(clock.now());
  // Counted only when the rule reads them: routing runs after every add.
  const load = (staffRef: 's.id') =>
    [
      (needs.load
        ? sql<number>`(select count(*) from follows f where f.corp_id = s.corp_id and f.staff_id = ${sql.ref(staffRef)} and f.status = 'active')`
        : sql<number>`0`
      ).as('load'),
      (needs.addsToday
        ? sql<number>`(select count(*) from channel_adds a where a.corp_id = s.corp_id and a.staff_id = ${sql.ref(staffRef)} and a.channel_id = ${code.channel_id} and a.added_at >= ${dayStart})`
        : sql<number>`0`
      ).as('adds_today'),
    ] as const;
  let listed = cdb.db
    .selectFrom('channel_staff as cs')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'cs.corp_id').onRef('s.id', '=', 'cs.staff_id'))
    .innerJoin('org_units as su', (j) =>
      j.onRef('su.corp_id', '=', 's.corp_id').onRef('su.id', '=', 's.unit_id'),
    )
    .select(['s.id', 's.userid', 'cs.backup', 'cs.position', ...load('s.id')])
    .where('cs.corp_id', '=', cdb.corpId)
    .where('cs.channel_id', '=', code.channel_id)
    .where('s.status', '=', 'active');
  if (code.assign_mode === 'store') listed = listed.where('su.path', 'like', `${code.path}%`);
  let rows = await listed.execute();
  if (rows.length === 0 && code.assign_mode === 'store') {
    // No one listed: the store's own staff take its customers, or, when the brand has a central online
    // team receive every add (PLAYBOOK §1, "who adds"), that team.
    const { addsModel } = await effectiveSettings(cdb, code.unit_id);
    rows = await cdb.db
      .selectFrom('staff as s')
      .innerJoin('org_units as su', (j) =>
        j.onRef('su.corp_id', '=', 's.corp_id').onRef('su.id', '=', 's.unit_id'),
      )
      .select([
        's.id',
        's.userid',
        sql<boolean>`false`.as('backup'),
        sql<number>`0`.as('position'),
        ...load('s.id'),
      ])
      .where('s.corp_id', '=', cdb.corpId)
      .where('s.status', '=', 'active')
      .$if(addsModel === 'central', (q) => q.where('s.journey_role', '=', 'online_ops'))
      .$if(addsModel !== 'central', (q) => q.where('su.path', 'like', `${code.path}%`))
      .execute();
  }
  return rows.map((r) => ({
    staffId: r.id,
    userid: r.userid,
    backup: r.backup,
    position: r.position,
    addsToday: Number(r.adds_today),
    load: Number(r.load),
  }));
}

/**
 * Works out whom the code should list now and, when that changed (or the way does not exist yet), enqueues
 * the WeCom call. Returns the members listed, empty when nobody can receive.
 */
export async function routeCode(
  ctx: SyncCtx,
  codeId: number,
  opts: { force?: boolean } = {},
): Promise<string[]> {
  return ctx.cdb.transaction(async (tx) => {
    const tctx = { ...ctx, cdb: tx };
    const code = await tx.db
      .selectFrom('channel_codes as k')
      .innerJoin('channels as c', (j) =>
        j.onRef('c.corp_id', '=', 'k.corp_id').onRef('c.id', '=', 'k.channel_id'),
      )
      .select([
        'k.id',
        'k.state',
        'k.config_id',
        'k.current_users',
        'c.name',
        'c.status',
        'c.assign_mode',
        'c.pool_strategy',
        'c.daily_cap',
        'c.working_hours',
        'c.skip_verify',
      ])
      .where('k.corp_id', '=', tx.corpId)
      .where('k.id', '=', codeId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (code.status !== 'active') return [];
    const rule = {
      mode: code.assign_mode,
      strategy: code.pool_strategy,
      dailyCap: code.daily_cap,
      workingHours: code.working_hours,
    };
    const target = routeTargets(
      rule,
      await candidatesOf(tctx, codeId, {
        load: code.pool_strategy === 'least_loaded',
        addsToday: code.daily_cap !== null,
      }),
      ctx.clock.now(),
    );
    const users = target?.userids ?? [];
    const same =
      users.length === code.current_users.length && users.every((u, i) => u === code.current_users[i]);
    if (same && code.config_id && !opts.force) return users;
    await tx.db
      .updateTable('channel_codes')
      .set({ current_users: users })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', codeId)
      .execute();
    if (users.length === 0) return users;
    const now = ctx.clock.now();
    const way = {
      remark: code.name.slice(0, 30),
      skip_verify: code.skip_verify,
      state: code.state,
      user: users,
    };
    if (!code.config_id) {
      const request = { type: takesTurnsInWecom(rule) ? 2 : 1, scene: 2, ...way };
      const { created } = await enqueueOutbox(
        jobsDb(tx.db),
        tx.corpId,
        { idemKey: `cw:add:${codeId}`, lane: 'normal', kind: ADD_CONTACT_WAY, request },
        now,
      );
      // Not sent yet: send the current choice instead (one already in flight is corrected on its answer).
      if (!created) {
        await tx.db
          .updateTable('wecom_outbox')
          .set({ request: JSON.stringify(request) })
          .where('corp_id', '=', tx.corpId)
          .where('idem_key', '=', `cw:add:${codeId}`)
          .where('status', '=', 'pending')
          .execute();
      }
    } else {
      await enqueueOutbox(
        jobsDb(tx.db),
        tx.corpId,
        {
          idemKey: `cw:update:${codeId}:${users.join(',')}:${now.getTime()}`,
          lane: 'normal',
          kind: UPDATE_CONTACT_WAY,
          request: { config_id: code.config_id, ...way },
        },
        now,
      );
    }
    return users;
  });
}

/** After add_contact_way succeeded: keep the config_id and QR code WeCom returned. */
export async function storeContactWay(
  ctx: SyncCtx,
  row: { idemKey: string; request: Record<string, unknown> },
  result: Record<string, unknown>,
): Promise<void> {
  const m = /^cw:add:(\d+)$/.exec(row.idemKey);
  if (!m || typeof result.config_id !== 'string') return;
  const codeId = Number(m[1]);
  const stored = await ctx.cdb.db
    .updateTable('channel_codes')
    .set({ config_id: result.config_id, qr_code: typeof result.qr_code === 'string' ? result.qr_code : null })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', codeId)
    .returning('current_users')
    .executeTakeFirst();
  // Routing moved on while the way was being created: point it at the current members.
  const sent = (row.request.user as string[] | undefined) ?? [];
  const now = stored?.current_users ?? [];
  if (now.length && now.join(',') !== sent.join(',')) await routeCode(ctx, codeId, { force: true });
}

/** The channel module's outbox calls that need more than a send. */
export const channelOutboxEffects: OutboxEffects = {
  [ADD_CONTACT_WAY]: { onDone: storeContactWay },
};

/** Re-routes every active code of a corp: working hours starting or ending, a new day resetting the caps. */
export async function rerouteAll(ctx: SyncCtx): Promise<number> {
  const codes = await ctx.cdb.db
    .selectFrom('channel_codes as k')
    .innerJoin('channels as c', (j) =>
      j.onRef('c.corp_id', '=', 'k.corp_id').onRef('c.id', '=', 'k.channel_id'),
    )
    .select(['k.id', 'k.current_users'])
    .where('k.corp_id', '=', ctx.cdb.corpId)
    .where('c.status', '=', 'active')
    .execute();
  let changed = 0;
  for (const { id, current_users } of codes) {
    if ((await routeCode(ctx, id)).join(',') !== current_users.join(',')) changed++;
  }
  return changed;
}
