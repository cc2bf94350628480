export { INSIGHT_JOB, rebuildInsight, refreshDirty } from './refresh.ts';
