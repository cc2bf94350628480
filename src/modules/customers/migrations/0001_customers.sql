-- One customer per external_userid per corp, however many staff follow them.
create table customers (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  external_userid text not null,
  unionid text,
  name text not null,
  name_pinyin text not null default '',
  gender smallint not null default 0 check (gender in (0, 1, 2)),
  avatar text,
  customer_type smallint not null default 1,
  phone_cipher text,
  phone_hash text,
  phone_masked text,
  search_text text not null default '',
  first_added_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (corp_id, id)
);
create unique index customers_external_userid on customers (corp_id, external_userid);
create index customers_unionid on customers (corp_id, unionid);
create index customers_phone_hash on customers (corp_id, phone_hash);

-- A follow is one staff <-> customer relationship, as WeCom keeps it (remark, add_way, state...), plus the
-- role the staff plays at that node of the customer's journey.
create table follows (
  corp_id text not null,
  id bigint generated always as identity,
  customer_id bigint not null,
  staff_id bigint not null,
  remark text,
  description text,
  add_way integer not null default 0,
  state text,
  journey_role text not null,
  status text not null default 'active' check (status in ('active', 'deleted_by_customer', 'deleted_by_staff')),
  added_at timestamptz not null,
  ended_at timestamptz,
  primary key (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);
create unique index follows_pair on follows (corp_id, customer_id, staff_id);
create index follows_staff on follows (corp_id, staff_id, customer_id);

-- Every touch, tag change, group join/leave and order lands here.
create table customer_events (
  corp_id text not null,
  id bigint generated always as identity,
  customer_id bigint not null,
  at timestamptz not null,
  kind text not null,
  staff_id bigint,
  summary text not null,
  data jsonb not null default '{}',
  primary key (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);
create index customer_events_customer on customer_events (corp_id, customer_id, at desc);
