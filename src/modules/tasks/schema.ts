import type { Generated } from 'kysely';
import type { Timestamp } from '../../platform/db/column-types.ts';

export const TASK_KINDS = ['call', 'send_script', 'invite_group', 'birthday_care', 'custom'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
export const TASK_STATUSES = ['open', 'done', 'dismissed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TasksTable {
  corp_id: string;
  id: Generated<number>;
  staff_id: number;
  /** The member's unit when the task was made: the store it counts for. */
  unit_id: number;
  customer_id: number | null;
  kind: TaskKind;
  title: string;
  note: Generated<string>;
  /** An item of the content library (content module); no foreign key yet. */
  content_id: string | null;
  due_at: Timestamp;
  remind_at: Timestamp | null;
  source_kind: 'manual' | 'journey';
  source_journey_id: string | null;
  source_step_id: string | null;
  source_key: string | null;
  status: Generated<TaskStatus>;
  created_by: number | null;
  created_at: Timestamp;
  closed_at: Timestamp | null;
  closed_by: number | null;
  close_note: Generated<string>;
  touch_id: string | null;
  reminder_outbox_id: number | null;
  reminder_queued_at: Timestamp | null;
  reminder_rounds: Generated<number>;
}

/** The tables this module owns, as Kysely sees them. */
export interface TasksTables {
  tasks: TasksTable;
}
