-- The sender's expiry sweep (outbox.ts, once a second) ends pending rows whose deadline passed; only
-- welcomes have one. Without this index the sweep read the whole table every second: 128 ms a sweep with
-- 1,000,000 rows (a mass send's backlog, or the done rows the table keeps), 0.03 ms with it.
create index wecom_outbox_deadline on wecom_outbox (deadline_at) where status = 'pending' and deadline_at is not null;
