-- A corp is one brand (one WeCom corp). corp_id is Siyu's short key for it and leads every key in the schema.
create table corps (
  corp_id text primary key check (corp_id ~ '^[a-z0-9][a-z0-9-]{1,31}$'),
  name text not null,
  wecom_corp_id text,
  business_type text,
  created_at timestamptz not null default now()
);
