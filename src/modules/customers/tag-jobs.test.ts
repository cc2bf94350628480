import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { MARK_TAG } from '../../wecom/paths.ts';
import { MAX_BULK_CUSTOMERS, runTagJob, runWaitingTagJob } from './tag-jobs.ts';

let t: TestApp;
let sh1: TestSession;
let sh1a: TestSession;
const MANY = 250;

beforeAll(async () => {
  t = await openTestApp();
  [sh1, sh1a] = await Promise.all([t.login(t.fx.logins.sh1), t.login(t.fx.logins.sh1a)]);
  await t.database.db
    .updateTable('tags')
    .set({ wecom_tag_id: 'et_vip' })
    .where('id', '=', t.fx.tags.vip)
    .execute();
  // 250 customers of store sh1 whose names share 批量, each followed by sh1a
  await sql`with c as (
      insert into customers (corp_id, external_userid, name, name_pinyin, search_text)
      select 'acme', 'bulk-' || i, '批量' || i, '', '批量' || i from generate_series(1, ${MANY}) i returning id)
    insert into follows (corp_id, customer_id, staff_id, journey_role, added_at)
    select 'acme', id, ${t.fx.staff.sh1a}, 'store_staff', now() from c`.execute(t.database.db);
});
afterAll(() => t.close());

const start = (s: TestSession, body: Record<string, unknown>, lang = 'zh-CN') =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/customers/tag-jobs',
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'accept-language': lang },
    payload: body,
  });
const job = (s: TestSession, id: number) =>
  t.app.inject({ method: 'GET', url: `/api/v1/customers/tag-jobs/${id}`, headers: { cookie: s.cookie } });
const tagsOf = async (customerId: number) =>
  (
    await t.database.db
      .selectFrom('customer_tags')
      .select('tag_id')
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', customerId)
      .orderBy('tag_id')
      .execute()
  ).map((r) => r.tag_id);
const audits = () =>
  t.database.db
    .selectFrom('audit_log')
    .selectAll()
    .where('corp_id', '=', 'acme')
    .where('action', '=', 'customers.bulk_tags')
    .orderBy('id')
    .execute();

describe('bulk tagging', () => {
  it('tags a selection at once, marks the tags in WeCom through the outbox and names the cause on the timeline', async () => {
    const { wang, li } = t.fx.customers;
    const res = await start(sh1, { customerIds: [wang, li], add: [t.fx.tags.vip] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'done', total: 2, done: 2, changed: 1 }); // 王芳 had VIP
    expect(await tagsOf(li)).toEqual([t.fx.tags.vip]);
    const marks = await t.database.db
      .selectFrom('wecom_outbox')
      .select(['kind', 'request'])
      .where('corp_id', '=', 'acme')
      .where('idem_key', 'like', 'tag:bulk:%')
      .execute();
    expect(marks).toEqual([
      {
        kind: MARK_TAG,
        request: { userid: 'sh1b', external_userid: 'wm_li', add_tag: ['et_vip'] },
      },
    ]);
    const timeline = await t.database.db
      .selectFrom('customer_events')
      .select(['kind', 'summary'])
      .where('corp_id', '=', 'acme')
      .where('customer_id', '=', li)
      .where('kind', '=', 'tag_added')
      .execute();
    expect(timeline).toEqual([{ kind: 'tag_added', summary: '打上标签「VIP」（sh1，私域后台批量打标签）' }]);
    expect((await audits()).at(-1)).toMatchObject({
      role: 'store_manager',
      subject: `tag-job:${res.json().id}`,
      details: { selected: 2, add: [t.fx.tags.vip], remove: [], customers: 2 },
    });
  });

  it('refuses a selection reaching outside the scope, and tags outside the caller’s tag view', async () => {
    const before = (await audits()).length;
    const outside = await start(sh1, {
      customerIds: [t.fx.customers.wang, t.fx.customers.zhao],
      add: [t.fx.tags.vip],
    });
    expect(outside.statusCode).toBe(404);
    expect(await tagsOf(t.fx.customers.zhao)).toEqual([t.fx.tags.vip]); // unchanged: had it already
    const hidden = await start(sh1a, { filter: {}, remove: [t.fx.tags.fruit] });
    expect(hidden.statusCode).toBe(403); // 客户来源 is for managers
    expect((await audits()).length).toBe(before);
  });

  it('runs a large filter as a job with progress, resumable between batches', async () => {
    const res = await start(sh1a, { filter: { q: '批量' }, add: [t.fx.tags.vip] });
    expect(res.statusCode, res.body).toBe(202);
    const { id } = res.json();
    expect(res.json()).toMatchObject({ status: 'running', total: MANY, done: 0 });

    const sc = syncCtx(t.database);
    let batches = 0;
    await runTagJob(sc, id, { shouldStop: () => batches++ > 0 }); // a process stopping after one batch
    const halfway = (await job(sh1a, id)).json();
    expect(halfway).toMatchObject({ status: 'running', done: 200, changed: 200 });
    expect(await runWaitingTagJob(sc.runtime.deps)).toBe(false); // its lease still holds
    sc.clock.advance(61_000);
    expect(await runWaitingTagJob(sc.runtime.deps)).toBe(true);
    expect((await job(sh1a, id)).json()).toMatchObject({
      status: 'done',
      total: MANY,
      done: MANY,
      changed: MANY,
    });

    const tagged = await t.database.db
      .selectFrom('customer_tags as ct')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'ct.corp_id').onRef('c.id', '=', 'ct.customer_id'),
      )
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('ct.corp_id', '=', 'acme')
      .where('ct.tag_id', '=', t.fx.tags.vip)
      .where('c.name', 'like', '批量%')
      .executeTakeFirstOrThrow();
    expect(Number(tagged.n)).toBe(MANY);
    expect((await audits()).at(-1)).toMatchObject({
      role: 'staff',
      details: { filter: { q: '批量' }, add: [t.fx.tags.vip], customers: MANY },
    });
    // only its maker follows it
    expect((await job(sh1, id)).statusCode).toBe(404);
  });

  it(`refuses a filter of more than ${MAX_BULK_CUSTOMERS} customers, saying how many`, async () => {
    await sql`insert into customers (corp_id, external_userid, name, name_pinyin, search_text)
      select 'other', 'many-' || i, '客户' || i, '', '' from generate_series(1, ${MAX_BULK_CUSTOMERS}) i`.execute(
      t.database.db,
    );
    const other = await t.login('admin@other');
    const { id: tag } = await t.database.db
      .insertInto('tag_groups')
      .values({ corp_id: 'other', name: '会员', wecom_group_id: null })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then(({ id: group }) =>
        t.database.db
          .insertInto('tags')
          .values({ corp_id: 'other', group_id: group, name: 'VIP', wecom_tag_id: null })
          .returning('id')
          .executeTakeFirstOrThrow(),
      );
    const res = await start(other, { filter: {}, add: [tag] }, 'en');
    expect(res.statusCode).toBe(422);
    expect(res.json().error.message).toBe(
      `${MAX_BULK_CUSTOMERS + 1} customers exceed the limit of ${MAX_BULK_CUSTOMERS} per bulk change: narrow the filter and go in parts`,
    );
  });
});
