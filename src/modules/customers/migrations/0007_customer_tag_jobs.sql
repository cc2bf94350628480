-- Bulk tagging: tags added to and removed from many customers at once, as a job with progress. The
-- customers are fixed when the job is made (the filter's, or the selection), in scope of its maker.
create table customer_tag_jobs (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  account_id bigint not null,
  by_name text not null,
  -- whose follows carry the tags in WeCom: the maker's own, else one of the maker's unit, else the earliest
  staff_id bigint,
  unit_id bigint not null,
  add_tags jsonb not null,
  remove_tags jsonb not null,
  customer_ids jsonb not null,
  total integer not null,
  done integer not null default 0,
  changed integer not null default 0,
  status text not null check (status in ('running', 'done', 'failed')),
  error text,
  lease_until timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (corp_id, id),
  foreign key (corp_id, account_id) references accounts (corp_id, id)
);
create index customer_tag_jobs_running on customer_tag_jobs (created_at) where status = 'running';
