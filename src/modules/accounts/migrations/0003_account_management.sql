-- Logins managed in the console: when a login was disabled (and by whom), and one-time links to set a
-- password. Only a hash of a link's token is stored; a link works once, until it expires, and a newer link
-- for the same account replaces it.
alter table accounts add column disabled_at timestamptz;
alter table accounts add column password_changed_at timestamptz;

create table password_resets (
  corp_id text not null,
  id bigint generated always as identity,
  account_id bigint not null,
  token_hash text not null,
  created_by bigint,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  primary key (corp_id, id),
  foreign key (corp_id, account_id) references accounts (corp_id, id)
);
create unique index password_resets_token on password_resets (corp_id, token_hash);
create index password_resets_account on password_resets (corp_id, account_id) where used_at is null;
