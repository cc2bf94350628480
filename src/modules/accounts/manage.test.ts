import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/log.ts';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { PASSWORD } from '../../testing/fixture.ts';

/**
 * 人员与权限 through the API: HQ manages every login, a store manager only those of their store and never
 * above their own role (refused, nothing changed, nothing recorded); disabling ends the login's sessions at
 * once; a one-time link sets a password once; every action is exactly one audit entry, and no password,
 * link or token reaches an entry or a log line.
 */
let t: TestApp;
let admin: TestSession;
let sh1: TestSession;
const logLines: string[] = [];

beforeAll(async () => {
  t = await openTestApp({
    logger: createLogger({ level: 'debug', format: 'json', destination: { write: (l) => logLines.push(l) } }),
  });
  admin = await t.login(t.fx.logins.admin);
  sh1 = await t.login(t.fx.logins.sh1);
});
afterAll(() => t.close());

const db = () => t.database.db;
const entries = () =>
  db().selectFrom('audit_log').selectAll().where('corp_id', '=', 'acme').orderBy('id').execute();

function call(as: TestSession | null, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: as ? { cookie: as.cookie, 'x-csrf-token': as.csrfToken } : {},
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

/** Runs `act`, expects `status`, and returns the audit entries it added. */
async function added<R extends { statusCode: number; body: string }>(act: () => Promise<R>, status: number) {
  const before = (await entries()).length;
  const res = await act();
  expect(res.statusCode, res.body).toBe(status);
  return { res, entries: (await entries()).slice(before) };
}

const accountId = async (username: string) =>
  (
    await db()
      .selectFrom('accounts')
      .select('id')
      .where('corp_id', '=', 'acme')
      .where('username', '=', username)
      .executeTakeFirstOrThrow()
  ).id;
const accountsSnapshot = () =>
  db()
    .selectFrom('accounts')
    .select(['id', 'username', 'role', 'unit_id', 'disabled', 'password_hash', 'display_name'])
    .where('corp_id', '=', 'acme')
    .orderBy('id')
    .execute();

const signIn = (login: string, password: string) =>
  t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login, password } });

describe('a store manager manages the logins of their store only', () => {
  it('lists only their subtree, marks what they may change, and refuses a unit filter outside it', async () => {
    const res = await call(sh1, 'GET', '/accounts');
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { username: string; editable: boolean; self: boolean }[];
    expect(items.map((i) => i.username).sort()).toEqual(['sh1', 'sh1a']);
    expect(items.find((i) => i.username === 'sh1')).toMatchObject({ self: true, editable: false });
    expect(items.find((i) => i.username === 'sh1a')).toMatchObject({ self: false, editable: true });
    expect((await call(sh1, 'GET', `/accounts?unitId=${t.fx.units.gz1}`)).statusCode).toBe(403);
    const east = await call(admin, 'GET', `/accounts?unitId=${t.fx.units.east}&role=store_manager`);
    expect(
      east
        .json()
        .items.map((i: { username: string }) => i.username)
        .sort(),
    ).toEqual(['sh1', 'sh2']);
    expect((await call(await t.login(t.fx.logins.sh1a), 'GET', '/accounts')).statusCode).toBe(403);
  });

  it.each([
    ['a login in another store', { unitId: 'gz1', role: 'staff', staffId: 'gz1a' }],
    ['a login above their role', { unitId: 'sh1', role: 'region_manager', staffId: null }],
    ['a login for a member of another store', { unitId: 'sh1', role: 'staff', staffId: 'gz1a' }],
  ] as const)('cannot create %s: 403, nothing created, nothing recorded', async (_what, body) => {
    const before = await accountsSnapshot();
    const { entries: made } = await added(
      () =>
        call(sh1, 'POST', '/accounts', {
          username: 'probe',
          displayName: '探针',
          role: body.role,
          unitId: t.fx.units[body.unitId],
          staffId: body.staffId ? t.fx.staff[body.staffId] : null,
        }),
      403,
    );
    expect(made).toEqual([]);
    expect(await accountsSnapshot()).toEqual(before);
  });

  it('cannot disable, reset or change a login outside the store (404 like a missing one) or above them (403)', async () => {
    // HQ puts a region-level login at the store: inside sh1's subtree, above its manager's role
    const boss = await call(admin, 'POST', '/accounts', {
      username: 'east-deputy',
      displayName: '区域副经理',
      role: 'region_manager',
      unitId: t.fx.units.sh1,
    });
    expect(boss.statusCode, boss.body).toBe(201);
    const before = await accountsSnapshot();
    const gz1 = await accountId('gz1');
    const bossId = boss.json().account.id;
    for (const [url, payload] of [
      [`/accounts/${gz1}/disable`, undefined],
      [`/accounts/${gz1}/reset-password`, { mode: 'password' }],
    ] as const) {
      const { entries: made } = await added(() => call(sh1, 'POST', url, payload), 404);
      expect(made).toEqual([]);
    }
    expect((await call(sh1, 'PATCH', `/accounts/${gz1}`, { displayName: 'x' })).statusCode).toBe(404);
    for (const [url, payload] of [
      [`/accounts/${bossId}/disable`, undefined],
      [`/accounts/${bossId}/reset-password`, { mode: 'link' }],
    ] as const) {
      const { entries: made } = await added(() => call(sh1, 'POST', url, payload), 403);
      expect(made).toEqual([]);
    }
    // nor raise a login of theirs above their own role, nor move it out of the store, nor touch their own
    const sh1a = await accountId('sh1a');
    expect((await call(sh1, 'PATCH', `/accounts/${sh1a}`, { role: 'region_manager' })).statusCode).toBe(403);
    expect((await call(sh1, 'PATCH', `/accounts/${sh1a}`, { unitId: t.fx.units.sh2 })).statusCode).toBe(403);
    expect((await call(sh1, 'POST', `/accounts/${await accountId('sh1')}/disable`)).statusCode).toBe(403);
    expect(await accountsSnapshot()).toEqual(before);
  });

  it('creates a login of the store with a password shown once, which signs in; one audit entry', async () => {
    const { res, entries: made } = await added(
      () =>
        call(sh1, 'POST', '/accounts', {
          username: 'Chenjing',
          displayName: '陈静',
          role: 'staff',
          unitId: t.fx.units.sh1,
          staffId: t.fx.staff.sh1b,
          credential: 'password',
        }),
      201,
    );
    const body = res.json();
    expect(body.account).toMatchObject({ username: 'chenjing', role: 'staff', staffName: '陈静' });
    expect(body.issued.mode).toBe('password');
    expect(made.map((e) => e.action)).toEqual(['accounts.create']);
    expect(made[0]).toMatchObject({
      subject: `account:${body.account.id}`,
      details: { username: 'chenjing', role: 'staff', credential: 'password' },
    });
    expect(JSON.stringify(made)).not.toContain(body.issued.password);
    expect((await signIn('chenjing@acme', body.issued.password)).statusCode).toBe(200);
    // the same username again: 409
    const again = await call(sh1, 'POST', '/accounts', {
      username: 'chenjing',
      displayName: '陈静',
      role: 'staff',
      unitId: t.fx.units.sh1,
      staffId: t.fx.staff.sh1b,
    });
    expect(again.statusCode).toBe(409);
  });

  it('changes a role within their own, recorded as a permission change with what changed', async () => {
    const id = await accountId('chenjing');
    const { res, entries: made } = await added(
      () => call(sh1, 'PATCH', `/accounts/${id}`, { role: 'store_manager' }),
      200,
    );
    expect(res.json()).toMatchObject({ role: 'store_manager' });
    expect(made.map((e) => e.action)).toEqual(['accounts.permissions']);
    expect(made[0]!.details).toMatchObject({ changes: { role: { from: 'staff', to: 'store_manager' } } });
    // nothing changed: nothing recorded
    const { entries: none } = await added(
      () => call(sh1, 'PATCH', `/accounts/${id}`, { role: 'store_manager' }),
      200,
    );
    expect(none).toEqual([]);
  });
});

describe('disabling a login', () => {
  it('refuses its live session at once and its sign-in, until it is enabled again', async () => {
    const session = await t.login(t.fx.logins.sh1a);
    expect((await call(session, 'GET', '/auth/me')).statusCode).toBe(200);
    const id = await accountId('sh1a');
    const { res, entries: made } = await added(() => call(admin, 'POST', `/accounts/${id}/disable`), 200);
    expect(res.json()).toMatchObject({ disabled: true });
    expect(made.map((e) => e.action)).toEqual(['accounts.disable']);
    expect((await call(session, 'GET', '/auth/me')).statusCode).toBe(401);
    expect((await call(session, 'GET', '/customers')).statusCode).toBe(401);
    expect((await signIn(t.fx.logins.sh1a, PASSWORD)).statusCode).toBe(401);
    // disabling again changes nothing and records nothing
    expect((await added(() => call(admin, 'POST', `/accounts/${id}/disable`), 200)).entries).toEqual([]);
    const listed = await call(sh1, 'GET', '/accounts?status=disabled');
    expect(listed.json().items.map((i: { username: string }) => i.username)).toEqual(['sh1a']);
    const enabled = await added(() => call(sh1, 'POST', `/accounts/${id}/enable`), 200);
    expect(enabled.entries.map((e) => e.action)).toEqual(['accounts.enable']);
    expect((await signIn(t.fx.logins.sh1a, PASSWORD)).statusCode).toBe(200);
  });
});

describe('resetting a password', () => {
  it('with a one-time link: works once, sets the password, ends the sessions; each step one entry', async () => {
    const session = await t.login(t.fx.logins.sh1a);
    const id = await accountId('sh1a');
    const { res, entries: made } = await added(
      () => call(sh1, 'POST', `/accounts/${id}/reset-password`, { mode: 'link' }),
      200,
    );
    const { issued } = res.json();
    expect(issued.mode).toBe('link');
    expect(issued.link).toMatch(/^\/reset-password#acme\.[\w-]{40,}$/);
    expect(made.map((e) => e.action)).toEqual(['accounts.reset_password']);
    const token = issued.link.split('#')[1];
    // the old password still works until the link is used
    expect((await call(session, 'GET', '/auth/me')).statusCode).toBe(200);
    const used = await added(
      () => call(null, 'POST', '/auth/password-reset', { token, password: 'new-Passw0rd!' }),
      200,
    );
    expect(used.res.json()).toEqual({ ok: true, login: 'sh1a@acme' });
    expect(used.entries.map((e) => e.action)).toEqual(['auth.password_set']);
    expect(used.entries[0]!.account_id).toBe(id);
    expect((await call(session, 'GET', '/auth/me')).statusCode).toBe(401);
    expect((await signIn(t.fx.logins.sh1a, PASSWORD)).statusCode).toBe(401);
    expect((await signIn(t.fx.logins.sh1a, 'new-Passw0rd!')).statusCode).toBe(200);
    // a second use is refused and changes nothing
    const again = await added(
      () => call(null, 'POST', '/auth/password-reset', { token, password: 'another-Passw0rd' }),
      400,
    );
    expect(again.entries).toEqual([]);
    expect((await signIn(t.fx.logins.sh1a, 'new-Passw0rd!')).statusCode).toBe(200);
    expect(
      (await call(null, 'POST', '/auth/password-reset', { token: 'acme.not-a-token', password: 'whatever1' }))
        .statusCode,
    ).toBe(400);
    expect(JSON.stringify(await entries())).not.toContain(token.split('.')[1]);
  });

  it('a newer link replaces the older one', async () => {
    const id = await accountId('sh1a');
    const first = (await call(admin, 'POST', `/accounts/${id}/reset-password`, { mode: 'link' })).json();
    const second = (await call(admin, 'POST', `/accounts/${id}/reset-password`, { mode: 'link' })).json();
    const use = (link: string) =>
      call(null, 'POST', '/auth/password-reset', { token: link.split('#')[1], password: 'third-Passw0rd' });
    expect((await use(first.issued.link)).statusCode).toBe(400);
    expect((await use(second.issued.link)).statusCode).toBe(200);
  });

  it('with a password shown once: replaces it and ends the sessions at once', async () => {
    const session = await t.login('chenjing@acme').catch(() => null);
    const id = await accountId('sh1a');
    const before = await signIn(t.fx.logins.sh1a, 'third-Passw0rd');
    const cookie = before.cookies.find((c) => c.name === 'siyu_session')!.value;
    const live = { cookie: `siyu_session=${cookie}`, csrfToken: before.json().csrfToken };
    const { res, entries: made } = await added(
      () => call(admin, 'POST', `/accounts/${id}/reset-password`, { mode: 'password' }),
      200,
    );
    const { password } = res.json().issued;
    expect(password).toMatch(/^[A-Za-z2-9]{14}$/);
    expect(made.map((e) => e.action)).toEqual(['accounts.reset_password']);
    expect(made[0]!.details).toEqual({ username: 'sh1a', mode: 'password' });
    expect((await call(live, 'GET', '/auth/me')).statusCode).toBe(401);
    expect((await signIn(t.fx.logins.sh1a, password)).statusCode).toBe(200);
    expect(session).toBeNull(); // chenjing never had the fixture's password
  });

  it('never writes a password, a link or a token to the logs', () => {
    const all = logLines.join('\n');
    expect(all).not.toMatch(/reset-password#/);
    expect(all).not.toContain('new-Passw0rd');
    expect(all).not.toContain('third-Passw0rd');
  });
});
