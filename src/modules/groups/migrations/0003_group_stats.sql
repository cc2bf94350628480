-- Group statistics per owner and China day (groupchat/statistic, pulled daily): the rollup the console's
-- per-store charts read. members lost = new members − the day's change of the member total.
create table group_stats_daily (
  corp_id text not null references corps (corp_id),
  day date not null,
  owner_userid text not null,
  new_chat_cnt integer not null,
  chat_total integer not null,
  chat_has_msg integer not null,
  new_member_cnt integer not null,
  member_total integer not null,
  member_has_msg integer not null,
  msg_total integer not null,
  pulled_at timestamptz not null,
  primary key (corp_id, day, owner_userid)
);
create index group_stats_daily_owner on group_stats_daily (corp_id, owner_userid, day);

-- The days pulled for a corp (a day with no figures is pulled all the same).
create table group_stats_pulls (
  corp_id text not null references corps (corp_id),
  day date not null,
  owners integer not null,
  pulled_at timestamptz not null,
  primary key (corp_id, day)
);
