-- The dispatcher claims the oldest pending rows whose key has nothing older pending. In id order through
-- this index, a claim stops after the rows it takes (each checked by one probe of wecom_inbox_order); without
-- it, every claim read, anti-joined and sorted the whole backlog, so a backlog made each claim slower.
create index wecom_inbox_pending on wecom_inbox (id) where status = 'pending';
