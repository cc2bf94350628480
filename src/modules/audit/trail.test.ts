import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { PASSWORD } from '../../testing/fixture.ts';

/**
 * The audit trail is complete: every audited action, done through the API, leaves exactly one entry of its
 * own (and nothing else), with who, from where, on what; a reveal or a refused one is on it too; and no
 * route changes or deletes an entry.
 */
let t: TestApp;
let admin: TestSession;

beforeAll(async () => {
  t = await openTestApp();
  admin = await t.login(t.fx.logins.admin);
});
afterAll(() => t.close());

const entries = () =>
  t.database.db.selectFrom('audit_log').selectAll().where('corp_id', '=', 'acme').orderBy('id').execute();

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown, as = admin) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: as.cookie, 'x-csrf-token': as.csrfToken },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

/** Runs `act` and returns the one entry it left (failing if it left none, or more, or another action). */
async function oneEntry(
  action: string,
  act: () => Promise<{ statusCode: number; body: string }>,
  status = 200,
) {
  const before = (await entries()).length;
  const res = await act();
  expect(res.statusCode, res.body).toBe(status);
  const after = await entries();
  const added = after.slice(before);
  expect(added.map((e) => e.action)).toEqual([action]);
  return added[0]!;
}

describe('every audited action leaves exactly one entry', () => {
  it('sign-ins, and refused ones with the account they claimed', async () => {
    const ok = await oneEntry('auth.login', () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: t.fx.logins.sh1, password: PASSWORD },
        remoteAddress: '192.0.2.44',
      }),
    );
    expect(ok).toMatchObject({ role: 'store_manager', address: '192.0.2.44' });
    expect(ok.account_id).not.toBeNull();
    const failed = await oneEntry(
      'auth.login_failed',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { login: t.fx.logins.sh1, password: 'Tr0ub4dor-x' },
          remoteAddress: '192.0.2.45',
        }),
      401,
    );
    expect(failed).toMatchObject({
      account_id: null,
      subject: `account:${ok.account_id}`,
      address: '192.0.2.45',
      details: { username: 'sh1', reason: 'wrong_password' },
    });
    // the password is nowhere in the log
    expect(JSON.stringify(await entries())).not.toContain('Tr0ub4dor');
  });

  it('phone searches and reveals (never the number in clear), exports and bulk changes', async () => {
    const search = await oneEntry('customers.phone_search', () => call('GET', '/customers?q=13812345678'));
    expect(search.details).toMatchObject({ phoneMasked: '138****5678' });
    const reveal = await oneEntry('customers.phone_reveal', () =>
      call('POST', `/customers/${t.fx.customers.wang}/phone/reveal`),
    );
    expect(reveal).toMatchObject({
      subject: `customer:${t.fx.customers.wang}`,
      details: { phoneMasked: '138****5678' },
    });
    const revealed = await call('POST', `/customers/${t.fx.customers.wang}/phone/reveal`);
    expect(revealed.json()).toEqual({ phone: '13812345678' });
    // a customer without a phone reveals nothing and is not counted
    const before = (await entries()).length;
    expect((await call('POST', `/customers/${t.fx.customers.li}/phone/reveal`)).json()).toEqual({
      phone: null,
    });
    expect((await entries()).length).toBe(before);
    await oneEntry('customers.export', () => call('GET', '/customers/export?format=csv'));
    await oneEntry('customers.bulk_tags', () =>
      call('POST', '/customers/tag-jobs', { customerIds: [t.fx.customers.wang], add: [t.fx.tags.vip] }),
    );
    const all = JSON.stringify(await entries());
    expect(all).not.toContain('13812345678');
  });

  it('integration secrets created and revoked (never the secret)', async () => {
    let secret = '';
    const created = await oneEntry(
      'integrations.create',
      async () => {
        const res = await call('POST', '/integrations', { source: 'pos-audit' });
        secret = res.json().secret;
        return res;
      },
      201,
    );
    const id = Number(created.subject!.split(':')[1]);
    await oneEntry('integrations.revoke', () => call('POST', `/integrations/${id}/revoke`));
    // revoking it again changes nothing, and records nothing
    const before = (await entries()).length;
    expect((await call('POST', `/integrations/${id}/revoke`)).statusCode).toBe(200);
    expect((await entries()).length).toBe(before);
    expect(JSON.stringify(await entries())).not.toContain(secret);
  });

  it('transfers, and the audit log’s own export', async () => {
    const reassign = await oneEntry('transfers.reassign', () =>
      call('POST', '/transfers/reassign', {
        handoverStaffId: t.fx.staff.sh1a,
        rule: 'successor',
        successorStaffId: t.fx.staff.sh1b,
      }),
    );
    expect(reassign.details).toMatchObject({ rule: 'successor', customers: 1 });
    // a dry run sends nothing and records nothing
    const before = (await entries()).length;
    await call('POST', '/transfers/reassign', {
      handoverStaffId: t.fx.staff.sh1b,
      rule: 'successor',
      successorStaffId: t.fx.staff.sh1a,
      dryRun: true,
    });
    expect((await entries()).length).toBe(before);
    const exported = await oneEntry('audit.export', async () => {
      const res = await call('GET', '/audit/export?format=csv&action=customers.');
      expect(res.headers['content-type']).toMatch(/text\/csv/);
      const lines = res.body.trim().split('\r\n');
      expect(lines[0]).toContain('action');
      expect(lines.slice(1).every((l) => l.includes(',customers.'))).toBe(true);
      return res;
    });
    expect(exported.details).toMatchObject({ filter: { action: 'customers.' }, format: 'csv' });
  });

  it('is read by HQ admins only, and no route changes an entry', async () => {
    const store = await t.login(t.fx.logins.sh1);
    expect((await call('GET', '/audit', undefined, store)).statusCode).toBe(403);
    expect((await call('GET', '/audit/export', undefined, store)).statusCode).toBe(403);
    const writes = t.app.apiRoutes.filter((r) => r.url.startsWith('/api/v1/audit') && r.method !== 'GET');
    expect(writes).toEqual([]);
  });
});
