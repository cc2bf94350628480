-- The same rollups with fewer key columns, for the reads that need no more: per unit (HQ and region reads by
-- total or by store), per unit and member (by member), per unit and channel (by channel or method). The
-- per-key tables hold a row per member × channel, so a brand-wide read summed hundreds of thousands of rows;
-- these hold a row per store, per member or per store × channel. Kept current by the same refresh, in the
-- same transaction; the per-key tables still answer a member's own numbers.

create table insight_unit_daily (
  corp_id text not null references corps (corp_id),
  day date not null,
  unit_id bigint not null,
  adds integer not null default 0,
  deletions integer not null default 0,
  staff_deletions integer not null default 0,
  welcomed integer not null default 0,
  new_customers integer not null default 0,
  lost_customers integer not null default 0,
  first_buyers integer not null default 0,
  primary key (corp_id, day, unit_id)
);

create table insight_unit_monthly (
  corp_id text not null references corps (corp_id),
  month date not null,
  acq_month date not null,
  unit_id bigint not null,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  orders integer not null default 0,
  paid_fen bigint not null default 0,
  primary key (corp_id, month, unit_id, acq_month)
);
create index insight_unit_monthly_acq on insight_unit_monthly (corp_id, acq_month, month);

create table insight_unit_cohorts (
  corp_id text not null references corps (corp_id),
  acq_month date not null,
  lost_month date not null,
  unit_id bigint not null,
  customers integer not null default 0,
  retained_7d integer not null default 0,
  in_group integer not null default 0,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  primary key (corp_id, acq_month, unit_id, lost_month)
);

create table insight_unit_stages (
  corp_id text not null references corps (corp_id),
  stage text not null,
  unit_id bigint not null,
  customers integer not null default 0,
  primary key (corp_id, unit_id, stage)
);

create table insight_unit_active (
  corp_id text not null references corps (corp_id),
  unit_id bigint not null,
  follows integer not null default 0,
  primary key (corp_id, unit_id)
);

create table insight_staff_daily (
  corp_id text not null references corps (corp_id),
  day date not null,
  staff_id bigint not null,
  unit_id bigint not null,
  adds integer not null default 0,
  deletions integer not null default 0,
  staff_deletions integer not null default 0,
  welcomed integer not null default 0,
  new_customers integer not null default 0,
  lost_customers integer not null default 0,
  first_buyers integer not null default 0,
  primary key (corp_id, day, unit_id, staff_id)
);

create table insight_staff_monthly (
  corp_id text not null references corps (corp_id),
  month date not null,
  acq_month date not null,
  staff_id bigint not null,
  unit_id bigint not null,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  orders integer not null default 0,
  paid_fen bigint not null default 0,
  primary key (corp_id, month, unit_id, staff_id, acq_month)
);
create index insight_staff_monthly_acq on insight_staff_monthly (corp_id, acq_month, month);

create table insight_staff_cohorts (
  corp_id text not null references corps (corp_id),
  acq_month date not null,
  lost_month date not null,
  staff_id bigint not null,
  unit_id bigint not null,
  customers integer not null default 0,
  retained_7d integer not null default 0,
  in_group integer not null default 0,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  primary key (corp_id, acq_month, unit_id, staff_id, lost_month)
);

create table insight_staff_stages (
  corp_id text not null references corps (corp_id),
  stage text not null,
  staff_id bigint not null,
  unit_id bigint not null,
  customers integer not null default 0,
  primary key (corp_id, unit_id, staff_id, stage)
);

create table insight_staff_active (
  corp_id text not null references corps (corp_id),
  staff_id bigint not null,
  unit_id bigint not null,
  follows integer not null default 0,
  primary key (corp_id, unit_id, staff_id)
);

create table insight_channel_daily (
  corp_id text not null references corps (corp_id),
  day date not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  adds integer not null default 0,
  deletions integer not null default 0,
  staff_deletions integer not null default 0,
  welcomed integer not null default 0,
  new_customers integer not null default 0,
  lost_customers integer not null default 0,
  first_buyers integer not null default 0,
  primary key (corp_id, day, unit_id, channel_id, method)
);

create table insight_channel_monthly (
  corp_id text not null references corps (corp_id),
  month date not null,
  acq_month date not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  orders integer not null default 0,
  paid_fen bigint not null default 0,
  primary key (corp_id, month, unit_id, channel_id, method, acq_month)
);
create index insight_channel_monthly_acq on insight_channel_monthly (corp_id, acq_month, month);

create table insight_channel_cohorts (
  corp_id text not null references corps (corp_id),
  acq_month date not null,
  lost_month date not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  customers integer not null default 0,
  retained_7d integer not null default 0,
  in_group integer not null default 0,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  primary key (corp_id, acq_month, unit_id, channel_id, method, lost_month)
);

create table insight_channel_stages (
  corp_id text not null references corps (corp_id),
  stage text not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  customers integer not null default 0,
  primary key (corp_id, unit_id, channel_id, method, stage)
);

create table insight_channel_active (
  corp_id text not null references corps (corp_id),
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  follows integer not null default 0,
  primary key (corp_id, unit_id, channel_id, method)
);
