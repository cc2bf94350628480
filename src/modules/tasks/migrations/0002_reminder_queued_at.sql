-- When a task's reminder round was queued: the reminder job looks for a round WeCom never got only among the
-- rounds queued lately (REMINDER_RETRY_WINDOW_MS and REMINDER_ROUNDS = 3 in reminders.ts), through this
-- partial index, rather than among every open task's outbox row. Rounds queued before this column existed
-- count as queued when it was added.
alter table tasks add column reminder_queued_at timestamptz;
update tasks set reminder_queued_at = now() where reminder_outbox_id is not null;
create index tasks_reminder_queued on tasks (reminder_queued_at)
  where status = 'open' and reminder_outbox_id is not null and reminder_rounds < 3;
