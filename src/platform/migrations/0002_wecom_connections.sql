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
