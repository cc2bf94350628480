import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ctxOf, type Deps } from '../context.ts';
import { ADVANCE_JOB } from './engine.ts';
import { checkGraph, graphSchema, graphShape, NODE_KINDS } from './graph.ts';
import {
  createJourney,
  dryRun,
  getJourney,
  journeyCounts,
  listJourneys,
  setJourneyStatus,
  updateJourney,
} from './service.ts';
import { TEMPLATES } from './templates.ts';
import { SCAN_JOB } from './triggers.ts';

/** Journeys are the managers' (HQ, regions, stores); front-line staff receive their sends and tasks. */
const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const id = z.coerce.number().int().positive();
const STATUSES = ['draft', 'active', 'paused', 'archived'] as const;
const text = z.object({ zh: z.string(), en: z.string() });

const counts = z.object({
  node: z.string(),
  entered: z.number().describe('enrolments that reached the node'),
  waiting: z.number().describe('there now, waiting for their time'),
  done: z.number().describe('its step done, moved on'),
  exited: z.number().describe('left the journey there early'),
  outcome: z
    .object({
      messages: z.number().describe("1:1 messages put in the members' WeCom"),
      reached: z.number().describe('of them, sent by the member (WeCom reports them sent)'),
      replied: z
        .number()
        .describe('customers who answered within the attribution window (known through the session archive)'),
      converted: z.number().describe('customers with an order credited to the step'),
      orders: z.number(),
      gmvFen: z.number(),
    })
    .nullable()
    .describe("a send step's results; null for other steps"),
});

const journey = z.object({
  id: z.number(),
  name: z.string(),
  status: z.enum(STATUSES),
  unitId: z.number().describe('the unit that owns it: its creator’s'),
  unitName: z.string(),
  template: z.string().nullable(),
  currentVersion: z.number().describe('the version new enrolments take'),
  graph: graphShape,
  versions: z.array(
    z.object({
      version: z.number(),
      createdAt: z.string(),
      active: z.number(),
      done: z.number(),
      exited: z.number(),
    }),
  ),
  counts: z.array(counts).describe("the current version's nodes, over the caller's customers"),
  editable: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const summary = z.object({
  id: z.number(),
  name: z.string(),
  status: z.enum(STATUSES),
  unitId: z.number(),
  unitName: z.string(),
  trigger: z.string(),
  currentVersion: z.number(),
  template: z.string().nullable(),
  active: z.number(),
  done: z.number(),
  exited: z.number(),
  editable: z.boolean(),
  updatedAt: z.string(),
});

const input = z.strictObject({
  name: z.string().trim().min(1).max(60),
  graph: graphSchema,
  template: z.string().max(40).optional(),
});

export function journeyRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const access = { access: { roles: MANAGERS, scope: 'subtree' as const } };
    const tags = ['journeys'];
    /** A journey started or changed: its periodic trigger may be due now (a broadcast at once). */
    const wake = <T>(answer: T): T => {
      deps.wake.job(SCAN_JOB);
      deps.wake.job(ADVANCE_JOB);
      return answer;
    };

    app.get(
      '/journey-templates',
      {
        config: access,
        schema: {
          tags,
          summary: 'Journeys from the playbook, to copy: day 0/3/7, birthday, anniversary, win-back',
          response: {
            200: z.object({
              items: z.array(z.object({ key: z.string(), name: text, description: text, graph: graphShape })),
              nodeKinds: z.array(z.enum(NODE_KINDS as [string, ...string[]])),
            }),
          },
        },
      },
      async () => ({ items: [...TEMPLATES], nodeKinds: NODE_KINDS }),
    );
    app.post(
      '/journey-graph/check',
      {
        config: access,
        schema: {
          tags,
          summary:
            'Check a graph as the canvas edits it: every problem, each naming its node (nothing is saved)',
          body: z.strictObject({ graph: z.unknown() }),
          response: {
            200: z.object({
              ok: z.boolean(),
              issues: z.array(
                z.object({
                  node: z.string().describe("the node's id, or trigger / start, '' for the whole graph"),
                  path: z.string(),
                  message: z.string(),
                }),
              ),
            }),
          },
        },
      },
      async (request) => {
        const checked = checkGraph(request.body.graph);
        return { ok: checked.issues.length === 0, issues: checked.issues };
      },
    );
    app.get(
      '/journeys',
      {
        config: access,
        schema: {
          tags,
          summary: "Journeys the caller sees, with their enrolments among the caller's customers",
          response: { 200: z.object({ items: z.array(summary) }) },
        },
      },
      async (request) => listJourneys(ctxOf(deps, request)),
    );
    app.post(
      '/journeys',
      {
        config: access,
        schema: {
          tags,
          summary: "Create a journey (a draft) in the caller's unit",
          body: input,
          response: { 201: journey },
        },
      },
      async (request, reply) => reply.code(201).send(await createJourney(ctxOf(deps, request), request.body)),
    );
    app.get(
      '/journeys/:id',
      {
        config: access,
        schema: {
          tags,
          summary: 'One journey: its graph, versions and live counts',
          params: z.object({ id }),
          response: { 200: journey },
        },
      },
      async (request) => getJourney(ctxOf(deps, request), request.params.id),
    );
    app.put(
      '/journeys/:id',
      {
        config: access,
        schema: {
          tags,
          summary: 'Change a journey: a new graph is a new version once anyone entered the current one',
          params: z.object({ id }),
          body: input.partial(),
          response: { 200: journey },
        },
      },
      async (request) => wake(await updateJourney(ctxOf(deps, request), request.params.id, request.body)),
    );
    app.post(
      '/journeys/:id/status',
      {
        config: access,
        schema: {
          tags,
          summary: 'Start, pause, resume or archive (running enrolments exit) a journey',
          params: z.object({ id }),
          body: z.strictObject({ status: z.enum(['active', 'paused', 'archived']) }),
          response: { 200: journey },
        },
      },
      async (request) =>
        wake(await setJourneyStatus(ctxOf(deps, request), request.params.id, request.body.status)),
    );
    app.get(
      '/journeys/:id/versions/:version/counts',
      {
        config: access,
        schema: {
          tags,
          summary: "Per node of a version: entered, waiting, done, exited (the caller's customers)",
          params: z.object({ id, version: id }),
          response: { 200: z.object({ items: z.array(counts) }) },
        },
      },
      async (request) => ({
        items: await journeyCounts(ctxOf(deps, request), request.params.id, request.params.version),
      }),
    );
    app.post(
      '/journeys/:id/dry-run',
      {
        config: access,
        schema: {
          tags,
          summary: 'The path one customer would take now (nothing is sent or written)',
          params: z.object({ id }),
          body: z.strictObject({ customerId: id, version: id.optional() }),
          response: {
            200: z.object({
              version: z.number(),
              customerId: z.number(),
              path: z.array(
                z.object({
                  node: z.string(),
                  kind: z.string(),
                  at: z.string().describe('when the customer would be there'),
                  outcome: z.record(z.string(), z.unknown()),
                  next: z.string().nullable(),
                }),
              ),
              end: z.string().describe('end, loop, too_long, or why the customer would leave'),
            }),
          },
        },
      },
      async (request) => dryRun(ctxOf(deps, request), request.params.id, request.body),
    );
  };
}
