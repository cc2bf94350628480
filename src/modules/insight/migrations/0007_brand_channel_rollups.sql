-- The rollups per channel and method over the whole brand, for HQ's reads by channel or method: summed over
-- the stores, a few thousand rows where insight_channel_cohorts holds one per store as well (at 3,000,000
-- customers HQ's GMV by channel summed ~110,000 of them, 230-250 ms). Kept by the same refresh; filled here
-- from the per-unit channel rollups for a database that has them already.

create table insight_brand_channel_daily (
  corp_id text not null references corps (corp_id),
  day date not null,
  channel_id bigint not null,
  method text not null,
  adds integer not null default 0,
  deletions integer not null default 0,
  staff_deletions integer not null default 0,
  welcomed integer not null default 0,
  new_customers integer not null default 0,
  lost_customers integer not null default 0,
  first_buyers integer not null default 0,
  primary key (corp_id, day, channel_id, method)
);

create table insight_brand_channel_monthly (
  corp_id text not null references corps (corp_id),
  month date not null,
  acq_month date not null,
  channel_id bigint not null,
  method text not null,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  orders integer not null default 0,
  paid_fen bigint not null default 0,
  primary key (corp_id, month, channel_id, method, acq_month)
);

create table insight_brand_channel_cohorts (
  corp_id text not null references corps (corp_id),
  acq_month date not null,
  lost_month date not null,
  channel_id bigint not null,
  method text not null,
  customers integer not null default 0,
  retained_7d integer not null default 0,
  in_group integer not null default 0,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  primary key (corp_id, acq_month, channel_id, method, lost_month)
);

create table insight_brand_channel_stages (
  corp_id text not null references corps (corp_id),
  stage text not null,
  channel_id bigint not null,
  method text not null,
  customers integer not null default 0,
  primary key (corp_id, channel_id, method, stage)
);

create table insight_brand_channel_active (
  corp_id text not null references corps (corp_id),
  channel_id bigint not null,
  method text not null,
  follows integer not null default 0,
  primary key (corp_id, channel_id, method)
);

insert into insight_brand_channel_daily (corp_id, day, channel_id, method, adds, deletions, staff_deletions,
  welcomed, new_customers, lost_customers, first_buyers)
select corp_id, day, channel_id, method, sum(adds), sum(deletions), sum(staff_deletions), sum(welcomed),
  sum(new_customers), sum(lost_customers), sum(first_buyers)
from insight_channel_daily group by corp_id, day, channel_id, method;

insert into insight_brand_channel_monthly (corp_id, month, acq_month, channel_id, method, buyers, repeat_buyers,
  orders, paid_fen)
select corp_id, month, acq_month, channel_id, method, sum(buyers), sum(repeat_buyers), sum(orders), sum(paid_fen)
from insight_channel_monthly group by corp_id, month, acq_month, channel_id, method;

insert into insight_brand_channel_cohorts (corp_id, acq_month, lost_month, channel_id, method, customers,
  retained_7d, in_group, buyers, repeat_buyers)
select corp_id, acq_month, lost_month, channel_id, method, sum(customers), sum(retained_7d), sum(in_group),
  sum(buyers), sum(repeat_buyers)
from insight_channel_cohorts group by corp_id, acq_month, lost_month, channel_id, method;

insert into insight_brand_channel_stages (corp_id, stage, channel_id, method, customers)
select corp_id, stage, channel_id, method, sum(customers)
from insight_channel_stages group by corp_id, stage, channel_id, method;

insert into insight_brand_channel_active (corp_id, channel_id, method, follows)
select corp_id, channel_id, method, sum(follows)
from insight_channel_active group by corp_id, channel_id, method;
