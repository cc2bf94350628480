-- The latest change Siyu sent WeCom for a group or tag: the idem_key of its wecom_outbox row, whose status
-- (pending, done, failed with the error) is the group's or tag's sync status.
alter table tag_groups add column sync_key text;
alter table tags add column sync_key text;
