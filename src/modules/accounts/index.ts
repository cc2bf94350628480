export { hashPassword } from './passwords.ts';
export { resolveSession, SESSION_COOKIE, SESSION_TTL_MS, startSession } from './service.ts';
