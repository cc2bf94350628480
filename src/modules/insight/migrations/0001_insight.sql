-- Insight: rollups the dashboards read, kept current incrementally. Each customer's contribution is mirrored
-- (insight_follows, insight_customers, insight_buyer_months); refreshing a customer subtracts its old
-- contribution from the rollups, rebuilds its mirror rows from the raw tables and adds the new one, in one
-- transaction. Days and months are brand days (UTC+8). channel_id 0 / method 'none': no channel code.

-- Customers whose contribution is stale (marked by the domain events, in their transaction).
create table insight_dirty (
  corp_id text not null references corps (corp_id),
  customer_id bigint not null,
  primary key (corp_id, customer_id)
);

-- One row per follow: where it counts (the member, their unit, the code's channel and method) and when.
create table insight_follows (
  corp_id text not null references corps (corp_id),
  follow_id bigint not null,
  customer_id bigint not null,
  staff_id bigint not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  added_day date not null,
  ended_day date,
  ended_by text check (ended_by in ('customer', 'staff')),
  welcomed boolean not null,
  primary key (corp_id, follow_id)
);
create index insight_follows_customer on insight_follows (corp_id, customer_id);

-- One row per customer with a follow: the owner (the member who added them first), their unit, the channel
-- and method of that first add, when they came and left, and how far they went.
create table insight_customers (
  corp_id text not null references corps (corp_id),
  customer_id bigint not null,
  staff_id bigint not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  acquired_day date not null,
  -- the brand day their last follow ended (null: still a friend)
  lost_day date,
  retained_7d boolean not null,
  in_group boolean not null,
  first_order_day date,
  order_count integer not null,
  stage text not null,
  primary key (corp_id, customer_id)
);
create index insight_customers_scope on insight_customers (corp_id, unit_id, acquired_day);

-- A customer's orders in one brand month.
create table insight_buyer_months (
  corp_id text not null references corps (corp_id),
  customer_id bigint not null,
  month date not null,
  orders integer not null,
  paid_fen bigint not null,
  primary key (corp_id, customer_id, month)
);

-- Per brand day and key: follows added / ended, welcomes sent in the window, customers gained and lost,
-- first orders.
create table insight_daily (
  corp_id text not null references corps (corp_id),
  day date not null,
  staff_id bigint not null,
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
  primary key (corp_id, day, unit_id, staff_id, channel_id, method)
);

-- Per brand month, acquisition month and key (of the buyer's owner): buyers, orders, paid.
create table insight_monthly (
  corp_id text not null references corps (corp_id),
  month date not null,
  acq_month date not null,
  staff_id bigint not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  orders integer not null default 0,
  paid_fen bigint not null default 0,
  primary key (corp_id, month, unit_id, staff_id, channel_id, method, acq_month)
);

-- Per acquisition month, month lost ('9999-12-01': not lost) and key: customers and how far they went.
create table insight_cohorts (
  corp_id text not null references corps (corp_id),
  acq_month date not null,
  lost_month date not null,
  staff_id bigint not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  customers integer not null default 0,
  retained_7d integer not null default 0,
  in_group integer not null default 0,
  buyers integer not null default 0,
  repeat_buyers integer not null default 0,
  primary key (corp_id, acq_month, unit_id, staff_id, channel_id, method, lost_month)
);

-- Per key and lifecycle stage: customers now.
create table insight_stages (
  corp_id text not null references corps (corp_id),
  stage text not null,
  staff_id bigint not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  customers integer not null default 0,
  primary key (corp_id, unit_id, staff_id, channel_id, method, stage)
);

-- The recent adds whose welcome may have gone out after their refresh (insight.rollups looks each pass).
create index insight_follows_unwelcomed on insight_follows (corp_id, added_day) where not welcomed;

