-- The full sync run (wecom_sync_runs.id) that last listed this follow in WeCom. A run that finishes its
-- customers phase ends the active follows of the members it listed that it did not see: deletions whose
-- callbacks Siyu missed (full-sync.ts, endFollowsMissingFromSync).
alter table follows add column synced_run bigint;
