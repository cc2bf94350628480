-- Events about one entity (a customer, a group, the tag list) are handled in order, one at a time; events
-- about different entities run in parallel. A pending row (claimed, due or backing off) holds back the later
-- rows of its key; a parked row does not.
alter table wecom_inbox add column order_key text;
create index wecom_inbox_order on wecom_inbox (corp_id, order_key, id) where status = 'pending';
