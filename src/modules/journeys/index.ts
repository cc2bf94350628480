export { backfillEnrolments } from './backfill.ts';
export { ADVANCE_JOB, advanceDue, type JourneyRef } from './engine.ts';
export { checkGraph, type Graph, type JourneyNode, type Trigger } from './graph.ts';
export { createJourney, setJourneyStatus, updateJourney } from './service.ts';
export { TEMPLATES, templateOf } from './templates.ts';
export { runScans, SCAN_JOB } from './triggers.ts';
