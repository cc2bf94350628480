-- One delivery row per event rather than per event and subscriber: an add's events had four rows (three
-- subscribers of ChannelAttributed, one of CustomerMirrored), each inserted, claimed and marked done. A row
-- now names the event's type ('on:<type>' in subscriber) and is delivered to all of that type's after-commit
-- subscribers; done_by keeps those that have handled it, so a retry after one of them failed runs only the
-- others. Rows written before this name one subscriber, and are delivered to it alone.
alter table domain_event_deliveries add column done_by text[] not null default '{}';
