export { latestSyncRun, requestFullSync, runFullSync, SYNC_JOB, type SyncRun } from './full-sync.ts';
