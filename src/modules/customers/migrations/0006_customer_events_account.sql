-- The account that made a change in Siyu (a tag put on in the console, an identity link undone): the
-- timeline names the person who acted, not the staff member whose follow carries the change in WeCom.
alter table customer_events add column account_id bigint;
alter table customer_events
  add constraint customer_events_account_fk foreign key (corp_id, account_id) references accounts (corp_id, id);
