export { hashPassword } from './passwords.ts';
export { resolveSession, SESSION_COOKIE } from './service.ts';
