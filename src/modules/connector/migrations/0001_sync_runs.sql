-- A full sync (staff -> customers with follows -> corp tags -> groups), resumable from its saved cursor.
create table wecom_sync_runs (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  status text not null check (status in ('running', 'done', 'failed')),
  phase text not null,
  cursor jsonb not null default '{}',
  counts jsonb not null default '{}',
  error text,
  started_at timestamptz not null,
  updated_at timestamptz not null,
  finished_at timestamptz,
  primary key (corp_id, id)
);
