import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Actor, Role } from '../../platform/actor.ts';
import type { Clock } from '../../platform/clock.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import type { Session } from '../../platform/http/app.ts';
import { AppError } from '../../platform/http/errors.ts';
import type { LoginGuard } from '../../platform/http/rate-limit.ts';
import { textProblem } from '../../platform/input.ts';
import { isRootUnit, subtreeUnitIds } from '../org/service.ts';
import type { Tables } from '../tables.ts';
import { DUMMY_HASH, verifyPassword } from './passwords.ts';

export const SESSION_COOKIE = 'siyu_session';
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export interface Me {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  corpId: string;
  corpName: string;
  unitId: number;
  unitName: string;
  staffId: number | null;
}

/**
 * "store1@demo" -> { username: 'store1', corpId: 'demo' }: the last @ separates, spaces around either part
 * go, names are lower-case, and full-width forms typed with a Chinese IME (ｓｔｏｒｅ１＠ｄｅｍｏ) read as ASCII.
 */
export function parseLogin(login: string): { username: string; corpId: string } | null {
  const text = login.normalize('NFKC');
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return null;
  return {
    username: text.slice(0, at).trim().toLowerCase(),
    corpId: text
      .slice(at + 1)
      .trim()
      .toLowerCase(),
  };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export async function login(
  db: Kysely<Tables>,
  clock: Clock,
  guard: LoginGuard,
  input: { login: string; password: string; ip: string },
): Promise<{ cookie: string; csrfToken: string; me: Me }> {
  const parsed = parseLogin(input.login);
  // the limits count the account the lookup will read, so no other spelling of it escapes its count
  const loginKey = parsed ? `${parsed.username}@${parsed.corpId}` : input.login.trim().toLowerCase();
  if (guard.isBlocked(loginKey, input.ip)) throw new AppError('rate_limited');
  const account = parsed
    ? await db
        .selectFrom('accounts')
        .select(['id', 'corp_id', 'password_hash', 'disabled'])
        .where('corp_id', '=', parsed.corpId)
        .where('username', '=', parsed.username)
        .executeTakeFirst()
    : undefined;
  const ok = await verifyPassword(input.password, account?.password_hash ?? DUMMY_HASH);
  if (!account || !ok || account.disabled) {
    guard.failed(loginKey, input.ip);
    throw new AppError('bad_credentials');
  }
  guard.succeeded(loginKey, input.ip);

  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const now = clock.now();
  await db
    .insertInto('sessions')
    .values({
      corp_id: account.corp_id,
      token_hash: sha256(token),
      account_id: account.id,
      csrf_token: csrfToken,
      created_at: now,
      expires_at: new Date(now.getTime() + SESSION_TTL_MS),
    })
    .execute();
  const me = await loadMe(db, account.corp_id, account.id);
  if (!me) throw new AppError('bad_credentials');
  return { cookie: `${account.corp_id}.${token}`, csrfToken, me };
}

function splitCookie(cookie: string | undefined): { corpId: string; tokenHash: string } | null {
  if (!cookie || textProblem(cookie)) return null;
  const dot = cookie.indexOf('.');
  if (dot <= 0) return null;
  return { corpId: cookie.slice(0, dot), tokenHash: sha256(cookie.slice(dot + 1)) };
}

export async function resolveSession(
  db: Kysely<Tables>,
  clock: Clock,
  cookie: string | undefined,
): Promise<Session | null> {
  const key = splitCookie(cookie);
  if (!key) return null;
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('accounts as a', (j) =>
      j.onRef('a.corp_id', '=', 's.corp_id').onRef('a.id', '=', 's.account_id'),
    )
    .select(['s.account_id', 's.csrf_token', 'a.role', 'a.unit_id', 'a.staff_id'])
    .where('s.corp_id', '=', key.corpId)
    .where('s.token_hash', '=', key.tokenHash)
    .where('s.expires_at', '>', clock.now())
    .where('a.disabled', '=', false)
    .executeTakeFirst();
  if (!row) return null;
  const cdb = corpDb(db, key.corpId);
  const actor: Actor = {
    corpId: key.corpId,
    accountId: row.account_id,
    role: row.role,
    unitId: row.unit_id,
    unitIds: await subtreeUnitIds(cdb, row.unit_id),
    seesWholeCorp: row.role === 'hq_admin' && (await isRootUnit(cdb, row.unit_id)),
    staffId: row.role === 'staff' ? row.staff_id : null,
  };
  return { actor, csrfToken: row.csrf_token };
}

export async function logout(db: Kysely<Tables>, cookie: string | undefined): Promise<void> {
  const key = splitCookie(cookie);
  if (!key) return;
  await db
    .deleteFrom('sessions')
    .where('corp_id', '=', key.corpId)
    .where('token_hash', '=', key.tokenHash)
    .execute();
}

export async function loadMe(db: Kysely<Tables>, corpId: string, accountId: number): Promise<Me | null> {
  const row = await db
    .selectFrom('accounts as a')
    .innerJoin('corps as c', 'c.corp_id', 'a.corp_id')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'a.corp_id').onRef('u.id', '=', 'a.unit_id'),
    )
    .select([
      'a.id',
      'a.username',
      'a.display_name',
      'a.role',
      'a.unit_id',
      'a.staff_id',
      'c.name as corp_name',
      'u.name as unit_name',
    ])
    .where('a.corp_id', '=', corpId)
    .where('a.id', '=', accountId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    corpId,
    corpName: row.corp_name,
    unitId: row.unit_id,
    unitName: row.unit_name,
    staffId: row.staff_id,
  };
}
