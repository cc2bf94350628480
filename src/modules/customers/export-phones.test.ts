import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';

/**
 * Phones in exported files: masked by default for everyone; in full only for HQ admins who ask (phones=full),
 * recorded on the export's audit entry; anyone else asking is refused (403), the refusal recorded, no file.
 * Insight exports carry no phone and are audited too.
 */
let t: TestApp;
let admin: TestSession;
let sh1: TestSession;
let segmentId: number;

beforeAll(async () => {
  t = await openTestApp();
  admin = await t.login(t.fx.logins.admin);
  sh1 = await t.login(t.fx.logins.sh1);
  const seg = await get(admin, '/segments', 'POST', {
    name: '全部客户',
    rule: { field: 'order_count', cmp: 'gte', value: 0 },
  });
  expect(seg.statusCode, seg.body).toBe(201);
  segmentId = seg.json().id;
});
afterAll(() => t.close());

function get(as: TestSession, url: string, method: 'GET' | 'POST' = 'GET', payload?: unknown) {
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: { cookie: as.cookie, 'x-csrf-token': as.csrfToken, 'accept-language': 'en' },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}
const entries = () =>
  t.database.db.selectFrom('audit_log').selectAll().where('corp_id', '=', 'acme').orderBy('id').execute();
async function added(act: () => Promise<{ statusCode: number; body: string }>, status: number) {
  const before = (await entries()).length;
  const res = await act();
  expect(res.statusCode, res.body.slice(0, 300)).toBe(status);
  return { body: res.body, entries: (await entries()).slice(before) };
}

describe.each([
  ['customers', (): string => '/customers/export?format=csv', 'customers.export'],
  ['segments', (): string => `/segments/${segmentId}/members/export?format=csv`, 'segments.export'],
] as const)('%s export', (_name, url, action) => {
  it('masks phones by default, for HQ too', async () => {
    const { body, entries: made } = await added(() => get(admin, url()), 200);
    expect(body).toContain('138****5678');
    expect(body).not.toContain('13812345678');
    expect(made.map((e) => e.action)).toEqual([action]);
    expect(made[0]!.details).toMatchObject({ phones: 'masked' });
  });

  it('gives HQ full phones on phones=full, one audit entry saying so (never the numbers)', async () => {
    const { body, entries: made } = await added(() => get(admin, `${url()}&phones=full`), 200);
    expect(body).toContain('13812345678');
    expect(body).toContain('手机号 Phone');
    expect(made.map((e) => e.action)).toEqual([action]);
    expect(made[0]!.details).toMatchObject({ phones: 'full' });
    expect(JSON.stringify(made)).not.toContain('13812345678');
  });

  it('refuses full phones to a store manager: 403, no file, the refusal recorded', async () => {
    const masked = await added(() => get(sh1, url()), 200);
    expect(masked.body).toContain('138****5678');
    const { body, entries: made } = await added(() => get(sh1, `${url()}&phones=full`), 403);
    expect(body).not.toContain('13812345678');
    expect(made.map((e) => e.action)).toEqual([`${action}.refused`]);
    expect(made[0]!.details).toMatchObject({ phones: 'full', reason: 'phones_full_not_allowed' });
  });

  it('refuses an unknown phones value with a 400', async () => {
    expect((await get(admin, `${url()}&phones=clear`)).statusCode).toBe(400);
  });
});

describe('insight export', () => {
  it('holds no phone and is one audit entry', async () => {
    const { body, entries: made } = await added(
      () => get(admin, '/insight/export?view=funnel&format=csv&from=2026-04&to=2026-06'),
      200,
    );
    expect(body).not.toMatch(/1\d{10}/);
    expect(made.map((e) => e.action)).toEqual(['insight.export']);
    expect(made[0]!.details).toMatchObject({ view: 'funnel', format: 'csv' });
  });
});
