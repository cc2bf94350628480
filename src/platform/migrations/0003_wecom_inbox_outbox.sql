-- Every WeCom callback is written here before it is acknowledged; dedup_key makes a redelivery a no-op.
create table wecom_inbox (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  dedup_key text not null,
  event_type text not null,
  event jsonb not null,
  received_at timestamptz not null,
  status text not null default 'pending' check (status in ('pending', 'done', 'parked')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  last_error text,
  done_at timestamptz,
  primary key (corp_id, id)
);
create unique index wecom_inbox_dedup on wecom_inbox (corp_id, dedup_key);
create index wecom_inbox_due on wecom_inbox (next_attempt_at, id) where status = 'pending';

-- Every call that changes something on WeCom goes through here: one row per effect, keyed by idem_key,
-- ending in a terminal status. Lane 'welcome' is always served first (WeCom's 20 s window).
create table wecom_outbox (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  idem_key text not null,
  lane text not null check (lane in ('welcome', 'normal', 'bulk')),
  kind text not null,
  request jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'done', 'failed', 'expired')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  deadline_at timestamptz,
  result jsonb,
  errcode integer,
  last_error text,
  created_at timestamptz not null,
  done_at timestamptz,
  primary key (corp_id, id)
);
create unique index wecom_outbox_idem on wecom_outbox (corp_id, idem_key);
create index wecom_outbox_due on wecom_outbox (lane, next_attempt_at, id) where status = 'pending';
