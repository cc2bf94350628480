-- A group send's owner has a confirmation window (group-sends.ts GROUP_CONFIRM_HOURS): a task not confirmed
-- by then is withdrawn in WeCom (cancel_groupmsg_send) and ends 'expired'; its groups end 'unconfirmed', so
-- the send (a 会员日 occurrence) finishes instead of staying 发送中 for ever.
alter table mass_send_tasks drop constraint mass_send_tasks_status_check;
alter table mass_send_tasks add constraint mass_send_tasks_status_check
  check (status in ('pending', 'created', 'sent', 'failed', 'cancelled', 'expired'));
alter table mass_send_groups drop constraint mass_send_groups_status_check;
alter table mass_send_groups add constraint mass_send_groups_status_check
  check (status in ('planned', 'excluded', 'queued', 'sent', 'unsent', 'not_owner', 'over_cap', 'failed',
    'cancelled', 'unconfirmed'));
