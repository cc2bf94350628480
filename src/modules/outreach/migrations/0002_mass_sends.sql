-- Mass sends (群发, issue 13 §2): content, an optional send time, the sender rule and the audience. Each
-- customer is one recipient row with their sender and why; each sender's part of a dispatch is one task, one
-- add_msg_template the member confirms in WeCom. `content_id` names a content item once the content module
-- has it; until then the content is inline.
create table mass_sends (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  unit_id bigint not null,
  name text not null check (char_length(name) between 1 and 60),
  content_id bigint,
  content_kind text not null check (content_kind in ('coupon', 'product', 'trust', 'persona', 'event')),
  text text not null default '',
  attachments jsonb not null default '[]',
  send_at timestamptz,
  sender_rule jsonb not null,
  audience jsonb not null,
  guard text not null default 'stop' check (guard in ('stop', 'price_sensitive_only', 'override')),
  override_reason text,
  status text not null default 'scheduled' check (status in ('scheduled', 'sending', 'done', 'cancelled')),
  planned jsonb not null,
  created_by bigint,
  created_at timestamptz not null,
  dispatched_at timestamptz,
  cancelled_at timestamptz,
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, created_by) references accounts (corp_id, id),
  check (text <> '' or attachments <> '[]'::jsonb)
);
create index mass_sends_unit on mass_sends (corp_id, unit_id, id);
create index mass_sends_due on mass_sends (corp_id, send_at) where status in ('scheduled', 'sending');

create table mass_send_tasks (
  corp_id text not null,
  id bigint generated always as identity,
  mass_send_id bigint not null,
  staff_id bigint not null,
  wave integer not null,
  status text not null default 'pending'
    check (status in ('pending', 'created', 'sent', 'failed', 'cancelled')),
  msgid text,
  recipients integer not null,
  error text,
  created_at timestamptz not null,
  confirmed_at timestamptz,
  polled_at timestamptz,
  primary key (corp_id, id),
  foreign key (corp_id, mass_send_id) references mass_sends (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);
create index mass_send_tasks_send on mass_send_tasks (corp_id, mass_send_id);
create index mass_send_tasks_open on mass_send_tasks (corp_id, status) where status in ('pending', 'created');

-- One row per customer of the audience. planned → queued (touch reserved, in a task) → sent / unsent /
-- not_friend / over_cap (WeCom's send result) ; deferred (capped, quiet hours: retry_at) → queued later;
-- excluded (reason) ; failed (WeCom refused the call) ; cancelled.
create table mass_send_recipients (
  corp_id text not null,
  mass_send_id bigint not null,
  customer_id bigint not null,
  staff_id bigint,
  sender_reason text,
  status text not null check (status in
    ('planned', 'deferred', 'excluded', 'queued', 'sent', 'unsent', 'not_friend', 'over_cap', 'failed', 'cancelled')),
  reason text,
  retry_at timestamptz,
  touch_id bigint,
  task_id bigint,
  result_at timestamptz,
  primary key (corp_id, mass_send_id, customer_id),
  foreign key (corp_id, mass_send_id) references mass_sends (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id)
);
create index mass_send_recipients_due on mass_send_recipients (corp_id, mass_send_id, retry_at)
  where status in ('planned', 'deferred');
create index mass_send_recipients_task on mass_send_recipients (corp_id, task_id);

create table mass_send_reminds (
  corp_id text not null,
  id bigint generated always as identity,
  mass_send_id bigint not null,
  at timestamptz not null,
  account_id bigint,
  primary key (corp_id, id),
  foreign key (corp_id, mass_send_id) references mass_sends (corp_id, id)
);
create index mass_send_reminds_send on mass_send_reminds (corp_id, mass_send_id, at);

-- Orders credited to the touch that preceded them within the attribution window (the latest one).
create table touch_attributions (
  corp_id text not null,
  order_id bigint not null,
  touch_id bigint not null,
  customer_id bigint not null,
  source_kind text not null,
  source_id text not null,
  staff_id bigint not null,
  paid_fen bigint not null,
  ordered_at timestamptz not null,
  primary key (corp_id, order_id),
  foreign key (corp_id, touch_id) references touches (corp_id, id)
);
create index touch_attributions_source on touch_attributions (corp_id, source_kind, source_id);
