import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Actor, Role } from '../../platform/actor.ts';
import type { Clock } from '../../platform/clock.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import type { Session } from '../../platform/http/app.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import type { LoginGuard } from '../../platform/http/rate-limit.ts';
import { textProblem } from '../../platform/input.ts';
import { type AuditEntry, recordAudit } from '../audit/index.ts';
import { isRootUnit, subtreeUnitIds } from '../org/index.ts';
import type { Tables } from '../tables.ts';
import { DUMMY_HASH, verifyPassword } from './passwords.ts';

export const SESSION_COOKIE = 'siyu_session';
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
const LAST_SEEN_STEP_MS = 60_000;
const USER_AGENT_MAX = 512;

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

/**
 * A sign-in (or a refused one) on the brand's audit log, from the client's address: the claimed account as
 * the subject of a failure (no actor: nobody proved who they are), the account itself as the actor of a
 * success. A login naming no known brand has no log to go to.
 */
async function auditSignIn(
  db: Kysely<Tables>,
  clock: Clock,
  corpId: string,
  ip: string,
  entry: AuditEntry,
  me?: Me,
): Promise<void> {
  const known = await db
    .selectFrom('corps')
    .select('corp_id')
    .where('corp_id', '=', corpId)
    .executeTakeFirst();
  if (!known) return;
  await recordAudit(
    {
      cdb: corpDb(db, corpId),
      clock,
      pii: undefined as never,
      events: undefined as never,
      address: ip,
      ...(me
        ? {
            actor: {
              corpId,
              accountId: me.id,
              role: me.role,
              unitId: me.unitId,
              seesWholeCorp: false,
              unitIds: [me.unitId],
              staffId: me.staffId,
            },
          }
        : {}),
    },
    entry,
  );
}

export async function login(
  db: Kysely<Tables>,
  clock: Clock,
  guard: LoginGuard,
  input: { login: string; password: string; ip: string; userAgent?: string },
): Promise<{ cookie: string; csrfToken: string; me: Me }> {
  const parsed = parseLogin(input.login);
  // the limits count the account the lookup will read, so no other spelling of it escapes its count
  const loginKey = parsed ? `${parsed.username}@${parsed.corpId}` : input.login.trim().toLowerCase();
  if (guard.isBlocked(loginKey, input.ip)) {
    if (parsed)
      await auditSignIn(db, clock, parsed.corpId, input.ip, {
        action: 'auth.login_blocked',
        details: { username: parsed.username },
      });
    throw new AppError('rate_limited');
  }
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
    if (parsed)
      await auditSignIn(db, clock, parsed.corpId, input.ip, {
        action: 'auth.login_failed',
        subject: account ? `account:${account.id}` : null,
        details: {
          username: parsed.username,
          reason: !account ? 'unknown_account' : !ok ? 'wrong_password' : 'disabled',
        },
      });
    throw new AppError('bad_credentials');
  }
  guard.succeeded(loginKey, input.ip);
  return startSession(db, clock, {
    corpId: account.corp_id,
    accountId: account.id,
    ip: input.ip,
    userAgent: input.userAgent,
  });
}

/**
 * A new session for an account someone has proven to be (a password, or WeCom's OAuth for the sidebar): the
 * cookie value, its CSRF token and the caller; the sign-in is audited. The account's expired sessions are
 * removed on the way.
 */
export async function startSession(
  db: Kysely<Tables>,
  clock: Clock,
  input: { corpId: string; accountId: number; ip: string; userAgent?: string; via?: 'wecom_oauth' },
): Promise<{ cookie: string; csrfToken: string; me: Me }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const now = clock.now();
  await db
    .insertInto('sessions')
    .values({
      corp_id: input.corpId,
      token_hash: sha256(token),
      account_id: input.accountId,
      csrf_token: csrfToken,
      created_at: now,
      expires_at: new Date(now.getTime() + SESSION_TTL_MS),
      last_seen_at: now,
      ip: input.ip,
      user_agent: input.userAgent?.slice(0, USER_AGENT_MAX) ?? null,
    })
    .execute();
  // the account's expired sessions go now: nothing else removes them
  await db
    .deleteFrom('sessions')
    .where('corp_id', '=', input.corpId)
    .where('account_id', '=', input.accountId)
    .where('expires_at', '<=', now)
    .execute();
  const me = await loadMe(db, input.corpId, input.accountId);
  if (!me) throw new AppError('bad_credentials');
  await auditSignIn(
    db,
    clock,
    input.corpId,
    input.ip,
    {
      action: 'auth.login',
      subject: `account:${me.id}`,
      ...(input.via ? { details: { via: input.via } } : {}),
    },
    me,
  );
  return { cookie: `${input.corpId}.${token}`, csrfToken, me };
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
  client: { ip: string },
): Promise<Session | null> {
  const key = splitCookie(cookie);
  if (!key) return null;
  const now = clock.now();
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('accounts as a', (j) =>
      j.onRef('a.corp_id', '=', 's.corp_id').onRef('a.id', '=', 's.account_id'),
    )
    .select([
      's.id',
      's.account_id',
      's.csrf_token',
      's.last_seen_at',
      's.ip',
      'a.role',
      'a.unit_id',
      'a.staff_id',
    ])
    .where('s.corp_id', '=', key.corpId)
    .where('s.token_hash', '=', key.tokenHash)
    .where('s.expires_at', '>', now)
    .where('a.disabled', '=', false)
    .executeTakeFirst();
  if (!row) return null;
  // last seen to the minute: one write a minute per active session, not one per request
  if (now.getTime() - row.last_seen_at.getTime() >= LAST_SEEN_STEP_MS || row.ip !== client.ip) {
    await db
      .updateTable('sessions')
      .set({ last_seen_at: now, ip: client.ip })
      .where('corp_id', '=', key.corpId)
      .where('id', '=', row.id)
      .execute();
  }
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

export interface SessionInfo {
  id: number;
  createdAt: string;
  lastSeenAt: string;
  address: string | null;
  userAgent: string | null;
  current: boolean;
}

/** The caller's live sessions, the most recently used first; `current` marks the one the cookie names. */
export async function listSessions(
  db: Kysely<Tables>,
  clock: Clock,
  actor: Actor,
  cookie: string | undefined,
): Promise<SessionInfo[]> {
  const currentHash = splitCookie(cookie)?.tokenHash;
  const rows = await db
    .selectFrom('sessions')
    .select(['id', 'token_hash', 'created_at', 'last_seen_at', 'ip', 'user_agent'])
    .where('corp_id', '=', actor.corpId)
    .where('account_id', '=', actor.accountId)
    .where('expires_at', '>', clock.now())
    .orderBy('last_seen_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at.toISOString(),
    lastSeenAt: r.last_seen_at.toISOString(),
    address: r.ip,
    userAgent: r.user_agent,
    current: r.token_hash === currentHash,
  }));
}

/** Ends one of the caller's sessions; another account's session is not found, like a missing one. */
export async function endSession(db: Kysely<Tables>, actor: Actor, id: number): Promise<void> {
  const ended = await db
    .deleteFrom('sessions')
    .where('corp_id', '=', actor.corpId)
    .where('account_id', '=', actor.accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (ended.numDeletedRows === 0n) throw notFound({ zh: '会话', en: 'Session' });
}

/** Ends every session of the caller's account, this one included; answers how many ended. */
export async function endAllSessions(db: Kysely<Tables>, actor: Actor): Promise<number> {
  const ended = await db
    .deleteFrom('sessions')
    .where('corp_id', '=', actor.corpId)
    .where('account_id', '=', actor.accountId)
    .executeTakeFirst();
  return Number(ended.numDeletedRows);
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
