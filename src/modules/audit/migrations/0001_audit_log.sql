-- Who did what to which data: append-only. Entries are never changed; they go only with their whole brand
-- (erasing a brand sets siyu.erase_corp to its id for that transaction).
create table audit_log (
  corp_id text not null references corps (corp_id),
  id bigint generated always as identity,
  at timestamptz not null,
  -- null for the system (a job, the CLI)
  account_id bigint,
  role text,
  -- the root of the caller's scope when it acted
  unit_id bigint,
  address text,
  action text not null,
  subject text,
  details jsonb not null default '{}',
  primary key (corp_id, id)
);
-- budgets count an account's recent entries of one action
create index audit_log_account_action on audit_log (corp_id, account_id, action, at);
create index audit_log_action on audit_log (corp_id, action, id);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' and old.corp_id = current_setting('siyu.erase_corp', true) then
    return old;
  end if;
  raise exception 'audit_log is append-only (% refused)', tg_op;
end
$$;
create trigger audit_log_append_only before update or delete on audit_log
  for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_append_only();
