-- The domain event log: what modules publish, written in the producer's transaction (a transactional
-- outbox). Kept for the retention the README states, then purged; the journey engine reads it by type.
create table domain_events (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  type text not null,
  -- the customer the event is about (orders deliveries per customer); null for brand-wide events
  customer_id bigint,
  payload jsonb not null,
  created_at timestamptz not null,
  primary key (corp_id, id)
);
create index domain_events_type on domain_events (corp_id, type, id);
create index domain_events_created on domain_events (created_at);

-- One row per event x after-commit subscriber: delivered at least once, in order per order_key (the
-- subscriber and the customer), retried with backoff, parked (kept, visible) after too many failures.
create table domain_event_deliveries (
  corp_id text not null,
  id bigint generated always as identity,
  event_id bigint not null,
  subscriber text not null,
  order_key text not null,
  status text not null default 'pending' check (status in ('pending', 'done', 'parked')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  last_error text,
  done_at timestamptz,
  primary key (corp_id, id),
  foreign key (corp_id, event_id) references domain_events (corp_id, id) on delete cascade
);
create unique index domain_event_deliveries_once on domain_event_deliveries (corp_id, event_id, subscriber);
-- Claims walk the pending rows in id order and stop at their limit (as the inbox's do).
create index domain_event_deliveries_pending on domain_event_deliveries (id) where status = 'pending';
create index domain_event_deliveries_order on domain_event_deliveries (corp_id, order_key, id)
  where status = 'pending';
create index domain_event_deliveries_parked on domain_event_deliveries (corp_id, id) where status = 'parked';
