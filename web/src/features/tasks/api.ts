import { type Body, client, type Query, type Reply, unwrap } from '../../shared/api/client';

/** GET /tasks/:id, and every list's item. */
export type Task = Reply<'/api/v1/tasks/{id}', 'get'>;
export type TaskKind = Task['kind'];
export type TaskState = Task['state'];
export type TaskQuery = Query<'/api/v1/tasks', 'get'>;
export type TaskInput = Body<'/api/v1/tasks', 'post'>;
export type TaskStats = Reply<'/api/v1/tasks/stats', 'get'>;
export type TaskStatsRow = TaskStats['items'][number];

export const TASK_KINDS = [
  'call',
  'send_script',
  'invite_group',
  'birthday_care',
  'custom',
] as const satisfies readonly TaskKind[];

export const tasksApi = {
  /** Tasks in scope (a front-line member: their own), soonest due first. */
  list: (query: TaskQuery, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/tasks', { params: { query }, signal })),
  /** Completion rates per member or store over the tasks due in a window (default: 30 days back, 7 ahead). */
  stats: (query: Query<'/api/v1/tasks/stats', 'get'>, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/tasks/stats', { params: { query }, signal })),
  task: (id: number, signal?: AbortSignal) =>
    unwrap(client.GET('/api/v1/tasks/{id}', { params: { path: { id } }, signal })),
  /** Managers: a task for a member (for a customer they follow). */
  create: (input: TaskInput) => unwrap(client.POST('/api/v1/tasks', { body: input })),
  /** The member: done (409 when a script's customer cannot be messaged now, with when). */
  complete: (id: number, note?: string) =>
    unwrap(client.POST('/api/v1/tasks/{id}/complete', { params: { path: { id } }, body: { note } })),
  dismiss: (id: number, reason: string) =>
    unwrap(client.POST('/api/v1/tasks/{id}/dismiss', { params: { path: { id } }, body: { reason } })),
};
