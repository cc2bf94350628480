import { createHash, randomBytes, randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor, Role } from '../../platform/actor.ts';
import { corpDb } from '../../platform/db/corp-db.ts';
import { AppError, notFound } from '../../platform/http/errors.ts';
import { decodeCursor, toPage } from '../../platform/http/pagination.ts';
import { recordAudit } from '../audit/index.ts';
import { type Ctx, type Deps, type SyncCtx, syncCtxOf } from '../context.ts';
import { assertUnitInScope } from '../org/index.ts';
import { hashPassword } from './passwords.ts';

/**
 * 人员与权限: logins managed in the console. HQ admins manage the whole brand; region and store managers the
 * logins of their subtree, never above their own role (they may not grant one, nor touch an account that
 * holds one). Nobody disables, re-roles or moves their own login. Every change is one audit entry; no
 * password, link or token is ever in one.
 */

/** The order of authority: a manager acts on (and grants) roles up to their own. */
export const ROLE_RANK: Record<Role, number> = { staff: 0, store_manager: 1, region_manager: 2, hq_admin: 3 };

/** A one-time link lives this long. */
export const RESET_LINK_TTL_MS = 24 * 3_600_000;
export const MIN_PASSWORD_LENGTH = 8;
/** No 0/O, 1/l/I: a password read aloud or copied from a screen. */
const PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A password shown once: 14 characters of a 55-letter alphabet (~80 bits). */
export function generatePassword(): string {
  let out = '';
  for (let i = 0; i < 14; i++) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

export type Credential = 'link' | 'password';

/** What a creation or a reset hands over, once: a password, or a one-time link (its path and fragment). */
export type Issued =
  | { mode: 'password'; password: string }
  | { mode: 'link'; link: string; expiresAt: string };

export interface AccountView {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  unitId: number;
  unitName: string;
  staffId: number | null;
  staffName: string | null;
  disabled: boolean;
  disabledAt: string | null;
  createdAt: string;
  /** When one of its sessions was last used (to the minute), null when never or all ended. */
  lastSeenAt: string | null;
  /** The caller may change it (in scope, a role not above the caller's, not the caller's own). */
  editable: boolean;
  self: boolean;
}

function accountsQuery(ctx: Ctx) {
  const { cdb } = ctx;
  return cdb.db
    .selectFrom('accounts as a')
    .innerJoin('org_units as u', (j) =>
      j.onRef('u.corp_id', '=', 'a.corp_id').onRef('u.id', '=', 'a.unit_id'),
    )
    .leftJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'a.corp_id').onRef('s.id', '=', 'a.staff_id'))
    .select((eb) => [
      'a.id',
      'a.username',
      'a.display_name',
      'a.role',
      'a.unit_id',
      'u.name as unit_name',
      'a.staff_id',
      's.name as staff_name',
      'a.disabled',
      'a.disabled_at',
      'a.created_at',
      eb
        .selectFrom('sessions as x')
        .select((e) => e.fn.max('x.last_seen_at').as('m'))
        .whereRef('x.corp_id', '=', 'a.corp_id')
        .whereRef('x.account_id', '=', 'a.id')
        .as('last_seen_at'),
    ])
    .where('a.corp_id', '=', cdb.corpId)
    .where('a.unit_id', 'in', [...ctx.actor.unitIds]);
}

type Row = Awaited<ReturnType<ReturnType<typeof accountsQuery>['executeTakeFirstOrThrow']>>;

const mayManage = (actor: Actor, r: { id: number; role: Role }) =>
  r.id !== actor.accountId && ROLE_RANK[r.role] <= ROLE_RANK[actor.role];

function view(actor: Actor, r: Row): AccountView {
  const seen = r.last_seen_at as Date | string | null;
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    unitId: r.unit_id,
    unitName: r.unit_name,
    staffId: r.staff_id,
    staffName: r.staff_name,
    disabled: r.disabled,
    disabledAt: r.disabled_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    lastSeenAt: seen === null ? null : new Date(seen).toISOString(),
    editable: mayManage(actor, r),
    self: r.id === actor.accountId,
  };
}

export interface ListAccountsInput {
  q?: string;
  role?: Role;
  unitId?: number;
  status?: 'active' | 'disabled';
  cursor?: string;
  limit: number;
}

/** The logins of the caller's subtree, newest first; `unitId` narrows to a unit's subtree (403 outside). */
export async function listAccounts(ctx: Ctx, input: ListAccountsInput) {
  let q = accountsQuery(ctx);
  if (input.unitId !== undefined) {
    assertUnitInScope(ctx.actor, input.unitId);
    const unit = await ctx.cdb.db
      .selectFrom('org_units')
      .select('path')
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', '=', input.unitId)
      .executeTakeFirstOrThrow();
    q = q.where('u.path', 'like', `${unit.path}%`);
  }
  if (input.role) q = q.where('a.role', '=', input.role);
  if (input.status) q = q.where('a.disabled', '=', input.status === 'disabled');
  const text = input.q?.trim().toLowerCase();
  if (text) {
    const like = `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    q = q.where((eb) =>
      eb.or([eb('a.username', 'like', like), eb(sql`lower(a.display_name)`, 'like', like)]),
    );
  }
  const after = decodeCursor(input.cursor);
  if (after !== undefined) q = q.where('a.id', '<', after);
  const rows = await q
    .orderBy('a.id', 'desc')
    .limit(input.limit + 1)
    .execute();
  const page = toPage(rows, input.limit);
  return { nextCursor: page.nextCursor, items: page.items.map((r) => view(ctx.actor, r)) };
}

/** One login of the caller's subtree, else 404 like a missing one. */
async function accountInScope(ctx: Ctx, id: number): Promise<Row> {
  const row = await accountsQuery(ctx).where('a.id', '=', id).executeTakeFirst();
  if (!row) throw notFound({ zh: '账号', en: 'Account' });
  return row;
}

/** The caller may change this login: 403 for their own, or one whose role is above theirs. */
function assertManageable(actor: Actor, r: Row, what: { zh: string; en: string }) {
  if (r.id === actor.accountId)
    throw new AppError('forbidden', {
      zh: `不能${what.zh}自己的账号`,
      en: `You cannot ${what.en} your own login`,
    });
  if (ROLE_RANK[r.role] > ROLE_RANK[actor.role])
    throw new AppError('forbidden', {
      zh: `该账号的角色高于你的角色，不能${what.zh}`,
      en: `This login's role is above yours: you cannot ${what.en} it`,
    });
}

/** A role the caller may grant: 403 above their own. */
function assertGrantable(actor: Actor, role: Role) {
  if (ROLE_RANK[role] > ROLE_RANK[actor.role])
    throw new AppError('forbidden', {
      zh: '不能授予高于自己的角色',
      en: 'You cannot grant a role above your own',
    });
}

/** A front-line login names its staff member; a named member must be in the caller's subtree (403). */
async function checkStaff(ctx: Ctx, role: Role, staffId: number | null): Promise<void> {
  if (role === 'staff' && staffId === null)
    throw new AppError('bad_request', {
      zh: '一线员工账号须关联一名成员',
      en: 'A staff login must name its staff member (staffId)',
    });
  if (staffId === null) return;
  const s = await ctx.cdb.db
    .selectFrom('staff')
    .select(['unit_id'])
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('id', '=', staffId)
    .executeTakeFirst();
  if (!s || !ctx.actor.unitIds.includes(s.unit_id))
    throw new AppError('forbidden', {
      zh: `成员 ${staffId} 不在你的权限范围内`,
      en: `Staff ${staffId} is outside your scope`,
    });
}

/** Ends every session of an account at once: its next request is refused. */
async function endSessionsOf(ctx: SyncCtx, accountId: number): Promise<number> {
  const ended = await ctx.cdb.db
    .deleteFrom('sessions')
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return Number(ended.numDeletedRows);
}

/**
 * A password (shown once) or a one-time link for an account, in the caller's transaction: a password
 * replaces the old one and ends the account's sessions; a link replaces any earlier unused link and sets
 * the password only when it is opened.
 */
async function issue(ctx: Ctx, accountId: number, mode: Credential): Promise<Issued> {
  const now = ctx.clock.now();
  if (mode === 'password') {
    const password = generatePassword();
    await ctx.cdb.db
      .updateTable('accounts')
      .set({ password_hash: await hashPassword(password), password_changed_at: now })
      .where('corp_id', '=', ctx.cdb.corpId)
      .where('id', '=', accountId)
      .execute();
    await endSessionsOf(ctx, accountId);
    return { mode, password };
  }
  await ctx.cdb.db
    .updateTable('password_resets')
    .set({ used_at: now, expires_at: now })
    .where('corp_id', '=', ctx.cdb.corpId)
    .where('account_id', '=', accountId)
    .where('used_at', 'is', null)
    .execute();
  const token = `${ctx.cdb.corpId}.${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + RESET_LINK_TTL_MS);
  await ctx.cdb.db
    .insertInto('password_resets')
    .values({
      corp_id: ctx.cdb.corpId,
      account_id: accountId,
      token_hash: sha256(token),
      created_by: ctx.actor.accountId,
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
    })
    .execute();
  // the token travels in the fragment: browsers never send it, so no server or proxy log holds it
  return { mode, link: `/reset-password#${token}`, expiresAt: expiresAt.toISOString() };
}

export interface CreateAccountInput {
  username: string;
  displayName: string;
  role: Role;
  unitId: number;
  staffId?: number | null;
  credential: Credential;
}

/** A new login in the caller's subtree, with a role up to the caller's; its first password or link, once. */
export async function createAccount(ctx: Ctx, input: CreateAccountInput) {
  assertUnitInScope(ctx.actor, input.unitId);
  assertGrantable(ctx.actor, input.role);
  const staffId = input.staffId ?? null;
  await checkStaff(ctx, input.role, staffId);
  const username = input.username.trim().toLowerCase();
  const issued = await ctx.cdb.transaction(async (tx) => {
    const txCtx = { ...ctx, cdb: tx };
    const row = await tx.db
      .insertInto('accounts')
      .values({
        corp_id: tx.corpId,
        username,
        display_name: input.displayName.trim(),
        // nobody knows this one: the link or the shown password replaces it
        password_hash: await hashPassword(randomBytes(24).toString('base64url')),
        role: input.role,
        unit_id: input.unitId,
        staff_id: staffId,
        created_at: ctx.clock.now(),
      })
      .onConflict((oc) => oc.columns(['corp_id', 'username']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row)
      throw new AppError('conflict', {
        zh: `登录名 ${username} 已被使用`,
        en: `The username ${username} is taken`,
      });
    const issued = await issue(txCtx, row.id, input.credential);
    await recordAudit(txCtx, {
      action: 'accounts.create',
      subject: `account:${row.id}`,
      details: {
        username,
        role: input.role,
        unitId: input.unitId,
        staffId,
        credential: input.credential,
      },
    });
    return { id: row.id, issued };
  });
  return { account: view(ctx.actor, await accountInScope(ctx, issued.id)), issued: issued.issued };
}

export interface UpdateAccountInput {
  displayName?: string;
  role?: Role;
  unitId?: number;
  staffId?: number | null;
}

/** Name, role, unit or staff member of a login the caller may manage; one audit entry with what changed. */
export async function updateAccount(ctx: Ctx, id: number, input: UpdateAccountInput) {
  const current = await accountInScope(ctx, id);
  assertManageable(ctx.actor, current, { zh: '修改', en: 'change' });
  const role = input.role ?? current.role;
  const unitId = input.unitId ?? current.unit_id;
  const staffId = input.staffId === undefined ? current.staff_id : input.staffId;
  if (input.role !== undefined) assertGrantable(ctx.actor, input.role);
  if (input.unitId !== undefined) assertUnitInScope(ctx.actor, input.unitId);
  if (input.staffId !== undefined || input.role !== undefined) await checkStaff(ctx, role, staffId);
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const displayName = input.displayName?.trim();
  if (displayName !== undefined && displayName !== current.display_name)
    changes.displayName = { from: current.display_name, to: displayName };
  if (role !== current.role) changes.role = { from: current.role, to: role };
  if (unitId !== current.unit_id) changes.unitId = { from: current.unit_id, to: unitId };
  if (staffId !== current.staff_id) changes.staffId = { from: current.staff_id, to: staffId };
  if (Object.keys(changes).length > 0) {
    await ctx.cdb.transaction(async (tx) => {
      await tx.db
        .updateTable('accounts')
        .set({
          display_name: displayName ?? current.display_name,
          role,
          unit_id: unitId,
          staff_id: staffId,
        })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', id)
        .execute();
      await recordAudit(
        { ...ctx, cdb: tx },
        {
          action: changes.role || changes.unitId ? 'accounts.permissions' : 'accounts.update',
          subject: `account:${id}`,
          details: { username: current.username, changes },
        },
      );
    });
  }
  return view(ctx.actor, await accountInScope(ctx, id));
}

/**
 * Disables (its sessions end at once: the next request is refused) or re-enables a login. Asking for the
 * state it already has changes nothing and records nothing.
 */
export async function setDisabled(ctx: Ctx, id: number, disabled: boolean) {
  const current = await accountInScope(ctx, id);
  assertManageable(
    ctx.actor,
    current,
    disabled ? { zh: '停用', en: 'disable' } : { zh: '启用', en: 're-enable' },
  );
  if (current.disabled !== disabled) {
    await ctx.cdb.transaction(async (tx) => {
      const changed = await tx.db
        .updateTable('accounts')
        .set({ disabled, disabled_at: disabled ? ctx.clock.now() : null })
        .where('corp_id', '=', tx.corpId)
        .where('id', '=', id)
        .where('disabled', '=', !disabled)
        .executeTakeFirst();
      if (changed.numUpdatedRows === 0n) return;
      const ended = disabled ? await endSessionsOf({ ...ctx, cdb: tx }, id) : 0;
      await recordAudit(
        { ...ctx, cdb: tx },
        {
          action: disabled ? 'accounts.disable' : 'accounts.enable',
          subject: `account:${id}`,
          details: { username: current.username, ...(disabled ? { sessionsEnded: ended } : {}) },
        },
      );
    });
  }
  return view(ctx.actor, await accountInScope(ctx, id));
}

/** A new password shown once, or a one-time link, for a login the caller may manage; audited (never the secret). */
export async function resetPassword(ctx: Ctx, id: number, mode: Credential) {
  const current = await accountInScope(ctx, id);
  assertManageable(ctx.actor, current, { zh: '重置', en: 'reset' });
  const issued = await ctx.cdb.transaction(async (tx) => {
    const txCtx = { ...ctx, cdb: tx };
    const issued = await issue(txCtx, id, mode);
    await recordAudit(txCtx, {
      action: 'accounts.reset_password',
      subject: `account:${id}`,
      details: { username: current.username, mode },
    });
    return issued;
  });
  return { account: view(ctx.actor, await accountInScope(ctx, id)), issued };
}

const linkRefused = () =>
  new AppError('bad_request', {
    zh: '链接无效、已使用或已过期，请联系管理员重新发送',
    en: 'This link is invalid, used or expired: ask your administrator for a new one',
  });

/**
 * Opening a one-time link: sets the account's password, spends the link, ends the account's sessions, and
 * records `auth.password_set` (the account as the actor). A link used, replaced, expired, or of a disabled
 * login is refused (400) and changes nothing.
 */
export async function useResetLink(
  deps: Pick<Deps, 'db' | 'clock' | 'pii' | 'events'>,
  input: { token: string; password: string; ip: string },
): Promise<{ login: string }> {
  const dot = input.token.indexOf('.');
  if (dot <= 0) throw linkRefused();
  const corpId = input.token.slice(0, dot);
  const cdb = corpDb(deps.db, corpId);
  const now = deps.clock.now();
  const hash = await hashPassword(input.password);
  return cdb.transaction(async (tx) => {
    const link = await tx.db
      .updateTable('password_resets')
      .set({ used_at: now })
      .where('corp_id', '=', tx.corpId)
      .where('token_hash', '=', sha256(input.token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('account_id')
      .executeTakeFirst();
    if (!link) throw linkRefused();
    const account = await tx.db
      .updateTable('accounts')
      .set({ password_hash: hash, password_changed_at: now })
      .where('corp_id', '=', tx.corpId)
      .where('id', '=', link.account_id)
      .where('disabled', '=', false)
      .returning(['id', 'username', 'role', 'unit_id', 'staff_id'])
      .executeTakeFirst();
    if (!account) throw linkRefused();
    await endSessionsOf({ ...syncCtxOf(deps, corpId), cdb: tx }, account.id);
    await recordAudit(
      {
        ...syncCtxOf(deps, corpId),
        cdb: tx,
        address: input.ip,
        actor: {
          corpId,
          accountId: account.id,
          role: account.role,
          unitId: account.unit_id,
          unitIds: [account.unit_id],
          seesWholeCorp: false,
          staffId: account.staff_id,
        },
      },
      { action: 'auth.password_set', subject: `account:${account.id}`, details: { via: 'link' } },
    );
    return { login: `${account.username}@${corpId}` };
  });
}
