import { sql } from 'kysely';
import { type CorpDb, gatheredUntilCommit } from '../../platform/db/corp-db.ts';
import type { Tables } from '../tables.ts';

export type TimelineKind =
  | 'follow_added'
  | 'follow_deleted_by_customer'
  | 'follow_deleted_by_staff'
  | 'follow_edited'
  | 'tag_added'
  | 'tag_removed'
  | 'group_joined'
  | 'group_left'
  | 'transfer_failed'
  | 'transferred'
  | 'channel_add'
  | 'stage_changed'
  | 'order'
  | 'member'
  | 'identity_unlinked'
  | 'touch'
  | 'task_created'
  | 'task_done'
  | 'task_dismissed'
  | 'note';

export interface TimelineEntry {
  customerId: number;
  kind: TimelineKind;
  at: Date;
  staffId?: number | null;
  /** The account that acted, for a change made in Siyu (the timeline names this person). */
  accountId?: number | null;
  /** The entry in Chinese as written; the timeline renders `data` per language (timeline-text.ts). */
  summary: string;
  data?: Record<string, unknown>;
}

/**
 * The one way anything lands on a customer's timeline. A transaction's entries (an add's mirror and its
 * channel attribution each land one) are written together just before it commits; what reads or changes
 * the timeline here writes them first.
 */
export async function addTimeline(cdb: CorpDb<Tables>, entries: TimelineEntry[]): Promise<void> {
  if (entries.length) await unwritten.add(cdb, entries);
}

// The entries travel as one JSON parameter: however many a full sync lands, the statement stays far under
// PostgreSQL's 65,535 parameters, and it goes out with the transaction's other writes.
const unwritten = gatheredUntilCommit((cdb: CorpDb<Tables>, entries: TimelineEntry[]) => [
  {
    name: 'timeline_entries',
    sql: sql`insert into customer_events (corp_id, customer_id, at, kind, staff_id, account_id, summary, data)
      select ${cdb.corpId}, r.customer_id, r.at, r.kind, r.staff_id, r.account_id, r.summary, r.data
      from jsonb_to_recordset(${JSON.stringify(
        entries.map((e, n) => ({
          n,
          customer_id: e.customerId,
          at: e.at,
          kind: e.kind,
          staff_id: e.staffId ?? null,
          account_id: e.accountId ?? null,
          summary: e.summary,
          data: e.data ?? {},
        })),
      )}::jsonb) as r(n int, customer_id bigint, at timestamptz, kind text, staff_id bigint,
        account_id bigint, summary text, data jsonb)
      order by r.n`,
  },
]);

/** Takes back events that no longer hold, e.g. a customer's orders moved away when a merge is undone. */
export async function removeTimeline(
  cdb: CorpDb<Tables>,
  customerId: number,
  kind: TimelineKind,
  ref: { key: string; values: (string | number)[] },
): Promise<void> {
  if (ref.values.length === 0) return;
  await unwritten.flush(cdb);
  await cdb.db
    .deleteFrom('customer_events')
    .where('corp_id', '=', cdb.corpId)
    .where('customer_id', '=', customerId)
    .where('kind', '=', kind)
    .where(sql<string>`data ->> ${ref.key}`, 'in', ref.values.map(String))
    .execute();
}

/**
 * Lands entries like addTimeline, but an entry may fold into its customer's latest event of the same kind
 * since `since`: `fold` gets that event's data and returns the combined entry (written in its place), null
 * when the two cancel out (the earlier event goes), or undefined to keep both.
 */
export async function foldTimeline(
  cdb: CorpDb<Tables>,
  entries: TimelineEntry[],
  since: Date,
  fold: (earlier: Record<string, unknown>, later: TimelineEntry) => TimelineEntry | null | undefined,
): Promise<void> {
  if (entries.length === 0) return;
  await unwritten.flush(cdb);
  const kinds = [...new Set(entries.map((e) => e.kind))];
  const latest = await cdb.db
    .selectFrom('customer_events')
    .select(['id', 'customer_id', 'kind', 'data'])
    .distinctOn(['customer_id', 'kind'])
    .where('corp_id', '=', cdb.corpId)
    .where('customer_id', 'in', [...new Set(entries.map((e) => e.customerId))])
    .where('kind', 'in', kinds)
    .where('at', '>=', since)
    .where('at', '<=', new Date(Math.max(...entries.map((e) => e.at.getTime()))))
    .orderBy('customer_id')
    .orderBy('kind')
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const earlier = new Map(latest.map((e) => [`${e.customer_id}:${e.kind}`, e]));
  const add: TimelineEntry[] = [];
  for (const entry of entries) {
    const prev = earlier.get(`${entry.customerId}:${entry.kind}`);
    const folded = prev ? fold(prev.data as Record<string, unknown>, entry) : undefined;
    if (folded === undefined) {
      add.push(entry);
      continue;
    }
    if (folded === null) {
      await cdb.db
        .deleteFrom('customer_events')
        .where('corp_id', '=', cdb.corpId)
        .where('id', '=', prev!.id)
        .execute();
    } else {
      await cdb.db
        .updateTable('customer_events')
        .set({ at: folded.at, summary: folded.summary, data: JSON.stringify(folded.data ?? {}) })
        .where('corp_id', '=', cdb.corpId)
        .where('id', '=', prev!.id)
        .execute();
    }
  }
  await addTimeline(cdb, add);
}
