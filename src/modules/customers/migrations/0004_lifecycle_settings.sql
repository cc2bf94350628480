-- A brand's RFM cut points and lifecycle rules (customers/rfm.ts says what each number means); without a
-- row, rfm.ts's defaults. The row also keeps the brand's facts job: a full recompute is due while
-- recompute_version is behind settings_version, and its progress is here for the console to show.
create table lifecycle_settings (
  corp_id text not null references corps (corp_id),
  -- four ascending cut points each: days since the last order, orders in all, paid fen in all
  recency_days integer[] not null check (cardinality(recency_days) = 4),
  frequency_orders integer[] not null check (cardinality(frequency_orders) = 4),
  monetary_fen integer[] not null check (cardinality(monetary_fen) = 4),
  repeat_orders integer not null check (repeat_orders >= 2),
  super_min_r smallint not null check (super_min_r between 1 and 5),
  super_min_f smallint not null check (super_min_f between 1 and 5),
  super_min_m smallint not null check (super_min_m between 1 and 5),
  dormant_days integer not null check (dormant_days >= 1),
  churned_days integer not null check (churned_days > dormant_days),
  settings_version integer not null default 0,
  settings_at timestamptz,
  updated_by bigint,
  -- the settings_version the latest full recompute used
  recompute_version integer not null default 0,
  recompute_started_at timestamptz,
  recompute_finished_at timestamptz,
  recompute_done integer not null default 0,
  recompute_total integer not null default 0,
  -- the last pass that found the customers whose stage moved with time alone
  drift_checked_at timestamptz,
  primary key (corp_id),
  foreign key (corp_id, updated_by) references accounts (corp_id, id)
);
