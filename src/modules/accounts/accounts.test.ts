import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { PASSWORD } from '../../testing/fixture.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { parseLogin } from './service.ts';

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp({ loginLimits: { perAccountAddress: 3, perAccount: 6, perAddress: 1000 } });
});
afterAll(() => t.close());

const post = (login: string, password: string, ip = '10.0.0.1', headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login, password },
    remoteAddress: ip,
    headers,
  });

describe('passwords', () => {
  it('hashes with scrypt and a salt, and verifies only the right password', async () => {
    const a = await hashPassword('s3cret');
    const b = await hashPassword('s3cret');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('s3cret', a)).toBe(true);
    expect(await verifyPassword('s3cret!', a)).toBe(false);
    expect(await verifyPassword('s3cret', 'md5$abc')).toBe(false);
  });

  it('parses "user@brand" logins at the last @', () => {
    expect(parseLogin('Store1@Demo')).toEqual({ username: 'store1', corpId: 'demo' });
    expect(parseLogin('a@b@demo')).toEqual({ username: 'a@b', corpId: 'demo' });
    expect(parseLogin(' Store1 @ Demo ')).toEqual({ username: 'store1', corpId: 'demo' });
    expect(parseLogin('ｓｔｏｒｅ１＠ｄｅｍｏ')).toEqual({ username: 'store1', corpId: 'demo' });
    expect(parseLogin('nobrand')).toBeNull();
    expect(parseLogin('@demo')).toBeNull();
  });
});

describe('login and sessions', () => {
  it('signs in, sets an httpOnly SameSite cookie, and /auth/me answers with the account', async () => {
    const res = await post('sh1@acme', PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.account).toMatchObject({
      username: 'sh1',
      role: 'store_manager',
      corpId: 'acme',
      unitName: '上海一店',
    });
    expect(body.csrfToken).toMatch(/^[\w-]{20,}$/);
    const cookie = res.cookies.find((c) => c.name === 'siyu_session')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.path).toBe('/');
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: `siyu_session=${cookie.value}` },
    });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toEqual(body);
  });

  it('does not store the session token itself', async () => {
    const res = await post('east@acme', PASSWORD);
    const token = res.cookies.find((c) => c.name === 'siyu_session')!.value.split('.')[1]!;
    const rows = await t.database.db.selectFrom('sessions').select('token_hash').execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.token_hash.includes(token))).toBe(false);
  });

  it.each([
    ['a wrong password', 'sh2@acme', 'wrong'],
    ['an unknown user', 'nobody@acme', PASSWORD],
    ['an unknown brand', 'sh1@nowhere', PASSWORD],
    ['a login without brand', 'sh1', PASSWORD],
    ['the right user in another brand', 'sh1@other', PASSWORD],
  ])('refuses %s with the same 401', async (_what, login, password) => {
    const res = await post(login, password, '10.0.0.2');
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: 'bad_credentials', message: '账号或密码错误' });
    expect(res.cookies).toHaveLength(0);
  });

  it('answers malformed input with a 400 that names the field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'sh1@acme' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('body.password');
    const notJson = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"login":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('bad_request');
  });

  it('locks an account from the address that failed, even with the right password afterwards', async () => {
    for (let i = 0; i < 3; i++) expect((await post('gz1@acme', 'nope', '10.0.0.3')).statusCode).toBe(401);
    const blocked = await post('gz1@acme', PASSWORD, '10.0.0.3');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json().error.code).toBe('rate_limited');
    expect((await post('sh1@acme', PASSWORD, '10.0.0.3')).statusCode).toBe(200);
    // the owner, elsewhere, is not locked out by someone else's guesses
    expect((await post('gz1@acme', PASSWORD, '10.0.0.4')).statusCode).toBe(200);
  });

  it('counts every spelling of one login as that account', async () => {
    for (let i = 0; i < 3; i++) expect((await post('sh2@acme', 'nope', '10.0.1.1')).statusCode).toBe(401);
    for (const spelling of ['sh2 @acme', ' SH2@ACME ', 'sh2 @ acme', 'ｓｈ２＠ａｃｍｅ']) {
      expect((await post(spelling, PASSWORD, '10.0.1.1')).statusCode, spelling).toBe(429);
    }
    expect((await post('ｓｈ２＠ａｃｍｅ', PASSWORD, '10.0.1.2')).statusCode).toBe(200);
  });

  it('ignores X-Forwarded-For unless a trusted proxy is configured', async () => {
    for (let i = 0; i < 3; i++) {
      const spoofed = { 'x-forwarded-for': `192.0.2.${i}` };
      expect((await post('east@acme', 'nope', '10.0.2.1', spoofed)).statusCode).toBe(401);
    }
    const next = await post('east@acme', PASSWORD, '10.0.2.1', { 'x-forwarded-for': '192.0.2.99' });
    expect(next.statusCode).toBe(429);
  });

  it('locks an account failing from many addresses, except from an address it signed in from', async () => {
    expect((await post('sh1@acme', PASSWORD, '10.0.3.100')).statusCode).toBe(200);
    for (let i = 0; i < 6; i++) expect((await post('sh1@acme', 'nope', `10.0.3.${i}`)).statusCode).toBe(401);
    expect((await post('sh1@acme', PASSWORD, '10.0.3.50')).statusCode).toBe(429);
    expect((await post('sh1@acme', PASSWORD, '10.0.3.100')).statusCode).toBe(200);
  });

  it('ends the session on logout', async () => {
    const s = await t.login('sh2@acme');
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
    });
    expect(out.statusCode).toBe(200);
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: s.cookie } });
    expect(me.statusCode).toBe(401);
  });

  it('refuses a forged or expired session and a disabled account', async () => {
    const forged = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: 'siyu_session=acme.forged' },
    });
    expect(forged.statusCode).toBe(401);
    const s = await t.login('east@acme');
    await t.database.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: s.cookie } }))
        .statusCode,
    ).toBe(401);
    const s2 = await t.login('admin@acme');
    await t.database.db
      .updateTable('accounts')
      .set({ disabled: true })
      .where('username', '=', 'admin')
      .execute();
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { cookie: s2.cookie } }))
        .statusCode,
    ).toBe(401);
    expect((await post('admin@acme', PASSWORD, '10.0.0.9')).statusCode).toBe(401);
  });
});

describe('sessions, as their owner sees and ends them', () => {
  // from 10.1.0.1 unless told: a session records the address it was last used from
  const as = (s: TestSession, method: 'GET' | 'POST' | 'DELETE', url: string, ip = '10.1.0.1') =>
    t.app.inject({
      method,
      url: `/api/v1/auth${url}`,
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
      remoteAddress: ip,
    });
  const signIn = async (ip: string, userAgent: string): Promise<TestSession> => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'gz1@acme', password: PASSWORD },
      remoteAddress: ip,
      headers: { 'user-agent': userAgent },
    });
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === 'siyu_session')!;
    return { cookie: `siyu_session=${cookie.value}`, csrfToken: res.json().csrfToken };
  };
  interface Listed {
    id: number;
    createdAt: string;
    lastSeenAt: string;
    address: string | null;
    userAgent: string | null;
    current: boolean;
  }
  const list = async (s: TestSession, ip?: string): Promise<Listed[]> =>
    (await as(s, 'GET', '/sessions', ip)).json().items;

  it('lists the account’s sessions with where and in what they were opened, marking this one', async () => {
    await t.database.db.deleteFrom('sessions').execute();
    const laptop = await signIn('10.1.0.1', 'Mozilla/5.0 (Macintosh) Chrome/140');
    const phone = await signIn('10.1.0.2', 'Mozilla/5.0 (iPhone) wxwork/4.1');
    await t.login('sh2@acme'); // another account's: not listed
    const seen = await list(laptop);
    expect(seen).toHaveLength(2);
    expect(seen.find((x) => x.current)).toMatchObject({
      address: '10.1.0.1',
      userAgent: 'Mozilla/5.0 (Macintosh) Chrome/140',
    });
    expect(seen.find((x) => !x.current)).toMatchObject({
      address: '10.1.0.2',
      userAgent: 'Mozilla/5.0 (iPhone) wxwork/4.1',
    });
    expect((await list(phone, '10.1.0.2')).filter((x) => x.current).map((x) => x.address)).toEqual([
      '10.1.0.2',
    ]);
  });

  it('records when and from where a session was last used', async () => {
    const s = await signIn('10.1.0.3', 'ua');
    const id = (await list(s, '10.1.0.3')).find((x) => x.current)!.id;
    const old = new Date(Date.now() - 10 * 60_000);
    await t.database.db.updateTable('sessions').set({ last_seen_at: old }).where('id', '=', id).execute();
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/me',
      headers: { cookie: s.cookie },
      remoteAddress: '10.1.0.4',
    });
    expect(res.statusCode).toBe(200);
    const mine = (await list(s, '10.1.0.4')).find((x) => x.id === id)!;
    expect(new Date(mine.lastSeenAt).getTime()).toBeGreaterThan(old.getTime() + 60_000);
    expect(mine.address).toBe('10.1.0.4');
  });

  it('ends one session, leaving the others; another account’s session is not found and lives on', async () => {
    const keep = await signIn('10.1.0.5', 'keep');
    const drop = await signIn('10.1.0.6', 'drop');
    const other = await t.login('sh2@acme');
    const dropId = (await list(drop)).find((x) => x.current)!.id;
    const otherId = (await list(other)).find((x) => x.current)!.id;

    expect((await as(keep, 'DELETE', `/sessions/${otherId}`)).statusCode).toBe(404);
    expect((await as(other, 'GET', '/me')).statusCode).toBe(200);

    expect((await as(keep, 'DELETE', `/sessions/${dropId}`)).statusCode).toBe(200);
    expect((await as(drop, 'GET', '/me')).statusCode).toBe(401);
    expect((await as(keep, 'GET', '/me')).statusCode).toBe(200);
    expect((await as(keep, 'DELETE', `/sessions/${dropId}`)).statusCode).toBe(404);
  });

  it('ends every session of the account with logout-all, this one included', async () => {
    const a = await signIn('10.1.0.7', 'a');
    const b = await signIn('10.1.0.8', 'b');
    const other = await t.login('sh2@acme');
    const res = await as(a, 'POST', '/logout-all');
    expect(res.statusCode).toBe(200);
    expect(res.json().ended).toBeGreaterThanOrEqual(2);
    expect(res.cookies.find((c) => c.name === 'siyu_session')?.value).toBe('');
    expect((await as(a, 'GET', '/me')).statusCode).toBe(401);
    expect((await as(b, 'GET', '/me')).statusCode).toBe(401);
    expect((await as(other, 'GET', '/me')).statusCode).toBe(200);
  });
});
