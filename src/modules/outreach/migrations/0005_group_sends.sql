-- Group sends (客户群群发, issue 15 §5): a mass send whose target is customer groups, each group sent by its
-- owner (add_msg_template chat_type=group, chat_id_list). A recurring one (e.g. every Wednesday's 会员日) is a
-- series: the row holds the rule and its next time in send_at; each occurrence is an ordinary group send
-- with series_id naming the series.
alter table mass_sends add column target text not null default 'customers'
  check (target in ('customers', 'groups'));
alter table mass_sends add column recurrence jsonb;
alter table mass_sends add column series_id bigint;
alter table mass_sends add constraint mass_sends_series
  foreign key (corp_id, series_id) references mass_sends (corp_id, id);
create index mass_sends_series on mass_sends (corp_id, series_id) where series_id is not null;

-- One row per group of a group send. planned → queued (in its owner's task) → sent / unsent / not_owner
-- (the owner is not in the group) / over_cap (the group's monthly receive cap) ; excluded (reason) ;
-- failed (WeCom refused the call or listed the chat in fail_list) ; cancelled.
create table mass_send_groups (
  corp_id text not null,
  mass_send_id bigint not null,
  group_id bigint not null,
  staff_id bigint,
  status text not null check (status in
    ('planned', 'excluded', 'queued', 'sent', 'unsent', 'not_owner', 'over_cap', 'failed', 'cancelled')),
  reason text,
  task_id bigint,
  result_at timestamptz,
  primary key (corp_id, mass_send_id, group_id),
  foreign key (corp_id, mass_send_id) references mass_sends (corp_id, id),
  foreign key (corp_id, group_id) references groups (corp_id, id)
);
create index mass_send_groups_task on mass_send_groups (corp_id, task_id);
create index mass_send_groups_group on mass_send_groups (corp_id, group_id, status);
