import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformDb } from '../../platform/tables.ts';
import { ConnectionRegistry } from '../../platform/wecom-links.ts';
import { pii } from '../../testing/fixture.ts';
import { type Linked, openLinked } from '../../testing/linked.ts';
import { type HttpCall, httpCall } from '../../wecom/http.ts';
import { latestSyncRun, runFullSync, type SyncRun } from './full-sync.ts';

let t: Linked;
const wms: string[] = [];
beforeAll(async () => {
  // No callback URL: everything below happens in WeCom while Siyu is not listening.
  t = await openLinked({ callbacks: false });
  await t.corp('POST', '/members', { userid: 'newbie', name: '新同事', department: [4], position: '店员' });
  const tags = await t.corp('POST', '/scenarios/admin-create-tags', {
    group_name: '会员等级',
    tag: [{ name: '金卡' }, { name: '银卡' }],
  });
  const gold: string = (tags.tag_group ?? tags).tag.find((x: { name: string }) => x.name === '金卡').id;
  for (let i = 0; i < 120; i++) {
    const wm = (await t.corp('POST', '/customers', { name: `顾客${i}` })).external_userid;
    wms.push(wm);
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'sh1a',
      external_userid: wm,
      add_way: 1,
      state: 'ch_sync',
    });
  }
  await t.corp('POST', '/scenarios/member-adds-customer', {
    userid: 'newbie',
    external_userid: wms[0],
    add_way: 2,
  });
  await t.corp('POST', '/scenarios/member-edits-contact', {
    userid: 'sh1a',
    external_userid: wms[1],
    remark: '金卡老客',
    add_tag: [gold],
  });
  await t.corp('POST', '/scenarios/member-creates-group', {
    owner: 'sh1a',
    name: '同步测试群',
    external_userids: wms.slice(0, 5),
  });
});
afterAll(() => t.close());

const count = async (table: 'customers' | 'follows' | 'groups' | 'staff' | 'tags') =>
  Number(
    (
      await t.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('corp_id', '=', 'acme')
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('full sync', () => {
  it('fails cleanly mid-way, saving its place, and resumes the same run to the end', async () => {
    const deps = t.app.runtime.deps;
    // The network drops the second page of batch/get_by_user, once.
    let pages = 0;
    const flaky: HttpCall = (url, init) => {
      if (url.includes('batch/get_by_user') && ++pages === 2)
        return Promise.reject(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      return httpCall(url, init);
    };
    const strict = new ConnectionRegistry(platformDb(t.database.db), pii, { maxRetries: 0, fetch: flaky });
    const progress: SyncRun[] = [];
    await expect(runFullSync({ ...deps, links: strict }, 'acme', (r) => progress.push(r))).rejects.toThrow();
    const failed = (await latestSyncRun(t.database.db, 'acme'))!;
    expect(failed, failed.error ?? '').toMatchObject({ status: 'failed', phase: 'customers' });
    expect(failed.error).toBeTruthy();
    expect(progress.map((p) => p.phase)).toContain('tags');
    const followsBefore = await count('follows');
    expect(followsBefore).toBeGreaterThanOrEqual(100);
    expect(followsBefore).toBeLessThan(122);

    const done = await runFullSync({ ...deps, links: strict }, 'acme');
    expect(done).toMatchObject({ id: failed.id, status: 'done', phase: 'done' });
    expect(done.counts.staff).toBe(5);
    expect(done.counts.customersCreated).toBe(120);
    expect(done.counts.groups).toBe(1);
  });

  it('leaves Siyu holding what WeCom holds: staff, tags, customers with follows and tags, groups', async () => {
    expect(await count('customers')).toBe(5 + 120); // the fixture's five and WeCom's 120
    const newbie = await t.database.db
      .selectFrom('staff')
      .select(['name', 'title'])
      .where('userid', '=', 'newbie')
      .executeTakeFirstOrThrow();
    expect(newbie).toEqual({ name: '新同事', title: '店员' });
    const first = await t.database.db
      .selectFrom('follows as f')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
      )
      .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
      .select(['s.userid', 'f.state'])
      .where('c.external_userid', '=', wms[0]!)
      .orderBy('s.userid')
      .execute();
    expect(first).toEqual([
      { userid: 'newbie', state: null },
      { userid: 'sh1a', state: 'ch_sync' },
    ]);
    const tagged = await t.database.db
      .selectFrom('customer_tags as ct')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'ct.corp_id').onRef('c.id', '=', 'ct.customer_id'),
      )
      .innerJoin('tags as t', (j) => j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'))
      .select(['c.external_userid', 't.name'])
      .where('t.wecom_tag_id', 'is not', null)
      .execute();
    expect(tagged).toEqual([{ external_userid: wms[1], name: '金卡' }]);
    const group = await t.database.db
      .selectFrom('groups')
      .select(['name', 'customer_count'])
      .executeTakeFirstOrThrow();
    expect(group).toEqual({ name: '同步测试群', customer_count: 5 });
  });

  it('runs again as a new run without duplicating anything', async () => {
    const before = {
      customers: await count('customers'),
      follows: await count('follows'),
      groups: await count('groups'),
    };
    const run = await runFullSync(t.app.runtime.deps, 'acme');
    expect(run.status).toBe('done');
    expect(run.counts.customersCreated ?? 0).toBe(0);
    expect({
      customers: await count('customers'),
      follows: await count('follows'),
      groups: await count('groups'),
    }).toEqual(before);
  });

  it('ends the follows WeCom no longer has, whose deletions Siyu never heard of', async () => {
    const activeOf = (externalUserid: string) =>
      t.database.db
        .selectFrom('follows as f')
        .innerJoin('customers as c', (j) =>
          j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
        )
        .innerJoin('staff as s', (j) =>
          j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'),
        )
        .select(['s.userid', 'f.status'])
        .where('c.external_userid', '=', externalUserid)
        .orderBy('s.userid')
        .execute();
    expect(await activeOf(wms[0]!)).toEqual([
      { userid: 'newbie', status: 'active' },
      { userid: 'sh1a', status: 'active' },
    ]);
    // Callbacks are off: Siyu hears of neither deletion.
    await t.corp('POST', '/scenarios/customer-deletes-member', { userid: 'newbie', external_userid: wms[0] });
    await t.corp('POST', '/scenarios/member-deletes-customer', { userid: 'sh1a', external_userid: wms[3] });
    expect((await activeOf(wms[3]!))[0]!.status).toBe('active');

    const run = await runFullSync(t.app.runtime.deps, 'acme');
    expect(run).toMatchObject({ status: 'done', counts: { followsEnded: 2 } });
    expect(await activeOf(wms[0]!)).toEqual([
      { userid: 'newbie', status: 'deleted_by_staff' },
      { userid: 'sh1a', status: 'active' },
    ]);
    expect(await activeOf(wms[3]!)).toEqual([{ userid: 'sh1a', status: 'deleted_by_staff' }]);
    const events = await t.database.db
      .selectFrom('customer_events as e')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'e.corp_id').onRef('c.id', '=', 'e.customer_id'),
      )
      .select(['c.external_userid', 'e.kind', 'e.data'])
      .where('e.kind', '=', 'follow_deleted_by_staff')
      .where('c.external_userid', 'in', [wms[0]!, wms[3]!])
      .orderBy('c.external_userid')
      .execute();
    expect(events.map((e) => [e.external_userid, (e.data as { source: string }).source]).sort()).toEqual(
      [
        [wms[0], 'full_sync'],
        [wms[3], 'full_sync'],
      ].sort(),
    );
    // wms[3] has no follow left: churned once the FollowEnded events are delivered, as when the deletion
    // comes by callback.
    await t.settle();
    const facts = await t.database.db
      .selectFrom('customer_facts as f')
      .innerJoin('customers as c', (j) =>
        j.onRef('c.corp_id', '=', 'f.corp_id').onRef('c.id', '=', 'f.customer_id'),
      )
      .select('f.stage')
      .where('c.external_userid', '=', wms[3]!)
      .executeTakeFirstOrThrow();
    expect(facts.stage).toBe('churned');

    // Once ended, a further run ends nothing more.
    const again = await runFullSync(t.app.runtime.deps, 'acme');
    expect(again.counts.followsEnded ?? 0).toBe(0);
  });
});
