-- A session its owner can recognise and end: an id to name it, when and from where it was last used,
-- and the browser that opened it.
alter table sessions add column id bigint generated always as identity;
alter table sessions add column last_seen_at timestamptz not null default now();
alter table sessions add column ip text;
alter table sessions add column user_agent text;
update sessions set last_seen_at = created_at;
create unique index sessions_id on sessions (corp_id, id);
