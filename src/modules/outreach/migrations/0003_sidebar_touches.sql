-- A message a member sends from the chat sidebar (聊天工具栏) is a touch of its own kind.
alter table touches drop constraint touches_source_kind_check;
alter table touches add constraint touches_source_kind_check
  check (source_kind in ('journey', 'mass_send', 'task', 'sidebar'));
