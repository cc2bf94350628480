-- A run is worked on by the process holding its lease (renewed as each page commits): several worker
-- processes on one database never run one brand's sync twice, and a run whose process died is resumed by
-- another once the lease runs out.
alter table wecom_sync_runs add column lease_until timestamptz;
create index wecom_sync_runs_open on wecom_sync_runs (status, lease_until) where status = 'running';
