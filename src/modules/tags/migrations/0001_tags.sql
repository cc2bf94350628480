-- Corp tag groups and tags; wecom_* ids are filled once synced with WeCom.
create table tag_groups (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  wecom_group_id text,
  name text not null,
  audience text not null default 'all' check (audience in ('all', 'ops', 'front_line')),
  sort_order integer not null default 0,
  created_at timestamptz not null default now(),
  primary key (corp_id, id)
);
create unique index tag_groups_name on tag_groups (corp_id, name);
create unique index tag_groups_wecom on tag_groups (corp_id, wecom_group_id);

create table tags (
  corp_id text not null,
  id bigint generated always as identity,
  group_id bigint not null,
  wecom_tag_id text,
  name text not null,
  sort_order integer not null default 0,
  created_at timestamptz not null default now(),
  primary key (corp_id, id),
  foreign key (corp_id, group_id) references tag_groups (corp_id, id)
);
create unique index tags_name on tags (corp_id, group_id, name);
create unique index tags_wecom on tags (corp_id, wecom_tag_id);
