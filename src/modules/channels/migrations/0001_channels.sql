-- Channel codes (渠道活码): where (scene), how (method) and with what (bait) customers are invited, which
-- org unit owns the channel, who the adds are routed to, and what happens on add (tags, remark, welcome).
create table channels (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  name text not null,
  scene text not null,
  method text not null check (method in (
    'package_card', 'sms', 'ai_call', 'rollup_banner', 'table_card', 'poster', 'wangwang', 'livestream',
    'mini_program', 'other')),
  bait text not null default '',
  unit_id bigint not null,
  -- single: one staff; pool: the channel's staff list; store: one code per store under unit_id, routed to
  -- that store's staff (the customer's own store when the code is handed to a known customer).
  assign_mode text not null check (assign_mode in ('single', 'pool', 'store')),
  pool_strategy text not null default 'round_robin' check (pool_strategy in ('round_robin', 'least_loaded')),
  daily_cap integer check (daily_cap is null or daily_cap > 0),
  -- {"days":[1..7], "start":"09:00", "end":"21:00"} in the brand's time zone (Asia/Shanghai); null = always
  working_hours jsonb,
  skip_verify boolean not null default true,
  remark_template text not null default '',
  -- {"text": "...", "link": {"title","url","desc"}, "miniprogram": {"title","appid","page"}, "imageUrl": "..."}
  welcome jsonb not null default '{}',
  status text not null default 'active' check (status in ('active', 'archived')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id)
);
create index channels_unit on channels (corp_id, unit_id);

-- The staff a channel routes to; backups take over outside working hours or when everyone is capped.
create table channel_staff (
  corp_id text not null,
  channel_id bigint not null,
  staff_id bigint not null,
  backup boolean not null default false,
  position integer not null default 0,
  primary key (corp_id, channel_id, staff_id),
  foreign key (corp_id, channel_id) references channels (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);

-- Tags every customer added through the channel receives (in WeCom by mark_tag, and here).
create table channel_tags (
  corp_id text not null,
  channel_id bigint not null,
  tag_id bigint not null,
  primary key (corp_id, channel_id, tag_id),
  foreign key (corp_id, channel_id) references channels (corp_id, id),
  foreign key (corp_id, tag_id) references tags (corp_id, id)
);

-- One WeCom «联系我» per channel, or per store for store channels. `state` identifies it in callbacks.
create table channel_codes (
  corp_id text not null,
  id bigint generated always as identity,
  channel_id bigint not null,
  unit_id bigint not null,
  state text not null check (char_length(state) <= 30),
  config_id text,
  qr_code text,
  -- the member the way routes to now, and the round-robin position
  current_userid text,
  rr_position integer not null default 0,
  scans integer not null default 0,
  created_at timestamptz not null default now(),
  primary key (corp_id, id),
  foreign key (corp_id, channel_id) references channels (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id)
);
create unique index channel_codes_state on channel_codes (corp_id, state);
create unique index channel_codes_unit on channel_codes (corp_id, channel_id, unit_id);

-- Attribution: one row per follow that began through a code.
create table channel_adds (
  corp_id text not null,
  id bigint generated always as identity,
  code_id bigint not null,
  channel_id bigint not null,
  customer_id bigint not null,
  staff_id bigint not null,
  added_at timestamptz not null,
  welcome_key text,
  primary key (corp_id, id),
  foreign key (corp_id, code_id) references channel_codes (corp_id, id),
  foreign key (corp_id, channel_id) references channels (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);
create unique index channel_adds_follow on channel_adds (corp_id, customer_id, staff_id, added_at);
create index channel_adds_channel on channel_adds (corp_id, channel_id, added_at);
create index channel_adds_staff_day on channel_adds (corp_id, staff_id, added_at);

-- Per brand (its root unit) and per store: how friends and groups link (PLAYBOOK §2, the four linkages),
-- and who adds customers (a central online team, or each role at its journey node).
create table acquisition_settings (
  corp_id text not null,
  unit_id bigint not null,
  linkage text not null check (linkage in ('friend_only', 'group_only', 'friend_then_group', 'group_then_friend')),
  adds_model text not null default 'journey' check (adds_model in ('central', 'journey')),
  updated_at timestamptz not null default now(),
  primary key (corp_id, unit_id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id)
);
