export { REMINDER_JOB } from './reminders.ts';
export { TASK_KINDS, type TaskKind, type TaskStatus } from './schema.ts';
export {
  completeTask,
  createTask,
  createTaskFor,
  dismissTask,
  type NewTask,
  type TaskSource,
} from './service.ts';
