import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../platform/actor.ts';
import { ctxOf, type Deps } from '../context.ts';
import { REMINDER_JOB } from './reminders.ts';
import { TASK_KINDS, TASK_STATUSES } from './schema.ts';
import {
  completeTask,
  createTaskFor,
  dismissTask,
  getTask,
  LIST_STATES,
  listTasks,
  taskStats,
} from './service.ts';

const MANAGERS = ['hq_admin', 'region_manager', 'store_manager'] as const;
const id = z.coerce.number().int().positive();
const DAY_MS = 86_400_000;

const taskInput = z
  .strictObject({
    staffId: id.describe('the member the task is for: in the caller’s subtree'),
    customerId: id.nullable().optional().describe('required for call, send_script and birthday_care'),
    kind: z.enum(TASK_KINDS),
    title: z.string().trim().min(1).max(100),
    note: z.string().trim().max(1000).optional(),
    contentId: z
      .string()
      .trim()
      .min(1)
      .max(64)
      .nullable()
      .optional()
      .describe('a script of the content library'),
    dueAt: z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
    remindAt: z.iso
      .datetime({ offset: true })
      .transform((s) => new Date(s))
      .nullable()
      .optional()
      .describe('default: two hours before due (at once if that has passed); null: no reminder'),
  })
  .describe('a task for one member');

const task = z.object({
  id: z.number(),
  staffId: z.number(),
  staffName: z.string(),
  unitId: z.number(),
  unitName: z.string(),
  customerId: z.number().nullable(),
  customerName: z.string().nullable(),
  customerAvatar: z.string().nullable(),
  kind: z.enum(TASK_KINDS),
  title: z.string(),
  note: z.string(),
  contentId: z.string().nullable(),
  dueAt: z.string(),
  remindAt: z.string().nullable(),
  source: z.object({
    kind: z.enum(['manual', 'journey']),
    journeyId: z.string().nullable(),
    stepId: z.string().nullable(),
  }),
  status: z.enum(TASK_STATUSES),
  state: z
    .enum(['open', 'overdue', 'done_on_time', 'done_late', 'dismissed'])
    .describe('open: not yet due; overdue: open past its due time'),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
  closeNote: z.string(),
  touchId: z.string().nullable().describe('the touch a done send-script task took of the customer’s budget'),
  reminder: z.object({
    state: z.enum(['none', 'scheduled', 'queued', 'sent', 'failed', 'unknown']),
    sentAt: z.string().nullable(),
    errcode: z.number().nullable(),
  }),
  canComplete: z.boolean().describe('the caller is the member it is for, and it is open'),
  canDismiss: z.boolean(),
});

const rates = {
  onTime: z.number(),
  late: z.number(),
  open: z.number().describe('not yet due'),
  overdue: z.number(),
  dismissed: z.number(),
  completionRate: z.number().nullable().describe('done / (done + open + overdue)'),
  onTimeRate: z.number().nullable().describe('done on time / (done + open + overdue)'),
};

const window = {
  dueFrom: z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .optional()
    .describe('default: 30 days ago'),
  dueTo: z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .optional()
    .describe('default: 7 days ahead'),
};

export function taskRoutes(deps: Deps) {
  return async (base: FastifyInstance) => {
    const app = base.withTypeProvider<ZodTypeProvider>();
    const read = { access: { roles: ROLES, scope: 'subtree' as const } };
    const write = { access: { roles: MANAGERS, scope: 'subtree' as const } };
    const tags = ['tasks'];

    app.get(
      '/tasks',
      {
        config: read,
        schema: {
          tags,
          summary:
            'Tasks in the caller’s scope (a front-line member: their own), soonest due first; active = open or overdue',
          querystring: z.strictObject({
            state: z.enum(LIST_STATES).default('active'),
            staffId: id.optional(),
            unitId: id.optional().describe('the unit and its subtree'),
            customerId: id.optional(),
            dueFrom: window.dueFrom.describe('due at or after'),
            dueTo: window.dueTo.describe('due before'),
            cursor: z.string().max(64).optional(),
            limit: z.coerce.number().int().min(1).max(100).default(50),
          }),
          response: { 200: z.object({ items: z.array(task), nextCursor: z.string().nullable() }) },
        },
      },
      async (request) => listTasks(ctxOf(deps, request), request.query),
    );
    app.get(
      '/tasks/stats',
      {
        config: read,
        schema: {
          tags,
          summary: 'Completion rates per member or per store over the tasks due in a window',
          querystring: z.strictObject({
            by: z.enum(['staff', 'store']).default('staff'),
            unitId: id.optional(),
            ...window,
          }),
          response: {
            200: z.object({
              by: z.enum(['staff', 'store']),
              items: z.array(z.object({ id: z.number(), name: z.string(), unitName: z.string(), ...rates })),
              total: z.object(rates),
            }),
          },
        },
      },
      async (request) => {
        const now = deps.clock.now().getTime();
        const q = request.query;
        return taskStats(ctxOf(deps, request), {
          by: q.by,
          unitId: q.unitId,
          dueFrom: q.dueFrom ?? new Date(now - 30 * DAY_MS),
          dueTo: q.dueTo ?? new Date(now + 7 * DAY_MS),
        });
      },
    );
    app.post(
      '/tasks',
      {
        config: write,
        schema: {
          tags,
          summary:
            'Give a member a task (for a customer they follow); they are reminded through WeCom’s app messages',
          body: taskInput,
          response: { 201: task },
        },
      },
      async (request, reply) => {
        const created = await createTaskFor(ctxOf(deps, request), request.body);
        deps.wake.job(REMINDER_JOB);
        return reply.code(201).send(created);
      },
    );
    app.get(
      '/tasks/:id',
      {
        config: read,
        schema: {
          tags,
          summary: 'One task in the caller’s scope',
          params: z.object({ id }),
          response: { 200: task },
        },
      },
      async (request) => getTask(ctxOf(deps, request), request.params.id),
    );
    app.post(
      '/tasks/:id/complete',
      {
        config: read,
        schema: {
          tags,
          summary:
            'The member marks their task done; a send-script task takes a touch of the customer’s budget (409 when it has none)',
          params: z.object({ id }),
          body: z.strictObject({ note: z.string().trim().max(500).optional() }),
          response: { 200: task },
        },
      },
      async (request) => completeTask(ctxOf(deps, request), request.params.id, request.body),
    );
    app.post(
      '/tasks/:id/dismiss',
      {
        config: read,
        schema: {
          tags,
          summary: 'The member, or a manager over them, dismisses an open task with a reason',
          params: z.object({ id }),
          body: z.strictObject({ reason: z.string().trim().min(1).max(500) }),
          response: { 200: task },
        },
      },
      async (request) => dismissTask(ctxOf(deps, request), request.params.id, request.body),
    );
  };
}
