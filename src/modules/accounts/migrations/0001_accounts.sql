-- Console accounts. A login is "<username>@<corp_id>", so usernames are unique per corp only.
create table accounts (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  username text not null check (username ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
  display_name text not null,
  password_hash text not null,
  role text not null check (role in ('hq_admin', 'region_manager', 'store_manager', 'staff')),
  unit_id bigint not null,
  staff_id bigint,
  disabled boolean not null default false,
  created_at timestamptz not null default now(),
  primary key (corp_id, id),
  foreign key (corp_id, unit_id) references org_units (corp_id, id),
  foreign key (corp_id, staff_id) references staff (corp_id, id)
);
create unique index accounts_username on accounts (corp_id, username);

-- Only a hash of the session token is stored: a leaked table does not leak sessions.
create table sessions (
  corp_id text not null,
  token_hash text not null,
  account_id bigint not null,
  csrf_token text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (corp_id, token_hash),
  foreign key (corp_id, account_id) references accounts (corp_id, id)
);
create index sessions_account on sessions (corp_id, account_id);
