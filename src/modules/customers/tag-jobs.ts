import { AppError, notFound } from '../../platform/http/errors.ts';
import { recordAudit } from '../audit/index.ts';
import { type Ctx, type Deps, type SyncCtx, syncCtxOf } from '../context.ts';
import { assertTagsVisible } from '../tags/index.ts';
import { changeCustomerTags } from './customer-tags.ts';
import { filterForAudit } from './export.ts';
import { type CustomerFilter, countFiltered, filteredCustomers } from './service.ts';

/** The background job that runs bulk tagging (module.ts); a large job wakes it. */
export const TAG_JOBS_JOB = 'customers.tag-jobs';
/** Customers one bulk change may reach. */
export const MAX_BULK_CUSTOMERS = 20_000;
/** Up to this many customers are tagged in the request; more become a job the console follows. */
export const INLINE_BULK_CUSTOMERS = 100;
const BATCH = 200;
const LEASE_MS = 60_000;

export interface BulkTagInput {
  /** The customers of the list's filters … */
  filter?: CustomerFilter;
  /** … or these, each in the caller's scope. */
  customerIds?: number[];
  add: number[];
  remove: number[];
}

/**
 * Adds and removes tags on the customers of a filter or a selection, within the caller's tag view and scope,
 * through changeCustomerTags (WeCom gets mark_tag through the outbox; each customer's timeline names the
 * maker and the bulk change). The customers are fixed now; a large set runs as a job with progress. Audited.
 */
export async function startTagJob(ctx: Ctx, deps: Pick<Deps, 'wake'>, input: BulkTagInput) {
  const { cdb, actor } = ctx;
  const tagIds = [...new Set([...input.add, ...input.remove])];
  await assertTagsVisible(ctx, tagIds);
  const exist = await cdb.db
    .selectFrom('tags')
    .select('id')
    .where('corp_id', '=', cdb.corpId)
    .where('id', 'in', tagIds)
    .execute();
  if (exist.length !== tagIds.length) {
    throw new AppError('bad_request', { zh: '有标签不存在', en: 'A tag does not exist' });
  }

  let customerIds: number[];
  if (input.customerIds) {
    const wanted = [...new Set(input.customerIds)];
    const found = await (await filteredCustomers(ctx, {}, 'bulk_tags'))
      .select('c.id')
      .where('c.id', 'in', wanted)
      .execute();
    // one out of scope and one absent look the same
    if (found.length !== wanted.length) throw notFound({ zh: '有客户', en: 'A customer' });
    customerIds = wanted.sort((a, b) => b - a);
  } else {
    const filtered = await filteredCustomers(ctx, input.filter ?? {}, 'bulk_tags');
    const rows = await filtered
      .select('c.id')
      .orderBy('c.id', 'desc')
      .limit(MAX_BULK_CUSTOMERS + 1)
      .execute();
    if (rows.length > MAX_BULK_CUSTOMERS) {
      const count = await countFiltered(filtered);
      throw new AppError('too_many_rows', {
        zh: `共 ${count} 位客户，超过单次批量打标签上限 ${MAX_BULK_CUSTOMERS} 位：请缩小筛选范围后分批操作`,
        en: `${count} customers exceed the limit of ${MAX_BULK_CUSTOMERS} per bulk change: narrow the filter and go in parts`,
      });
    }
    customerIds = rows.map((r) => r.id);
  }

  const account = await cdb.db
    .selectFrom('accounts')
    .select('display_name')
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', actor.accountId)
    .executeTakeFirstOrThrow();
  const now = ctx.clock.now();
  const id = await cdb.transaction(async (tx) => {
    const { id } = await tx.db
      .insertInto('customer_tag_jobs')
      .values({
        corp_id: tx.corpId,
        account_id: actor.accountId,
        by_name: account.display_name,
        staff_id: actor.staffId,
        unit_id: actor.unitId,
        add_tags: JSON.stringify(input.add),
        remove_tags: JSON.stringify(input.remove),
        customer_ids: JSON.stringify(customerIds),
        total: customerIds.length,
        status: customerIds.length ? 'running' : 'done',
        error: null,
        lease_until: null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await recordAudit(
      { ...ctx, cdb: tx },
      {
        action: 'customers.bulk_tags',
        subject: `tag-job:${id}`,
        details: {
          ...(input.customerIds
            ? { selected: customerIds.length }
            : { filter: filterForAudit(input.filter ?? {}) }),
          add: input.add,
          remove: input.remove,
          customers: customerIds.length,
        },
      },
    );
    return id;
  });
  if (customerIds.length > 0 && customerIds.length <= INLINE_BULK_CUSTOMERS) await runTagJob(ctx, id);
  else if (customerIds.length > 0) deps.wake.job(TAG_JOBS_JOB);
  return getTagJob(ctx, id);
}

/** A bulk tagging job's progress; only its maker sees it (404 for anyone else). */
export async function getTagJob(ctx: Ctx, id: number) {
  const job = await ctx.cdb.db
    .selectFrom('customer_tag_jobs')
    .select([
      'id',
      'status',
      'total',
      'done',
      'changed',
      'error',
      'add_tags',
      'remove_tags',
      'created_at',
      'updated_at',
    ])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', id)
    .where('account_id', '=', ctx.actor.accountId)
    .executeTakeFirst();
  if (!job) throw notFound({ zh: '批量打标签任务', en: 'Bulk tagging job' });
  return {
    id: job.id,
    status: job.status,
    total: job.total,
    done: job.done,
    changed: job.changed,
    error: job.error,
    add: job.add_tags,
    remove: job.remove_tags,
    createdAt: job.created_at.toISOString(),
    updatedAt: job.updated_at.toISOString(),
  };
}

/**
 * Runs a job from where it stands, a batch per transaction with its progress, under a lease (a process that
 * dies leaves it to another once the lease runs out). A batch done twice changes nothing twice: tags already
 * on stay on, and each customer's mark_tag calls have one outbox key per job.
 */
export async function runTagJob(
  ctx: SyncCtx,
  id: number,
  opts: { shouldStop?: () => boolean } = {},
): Promise<void> {
  const { cdb, clock } = ctx;
  const claimed = await cdb.db
    .updateTable('customer_tag_jobs')
    .set({ lease_until: new Date(clock.now().getTime() + LEASE_MS) })
    .where('corp_id', '=', cdb.corpId)
    .where('id', '=', id)
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', clock.now())]))
    .returningAll()
    .executeTakeFirst();
  if (!claimed) return;
  const ids = claimed.customer_ids;
  let done = claimed.done;
  try {
    while (done < ids.length) {
      if (opts.shouldStop?.()) return;
      const batch = ids.slice(done, done + BATCH);
      const now = clock.now();
      await cdb.transaction(async (tx) => {
        const changed = await changeCustomerTags(
          { ...ctx, cdb: tx },
          batch.map((customerId) => ({
            customerId,
            add: claimed.add_tags,
            remove: claimed.remove_tags,
            via: { staffId: claimed.staff_id, unitId: claimed.unit_id },
            at: now,
            cause: { source: 'siyu' as const, by: claimed.by_name, accountId: claimed.account_id, jobId: id },
            key: `tag:bulk:${id}:${customerId}`,
          })),
          now,
        );
        done += batch.length;
        const n = changed.filter((c) => c.added.length + c.removed.length > 0).length;
        await tx.db
          .updateTable('customer_tag_jobs')
          .set((eb) => ({
            done,
            changed: eb('changed', '+', n),
            status: done >= ids.length ? 'done' : 'running',
            lease_until: new Date(now.getTime() + LEASE_MS),
            updated_at: now,
          }))
          .where('corp_id', '=', tx.corpId)
          .where('id', '=', id)
          .execute();
      });
    }
  } catch (err) {
    await cdb.db
      .updateTable('customer_tag_jobs')
      .set({ status: 'failed', error: (err as Error).message, lease_until: null, updated_at: clock.now() })
      .where('corp_id', '=', cdb.corpId)
      .where('id', '=', id)
      .execute();
  }
}

/** Runs the oldest job waiting for a process; true when it ran one. */
export async function runWaitingTagJob(deps: Deps, signal?: AbortSignal): Promise<boolean> {
  const open = await deps.db
    .selectFrom('customer_tag_jobs')
    .select(['corp_id', 'id'])
    .where('status', '=', 'running')
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', deps.clock.now())]))
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (!open) return false;
  await runTagJob(syncCtxOf(deps, open.corp_id), open.id, { shouldStop: () => signal?.aborted === true });
  return true;
}
