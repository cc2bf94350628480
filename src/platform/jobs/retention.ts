import { type Kysely, sql } from 'kysely';

/** Finished WeCom inbox and outbox rows are kept this long (by when they finished), then purged. */
export const WECOM_QUEUE_RETENTION_DAYS = 30;

/**
 * Purges finished rows of the WeCom queues that finished before `before`, `batch` rows per statement so the
 * embedded database never holds one long delete: inbox rows `done` (parked ones stay, with their XML, until
 * someone looks), outbox rows `done`, `failed`, `expired` or `unknown` (pending ones stay), except an
 * outbox row a corp tag's or tag group's `sync_key` still names (the console shows its status). Returns the
 * rows purged from each.
 */
export async function purgeWecomQueues(
  db: Kysely<unknown>,
  before: Date,
  batch = 2_000,
): Promise<{ inbox: number; outbox: number }> {
  const out = { inbox: 0, outbox: 0 };
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      with gone as (
        delete from wecom_inbox i where (i.corp_id, i.id) in (
          select x.corp_id, x.id from wecom_inbox x
          where x.status = 'done' and x.done_at < ${before}
          limit ${batch})
        returning 1)
      select count(*)::int as n from gone`.execute(db);
    out.inbox += rows[0]!.n;
    if (rows[0]!.n < batch) break;
  }
  for (;;) {
    const { rows } = await sql<{ n: number }>`
      with gone as (
        delete from wecom_outbox o where (o.corp_id, o.id) in (
          select x.corp_id, x.id from wecom_outbox x
          where x.status in ('done', 'failed', 'expired', 'unknown')
            and coalesce(x.done_at, x.created_at) < ${before}
            and not exists (select 1 from tags t where t.corp_id = x.corp_id and t.sync_key = x.idem_key)
            and not exists (select 1 from tag_groups g where g.corp_id = x.corp_id and g.sync_key = x.idem_key)
          limit ${batch})
        returning 1)
      select count(*)::int as n from gone`.execute(db);
    out.outbox += rows[0]!.n;
    if (rows[0]!.n < batch) break;
  }
  return out;
}
