export { ADVANCE_JOB, advanceDue } from './engine.ts';
export { checkGraph, type Graph, type JourneyNode, type Trigger } from './graph.ts';
export { createJourney, setJourneyStatus, updateJourney } from './service.ts';
export { TEMPLATES, templateOf } from './templates.ts';
export { runScans, SCAN_JOB } from './triggers.ts';
