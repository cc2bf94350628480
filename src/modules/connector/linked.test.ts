import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Linked, openLinked } from '../../testing/linked.ts';

let t: Linked;
beforeAll(async () => {
  t = await openLinked();
});
afterAll(() => t.close());

const db = () => t.database.db;
async function customer(externalUserid: string) {
  const c = await db()
    .selectFrom('customers')
    .selectAll()
    .where('corp_id', '=', 'acme')
    .where('external_userid', '=', externalUserid)
    .executeTakeFirst();
  if (!c) return null;
  const follows = await db()
    .selectFrom('follows as f')
    .innerJoin('staff as s', (j) => j.onRef('s.corp_id', '=', 'f.corp_id').onRef('s.id', '=', 'f.staff_id'))
    .select(['s.userid', 'f.status', 'f.remark', 'f.state', 'f.add_way'])
    .where('f.customer_id', '=', c.id)
    .orderBy('s.userid')
    .execute();
  const tags = await db()
    .selectFrom('customer_tags as ct')
    .innerJoin('tags as t', (j) => j.onRef('t.corp_id', '=', 'ct.corp_id').onRef('t.id', '=', 'ct.tag_id'))
    .select('t.name')
    .where('ct.customer_id', '=', c.id)
    .orderBy('t.name')
    .execute();
  const timeline = await db()
    .selectFrom('customer_events')
    .select('kind')
    .where('customer_id', '=', c.id)
    .orderBy('id')
    .execute();
  return { c, follows, tags: tags.map((x) => x.name), timeline: timeline.map((e) => e.kind) };
}
const waitFor = async <T>(fn: () => Promise<T | null | undefined | false>, what: string): Promise<T> => {
  for (let i = 0; i < 100; i++) {
    await t.settle();
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('Siyu kept in sync by WeCom callbacks (through the simulator)', () => {
  let wm: string;

  it('mirrors a customer who adds a member: customer, follow with state and add_way, timeline', async () => {
    wm = (await t.corp('POST', '/customers', { name: '周小雨', gender: 2, unionid: 'o_zxy' }))
      .external_userid;
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'sh1a',
      external_userid: wm,
      add_way: 1,
      state: 'ch_sh1_card',
    });
    const p = await waitFor(() => customer(wm), 'the customer');
    expect(p.c).toMatchObject({ name: '周小雨', gender: 2, unionid: 'o_zxy' });
    expect(p.follows).toEqual([
      { userid: 'sh1a', status: 'active', remark: null, state: 'ch_sh1_card', add_way: 1 },
    ]);
    expect(p.timeline).toEqual(['follow_added']);
  });

  it('keeps one customer when a second member adds them', async () => {
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'ops1',
      external_userid: wm,
      add_way: 16,
    });
    const p = await waitFor(async () => {
      const x = await customer(wm);
      return x && x.follows.length === 2 ? x : null;
    }, 'the second follow');
    expect(p.follows.map((f) => f.userid)).toEqual(['ops1', 'sh1a']);
    const n = await db()
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('external_userid', '=', wm)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });

  it('learns new corp tags from the admin console and a member’s tag and remark edits', async () => {
    await t.corp('POST', '/scenarios/admin-create-tags', {
      group_name: '口味偏好',
      tag: [{ name: '果茶' }, { name: '奶茶' }],
    });
    await waitFor(
      () =>
        db()
          .selectFrom('tags')
          .select('wecom_tag_id')
          .where('name', '=', '果茶')
          .where('wecom_tag_id', 'is not', null)
          .executeTakeFirst(),
      'the tag',
    );
    const tag = await db()
      .selectFrom('tags')
      .select('wecom_tag_id')
      .where('name', '=', '果茶')
      .executeTakeFirstOrThrow();
    await t.corp('POST', '/scenarios/member-edits-contact', {
      userid: 'sh1a',
      external_userid: wm,
      remark: '周女士 爱果茶',
      remark_mobiles: ['13911112222'],
      add_tag: [tag.wecom_tag_id],
    });
    const p = await waitFor(async () => {
      const x = await customer(wm);
      return x?.tags.includes('果茶') ? x : null;
    }, 'the tag on the customer');
    expect(p.follows.find((f) => f.userid === 'sh1a')!.remark).toBe('周女士 爱果茶');
    expect(p.c.phone_masked).toBe('139****2222');
    expect(p.c.search_text).toContain('爱果茶');
  });

  it('mirrors a group, its members joining and leaving, and its dismissal', async () => {
    const created = await t.corp('POST', '/scenarios/member-creates-group', {
      owner: 'sh1a',
      name: '静安福利群',
      external_userids: [wm],
    });
    const chatId: string = created.chat_id ?? created.group?.chat_id;
    expect(chatId).toMatch(/^wr/);
    const group = await waitFor(
      () => db().selectFrom('groups').selectAll().where('chat_id', '=', chatId).executeTakeFirst(),
      'the group',
    );
    expect(group).toMatchObject({ name: '静安福利群', owner_userid: 'sh1a', customer_count: 1 });
    await t.corp('POST', '/scenarios/leave-group', { chat_id: chatId, external_userid: wm });
    await waitFor(async () => {
      const g = await db()
        .selectFrom('groups')
        .select('customer_count')
        .where('chat_id', '=', chatId)
        .executeTakeFirstOrThrow();
      return g.customer_count === 0;
    }, 'the member to leave');
    await t.corp('POST', '/scenarios/dismiss-group', { chat_id: chatId });
    await waitFor(async () => {
      const g = await db()
        .selectFrom('groups')
        .select('status')
        .where('chat_id', '=', chatId)
        .executeTakeFirstOrThrow();
      return g.status === 'dismissed';
    }, 'the dismissal');
    const p = await customer(wm);
    expect(p!.timeline.filter((k) => k.startsWith('group_'))).toEqual(['group_joined', 'group_left']);
  });

  it('ends follows when the customer deletes a member and when a member deletes the customer', async () => {
    await t.corp('POST', '/scenarios/customer-deletes-member', { external_userid: wm, userid: 'ops1' });
    await t.corp('POST', '/scenarios/member-deletes-customer', { userid: 'sh1a', external_userid: wm });
    const p = await waitFor(async () => {
      const x = await customer(wm);
      return x?.follows.every((f) => f.status !== 'active') ? x : null;
    }, 'both follows to end');
    expect(p.follows.map((f) => [f.userid, f.status])).toEqual([
      ['ops1', 'deleted_by_customer'],
      ['sh1a', 'deleted_by_staff'],
    ]);
  });

  it('creates a member Siyu has never seen when they add a customer', async () => {
    await t.corp('POST', '/members', { userid: 'newbie', name: '新同事', department: [3], position: '导购' });
    const wm2 = (await t.corp('POST', '/customers', { name: '吴桐' })).external_userid;
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'newbie',
      external_userid: wm2,
      add_way: 1,
    });
    const p = await waitFor(() => customer(wm2), 'the customer of the new member');
    expect(p.follows.map((f) => f.userid)).toEqual(['newbie']);
    const staff = await db()
      .selectFrom('staff')
      .select(['name', 'unit_id', 'title'])
      .where('userid', '=', 'newbie')
      .executeTakeFirstOrThrow();
    expect(staff).toMatchObject({ name: '新同事', title: '导购' });
  });
});

describe('a callback delivered again', () => {
  let proxy: Server;
  afterAll(() => new Promise<void>((r) => proxy.close(() => r())));

  it('has its effect once when WeCom retries after Siyu already recorded it', async () => {
    // A proxy that forwards every delivery to Siyu but tells WeCom the first one failed: WeCom retries it.
    let seen = 0;
    proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const upstream = await fetch(`${t.siyuUrl}${req.url}`, {
        method: 'POST',
        body: Buffer.concat(chunks),
        headers: { 'content-type': 'text/xml' },
      });
      seen++;
      res.writeHead(seen === 1 ? 500 : upstream.status).end();
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/wecom/callback/acme`;
    await t.corp('PATCH', '', { callback_url: url });
    const wm = (await t.corp('POST', '/customers', { name: '郑重' })).external_userid;
    await t.corp('POST', '/scenarios/member-adds-customer', {
      userid: 'sh1b',
      external_userid: wm,
      add_way: 1,
    });
    const p = await waitFor(() => customer(wm), 'the customer');
    await t.settle();
    expect(seen).toBe(2);
    const deliveries = await t.corp('GET', '/deliveries?change_type=add_external_contact');
    const mine = deliveries.deliveries.find(
      (d: { fields: Record<string, string> }) => d.fields.ExternalUserID === wm,
    );
    expect(mine.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['http_status', 'delivered']);
    const again = await customer(wm);
    expect(again!.timeline).toEqual(['follow_added']);
    expect(p.follows).toHaveLength(1);
  });
});
