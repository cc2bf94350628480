import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/log.ts';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { PHONE_SEARCH_BUDGET } from './service.ts';

/**
 * The attack of the hardening issue: a front-line login sees 王芳 as 138****5678 and tries the four hidden
 * digits through the exact phone search. The budget stops it, every try is audited, and no log line holds a
 * number tried.
 */
const lines: string[] = [];
let t: TestApp;
let staff: TestSession;

beforeAll(async () => {
  t = await openTestApp({
    logger: createLogger({
      level: 'trace',
      format: 'json',
      destination: { write: (line: string) => lines.push(line) },
    }),
  });
  staff = await t.login(t.fx.logins.sh1a);
});
afterAll(() => t.close());

const search = (s: TestSession, q: string, lang = 'zh-CN') =>
  t.app.inject({
    method: 'GET',
    url: `/api/v1/customers?q=${encodeURIComponent(q)}`,
    headers: { cookie: s.cookie, 'accept-language': lang },
  });

const audit = (action: string) =>
  t.database.db
    .selectFrom('audit_log')
    .selectAll()
    .where('corp_id', '=', 'acme')
    .where('action', '=', action)
    .orderBy('id')
    .execute();

describe('searching customers by full phone number', () => {
  it('stops trying the hidden digits once the budget is spent, auditing every try', async () => {
    const { perHour } = PHONE_SEARCH_BUDGET.staff;
    const tries = Array.from(
      { length: perHour + 2 },
      (_, i) => `138${String(1000 + i).padStart(4, '0')}5678`,
    );
    tries[3] = '138 1234 5678'; // the real one, written as people do
    const found: string[] = [];
    const statuses: number[] = [];
    for (const q of tries) {
      const res = await search(staff, q);
      statuses.push(res.statusCode);
      if (res.statusCode === 200) found.push(...res.json().items.map((c: { name: string }) => c.name));
    }
    expect(found).toEqual(['王芳']);
    expect(statuses).toEqual([...Array(perHour).fill(200), 429, 429]);

    const refused = await search(staff, '13812345678');
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.message).toBe(
      `手机号查找次数已用完：每小时最多 ${perHour} 次。请稍后再试，或按姓名、拼音、备注查找`,
    );
    expect((await search(staff, '13812345678', 'en')).json().error.message).toMatch(
      /^You have used up your phone-number searches: at most \d+ per hour/,
    );

    const done = await audit('customers.phone_search');
    expect(done).toHaveLength(perHour);
    expect(done[3]).toMatchObject({
      role: 'staff',
      details: {
        phoneMasked: '138****5678',
        phoneHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        use: 'list',
      },
    });
    expect(await audit('customers.phone_search.refused')).toHaveLength(4);
  });

  it('still searches by name, masked tail and pinyin when the phone budget is spent', async () => {
    for (const q of ['王芳', '5678', 'wangfang']) {
      const res = await search(staff, q);
      expect(res.statusCode, q).toBe(200);
      expect(res.json().items.map((c: { name: string }) => c.name)).toEqual(['王芳']);
    }
    expect((await audit('customers.phone_search.refused')).length).toBe(4); // not phone searches
  });

  it('counts each account on its own', async () => {
    const manager = await t.login(t.fx.logins.sh1);
    const res = await search(manager, '+86 138-1234-5678');
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((c: { name: string }) => c.name)).toEqual(['王芳']);
  });

  it('writes no number tried in clear to the log or the audit trail', async () => {
    expect(lines.length).toBeGreaterThan(0);
    const logged = lines.join('\n');
    const trail = JSON.stringify(await t.database.db.selectFrom('audit_log').selectAll().execute());
    for (const text of [logged, trail]) {
      expect(text).not.toMatch(/1381\d{3}5678|138%20|1234%205678|1234-5678/);
      expect(text).not.toContain('13812345678');
    }
  });
});
