import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { parseDelimited } from '../orders/import-file.ts';

/** A saved segment's members past the first 20: paged by cursor in the caller's scope, and exported. */
let t: TestApp;
let admin: TestSession;
let sh1: TestSession;
let sh1a: TestSession;
let segmentId: number;
const ADDED = 45;

beforeAll(async () => {
  t = await openTestApp();
  [admin, sh1, sh1a] = await Promise.all([
    t.login(t.fx.logins.admin),
    t.login(t.fx.logins.sh1),
    t.login(t.fx.logins.sh1a),
  ]);
  // 45 more customers, each followed by sh1a (store sh1)
  await sql`with c as (
      insert into customers (corp_id, external_userid, name, name_pinyin, search_text)
      select 'acme', 'seg-' || i, '会员' || i, '', '' from generate_series(1, ${ADDED}) i returning id)
    insert into follows (corp_id, customer_id, staff_id, journey_role, added_at)
    select 'acme', id, ${t.fx.staff.sh1a}, 'store_staff', now() from c`.execute(t.database.db);
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/segments',
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
    payload: { name: '全部客户', rule: { field: 'order_count', cmp: 'gte', value: 0 } },
  });
  expect(res.statusCode, res.body).toBe(201);
  segmentId = res.json().id;
});
afterAll(() => t.close());

async function allPages(s: TestSession, limit: number) {
  const ids: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { statusCode: number; body: string; json(): unknown } = await t.app.inject({
      method: 'GET',
      url: `/api/v1/segments/${segmentId}/members?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      headers: { cookie: s.cookie },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: { id: number }[]; nextCursor: string | null };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...body.items.map((m) => m.id));
    cursor = body.nextCursor;
    pages++;
  } while (cursor);
  return { ids, pages };
}

describe('a segment’s members', () => {
  it('pages past the first 20, newest first, without gaps or repeats', async () => {
    const { ids, pages } = await allPages(admin, 20);
    expect(pages).toBe(3);
    expect(ids).toHaveLength(5 + ADDED);
    expect(ids).toEqual([...new Set(ids)].sort((a, b) => b - a));
  });

  it('stays within the caller’s scope on every page', async () => {
    const store = await allPages(sh1, 20);
    expect(store.ids).toHaveLength(2 + ADDED); // 王芳 and 李娜 of sh1, and the 45
    expect(store.ids).not.toContain(t.fx.customers.zhao);
    const own = await allPages(sh1a, 7);
    expect(own.ids).toHaveLength(1 + ADDED); // 王芳 and the 45 sh1a follows
    expect(own.ids).not.toContain(t.fx.customers.li);
  });

  it('exports them (managers only), audited with the segment and the row count', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/segments/${segmentId}/members/export?format=csv`,
      headers: { cookie: sh1.cookie },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-disposition']).toContain(encodeURIComponent('人群-全部客户'));
    const rows = parseDelimited(res.rawPayload.toString('utf8').slice(1)).filter((r) => r.length > 1);
    expect(rows).toHaveLength(1 + 2 + ADDED);
    expect(rows.map((r) => r[3])).toContain('138****5678');
    const staff = await t.app.inject({
      method: 'GET',
      url: `/api/v1/segments/${segmentId}/members/export`,
      headers: { cookie: sh1a.cookie },
    });
    expect(staff.statusCode).toBe(403);
    const entries = await t.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('corp_id', '=', 'acme')
      .where('action', '=', 'segments.export')
      .execute();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      role: 'store_manager',
      subject: `segment:${segmentId}`,
      details: { segmentName: '全部客户', format: 'csv', rows: 2 + ADDED },
    });
  });
});
