import type { Kysely } from 'kysely';
import { WecomApiError } from '../../wecom/errors.ts';
import { WELCOME_WINDOW_SECONDS } from '../../wecom/limits.ts';
import { type Deps, syncCtxOf } from '../context.ts';
import { endFollowsMissingFromSync, upsertCustomersFromWecom } from '../customers/index.ts';
import { upsertGroupFromWecom } from '../groups/index.ts';
import { syncDepartments } from '../org/index.ts';
import { unitsByDepartment, upsertStaffFromWecom } from '../staff/index.ts';
import type { Tables } from '../tables.ts';
import { syncCorpTags } from '../tags/index.ts';

/**
 * Staff first (everyone else refers to them), then corp tags (customers' tags point at them), then customers
 * with their follows, then groups with their members.
 */
export const SYNC_PHASES = ['staff', 'tags', 'customers', 'groups', 'done'] as const;
export type SyncPhase = (typeof SYNC_PHASES)[number];

export interface SyncRun {
  id: number;
  status: 'running' | 'done' | 'failed';
  phase: SyncPhase;
  counts: Record<string, number>;
  error: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface Cursor {
  /** staff: user/list_id cursor; customers: index into the follow-user list and batch cursor; groups: list cursor. */
  next?: string;
  index?: number;
}

export type FullSyncDeps = Pick<Deps, 'db' | 'clock' | 'pii' | 'events' | 'links'>;

/** The background job that runs requested syncs (module.ts); POST /wecom/sync wakes it. */
export const SYNC_JOB = 'connector.full-sync';
/** A run's lease: renewed with every page, so a live run keeps it; a dead process's run is free after this. */
const LEASE_MS = 120_000;

const USERS_PER_BATCH = 100;
/** API not permitted, no privilege, IP not allowed: the secret in use cannot list members. */
const NOT_PERMITTED = new Set([48002, 60011, 60020]);

export async function latestSyncRun(db: Kysely<Tables>, corpId: string): Promise<SyncRun | null> {
  const r = await db
    .selectFrom('wecom_sync_runs')
    .selectAll()
    .where('corp_id', '=', corpId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!r) return null;
  return {
    id: r.id,
    status: r.status,
    phase: r.phase as SyncPhase,
    counts: r.counts,
    error: r.error,
    startedAt: r.started_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
  };
}

/**
 * Asks for a full sync of one brand: the latest run reopened when it did not finish, else a new one; the
 * sync job runs it. False when a run is being worked on already.
 */
export async function requestFullSync(db: Kysely<Tables>, corpId: string, now: Date): Promise<boolean> {
  const latest = await latestSyncRun(db, corpId);
  const row = latest
    ? await db
        .selectFrom('wecom_sync_runs')
        .select(['status', 'lease_until'])
        .where('corp_id', '=', corpId)
        .where('id', '=', latest.id)
        .executeTakeFirstOrThrow()
    : null;
  if (row?.status === 'running' && row.lease_until && row.lease_until > now) return false;
  if (latest && latest.status !== 'done') {
    await db
      .updateTable('wecom_sync_runs')
      .set({ status: 'running', lease_until: null, updated_at: now })
      .where('corp_id', '=', corpId)
      .where('id', '=', latest.id)
      .execute();
  } else {
    await db
      .insertInto('wecom_sync_runs')
      .values({ corp_id: corpId, status: 'running', phase: 'staff', started_at: now, updated_at: now })
      .execute();
  }
  return true;
}

/**
 * Since when Siyu has listened to the brand's callbacks, as far as a sync can tell: the start of its first
 * completed full sync. A follow a later sync finds new that began after it is an add whose callback Siyu
 * missed; before it, a follow is history the first sync brought in (null: this is the first sync).
 */
async function listeningSince(db: Kysely<Tables>, corpId: string, runId: number): Promise<Date | null> {
  const first = await db
    .selectFrom('wecom_sync_runs')
    .select('started_at')
    .where('corp_id', '=', corpId)
    .where('status', '=', 'done')
    .where('id', '!=', runId)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  // WeCom's createtime is in whole seconds: an add in the second the sync began counts as after it
  return first ? new Date(Math.floor(first.started_at.getTime() / 1000) * 1000) : null;
}

/** One entry of a batch/get_by_user page: a customer with one follow. */
interface ListedFollow {
  contact: { external_userid: string };
  follows: { userid: string; createtime?: number }[];
}
const followKey = (e: ListedFollow) => `${e.contact.external_userid}:${e.follows[0]!.userid}`;

/**
 * The listed follows that began inside the welcome window (after `before`) and are not active in Siyu: adds
 * whose callback may still be on its way, with the welcome code only it carries. The sync leaves them to it
 * rather than mirror them unattributed; if that callback was lost too, the next sync recovers them.
 */
async function addsInWelcomeWindow(
  db: Kysely<Tables>,
  corpId: string,
  listed: ListedFollow[],
  before: Date,
): Promise<Set<string>> {
  const young = listed.filter((e) => (e.follows[0]!.createtime ?? 0) * 1000 >= before.getTime());
  if (young.length === 0) return new Set();
  const active = await db
    .selectFrom('follows as f')
    .innerJoin('customers as c', (j) =>
      j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
    )
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
    .select(['c.external_userid', 's.userid'])
    .where('f.corp_id', '=', corpId)
    .where('f.status', '=', 'active')
    .where(
      'c.external_userid',
      'in',
      young.map((e) => e.contact.external_userid),
    )
    .execute();
  const mirrored = new Set(active.map((r) => `${r.external_userid}:${r.userid}`));
  return new Set(young.map(followKey).filter((k) => !mirrored.has(k)));
}

/** Runs every requested sync nobody is working on (the sync job); true when it ran one. */
export async function runRequestedSyncs(deps: FullSyncDeps): Promise<boolean> {
  const open = await deps.db
    .selectFrom('wecom_sync_runs')
    .select('corp_id')
    .distinct()
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', deps.clock.now())]))
    .execute();
  for (const { corp_id } of open) await runFullSync(deps, corp_id);
  return open.length > 0;
}

/**
 * Runs a full sync for one brand, resuming an unfinished run from its saved phase and cursor (a crash, a
 * restart or a failed call loses at most one page). Each page is committed with its cursor, renewing the
 * run's lease. A run another process holds is left to it (its state is returned as it is).
 */
export async function runFullSync(
  deps: FullSyncDeps,
  corpId: string,
  onProgress?: (run: SyncRun) => void,
): Promise<SyncRun> {
  const { db, clock } = deps;
  const client = (await deps.links.require(corpId)).client;
  const ctx = syncCtxOf(deps, corpId);
  const latest = await latestSyncRun(db, corpId);
  if (!latest || latest.status === 'done') await requestFullSync(db, corpId, clock.now());
  const now = clock.now();
  const run = await db
    .updateTable('wecom_sync_runs')
    .set({ status: 'running', lease_until: new Date(now.getTime() + LEASE_MS), updated_at: now })
    .where('corp_id', '=', corpId)
    .where('id', '=', (await latestSyncRun(db, corpId))!.id)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
    .returning(['id', 'phase', 'cursor', 'counts', 'started_at'])
    .executeTakeFirst();
  if (!run) return (await latestSyncRun(db, corpId))!;
  let phase = run.phase as SyncPhase;
  let cursor = run.cursor as Cursor;
  const counts: Record<string, number> = { ...run.counts };

  const save = async (
    next: Partial<{
      phase: SyncPhase;
      cursor: Cursor;
      status: 'running' | 'done' | 'failed';
      error: string | null;
    }>,
  ) => {
    if (next.phase) phase = next.phase;
    if (next.cursor) cursor = next.cursor;
    const now = clock.now();
    await db
      .updateTable('wecom_sync_runs')
      .set({
        phase,
        cursor: JSON.stringify(cursor),
        counts: JSON.stringify(counts),
        status: next.status ?? 'running',
        error: next.error ?? null,
        updated_at: now,
        finished_at: next.status === 'done' ? now : null,
        lease_until: (next.status ?? 'running') === 'running' ? new Date(now.getTime() + LEASE_MS) : null,
      })
      .where('corp_id', '=', corpId)
      .where('id', '=', run.id)
      .execute();
    const latestRun = await latestSyncRun(db, corpId);
    if (latestRun) onProgress?.(latestRun);
  };
  const bump = (key: string, n = 1) => {
    counts[key] = (counts[key] ?? 0) + n;
  };

  try {
    await save({ status: 'running' });
    if (phase === 'staff') {
      if (!cursor.next) {
        const { department } = await client.listDepartments();
        await syncDepartments(ctx, department);
        counts.departments = department.length;
      }
      const units = await unitsByDepartment(ctx);
      const upsert = async (userid: string) => {
        if ((await upsertStaffFromWecom(ctx, await client.getUser(userid), units)).created)
          bump('staffCreated');
        bump('staff');
      };
      try {
        do {
          const page = await client.listUserIds(cursor.next, 1000);
          for (const u of page.dept_user ?? []) await upsert(u.userid);
          await save({ cursor: { next: page.next_cursor || undefined } });
        } while (cursor.next);
      } catch (err) {
        // user/list_id needs the contacts-sync secret; with the customer-contact app's secret, the members
        // who may have customers are what that app can list.
        if (!(err instanceof WecomApiError && NOT_PERMITTED.has(err.errcode))) throw err;
        for (const userid of (await client.getFollowUserList()).follow_user) await upsert(userid);
      }
      await save({ phase: 'tags', cursor: {} });
    }
    if (phase === 'tags') {
      const { tag_group } = await client.getCorpTagList({});
      const r = await syncCorpTags(ctx, tag_group, { complete: true });
      counts.tags = r.tags;
      counts.tagGroups = r.groups;
      await save({ phase: 'customers', cursor: { index: 0 } });
    }
    if (phase === 'customers') {
      const since = await listeningSince(db, corpId, run.id);
      const { follow_user } = await client.getFollowUserList();
      const userids = [...follow_user].sort();
      counts.followUsers = userids.length;
      while ((cursor.index ?? 0) < userids.length) {
        const index = cursor.index ?? 0;
        const batch = userids.slice(index, index + USERS_PER_BATCH);
        const page = await client.batchGetByUser({ userid_list: batch, cursor: cursor.next, limit: 100 });
        const listed = (page.external_contact_list ?? []).map((e) => ({
          contact: e.external_contact,
          follows: [{ ...e.follow_info, tagIds: e.follow_info.tag_id ?? [] }],
        }));
        const at = clock.now();
        const before = new Date(at.getTime() - WELCOME_WINDOW_SECONDS * 1000);
        const waiting = since ? await addsInWelcomeWindow(db, corpId, listed, before) : new Set<string>();
        const entries = listed.filter((e) => !waiting.has(followKey(e)));
        const results = await upsertCustomersFromWecom(ctx, entries, {
          complete: false,
          at,
          syncRun: run.id,
          ...(since && { recover: { run: run.id, since, before } }),
        });
        bump('customersCreated', results.filter((r) => r.created).length);
        if (since) {
          bump(
            'addsRecovered',
            results.reduce((n, r) => n + r.recovered.length, 0),
          );
          bump('addsLeftToCallback', waiting.size);
        }
        bump('follows', listed.length);
        await save({
          cursor: page.next_cursor ? { index, next: page.next_cursor } : { index: index + USERS_PER_BATCH },
        });
      }
      // Every follow of these members passed through the pages above: Siyu's others are gone from WeCom.
      bump(
        'followsEnded',
        await endFollowsMissingFromSync(ctx, { id: run.id, startedAt: run.started_at, userids }),
      );
      if (since) {
        // of the recovered adds, those the channels module attributed to a code (welcome missed)
        const { n } = await db
          .selectFrom('channel_adds')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('corp_id', '=', corpId)
          .where('sync_run', '=', run.id)
          .executeTakeFirstOrThrow();
        counts.channelAddsRecovered = Number(n);
      }
      await save({ phase: 'groups', cursor: {} });
    }
    if (phase === 'groups') {
      do {
        const page = await client.listGroupChats({ status_filter: 0, cursor: cursor.next, limit: 1000 });
        for (const g of page.group_chat_list ?? []) {
          const { group_chat } = await client.getGroupChat(g.chat_id, true);
          await upsertGroupFromWecom(ctx, group_chat, clock.now());
          bump('groups');
        }
        await save({ cursor: { next: page.next_cursor || undefined } });
      } while (cursor.next);
      await save({ phase: 'done', cursor: {}, status: 'done' });
    }
  } catch (err) {
    await save({ status: 'failed', error: String((err as Error)?.message ?? err).slice(0, 2000) });
    throw err;
  }
  return (await latestSyncRun(db, corpId))!;
}
