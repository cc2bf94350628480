import { sql } from 'kysely';
import type { CorpDb } from '../../platform/db/corp-db.ts';
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
  | 'channel_add'
  | 'stage_changed'
  | 'order'
  | 'member'
  | 'identity_unlinked'
  | 'note';

export interface TimelineEntry {
  customerId: number;
  kind: TimelineKind;
  at: Date;
  staffId?: number | null;
  summary: string;
  data?: Record<string, unknown>;
}

/** The one way anything lands on a customer's timeline. */
export async function addTimeline(cdb: CorpDb<Tables>, entries: TimelineEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await cdb.db
    .insertInto('customer_events')
    .values(
      entries.map((e) => ({
        corp_id: cdb.corpId,
        customer_id: e.customerId,
        at: e.at,
        kind: e.kind,
        staff_id: e.staffId ?? null,
        summary: e.summary,
        data: JSON.stringify(e.data ?? {}),
      })),
    )
    .execute();
}

/** Takes back events that no longer hold, e.g. a customer's orders moved away when a merge is undone. */
export async function removeTimeline(
  cdb: CorpDb<Tables>,
  customerId: number,
  kind: TimelineKind,
  ref: { key: string; values: (string | number)[] },
): Promise<void> {
  if (ref.values.length === 0) return;
  await cdb.db
    .deleteFrom('customer_events')
    .where('corp_id', '=', cdb.corpId)
    .where('customer_id', '=', customerId)
    .where('kind', '=', kind)
    .where(sql<string>`data ->> ${ref.key}`, 'in', ref.values.map(String))
    .execute();
}
