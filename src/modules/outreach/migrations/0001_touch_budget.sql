-- The touch budget (issue 13 §3): how often a customer may be messaged, set per org unit and inherited down
-- the tree. A null column inherits the parent's value; the root's nulls take the defaults (1 message per
-- 48 hours, quiet hours 21:00–09:00 brand time). Quiet hours are minutes of the brand day; start = end means none.
create table touch_budget_settings (
  corp_id text not null references corps (corp_id),
  unit_id bigint not null,
  max_touches integer check (max_touches between 1 and 100),
  window_hours integer check (window_hours between 1 and 24 * 90),
  quiet_start smallint check (quiet_start between 0 and 1439),
  quiet_end smallint check (quiet_end between 0 and 1439),
  updated_by bigint,
  updated_at timestamptz not null,
  primary key (corp_id, unit_id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, updated_by) references accounts (corp_id, id),
  check ((quiet_start is null) = (quiet_end is null))
);

-- The brand's outreach settings: WeCom's monthly receive cap per customer (null = as many as the month has
-- days, API-FACTS-2 §11), the coupon share from which a customer is price-sensitive (content guard), and the
-- attribution window of touches.
create table outreach_settings (
  corp_id text not null references corps (corp_id),
  monthly_cap integer check (monthly_cap between 1 and 31),
  price_sensitive_share real not null default 0.5 check (price_sensitive_share between 0 and 1),
  attribution_days integer not null default 7 check (attribution_days between 1 and 90),
  updated_by bigint,
  updated_at timestamptz not null,
  primary key (corp_id),
  foreign key (corp_id, updated_by) references accounts (corp_id, id)
);

-- One row per customer ever touched: what reserveTouch locks (select … for update), so that two campaigns
-- reserving for the same customer at once take turns and cannot both take the last slot.
create table touch_locks (
  corp_id text not null,
  customer_id bigint not null,
  primary key (corp_id, customer_id),
  foreign key (corp_id, customer_id) references customers (corp_id, id)
);

-- Customers who asked not to receive marketing messages.
create table touch_opt_outs (
  corp_id text not null,
  customer_id bigint not null,
  reason text not null default '',
  at timestamptz not null,
  primary key (corp_id, customer_id),
  foreign key (corp_id, customer_id) references customers (corp_id, id)
);

-- The touch ledger: every message any sender sends a customer, reserved before it goes out. `reserved` and
-- `sent` count against the budget; `released` (the send failed for good) does not. `wecom_mass` touches go
-- through add_msg_template and count against WeCom's monthly receive cap too.
create table touches (
  corp_id text not null,
  id bigint generated always as identity,
  customer_id bigint not null,
  staff_id bigint not null,
  source_kind text not null check (source_kind in ('journey', 'mass_send', 'task')),
  source_id text not null,
  content_id bigint,
  at timestamptz not null,
  wecom_mass boolean not null,
  status text not null default 'reserved' check (status in ('reserved', 'sent', 'released')),
  released_reason text,
  settled_at timestamptz,
  primary key (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);
create index touches_customer on touches (corp_id, customer_id, at) where status <> 'released';
create index touches_source on touches (corp_id, source_kind, source_id);
