-- Cohort reads go by acquisition month; follows active now get a small rollup of their own (the performance
-- ranking read all of insight_daily to sum them).
create index insight_monthly_acq on insight_monthly (corp_id, acq_month, month);

-- Per key (of the follow's member): follows active now.
create table insight_active (
  corp_id text not null references corps (corp_id),
  staff_id bigint not null,
  unit_id bigint not null,
  channel_id bigint not null,
  method text not null,
  follows integer not null default 0,
  primary key (corp_id, unit_id, staff_id, channel_id, method)
);
