-- HQ -> region -> store, any depth. path is the chain of ids from the root, e.g. '/1/4/9/', so a subtree
-- is one prefix match.
create table org_units (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  parent_id bigint,
  kind text not null check (kind in ('hq', 'region', 'area', 'store', 'team')),
  name text not null,
  code text,
  path text not null,
  created_at timestamptz not null default now(),
  primary key (corp_id, id),
  foreign key (corp_id, parent_id) references org_units (corp_id, id)
);
create unique index org_units_code on org_units (corp_id, code);
create index org_units_path on org_units (corp_id, path text_pattern_ops);
create index org_units_parent on org_units (corp_id, parent_id);
