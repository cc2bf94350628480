-- Staff tasks (待办): one customer (or none) and one member, a kind, a due time and one reminder through
-- WeCom's app messages (message/send, through the outbox). Created by a manager in the console or by code
-- (a journey step); done or dismissed by the member. unit_id is the member's unit when the task was made:
-- the store the task counts for, and the scope it is seen in.
create table tasks (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  staff_id bigint not null,
  unit_id bigint not null,
  customer_id bigint,
  kind text not null check (kind in ('call', 'send_script', 'invite_group', 'birthday_care', 'custom')),
  title text not null check (char_length(title) between 1 and 100),
  note text not null default '' check (char_length(note) <= 1000),
  -- an item of the content library (the content module); no foreign key until that module lands
  content_id text check (char_length(content_id) <= 64),
  due_at timestamptz not null,
  -- when the member is reminded; null: never
  remind_at timestamptz,
  source_kind text not null check (source_kind in ('manual', 'journey')),
  source_journey_id text check (char_length(source_journey_id) <= 64),
  source_step_id text check (char_length(source_step_id) <= 64),
  -- a caller's idempotency key (a journey enrolment's step): the same key makes no second task
  source_key text check (char_length(source_key) <= 200),
  status text not null default 'open' check (status in ('open', 'done', 'dismissed')),
  created_by bigint,
  created_at timestamptz not null,
  closed_at timestamptz,
  closed_by bigint,
  close_note text not null default '' check (char_length(close_note) <= 500),
  -- the touch recorded against the customer's budget when a send_script task was done (outreach)
  touch_id text,
  -- the outbox row of the reminder's latest attempt, and how many were queued (a missed one is queued again)
  reminder_outbox_id bigint,
  reminder_rounds smallint not null default 0,
  primary key (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id),
  foreign key (corp_id, closed_by) references accounts (corp_id, id),
  check ((status = 'open') = (closed_at is null)),
  check ((source_kind = 'journey') = (source_journey_id is not null))
);
create unique index tasks_source_key on tasks (corp_id, source_key) where source_key is not null;
create index tasks_staff on tasks (corp_id, staff_id, due_at);
create index tasks_unit on tasks (corp_id, unit_id, due_at);
create index tasks_customer on tasks (corp_id, customer_id, due_at) where customer_id is not null;
-- what the reminder job looks for: open tasks whose reminder is due and not yet queued
create index tasks_reminder_due on tasks (remind_at) where status = 'open' and reminder_outbox_id is null;
