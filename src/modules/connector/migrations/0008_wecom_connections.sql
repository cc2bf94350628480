-- A brand's link to WeCom (real, or the bundled simulator). Secrets are stored encrypted with the PII key.
create table wecom_connections (
  corp_id text not null references corps (corp_id),
  wecom_corp_id text not null,
  agent_id text,
  api_base_url text not null,
  secret_cipher text not null,
  callback_token_cipher text not null,
  callback_aes_key_cipher text not null,
  simulated boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (corp_id)
);

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
