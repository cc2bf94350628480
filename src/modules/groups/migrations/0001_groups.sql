-- Customer groups (WeCom external group chats) and their members, kept in sync from WeCom.
create table groups (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  chat_id text not null,
  name text not null default '',
  owner_userid text,
  owner_staff_id bigint,
  notice text,
  member_version text,
  member_count integer not null default 0,
  customer_count integer not null default 0,
  status text not null default 'active' check (status in ('active', 'dismissed')),
  created_at_wecom timestamptz,
  dismissed_at timestamptz,
  synced_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, owner_staff_id) references staff (corp_id, id)
);
create unique index groups_chat_id on groups (corp_id, chat_id);

-- member_key is the WeCom userid (type 1, a member) or external_userid (type 2, a customer).
create table group_members (
  corp_id text not null,
  group_id bigint not null,
  member_key text not null,
  member_type smallint not null check (member_type in (1, 2)),
  customer_id bigint,
  staff_id bigint,
  unionid text,
  display_name text,
  join_time timestamptz,
  join_scene smallint,
  invitor_userid text,
  left_at timestamptz,
  primary key (corp_id, group_id, member_key),
  foreign key (corp_id, group_id) references groups (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);
create index group_members_customer on group_members (corp_id, customer_id);
