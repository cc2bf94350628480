-- An add a full sync recovered: WeCom's callback never reached Siyu (down longer than WeCom retries), so
-- the follow was found by the sync after WeCom's 20 s welcome window and no welcome was sent. The channel's
-- numbers count these (welcome missed); sync_run is the run that found it.
alter table channel_adds add column welcome_missed boolean not null default false;
alter table channel_adds add column sync_run bigint;
create index channel_adds_sync_run on channel_adds (corp_id, sync_run) where sync_run is not null;
