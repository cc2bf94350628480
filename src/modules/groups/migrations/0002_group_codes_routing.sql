-- Group types (set by the brand; null: not set, the console suggests one from the name), the member's
-- join-way state (which group code brought them), group codes (群活码), routing rules and decisions.
alter table groups add column type text check (type in ('store', 'welfare', 'interest', 'vip', 'new_customer'));
alter table group_members add column state text;
create index group_members_joined on group_members (corp_id, group_id, join_time);
create index groups_owner on groups (corp_id, owner_staff_id);

create table group_codes (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  unit_id bigint not null,
  name text not null,
  state text not null,
  auto_create boolean not null default true,
  room_base_name text not null,
  room_base_id integer not null default 1,
  welcome_text text not null default '',
  welcome_template_id text,
  config_id text,
  qr_code text,
  status text not null default 'active' check (status in ('active', 'archived')),
  created_by bigint,
  created_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id)
);
create unique index group_codes_state on group_codes (corp_id, state);
create index group_codes_unit on group_codes (corp_id, unit_id);

-- The groups of a code, in order; retired_at: rotated out (nearly full), kept for the code's counts.
create table group_code_groups (
  corp_id text not null,
  code_id bigint not null,
  group_id bigint not null,
  position integer not null,
  retired_at timestamptz,
  primary key (corp_id, code_id, group_id),
  foreign key (corp_id, code_id) references group_codes (corp_id, id),
  foreign key (corp_id, group_id) references groups (corp_id, id)
);
create index group_code_groups_group on group_code_groups (corp_id, group_id);

-- Smart routing: rules in order, the brand's at its root unit, a store's own list overriding it.
create table group_routing_rules (
  corp_id text not null,
  id bigint generated always as identity,
  unit_id bigint not null,
  position integer not null,
  kind text not null check (kind in ('top_store', 'interest_tag', 'high_frequency', 'first_visit', 'coupon_heavy', 'default')),
  tag_id bigint,
  group_type text check (group_type in ('store', 'welfare', 'interest', 'vip', 'new_customer')),
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id)
);
create index group_routing_rules_unit on group_routing_rules (corp_id, unit_id, position);

create table group_routing_decisions (
  corp_id text not null,
  id bigint generated always as identity,
  customer_id bigint not null,
  staff_id bigint,
  scan_unit_id bigint,
  group_id bigint,
  code_id bigint,
  rule_kind text,
  reason jsonb not null,
  decided_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, customer_id) references customers (corp_id, id),
  foreign key (corp_id, group_id) references groups (corp_id, id),
  foreign key (corp_id, code_id) references group_codes (corp_id, id)
);
create index group_routing_decisions_customer on group_routing_decisions (corp_id, customer_id, decided_at);
